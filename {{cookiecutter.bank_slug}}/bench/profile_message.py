"""Where one encrypted push's time goes: a profile of the /wechat path in one process, no network.

    python bench/profile_message.py [--messages 2000] [--database-url URL] [--redis-url URL] [--top 30]

Builds the app on a fresh migrated SQLite file (or --database-url, whose tables must exist: a scratch
PostgreSQL database is simplest), signs --messages distinct safe-mode pushes of "帮助" before the clock starts
and feeds them straight to the WSGI app (as gunicorn would, with environs built in advance). Prints the wall
time and the process's CPU time (every thread: the writer of what trails the answer too) per message without a
profiler, then a cProfile of the same number of messages: every thread that runs
a part of the message (a handler thread too) is profiled and the figures merged, sorted by cumulative time.
"""

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from flask_migrate import upgrade
from scratch import bench_config  # bench/ is on sys.path
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message  # noqa: E402


def environs(app, count: int, first_id: int) -> list[dict]:
    pusher = WeChatPusher.from_config(app.config)
    built = []
    for i in range(count):
        signed = pusher.sign(text_message(f"o-profile-{i % 500}", "帮助", first_id + i))
        builder = EnvironBuilder(path="/wechat", method="POST", query_string=urlencode(signed.query),
                                 data=signed.body.encode(), content_type="text/xml")
        built.append(builder.get_environ())
    return built


def feed(app, batch: list[dict]) -> None:
    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise RuntimeError(status)

    for environ in batch:
        body = b"".join(app(environ, start_response))
        if b"<Encrypt>" not in body:
            raise RuntimeError(body[:200])


def profile_threads(app, profiles: list) -> None:
    """Profile the handler threads as well: wrap whatever the processor runs on another thread."""
    processor = app.extensions["wechat_processor"]
    run = getattr(processor, "_run", None)
    if run is None:
        return

    def profiled(*args, **kwargs):
        profile = cProfile.Profile()
        profiles.append(profile)
        return profile.runcall(run, *args, **kwargs)

    processor._run = profiled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/profile.db"
        overrides = {"REDIS_URL": args.redis_url} if args.redis_url else {}
        app = create_app(bench_config(url, ADMIN_PANEL_ENABLED="0", **overrides))
        with app.app_context():
            upgrade()
        first_id = int(time.time() * 1000) * 100
        warm, timed, profiled = (environs(app, n, first_id + k * args.messages)
                                 for k, n in enumerate((200, args.messages, args.messages)))
        feed(app, warm)
        started, cpu = time.perf_counter(), time.process_time()
        feed(app, timed)
        per_message = (time.perf_counter() - started) / args.messages * 1000
        cpu_per_message = (time.process_time() - cpu) / args.messages * 1000  # every thread of the process
        profiles = [cProfile.Profile()]
        profile_threads(app, profiles)
        profiles[0].runcall(feed, app, profiled)
        out = io.StringIO()
        stats = pstats.Stats(profiles[0], stream=out)
        for profile in profiles[1:]:
            stats.add(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        print(f"database: {url.split(':', 1)[0]}{' + Redis' if overrides else ''}  messages: {args.messages}  "
              f"wall time per message (no profiler, one thread): {per_message:.2f} ms, CPU {cpu_per_message:.2f} ms")
        print(f"threads profiled: {len(profiles)}")
        print(out.getvalue())


if __name__ == "__main__":
    main()
