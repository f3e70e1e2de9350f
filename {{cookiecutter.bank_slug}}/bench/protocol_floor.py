"""The floor of one encrypted push: what WeChat's protocol itself makes any service do, against a bare Flask
app and against the service, in one process and one run (no network, no gunicorn).

    python bench/protocol_floor.py [--messages 5000] [--redis-url URL] [--database-url URL]

Signs --messages distinct safe-mode pushes of "帮助" before the clock starts, then measures the CPU time per
push (time.process_time over all of them) of:
- bare: bench/bare_app.py's WSGI app answering "success" (what the baseline of bench/wechat_wrk.py runs);
- service: the baked service's WSGI app (as bench/profile_message.py, the whole /wechat path);
- the floor, step by step, with the service's own functions and nothing of Flask: the request signature, the
  outer XML (defusedxml), the msg_signature and AES decryption, the inner XML with its checks, one de-dup
  claim of the message's key (Redis SET NX EX with --redis-url, else an INSERT ... ON CONFLICT DO NOTHING and
  a commit with SQLAlchemy Core on --database-url, migrated first, or a SQLite file in WAL mode), a text reply rendered
  CDATA-safe, and the reply encrypted and signed.
Prints each step, the floor's sum, and what they mean for bench/wechat_wrk.py's ratio: a service that did
only the floor on top of a bare Flask request could reach at most bare / (bare + floor) of the bare rate in
one process; under gunicorn each request also costs the server's share G (bench/wechat_wrk.py prints the
bare worker's CPU per push, which is G + bare), so the bound there is (G + bare) / (G + bare + floor).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from flask_migrate import upgrade
from scratch import bench_config  # bench/ is on sys.path
from sqlalchemy import Column, MetaData, String, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.test import EnvironBuilder

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bare_app import app as bare_app  # noqa: E402

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.sandbox.wechat_push import WeChatPusher, text_message  # noqa: E402
from {{ cookiecutter.bank_slug }}.wechat import inbound, transport  # noqa: E402
from {{ cookiecutter.bank_slug }}.wechat.reply_xml import render_reply  # noqa: E402


def _pushes(app, count: int, first_id: int) -> list:
    pusher = WeChatPusher.from_config(app.config)
    return [pusher.sign(text_message(f"o-floor-{i % 500}", "帮助", first_id + i)) for i in range(count)]


def _environs(pushes) -> list[dict]:
    return [EnvironBuilder(path="/wechat", method="POST", query_string=urlencode(p.query), data=p.body.encode(),
                           content_type="text/xml").get_environ() for p in pushes]


def _feed(wsgi, environs) -> None:
    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"unexpected answer {status}")

    for environ in environs:
        for _ in wsgi(environ, start_response):
            pass


def _cpu_ms(run, count: int) -> float:
    started = time.process_time()
    run()
    return (time.process_time() - started) / count * 1000


class _Claims:
    """One de-dup claim per message key: the round trip the front door cannot skip."""

    def __init__(self, redis_url: str, database_url: str) -> None:
        self.redis = None
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url)
            self.redis.flushdb()
            return
        self.engine = create_engine(database_url)
        if database_url.startswith("sqlite"):
            @event.listens_for(self.engine, "connect")
            def _wal(connection, _record):
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
        self.table = Table("floor_dedup", MetaData(), Column("key", String(64), primary_key=True))
        self.table.drop(self.engine, checkfirst=True)
        self.table.create(self.engine)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        self.insert = dialect.insert(self.table).on_conflict_do_nothing()

    def claim(self, key: str) -> bool:
        if self.redis is not None:
            return bool(self.redis.set(f"floor:{key}", "1", nx=True, ex=3600))
        with self.engine.begin() as connection:
            return connection.execute(self.insert, {"key": key}).rowcount == 1

    def close(self) -> None:
        if self.redis is not None:
            self.redis.flushdb()
        else:
            self.table.drop(self.engine)
            self.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--redis-url", default="", help="the de-dup claim on Redis (and the service with REDIS_URL)")
    parser.add_argument("--database-url", help="the service's database (migrated here) and the claim's")
    args = parser.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/floor.db"
        overrides = {"REDIS_URL": args.redis_url} if args.redis_url else {}
        app = create_app(bench_config(url, ADMIN_PANEL_ENABLED="0", **overrides))
        with app.app_context():
            upgrade()
        settings = transport.TransportSettings.from_config(app.config)
        first_id = int(time.time() * 1000) * 100
        warm, service_pushes, floor_pushes = (_pushes(app, count, first_id + k * n)
                                              for k, count in enumerate((200, n, n)))
        _feed(app, _environs(warm))
        _feed(bare_app, _environs(warm))
        bare_env, service_env = _environs(floor_pushes), _environs(service_pushes)
        bare = _cpu_ms(lambda: _feed(bare_app, bare_env), n)
        service = _cpu_ms(lambda: _feed(app, service_env), n)

        envelopes = [transport.Envelope.from_args(p.query) for p in floor_pushes]
        bodies = [p.body for p in floor_pushes]
        steps: dict[str, float] = {}
        steps["request signature"] = _cpu_ms(lambda: [transport.check_signature(settings.token, e.signature,
                                                                                 e.timestamp, e.nonce)
                                                      for e in envelopes], n)
        roots = []
        steps["outer XML"] = _cpu_ms(lambda: roots.extend(inbound.check_xml(b) for b in bodies), n)
        plain = []
        steps["msg_signature + AES decrypt"] = _cpu_ms(
            lambda: plain.extend(transport.open_message(settings, e, b, r)[0]
                                 for e, b, r in zip(envelopes, bodies, roots, strict=True)), n)
        messages = []
        steps["inner XML + checks"] = _cpu_ms(lambda: messages.extend(inbound.parse(x) for x in plain), n)
        claims = _Claims(args.redis_url, url)
        try:
            keys = [inbound.dedup_key(m) for m in messages]
            steps["de-dup claim (Redis SET NX EX)" if args.redis_url else "de-dup claim (INSERT, commit)"] = \
                _cpu_ms(lambda: [claims.claim(k) for k in keys], n)
        finally:
            claims.close()
        from wechatpy.replies import TextReply

        replies = []
        steps["reply XML"] = _cpu_ms(lambda: replies.extend(
            render_reply(TextReply(source=m.target, target=m.source, content="帮助的全部内容")) for m in messages), n)
        steps["reply AES encrypt + signature"] = _cpu_ms(
            lambda: [transport.seal_reply(settings, e, r) for e, r in zip(envelopes, replies, strict=True)], n)

    floor = sum(steps.values())
    print(f"database: {url.split(':', 1)[0]}{' + Redis' if overrides else ''}  messages: {n}  "
          f"CPU per push, one process, no network")
    print(f"  bare Flask request        {bare:6.3f} ms")
    print(f"  service (/wechat, whole)  {service:6.3f} ms   ratio bare / service = {bare / service:5.1%}")
    for name, ms in steps.items():
        print(f"    floor: {name:<34} {ms:6.3f} ms")
    print(f"  floor (sum)               {floor:6.3f} ms   service above the floor: {service - bare - floor:6.3f} ms")
    print(f"  best ratio in one process: bare / (bare + floor) = {bare / (bare + floor):5.1%}")
    print("  under gunicorn with G ms of server CPU per request (bench/wechat_wrk.py: bare worker CPU = G + bare):")
    for total in (0.30, 0.35, 0.40):
        print(f"    bare worker CPU {total:.2f} ms -> best ratio {total / (total + floor):5.1%}, "
              f"the service today {total / (total - bare + service):5.1%}")


if __name__ == "__main__":
    main()
