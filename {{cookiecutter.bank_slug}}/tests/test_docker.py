"""deploy/docker/ as far as a machine without a Docker engine allows (the image is NOT built in CI):
- compose.yaml parses and has the five services (web, dispatcher, PostgreSQL, Redis, nginx) with images,
  healthchecks, the env files, named volumes and a start order in which the database is healthy before the
  web migrates it and the dispatcher starts after the web (never two migrations at once);
  `docker compose config` validates it too where the compose plugin is installed;
- the Dockerfile, statically (what hadolint would say and more): multi-stage, pinned base images, a user
  that is not root, no secret in ENV/ARG, the hash-checked lock installed before the source is copied,
  a HEALTHCHECK, every COPY source present, .dockerignore keeping .env and the data out of the context;
- the containers' nginx site passes `nginx -t`;
- entrypoint.sh run as a script with fake python/flask/gunicorn on PATH: the order of the calls, exec (the
  same process id), the exit codes of a failed migration, a database that never answers and a missing
  DATABASE_URL; and the real `python -m ....ops.db_ping` it calls."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import _in_ci
from .test_nginx_site import NGINX, _need, _prepare

PROJECT = Path(__file__).resolve().parents[1]
DOCKER = PROJECT / "deploy" / "docker"
SLUG = "{{ cookiecutter.bank_slug }}"
ENTRYPOINT = DOCKER / "entrypoint.sh"
SECRET_NAMES = re.compile(r"(?i)(secret|password|passwd|token|aes_key|api_key|private)")


# --- compose.yaml -------------------------------------------------------------------------------------------

def _compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))


def _start_order(services: dict) -> list[str]:
    order, seen = [], set()

    def visit(name, path=()):
        assert name not in path, f"depends_on cycle through {name}"
        if name in seen:
            return
        for dependency in services[name].get("depends_on", {}):
            visit(dependency, (*path, name))
        seen.add(name)
        order.append(name)

    for name in services:
        visit(name)
    return order


def test_compose_has_the_five_services_with_images_and_healthchecks():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"web", "dispatcher", "postgres", "redis", "nginx"}
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest") or name in {"web", "dispatcher"}, image
        test = service["healthcheck"]["test"]
        assert test[0] in {"CMD", "CMD-SHELL"} and len(test) > 1, name
        assert service["restart"] == "unless-stopped", name
    for name in ("web", "dispatcher"):  # one image, built here, two roles of the entrypoint
        service = services[name]
        assert service["image"] == f"{SLUG}:latest"
        assert service["build"] == {"context": "../..", "dockerfile": "deploy/docker/Dockerfile"}
        assert service["env_file"] == ["../../.env", "container.env"]
        assert "instance:/app/instance" in service["volumes"]
    assert services["web"]["command"] == ["web"] and services["dispatcher"]["command"] == ["dispatcher"]
    assert "ports" not in services["web"]  # gunicorn is reached through nginx only
    assert sorted(services["nginx"]["ports"]) == ["443:443", "80:80"]


def test_compose_volumes_env_files_and_mounts_exist():
    compose = _compose()
    named = set(compose["volumes"])
    assert {"pgdata", "instance"} <= named
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                if source != "./tls":  # the bank's certificate, put there before the first start
                    assert (DOCKER / source).exists(), f"{name}: {source}"
            else:
                assert source in named, f"{name}: volume {source} is not declared"
        for env_file in service.get("env_file", []):
            if env_file not in {"../../.env", "postgres.env"}:  # the secrets: per install, git-ignored
                assert (DOCKER / env_file).exists(), env_file
    assert compose["services"]["postgres"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    # pg_dump refuses a newer server: the server's major version is the image's postgresql-client's (Debian 12).
    assert compose["services"]["postgres"]["image"].startswith("postgres:15-")
    assert "-bookworm" in re.search(r"PYTHON_IMAGE=(\S+)", (DOCKER / "Dockerfile").read_text()).group(1)
    ignored = (PROJECT / ".gitignore").read_text(encoding="utf-8")
    assert "deploy/docker/postgres.env" in ignored and "deploy/docker/tls/" in ignored


def test_compose_starts_the_database_first_and_migrates_once():
    services = _compose()["services"]
    order = _start_order(services)
    assert order.index("postgres") < order.index("web") < order.index("dispatcher")
    assert order.index("redis") < order.index("web") < order.index("nginx")
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["dispatcher"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_compose_holds_no_secret_and_container_env_none_either():
    text = (DOCKER / "compose.yaml").read_text(encoding="utf-8")
    for service in _compose()["services"].values():
        for key, value in (service.get("environment") or {}).items():
            assert not SECRET_NAMES.search(key), f"{key}={value}: secrets belong in the env files"
    assert "POSTGRES_PASSWORD:" not in text
    for line in (DOCKER / "container.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert not SECRET_NAMES.search(line.split("=", 1)[0]), line


def test_docker_compose_config_accepts_it_where_the_plugin_exists(tmp_path):
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` plugin on this machine (the YAML checks above still ran)")
    copy = tmp_path / "project"
    shutil.copytree(PROJECT / "deploy", copy / "deploy")
    (copy / ".env").write_text("SECRET_KEY=x\n", encoding="utf-8")
    (copy / "deploy" / "docker" / "postgres.env").write_text("POSTGRES_PASSWORD=x\n", encoding="utf-8")
    checked = subprocess.run([docker, "compose", "-f", str(copy / "deploy" / "docker" / "compose.yaml"), "config",
                              "--quiet"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr


# --- Dockerfile ---------------------------------------------------------------------------------------------

def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in (DOCKER / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            logical.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "") for text in logical]


def _final_stage(instructions):
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def test_dockerfile_is_multi_stage_on_pinned_slim_images():
    instructions = _instructions()
    froms = [arguments for name, arguments in instructions if name == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    args = dict(re.match(r"(\w+)=(\S+)", arguments).groups() for name, arguments in instructions if name == "ARG"
                and "=" in arguments)
    for image in froms:
        image = image.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert ":" in image and not image.endswith(":latest"), image
        assert "slim" in image, image


def test_dockerfile_runs_as_a_user_that_is_not_root():
    final = _final_stage(_instructions())
    users = [(i, arguments.split(":")[0]) for i, (name, arguments) in enumerate(final) if name == "USER"]
    assert users, "no USER: the container would run as root"
    position, user = users[-1]
    assert user not in {"root", "0"}
    start = [i for i, (name, _) in enumerate(final) if name in {"ENTRYPOINT", "CMD"}]
    assert start and min(start) > position
    assert not any(name == "RUN" for name, _ in final[position:]), "nothing runs as root after USER"
    assert any(name == "RUN" and "useradd" in arguments and "--system" in arguments for name, arguments in final)


def test_dockerfile_bakes_no_secret():
    for name, arguments in _instructions():
        if name in {"ENV", "ARG"}:
            for key in re.findall(r"(\w+)=", arguments) or [arguments.split()[0]]:
                assert not SECRET_NAMES.search(key), f"{name} {key}: secrets come at run time"
        if name in {"COPY", "ADD"}:
            assert ".env" not in arguments.split(), arguments
            assert not re.search(r"\s\.\s|^\.\s", arguments + " ") or "--from" in arguments, \
                f"COPY . copies the whole context: {arguments}"
        assert name != "ADD", "ADD fetches URLs and unpacks archives: use COPY"
    ignored = (PROJECT / ".dockerignore").read_text(encoding="utf-8").split()
    for path in (".env", "instance/", "backups/", "deploy/docker/postgres.env", ".git/", ".venv/"):
        assert path in ignored, path


def test_dockerfile_installs_the_hashed_lock_before_the_source():
    instructions = _instructions()
    lock_copy = next(i for i, (name, arguments) in enumerate(instructions)
                     if name == "COPY" and arguments.split()[0] == "requirements.lock")
    install = next(i for i, (name, arguments) in enumerate(instructions)
                   if name == "RUN" and "pip install" in arguments and "requirements.lock" in arguments)
    assert "--require-hashes" in instructions[install][1]
    source = next(i for i, (name, arguments) in enumerate(instructions)
                  if name == "COPY" and arguments.split()[0].rstrip("/") == SLUG)
    assert lock_copy < install < source
    apt = [arguments for name, arguments in instructions if name == "RUN" and "apt-get install" in arguments]
    for arguments in apt:
        assert "--no-install-recommends" in arguments and "rm -rf /var/lib/apt/lists" in arguments


def test_dockerfile_copies_what_the_service_needs_and_checks_its_health():
    final = _final_stage(_instructions())
    copied = {}
    for name, arguments in final:
        if name == "COPY" and "--from" not in arguments:
            parts = [part for part in arguments.split() if not part.startswith("--")]
            for source in parts[:-1]:
                assert (PROJECT / source).exists(), source
                copied[source.rstrip("/")] = parts[-1]
    assert {SLUG, "migrations", "deploy/gunicorn.conf.py", "deploy/docker/entrypoint.sh"} <= set(copied)
    [healthcheck] = [arguments for name, arguments in final if name == "HEALTHCHECK"]
    assert "/healthz" in healthcheck
    entrypoint = [arguments for name, arguments in final if name == "ENTRYPOINT"][-1]
    assert copied["deploy/docker/entrypoint.sh"] in entrypoint
    assert [arguments for name, arguments in final if name == "CMD"][-1] == '["web"]'


# --- the containers' nginx site -----------------------------------------------------------------------------

def test_the_container_nginx_site_passes_nginx_t(tmp_path):
    _need(NGINX)
    site = (DOCKER / "nginx.conf").read_text(encoding="utf-8")
    assert "server web:8000" in site
    for directive in ("proxy_request_buffering on;", "proxy_set_header X-Request-ID $request_id;",
                      "limit_req zone=", "client_body_timeout 5s;"):
        assert directive in site, directive  # the same protections as deploy/nginx.conf.example
    site = site.replace("server web:8000", "server 127.0.0.1:8000")  # nginx -t resolves upstream names
    conf = _prepare(tmp_path, site)
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


# --- entrypoint.sh as a script ------------------------------------------------------------------------------

FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >> "$FAKE_LOG"
case "$(basename "$0")" in
  python)
    count=$(cat "$FAKE_LOG.db" 2>/dev/null || echo 0)
    echo $((count + 1)) > "$FAKE_LOG.db"
    if [ "$count" -lt "${FAKE_DB_FAILS:-0}" ]; then exit "${FAKE_DB_EXIT:-1}"; fi
    exit 0 ;;
  flask)
    if [ "$3" = "init-db" ]; then exit "${FAKE_MIGRATE_EXIT:-0}"; fi
    echo "pid $$" >> "$FAKE_LOG"
    exit "${FAKE_EXEC_EXIT:-0}" ;;
  gunicorn)
    echo "pid $$" >> "$FAKE_LOG"
    if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
      echo "metrics $(ls -A "$PROMETHEUS_MULTIPROC_DIR" | wc -l)" >> "$FAKE_LOG"
    fi
    exit "${FAKE_EXEC_EXIT:-0}" ;;
esac
"""


def _run(tmp_path: Path, *args: str, **env: str) -> tuple[int, list[str], str, int]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("python", "flask", "gunicorn"):
        (bin_dir / name).write_text(FAKE, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"
    full_env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAKE_LOG": str(log), "DB_WAIT_INTERVAL": "0.05",
                "HOME": str(tmp_path), **env}
    process = subprocess.Popen(["/bin/sh", str(ENTRYPOINT), *args], env=full_env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate(timeout=60)
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return process.returncode, calls, stderr, process.pid


PING = f"python -m {SLUG}.ops.db_ping"


def test_web_waits_for_the_database_migrates_then_execs_gunicorn(tmp_path):
    code, calls, stderr, pid = _run(tmp_path, "web", "--workers", "2", FAKE_DB_FAILS="2")
    assert code == 0, stderr
    assert calls == [PING, PING, PING, f"flask --app {SLUG} init-db",
                     f"gunicorn -c deploy/gunicorn.conf.py {SLUG}.wsgi:app --workers 2", f"pid {pid}"]
    assert "the database answers" in stderr


def test_no_argument_means_web_and_gunicorns_exit_code_is_the_containers(tmp_path):
    code, calls, _, _ = _run(tmp_path, FAKE_EXEC_EXIT="3")
    assert code == 3
    assert calls[-2] == f"gunicorn -c deploy/gunicorn.conf.py {SLUG}.wsgi:app"


def test_dispatcher_migrates_then_execs_flask_alerts_run(tmp_path):
    code, calls, stderr, pid = _run(tmp_path, "dispatcher")
    assert code == 0, stderr
    assert calls == [PING, f"flask --app {SLUG} init-db", f"flask --app {SLUG} alerts run", f"pid {pid}"]


def test_a_failed_migration_stops_the_container_with_its_exit_code(tmp_path):
    code, calls, _, _ = _run(tmp_path, "web", FAKE_MIGRATE_EXIT="4")
    assert code == 4
    assert calls == [PING, f"flask --app {SLUG} init-db"]  # gunicorn never started on an old schema


def test_a_database_that_never_answers_fails_after_the_wait(tmp_path):
    code, calls, stderr, _ = _run(tmp_path, "web", FAKE_DB_FAILS="1000000", DB_WAIT_SECONDS="1")
    assert code == 69
    assert "did not answer within 1 s" in stderr
    assert calls and set(calls) == {PING}  # no migration, no gunicorn


def test_a_missing_database_url_fails_at_once(tmp_path):
    code, calls, stderr, _ = _run(tmp_path, "dispatcher", FAKE_DB_FAILS="1000000", FAKE_DB_EXIT="2")
    assert code == 78
    assert calls == [PING] and "DATABASE_URL" in stderr


def test_extra_replicas_skip_migrations_and_metrics_start_empty(tmp_path):
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    (metrics / "counter_123.db").write_bytes(b"stale")
    code, calls, _, _ = _run(tmp_path, "web", RUN_MIGRATIONS="0", PROMETHEUS_MULTIPROC_DIR=str(metrics))
    assert code == 0
    assert calls[0] == PING and not any("init-db" in call for call in calls)
    assert "metrics 0" in calls


def test_migrate_only_and_any_other_command_are_run(tmp_path):
    code, calls, _, _ = _run(tmp_path, "migrate", RUN_MIGRATIONS="0")
    assert code == 0 and calls == [PING, f"flask --app {SLUG} init-db"]
    (tmp_path / "calls.log").unlink()
    code, calls, _, pid = _run(tmp_path, "flask", "--app", SLUG, "backup", "list")
    assert code == 0 and calls == [f"flask --app {SLUG} backup list", f"pid {pid}"]  # no wait, no migration


# --- the database probe the entrypoint calls ----------------------------------------------------------------

def _ping(tmp_path: Path, database_url: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["PYTHONPATH"] = str(PROJECT)
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", f"{SLUG}.ops.db_ping"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def test_db_ping_answers_for_a_reachable_an_unreachable_and_a_missing_database(tmp_path):
    assert _ping(tmp_path, f"sqlite:///{tmp_path / 'bank.db'}").returncode == 0
    down = _ping(tmp_path, "postgresql+psycopg://bank:S3cretPassw0rd@127.0.0.1:7499/bank")
    if "ModuleNotFoundError" in down.stderr:
        if _in_ci():
            pytest.fail("psycopg is not installed (CI=true)", pytrace=False)
        pytest.skip("psycopg is not installed")
    assert down.returncode == 1 and "not reachable" in down.stderr
    assert "S3cretPassw0rd" not in down.stderr and "7499" not in down.stderr
    missing = _ping(tmp_path, None)
    assert missing.returncode == 2 and "DATABASE_URL" in missing.stderr
