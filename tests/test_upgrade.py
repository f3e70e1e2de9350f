"""Upgrading a bank's project to a newer template with `cruft update`, as docs/upgrading.md says: a project
baked (with plain cookiecutter, as the README does) at the oldest commit whose bakes record their answers in
.cruft.json, with a database in use, is updated to this commit; the result equals a fresh bake at this commit
with the same answers (but for the bake's own secrets), the live .env is untouched, the migrations upgrade the
old database and the updated project's smoke tests pass."""

import filecmp
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

HEKOU = ["bank_name=河口村镇银行", "bank_short_name=河口村镇银行", "bank_name_en=Hekou Village Bank",
         "public_domain=weixin.hekou-vb.example.cn", "wechat_encrypt_mode=compat", "brand_color=#C0392B"]
# What a bake generates for itself and an update must leave alone (the project's [tool.cruft] skip).
PER_INSTALL = {".env", ".cruft.json", ".git", "deploy/postgresql-setup.sql", "instance", "__pycache__",
               ".pytest_cache", ".hypothesis"}
BIN = Path(sys.executable).parent


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=120).stdout


def oldest_recording_commit() -> str | None:
    """The first commit of the template whose post-gen hook writes .cruft.json."""
    try:
        log = git("log", "--format=%H", "-S", "write_cruft_state", "--", "hooks/post_gen_project.py", cwd=ROOT)
    except (OSError, subprocess.CalledProcessError):
        return None
    commits = log.split()
    return commits[-1] if commits else None


def bake(template: Path, out: Path) -> Path:
    subprocess.run([str(BIN / "cookiecutter"), "--no-input", "-o", str(out), str(template), *HEKOU],
                   check=True, capture_output=True, text=True, timeout=300)
    return out / "hekou_village_bank"


def flask(project: Path, *args):
    env = dict(os.environ, PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "hekou_village_bank", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)


def differences(left: Path, right: Path, rel: Path = Path()) -> list[str]:
    found = []
    comparison = filecmp.dircmp(left / rel, right / rel, ignore=[])
    for name in comparison.left_only + comparison.right_only:
        if name not in PER_INSTALL and str(rel / name) not in PER_INSTALL:
            found.append(f"only in one: {rel / name}")
    for name in comparison.common_files:
        if str(rel / name) in PER_INSTALL:
            continue
        if not filecmp.cmp(left / rel / name, right / rel / name, shallow=False):
            found.append(f"differs: {rel / name}")
    for name in comparison.common_dirs:
        if name not in PER_INSTALL:
            found += differences(left, right, rel / name)
    return found


def test_cruft_update_from_the_oldest_recording_commit(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the upgrade test needs the template as a git checkout") if os.environ.get("CI") else pytest.skip(
            "not a git checkout")
    old = oldest_recording_commit()
    assert old, "no commit of hooks/post_gen_project.py writes .cruft.json"
    head = git("rev-parse", "HEAD", cwd=ROOT).strip()
    # The template as the bank got it: a clone (cruft update clones the recorded template again).
    template = tmp_path / "template"
    git("clone", "-q", str(ROOT), str(template), cwd=tmp_path)
    git("checkout", "-q", old, cwd=template)
    project = bake(template, tmp_path / "bank")
    assert '"commit": "' + old in (project / ".cruft.json").read_text()
    env_before = (project / ".env").read_bytes()
    # The bank's own repository of its project, and a database in use at the old version.
    git("init", "-q", cwd=project)
    git("-c", "user.name=IT", "-c", "user.email=it@bank.example", "add", "-A", cwd=project)
    git("-c", "user.name=IT", "-c", "user.email=it@bank.example", "commit", "-qm", "baked", cwd=project)
    for command in (("init-db",), ("seed-demo",)):
        result = flask(project, *command)
        assert result.returncode == 0, result.stderr[-3000:]

    git("checkout", "-q", head, cwd=template)
    update = subprocess.run([str(BIN / "cruft"), "update", "-y", "--checkout", head], cwd=project,
                            capture_output=True, text=True, timeout=600)
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    assert not list(project.rglob("*.rej")), "the update left rejected hunks"
    assert (project / ".env").read_bytes() == env_before, "cruft update changed the live .env"
    assert f'"commit": "{head}"' in (project / ".cruft.json").read_text()

    fresh = bake(template, tmp_path / "fresh")
    assert differences(project, fresh) == []

    for command in (("init-db",), ("ledger", "check")):
        result = flask(project, *command)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    env = dict(os.environ, PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    env.pop("TEST_DATABASE_URL", None)
    suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:cookies",
                            "-m", "smoke and not heavy", "-x"], cwd=project, env=env, capture_output=True,
                           text=True, timeout=900)
    assert suite.returncode == 0, suite.stdout[-5000:]
