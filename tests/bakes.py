"""What a bake is checked for: no leftover template syntax, lint-clean, its own suite green."""

import os
import subprocess
import sys
from pathlib import Path

# Flask's own Jinja templates legitimately contain {{ }} and {% %}; Alembic's script template is Mako;
# Prometheus alert rules have their own {{ }} templates.
RAW_DIRS = {"templates", "static"}
RAW_FILES = {"script.py.mako", "prometheus-alerts.yml"}  # Prometheus alert templates use {{ $labels }}
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
BINARY_SUFFIXES = {".png", ".jpg", ".ico", ".woff", ".woff2", ".db", ".mo", ".pyc"}


def leftover_template_syntax(project: Path) -> list[str]:
    problems = []
    for path in project.rglob("*"):
        if not path.is_file() or path.suffix in BINARY_SUFFIXES or ".venv" in path.parts:
            continue
        if path.name == ".cruft.json":  # the bake's recorded answers, for `cruft update`: cookiecutter's own words
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(project)
        if "cookiecutter" in text:
            problems.append(f"{rel}: mentions cookiecutter")
        if RAW_DIRS.isdisjoint(rel.parts) and path.name not in RAW_FILES:
            if "{{" in text or "{%" in text:
                problems.append(f"{rel}: unrendered Jinja")
    for path in project.rglob("*"):
        if "{{" in path.name or "}}" in path.name:
            problems.append(f"{path.relative_to(project)}: unrendered file name")
    return problems


def run_ruff(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(project)],
                          capture_output=True, text=True)


def run_suite(project: Path, database_url: str | None, marks: str | None = None) -> subprocess.CompletedProcess:
    """The bake's own test suite: all of it, or the tests that `marks` selects (`-m`), e.g. its `smoke`
    tests, those that depend end to end on the bake's answers, without the `heavy` ones."""
    env = dict(os.environ, PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    # Screenshots and other artifacts of the browser tests, kept after the bake's temp folder is gone.
    database = "postgresql" if database_url else "sqlite"
    env.setdefault("TEST_ARTIFACTS_DIR", str(ARTIFACTS / f"{project.name}-{database}"))
    env.pop("TEST_DATABASE_URL", None)
    if database_url:
        env["TEST_DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:cookies"]
    if marks:
        command += ["-m", marks]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900)
