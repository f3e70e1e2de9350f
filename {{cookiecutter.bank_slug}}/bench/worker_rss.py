"""A web worker's memory after it has served every page once, measured on a real gunicorn worker.

    python bench/worker_rss.py [--postgres SERVER_URL] [--redis-url URL] [--threads N] [--ports LOW-HIGH]
    (SERVER_URL: e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)

A fresh migrated SQLite file (or, with --postgres, a scratch PostgreSQL database dropped afterwards) gets the demo
data, a head-office staff user and a customer with a bound card. The headline figure: gunicorn with
deploy/gunicorn.conf.py and one worker (its gthread threads as configured) serves, over HTTP from `--threads`
concurrent clients, every GET page that takes no URL argument (the H5 pages as the bound customer, the admin
panel's pages as the staff user, the public ones anonymously) and a few signed safe-mode pushes to /wechat, then
the worker's VmRSS is read from /proc. In-process cross-checks, each in its own fresh Python process: the same
pages and pushes through the WSGI app as gunicorn loads it (wsgi.py) and through create_app() (the app with
the `flask` commands installed); and a floor: just the third-party modules the in-process wsgi worker had
loaded, nothing of ours.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
PACKAGE = next(p.parent.name for p in ROOT.glob("*/wsgi.py"))
OPENID = "o-rss-bench-customer"
SKIP = ("/static/", "/wechat", "/metrics")  # files, WeChat's signed pushes (sent apart below), the ops scrape
PUSHES = (("text", "帮助"), ("text", "余额"), ("event", "subscribe"))  # help, the bound customer's balance, a follow


def rss_kb(pid: str = "self") -> dict:
    with open(f"/proc/{pid}/status") as status:
        return {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("VmRSS", "RssAnon"))}


def prepare(env: dict) -> None:
    """Schema, demo data, a staff user and a bound card: in a process of its own (Alembic stays out of the
    measured ones)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    module = __import__(PACKAGE, fromlist=["create_app"])
    app = module.create_app(env)
    with app.app_context():
        upgrade()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    admin_models = __import__(f"{PACKAGE}.admin.models", fromlist=["StaffUser", "ROLE_HEAD_OFFICE"])
    core = __import__(f"{PACKAGE}.core_banking.ledger.models", fromlist=["LedgerAccount"])
    binding = __import__(f"{PACKAGE}.features.binding.models", fromlist=["CardBinding"])
    db = __import__(f"{PACKAGE}.extensions", fromlist=["db"]).db
    with app.app_context():
        user = admin_models.StaffUser(username="rss_head", display_name="RSS", role=admin_models.ROLE_HEAD_OFFICE)
        user.set_password("rss-bench-password-1")
        db.session.add(user)
        accounts = core.LedgerAccount
        account = db.session.execute(select(accounts).where(accounts.card_number.is_not(None))
                                     .order_by(accounts.account_id)).scalars().first()
        db.session.add(binding.CardBinding(openid=OPENID, account_id=account.account_id,
                                           card_mask="6228 **** **** 0018", status="active"))
        db.session.commit()


def sessions(app) -> dict:
    """The session contents of the staff user and of the bound customer."""
    from sqlalchemy import select

    admin_models = __import__(f"{PACKAGE}.admin.models", fromlist=["StaffUser", "SESSION_VERSION"])
    auth = __import__(f"{PACKAGE}.admin.auth", fromlist=["SESSION_SEEN"])
    oauth = __import__(f"{PACKAGE}.h5.oauth", fromlist=["SESSION_CUSTOMER"])
    db = __import__(f"{PACKAGE}.extensions", fromlist=["db"]).db
    with app.app_context():
        staff_user = db.session.execute(select(admin_models.StaffUser).where(
            admin_models.StaffUser.username == "rss_head")).scalar_one()
        staff_id, version = staff_user.id, staff_user.session_version or 0
    now = int(time.time())
    return {"staff": {"_user_id": str(staff_id), "_fresh": True, auth.SESSION_SEEN: now,
                      admin_models.SESSION_VERSION: version},
            "customer": {oauth.SESSION_CUSTOMER: {"openid": OPENID, "at": now}}}


def pages_of(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP)})


def client_of(path: str) -> str:
    return "staff" if path.startswith("/admin") else "customer" if path.startswith("/h5") else "anonymous"


def signed_pushes(env: dict) -> list[tuple[str, str]]:
    """(path with query, body) of each push in PUSHES from the bound customer, signed and encrypted."""
    from urllib.parse import urlencode

    pusher_module = __import__(f"{PACKAGE}.sandbox.wechat_push",
                               fromlist=["WeChatPusher", "text_message", "event_message"])
    pusher = pusher_module.WeChatPusher.from_config(env)
    pushes = []
    for number, (kind, value) in enumerate(PUSHES):
        xml = (pusher_module.text_message(OPENID, value, 7_000_000 + number) if kind == "text"
               else pusher_module.event_message(OPENID, value))
        signed = pusher.sign(xml)
        pushes.append((f"/wechat?{urlencode(signed.query)}", signed.body))
    return pushes


def plan(env: dict) -> dict:
    """For the gunicorn run (in a process of its own): the pages, the signed session cookies, the pushes."""
    app = __import__(PACKAGE, fromlist=["create_app"]).create_app(env, commands=False)
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = app.config["SESSION_COOKIE_NAME"]
    cookies = {name: f"{cookie}={serializer.dumps(content)}" for name, content in sessions(app).items()}
    return {"pages": pages_of(app), "cookies": {**cookies, "anonymous": ""}, "pushes": signed_pushes(env)}


def measure(env: dict, variant: str) -> dict:
    """Build the app as `variant` ("wsgi" or "create_app") in this process, serve every page and push once
    through its WSGI interface, report VmRSS."""
    start = rss_kb()["VmRSS"]
    os.environ.update(env)
    if variant == "wsgi":
        app = __import__(f"{PACKAGE}.wsgi", fromlist=["app"]).app
    else:
        app = __import__(PACKAGE, fromlist=["create_app"]).create_app()
    built = rss_kb()["VmRSS"]
    clients = {name: app.test_client() for name in ("staff", "customer", "anonymous")}
    for name, content in sessions(app).items():
        with clients[name].session_transaction() as session:
            session.update(content)
    statuses = Counter()
    pages = pages_of(app)
    for path in pages:
        answer = clients[client_of(path)].get(path)
        statuses[answer.status_code // 100 * 100] += 1
        if os.environ.get("RSS_VERBOSE"):
            print(answer.status_code, path, answer.headers.get("Location", ""), file=sys.stderr)
    pushes = signed_pushes(env)
    for path, body in pushes:
        answer = clients["anonymous"].post(path, data=body.encode(), content_type="text/xml")
        statuses[f"/wechat {answer.status_code}"] += 1
    time.sleep(1)  # a handler thread a push handed over finishes
    third_party = sorted(name for name, module in list(sys.modules.items())
                         if "site-packages" in (getattr(module, "__file__", None) or ""))
    return {"variant": variant, "third_party": third_party, "start_kb": start, "built_kb": built,
            "served_kb": rss_kb()["VmRSS"], "pages": len(pages), "statuses": dict(statuses),
            "modules": len(sys.modules)}


def floor(env: dict, packages: list[str]) -> dict:
    """The third-party modules the served wsgi worker had loaded, imported alone: what no app code can save."""
    start = rss_kb()["VmRSS"]
    for name in packages:
        try:
            __import__(name)
        except Exception:  # noqa: S112 - a package's optional top-level module: not this figure's business
            continue
    served = rss_kb()["VmRSS"]
    return {"variant": "floor", "start_kb": start, "built_kb": served, "served_kb": served, "pages": 0,
            "statuses": {}, "modules": len(sys.modules)}


def pick_port(ports: str) -> int:
    """A free port in `ports` ("7700-7749"), or any free one when empty."""
    low, high = (int(p) for p in ports.split("-")) if ports else (0, 0)
    for port in range(low, high + 1):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError(f"no free port in {ports}")


def request(port: int, method: str, path: str, cookie: str, body: bytes | None = None) -> int:
    import http.client  # here, not at the top: the in-process variants start without what they do not use

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "text/xml"
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def served_by_gunicorn(env: dict, planned: dict, folder: str, args: argparse.Namespace) -> dict:
    """gunicorn (deploy/gunicorn.conf.py, one worker) serves every page and push from `args.threads`
    concurrent clients; the worker's VmRSS after it, read from /proc."""
    from concurrent.futures import ThreadPoolExecutor

    port = pick_port(args.ports)
    server_env = {**os.environ, **env, "PYTHONPATH": str(ROOT), "GUNICORN_WORKERS": "1",
                  "GUNICORN_BIND": f"127.0.0.1:{port}"}
    if args.threads:
        server_env["GUNICORN_THREADS"] = str(args.threads)
    server_env.pop("GUNICORN_RUN_DIR", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py"), "--access-logfile",
         "/dev/null", f"{PACKAGE}.wsgi:app"], cwd=folder, env=server_env,
        stdout=subprocess.DEVNULL, stderr=None if os.environ.get("RSS_VERBOSE") else subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if request(port, "GET", "/healthz", "") == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None:
                raise RuntimeError("gunicorn exited")
            time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        workers = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        assert len(workers) == 1, workers
        built = rss_kb(workers[0])
        jobs = [("GET", path, planned["cookies"][client_of(path)], None) for path in planned["pages"]]
        jobs += [("POST", path, "", body.encode()) for path, body in planned["pushes"]]
        threads = int(server_env.get("GUNICORN_THREADS", "4"))
        with ThreadPoolExecutor(max_workers=threads) as pool:
            answers = list(pool.map(lambda job: request(port, *job), jobs))
        time.sleep(1)  # a handler thread a push handed over finishes
        served = rss_kb(workers[0])
        statuses = Counter(status // 100 * 100 for status in answers[:len(planned["pages"])])
        statuses.update(f"/wechat {status}" for status in answers[len(planned["pages"]):])
        return {"variant": "gunicorn", "start_kb": 0, "built_kb": built["VmRSS"], "served_kb": served["VmRSS"],
                "anon_kb": served["RssAnon"], "pages": len(planned["pages"]), "statuses": dict(statuses),
                "modules": 0, "threads": threads}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="SERVER_URL", help="a server to make a scratch database on")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--threads", type=int, default=0,
                        help="gunicorn threads and concurrent clients (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--ports", default=os.environ.get("BENCH_PORTS", ""), help="e.g. 7700-7749 (default: any)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        env = json.loads(args.env)
        if args.child == "prepare":
            prepare(env)
            print(json.dumps(plan(env)))
        elif args.child == "floor":
            print(json.dumps(floor(env, env.pop("RSS_FLOOR_PACKAGES").split(","))))
        else:
            print(json.dumps(measure(env, args.child)))
        return
    from contextlib import nullcontext

    from scratch import bench_config, scratch_postgres

    with tempfile.TemporaryDirectory() as folder, (scratch_postgres(args.postgres) if args.postgres
                                                   else nullcontext(f"sqlite:///{folder}/rss.db")) as url:
        env = bench_config(url, ADMIN_SESSION_MINUTES="30", REDIS_URL=args.redis_url)

        def child(kind: str) -> dict:
            done = subprocess.run([sys.executable, __file__, "--child", kind, "--env", json.dumps(env)],
                                  capture_output=True, text=True, cwd=folder)
            if os.environ.get("RSS_VERBOSE"):
                print(done.stderr[-20000:], file=sys.stderr)
            if done.returncode:
                sys.exit(f"{kind} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            return json.loads(done.stdout.strip().splitlines()[-1])

        planned = child("prepare")
        print(f"load before: {open('/proc/loadavg').read().strip()}")
        results = [served_by_gunicorn(env, planned, folder, args), child("wsgi"), child("create_app")]
        env["RSS_FLOOR_PACKAGES"] = ",".join(results[1]["third_party"])
        results.append(child("floor"))
    for r in results:
        where = (f"gunicorn worker ({r['threads']} threads, as many clients), booted {r['built_kb'] / 1024:6.1f} MB"
                 if r["variant"] == "gunicorn" else
                 f"in-process: after start {r['start_kb'] / 1024:5.1f} MB, app built {r['built_kb'] / 1024:6.1f} MB")
        print(f"{r['variant']:>10}: {where}, every page served {r['served_kb'] / 1024:6.1f} MB"
              f" ({r['pages']} pages {r['statuses']}" + (f", {r['modules']} modules)" if r["modules"] else ")"))
    gunicorn_kb, wsgi_kb = results[0]["served_kb"], results[1]["served_kb"]
    print(f"gunicorn worker: {gunicorn_kb / 1024:.1f} MB (anonymous {results[0]['anon_kb'] / 1024:.1f} MB);"
          f" in-process wsgi / create_app: {wsgi_kb / results[2]['served_kb']:.2f};"
          f" the floor is {results[3]['served_kb'] / wsgi_kb:.2f} of wsgi"
          f" ({', '.join(sorted({name.split('.')[0] for name in results[1]['third_party']}))})")


if __name__ == "__main__":
    main()
