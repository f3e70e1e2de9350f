"""LOG_FORMAT=json: one JSON object per line (ts, level, logger, message, request_id, exc), masked exactly as
the text format: card numbers, openids and the `code=`/`access_token=` values of URLs (where an OTP or a
code would travel) never come out in clear, neither in the message nor in a traceback; a forged newline or
a Unicode line separator cannot start a second line; a real process's stderr parses line by line."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from {{ cookiecutter.bank_slug }}.settings import ConfigError, load_config
from {{ cookiecutter.bank_slug }}.shared.logs import JsonFormatter, configure_logging, install_scrubber

from ..conftest import make_config

PROJECT = Path(__file__).resolve().parents[2]
CARD = "6228480402564890018"
OPENID = "oABCDEFGHIJKLMNOPQRSTUVWXYZa"  # 28 characters, the shape of a real openid
OTP = "731946"
SECRETS = (CARD, OPENID, OTP)


def _json_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    install_scrubber()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def _lines(stream: io.StringIO) -> list[dict]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]  # splitlines: \u2028 would split here too


def test_a_log_call_comes_out_as_one_masked_json_object():
    logger, stream = _json_logger("json.call")
    logger.info("bind %s for %s via /h5/bind?code=%s&access_token=%s", CARD, OPENID, OTP, "TOKEN123")
    [entry] = _lines(stream)
    assert set(entry) == {"ts", "level", "logger", "message"}
    assert entry["level"] == "INFO" and entry["logger"] == "json.call"
    assert entry["ts"].endswith("Z") and "T" in entry["ts"]
    assert "6228" in entry["message"] and "0018" in entry["message"]  # masked, not dropped
    assert "code=***" in entry["message"] and "access_token=***" in entry["message"]
    for secret in (*SECRETS, "TOKEN123"):
        assert secret not in stream.getvalue()


def test_a_traceback_is_masked_in_exc():
    logger, stream = _json_logger("json.exc")
    try:
        raise ValueError(f"[parameters: ('{CARD}', '{OPENID}')] url=/h5/x?code={OTP}")
    except ValueError:
        logger.exception("a handler failed for %s", OPENID)
    [entry] = _lines(stream)
    assert entry["level"] == "ERROR" and entry["message"].startswith("a handler failed for ")
    assert "Traceback" in entry["exc"] and "ValueError" in entry["exc"]
    assert "\n" in entry["exc"]  # the traceback keeps its lines inside the JSON string
    for secret in SECRETS:
        assert secret not in stream.getvalue()


def test_forged_line_breaks_stay_inside_one_line():
    logger, stream = _json_logger("json.forge")
    for text in ("帮助\n2026-01-01 ERROR forged", "a\u2028{\"level\": \"ERROR\"}", "b\r\x85c\x1bd"):
        logger.warning("echo %s", text)
    entries = _lines(stream)
    assert len(entries) == 3
    assert entries[0]["message"].startswith("echo 帮助")  # Chinese stays readable
    assert "\u2028" not in stream.getvalue() and "\x85" not in stream.getvalue()
    assert "\u2028" in entries[1]["message"]  # escaped on the line, the same text once parsed


def test_request_id_from_nginx_inside_a_request(make_app):
    app = make_app(LOG_FORMAT="json")
    logger, stream = _json_logger("json.request")
    with app.test_request_context("/h5/", headers={"X-Request-ID": "5f0c2a7e9b1d4c3a8e6f0a1b2c3d4e5f"}):
        logger.info("inside")
    with app.test_request_context("/h5/", headers={"X-Request-ID": "bad id\" with quotes"}):
        logger.info("forged id")
    logger.info("outside")
    inside, forged, outside = _lines(stream)
    assert inside["request_id"] == "5f0c2a7e9b1d4c3a8e6f0a1b2c3d4e5f"
    assert "request_id" not in forged and "request_id" not in outside


def test_configure_logging_switches_our_handler_and_gunicorns():
    root, gunicorn_error = logging.getLogger(), logging.getLogger("gunicorn.error")
    saved = root.handlers[:], root.level, gunicorn_error.handlers[:]
    gunicorn_handler = logging.StreamHandler(io.StringIO())
    try:
        root.handlers[:] = []
        gunicorn_error.handlers[:] = [gunicorn_handler]
        configure_logging("INFO", "json")
        [ours] = root.handlers
        assert isinstance(ours.formatter, JsonFormatter)
        assert isinstance(gunicorn_handler.formatter, JsonFormatter)
        configure_logging("INFO", "text")  # a second app in the same process, back to text
        assert root.handlers == [ours] and not isinstance(ours.formatter, JsonFormatter)
    finally:
        root.handlers[:], gunicorn_error.handlers[:] = saved[0], saved[2]
        root.setLevel(saved[1])


def test_log_format_setting():
    base = make_config("sqlite://")
    assert load_config(base)["LOG_FORMAT"] == "text"
    assert load_config({**base, "LOG_FORMAT": "JSON"})["LOG_FORMAT"] == "json"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config({**base, "LOG_FORMAT": "xml"})


SCRIPT = f"""
import logging
from {{ cookiecutter.bank_slug }}.app import create_app
app = create_app(dict(TESTING=True))
log = logging.getLogger("{{ cookiecutter.bank_slug }}.probe")
log.warning("card %s openid %s", "{CARD}", "{OPENID}")
try:
    raise RuntimeError("core said no for {CARD} /h5/bind?code={OTP}")
except RuntimeError:
    log.exception("failed")
print("stdout is not the log")
"""


def test_a_real_process_writes_one_json_object_per_stderr_line(tmp_path):
    env = {**os.environ, **{k: str(v) for k, v in make_config(f"sqlite:///{tmp_path / 'x.db'}").items()},
           "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "PYTHONPATH": str(PROJECT)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    probe = [entry for entry in entries if entry["logger"] == "{{ cookiecutter.bank_slug }}.probe"]
    assert [entry["level"] for entry in probe] == ["WARNING", "ERROR"]
    assert "RuntimeError" in probe[1]["exc"]
    for secret in SECRETS:
        assert secret not in done.stderr


def _free_port() -> int:
    import socket

    for port in range(7400, 7500):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 7400-7499")


def test_gunicorn_under_log_format_json_writes_only_json_lines(tmp_path):
    """The master's lines (before the app is loaded), a worker's, the access log and the app's: every line
    of gunicorn's stdout and stderr parses, and an OAuth callback's code and openid are not in them."""
    import time

    import requests

    port = _free_port()
    env = {**os.environ, **{k: str(v) for k, v in make_config(f"sqlite:///{tmp_path / 'x.db'}").items()},
           "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", "PYTHONPATH": str(PROJECT), "GUNICORN_WORKERS": "1",
           "GUNICORN_BIND": f"127.0.0.1:{port}"}
    env.pop("TESTING", None)
    out, err = open(tmp_path / "out", "w+"), open(tmp_path / "err", "w+")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                               "{{ cookiecutter.bank_slug }}.wsgi:app"], cwd=PROJECT, env=env, stdout=out, stderr=err)
    try:
        for _ in range(200):
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code in (200, 503):
                    break
            except requests.RequestException:  # not listening yet, or the worker still loading the app
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer: " + (tmp_path / "err").read_text())
        requests.get(f"http://127.0.0.1:{port}/h5/oauth/callback?code=SECRETCODE&openid={OPENID}", timeout=5,
                     allow_redirects=False, headers={"X-Request-ID": "abc123"})
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = (tmp_path / "out").read_text() + (tmp_path / "err").read_text()
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    loggers = {entry["logger"] for entry in entries}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers, loggers
    assert any("Booting worker" in entry["message"] for entry in entries)  # before the app was loaded
    assert any("/h5/oauth/callback" in entry["message"] for entry in entries if entry["logger"] == "gunicorn.access")
    assert "SECRETCODE" not in text and OPENID not in text
