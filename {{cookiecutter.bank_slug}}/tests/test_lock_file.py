"""requirements.lock pins every production dependency of pyproject.toml (and the postgresql and redis
extras) to a version inside its range, each with its hashes, so `pip install --require-hashes` installs
exactly what was tested. `make lock` regenerates it."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes), for the markers-free view of the lock."""
    entries: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = ENTRY.match(stripped)
        if match:
            current = canonicalize_name(match.group(1))
            version, hashes = entries.get(current, (match.group(2), 0))
            entries[current] = (match.group(2), hashes)
        elif stripped.startswith("--hash=sha256:") and current:
            version, hashes = entries[current]
            entries[current] = (version, hashes + 1)
        else:
            raise AssertionError(f"unexpected line in requirements.lock: {line!r}")
    return entries


def production_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    for extra in ("postgresql", "redis"):
        names += project["optional-dependencies"][extra]
    return [Requirement(name) for name in names]


def test_every_production_dependency_is_pinned_inside_its_range():
    entries = locked()
    for requirement in production_requirements():
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{requirement} is not in requirements.lock: run `make lock`"
        version = entries[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock pins {name}=={version}, outside {requirement}: run `make lock`")
        for extra in requirement.extras:  # psycopg[binary] -> psycopg-binary
            assert canonicalize_name(f"{requirement.name}-{extra}") in entries, f"{requirement}: extra not locked"


def test_every_pinned_package_has_hashes():
    entries = locked()
    assert len(entries) > 20
    missing = sorted(name for name, (_, hashes) in entries.items() if hashes == 0)
    assert not missing, f"pinned without --hash: {missing}"


def test_no_development_tool_is_in_the_production_lock():
    entries = locked()
    for tool in ("pytest", "ruff", "playwright", "hypothesis", "schemathesis"):
        assert tool not in entries
