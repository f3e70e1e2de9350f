"""`python -m {{ cookiecutter.bank_slug }}.ops.db_ping`:
exit 0 when the database of DATABASE_URL (the environment, then ./.env) accepts a connection and `SELECT 1`,
1 when it does not (the reason on stderr, never the URL or its password), 2 when DATABASE_URL is missing or
malformed. The container entrypoint
(deploy/docker/entrypoint.sh) calls it until the database is up."""

import os
import sys
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ..settings import ConfigError, database_url


def ping(url: str, timeout_seconds: int = 3) -> str | None:
    """None when the database answers, else a short reason without the URL."""
    parsed = make_url(url)
    connect_args = {"connect_timeout": timeout_seconds} if parsed.get_backend_name() == "postgresql" else {}
    engine = create_engine(parsed, connect_args=connect_args, pool_pre_ping=False)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver's error: only its class, the message may hold the host
        return type(getattr(exc, "orig", None) or exc).__name__
    finally:
        engine.dispose()
    return None


def main() -> int:
    load_dotenv(Path(os.getcwd()) / ".env", override=False)
    try:
        url = database_url(os.environ)
        make_url(url)
    except ConfigError as exc:
        print(f"db_ping: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a malformed URL: its class only, the text would hold the password
        print(f"db_ping: DATABASE_URL is malformed ({type(exc).__name__})", file=sys.stderr)
        return 2
    reason = ping(url)
    if reason is not None:
        print(f"db_ping: the database is not reachable yet ({reason})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
