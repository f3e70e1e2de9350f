"""What gunicorn serves (wsgi.py) is the app without the `flask` commands: a web worker does not import
Alembic, the dispatcher's aiohttp or the sandbox, which only commands use (bench/worker_rss.py measures it)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import make_config

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, sys
from PACKAGE.wsgi import app
found = dict(commands=sorted(app.cli.commands), migrate="migrate" in app.extensions,
             loaded=sorted(name for name in ("alembic", "flask_migrate", "aiohttp", "PACKAGE.sandbox",
                                             "PACKAGE.outbox.dispatcher") if name in sys.modules))
print(json.dumps(found))
"""


def test_the_wsgi_app_has_no_commands_and_imports_none_of_their_modules(tmp_path):
    package = next(path.parent.name for path in ROOT.glob("*/wsgi.py"))
    config = make_config(f"sqlite:///{tmp_path}/worker.db")
    env = {**os.environ, **{key: str(value) for key, value in config.items()}, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE.replace("PACKAGE", package)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"commands": [], "migrate": False, "loaded": []}


def test_the_factory_the_flask_command_uses_keeps_every_command(app):
    assert {"init-db", "seed-demo", "alerts", "sandbox", "wechat", "ledger", "backup"} <= set(app.cli.commands)
    assert "migrate" in app.extensions
