"""WSGI entry point for gunicorn (see deploy/gunicorn.conf.py and the README)."""

from .app import create_app

app = create_app(commands=False)  # no `flask` commands in a web worker (app.py)
