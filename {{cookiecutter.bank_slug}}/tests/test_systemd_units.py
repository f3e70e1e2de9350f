"""deploy/systemd/: `systemd-analyze verify` accepts every unit (the web template as an instance, the
dispatcher, the prune jobs, the backup and their timers), each service runs as the service's own user with
the hardening options, and the long-running ones restart; the backup unit's command line is one that
`flask backup create` accepts and writes where the unit may write."""

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import _in_ci

PROJECT = Path(__file__).resolve().parents[1]
UNITS = PROJECT / "deploy" / "systemd"
SLUG = "{{ cookiecutter.bank_slug }}"
HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
             "CapabilityBoundingSet=", "RestrictAddressFamilies=")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    return parser


def test_every_service_is_hardened_and_runs_as_the_service_user():
    services = sorted(path.name for path in UNITS.glob("*.service"))
    assert {f"{SLUG}-web@.service", f"{SLUG}-alerts.service", f"{SLUG}-alerts-prune.service",
            f"{SLUG}-messages-prune.service", f"{SLUG}-privacy-prune.service",
            f"{SLUG}-backup.service"} <= set(services)
    for name in services:
        text = (UNITS / name).read_text(encoding="utf-8")
        for option in HARDENING:
            assert re.search(rf"^{re.escape(option)}", text, re.M), f"{name}: no {option}"
        service = _unit(name)["Service"]
        assert service["User"] == SLUG and service["WorkingDirectory"] == f"/opt/{SLUG}"
    assert _unit(f"{SLUG}-web@.service")["Service"]["Restart"] == "on-failure"
    assert _unit(f"{SLUG}-alerts.service")["Service"]["Restart"] == "always"
    web = _unit(f"{SLUG}-web@.service")["Service"]
    assert "GUNICORN_BIND=127.0.0.1:%i" in (UNITS / f"{SLUG}-web@.service").read_text()
    assert web["RuntimeDirectory"] == SLUG


def test_every_timer_runs_its_service_daily():
    for timer in UNITS.glob("*.timer"):
        assert (UNITS / timer.name.replace(".timer", ".service")).exists()
        assert "OnCalendar=" in timer.read_text(encoding="utf-8")


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if _in_ci():
            pytest.fail("systemd-analyze is missing (CI=true)", pytrace=False)
        pytest.skip("systemd-analyze is not installed")
    bin_dir = Path(sys.executable).parent  # the executables the units name must exist for verify
    names = []
    for path in UNITS.iterdir():
        text = path.read_text(encoding="utf-8").replace(f"/opt/{SLUG}/.venv/bin/", f"{bin_dir}/")
        name = path.name.replace("@.service", "@8000.service")
        (tmp_path / name).write_text(text, encoding="utf-8")
        names.append(str(tmp_path / name))
    checked = subprocess.run([analyze, "verify", "--man=no", *sorted(names)], capture_output=True, text=True,
                             timeout=60)
    problems = [line for line in (checked.stdout + checked.stderr).splitlines()
                if line.strip() and "is not safe" not in line and "does not exist" not in line]
    assert checked.returncode == 0 and problems == [], checked.stdout + checked.stderr


def test_the_backup_unit_runs_a_command_flask_accepts(make_app, tmp_path):
    service = _unit(f"{SLUG}-backup.service")["Service"]
    assert (UNITS / f"{SLUG}-backup.timer").exists() and service["Type"] == "oneshot"
    assert service["UMask"] == "0077"  # the dumps are readable by the service user only
    command = shlex.split(service["ExecStart"])
    assert command[:3] == [f"/opt/{SLUG}/.venv/bin/flask", "--app", SLUG]
    arguments = command[3:]
    assert arguments[:2] == ["backup", "create"]
    directory = arguments[arguments.index("--dir") + 1]
    assert directory in service["ReadWritePaths"].split()  # ProtectSystem=strict: the only writable places
    keep = int(arguments[arguments.index("--keep") + 1])
    assert keep >= 7
    # The same arguments, with a scratch directory, through the real CLI: names and values are accepted.
    runner_arguments = [str(tmp_path) if value == directory else value for value in arguments]
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'bank.db'}")
    with app.app_context():
        from {{ cookiecutter.bank_slug }}.extensions import db

        db.create_all()
    result = app.test_cli_runner().invoke(args=runner_arguments)
    assert result.exit_code == 0, result.output
    assert [path.suffix for path in tmp_path.glob("bank-*")] == [".sqlite3"]
