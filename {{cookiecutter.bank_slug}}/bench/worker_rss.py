"""A web worker's memory after it has served every page once: the app as gunicorn loads it (wsgi.py) against
the app with the `flask` commands installed (create_app(), what wsgi.py loaded before), in the same run.

    python bench/worker_rss.py [--postgres SERVER_URL] [--redis-url URL]
    (SERVER_URL: e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)

A fresh migrated SQLite file (or, with --postgres, a scratch PostgreSQL database dropped afterwards) gets the demo
data, a head-office staff user and a customer with a bound card. Each variant then runs in its own fresh Python
process, as a gunicorn worker would: it builds the app, requests every GET page that takes no URL argument (the H5
pages as the bound customer, the admin panel's pages as the staff user, the public ones anonymously) through the
WSGI app, and reports its VmRSS (/proc/self/status) with the number of pages by status. A third process imports
just the third-party modules the served wsgi worker had loaded: the floor no app code can go below. gunicorn's own
worker code adds about 3 MB to each figure.
"""

import argparse
import json
import os
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
SKIP = ("/static/", "/wechat", "/metrics")  # files, WeChat's signed pushes, the ops scrape


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


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


def measure(env: dict, variant: str) -> dict:
    """Build the app as `variant` ("wsgi" or "create_app"), serve every page once, report VmRSS."""
    start = rss_kb()
    os.environ.update(env)
    if variant == "wsgi":
        app = __import__(f"{PACKAGE}.wsgi", fromlist=["app"]).app
    else:
        app = __import__(PACKAGE, fromlist=["create_app"]).create_app()
    built = rss_kb()
    admin_models = __import__(f"{PACKAGE}.admin.models", fromlist=["StaffUser", "SESSION_VERSION"])
    auth = __import__(f"{PACKAGE}.admin.auth", fromlist=["SESSION_SEEN"])
    oauth = __import__(f"{PACKAGE}.h5.oauth", fromlist=["SESSION_CUSTOMER"])
    db = __import__(f"{PACKAGE}.extensions", fromlist=["db"]).db
    from sqlalchemy import select

    with app.app_context():
        staff_user = db.session.execute(select(admin_models.StaffUser).where(
            admin_models.StaffUser.username == "rss_head")).scalar_one()
        staff_id, version = staff_user.id, staff_user.session_version or 0
    staff, customer, anonymous = app.test_client(), app.test_client(), app.test_client()
    with staff.session_transaction() as session:
        session.update({"_user_id": str(staff_id), "_fresh": True, auth.SESSION_SEEN: int(time.time()),
                        admin_models.SESSION_VERSION: version})
    with customer.session_transaction() as session:
        session[oauth.SESSION_CUSTOMER] = {"openid": OPENID, "at": int(time.time())}
    statuses = Counter()
    pages = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP)})
    for path in pages:
        client = staff if path.startswith("/admin") else customer if path.startswith("/h5") else anonymous
        answer = client.get(path)
        statuses[answer.status_code // 100 * 100] += 1
        if os.environ.get("RSS_VERBOSE"):
            print(answer.status_code, path, answer.headers.get("Location", ""), file=sys.stderr)
    third_party = sorted(name for name, module in list(sys.modules.items())
                         if "site-packages" in (getattr(module, "__file__", None) or ""))
    return {"variant": variant, "third_party": third_party, "start_kb": start, "built_kb": built,
            "served_kb": rss_kb(), "pages": len(pages), "statuses": dict(statuses), "modules": len(sys.modules)}


def floor(env: dict, packages: list[str]) -> dict:
    """The third-party modules the served wsgi worker had loaded, imported alone: what no app code can save."""
    start = rss_kb()
    for name in packages:
        try:
            __import__(name)
        except Exception:  # noqa: S112 - a package's optional top-level module: not this figure's business
            continue
    served = rss_kb()
    return {"variant": "floor", "start_kb": start, "built_kb": served, "served_kb": served, "pages": 0,
            "statuses": {}, "modules": len(sys.modules)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="SERVER_URL", help="a server to make a scratch database on")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--env", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        env = json.loads(args.env)
        if args.child == "prepare":
            print(json.dumps(prepare(env)))
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
        def child(kind: str) -> dict | None:
            done = subprocess.run([sys.executable, __file__, "--child", kind, "--env", json.dumps(env)],
                                  capture_output=True, text=True, cwd=folder)
            if os.environ.get("RSS_VERBOSE"):
                print(done.stderr[-20000:], file=sys.stderr)
            if done.returncode:
                sys.exit(f"{kind} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
            return json.loads(done.stdout.strip().splitlines()[-1])

        child("prepare")
        print(f"load before: {open('/proc/loadavg').read().strip()}")
        results = [child("create_app"), child("wsgi")]
        env["RSS_FLOOR_PACKAGES"] = ",".join(results[1]["third_party"])
        results.append(child("floor"))
    for r in results:
        print(f"{r['variant']:>10}: after start {r['start_kb'] / 1024:6.1f} MB,"
              f" app built {r['built_kb'] / 1024:6.1f} MB,"
              f" every page served {r['served_kb'] / 1024:6.1f} MB ({r['pages']} pages {r['statuses']},"
              f" {r['modules']} modules)")
    print(f"wsgi / create_app after serving: {results[1]['served_kb'] / results[0]['served_kb']:.2f};"
          f" the floor is {results[2]['served_kb'] / results[1]['served_kb']:.2f} of wsgi"
          f" ({', '.join(sorted({name.split('.')[0] for name in results[1]['third_party']}))})")


if __name__ == "__main__":
    main()
