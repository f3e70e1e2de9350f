"""The mock WeChat API as a WSGI app for gunicorn (bench/alerts.py runs it in its own process):
one worker process (the mock keeps its state in memory), many threads. Configured from the
environment like the service (.env), with MOCK_SERVICE_URL for the simulator's link back."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from {{ cookiecutter.bank_slug }} import create_app  # noqa: E402
from {{ cookiecutter.bank_slug }}.sandbox.run import sandbox_mock_app  # noqa: E402

app = sandbox_mock_app(create_app(), os.environ.get("MOCK_SERVICE_URL", "http://127.0.0.1:5000"))
