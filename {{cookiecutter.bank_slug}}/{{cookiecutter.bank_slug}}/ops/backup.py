"""`flask backup create|restore|list`: the database, online, without stopping the service.

PostgreSQL: `pg_dump --format=custom` (compressed, restorable table by table with pg_restore); the password
goes to pg_dump in PGPASSWORD, never on its command line. SQLite: sqlite3's online backup API, a consistent
copy while the service writes. Backups are named `<db>-<UTC time>.<dump|sqlite3>`; `--keep N` deletes the
oldest beyond N. `.env` (the secrets) is never in a backup: keep it apart, encrypted (docs/deployment.md).
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from ..extensions import db

SUFFIXES = (".dump", ".sqlite3")


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path(url) -> Path:
    path = Path(url.database or "")
    return path if path.is_absolute() else Path(current_app.instance_path) / path


def _pg_command(tool: str, url, *args: str) -> tuple[list[str], dict]:
    executable = shutil.which(tool)
    if executable is None:
        raise click.ClickException(f"{tool} 未安装 is not installed (apt install postgresql-client)")
    env = dict(os.environ, PGPASSWORD=url.password or "")
    target = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return [executable, *args, "--dbname", target], env


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")  # microseconds: two backups in a second differ


def backups(directory: Path, name: str) -> list[Path]:
    return sorted(path for path in directory.glob(f"{name}-*") if path.suffix in SUFFIXES)


def create_backup(directory: Path, keep: int) -> Path:
    url = _url()
    directory.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        target = directory / f"{url.database}-{_stamp()}.dump"
        command, env = _pg_command("pg_dump", url, "--format=custom", "--no-owner", "--file", str(target))
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise click.ClickException(f"pg_dump failed: {done.stderr.strip()[:500]}")
    elif url.get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        target = directory / f"{source.stem}-{_stamp()}.sqlite3"
        with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
            live.backup(copy)
    else:
        raise click.ClickException(f"no backup for {url.get_backend_name()}")
    os.chmod(target, 0o600)
    for old in backups(directory, target.name.rsplit("-", 1)[0])[:-keep]:
        old.unlink()
    return target


def restore_backup(source: Path) -> None:
    url = _url()
    db.engine.dispose()  # no pooled connection of ours holds the database while it is replaced
    if source.suffix == ".dump":
        if url.get_backend_name() != "postgresql":
            raise click.ClickException("a .dump restores into PostgreSQL only")
        command, env = _pg_command("pg_restore", url, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                   str(source))
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise click.ClickException(f"pg_restore failed: {done.stderr.strip()[:500]}")
    elif source.suffix == ".sqlite3":
        if url.get_backend_name() != "sqlite":
            raise click.ClickException("a .sqlite3 backup restores into SQLite only")
        with closing(sqlite3.connect(source)) as copy, closing(sqlite3.connect(_sqlite_path(url))) as live:
            copy.backup(live)
    else:
        raise click.ClickException("not a backup of this tool (.dump or .sqlite3)")


@click.group("backup")
def backup_group() -> None:
    """数据库备份与恢复 Database backups: create, list, restore."""


@backup_group.command("create")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("backups"),
              show_default=True, help="Where backups are kept (outside the web root)")
@click.option("--keep", type=click.IntRange(1, 10_000), default=14, show_default=True,
              help="How many backups of this database to keep; older ones are deleted")
@with_appcontext
def create_command(directory: Path, keep: int) -> None:
    target = create_backup(directory, keep)
    click.echo(f"已备份 Backed up: {target} ({target.stat().st_size} bytes)")
    click.echo("注意：.env（密钥）不在备份中，请另行加密保存。Note: .env (the secrets) is not in it: keep it apart, "
               "encrypted.")


@backup_group.command("list")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("backups"),
              show_default=True)
@with_appcontext
def list_command(directory: Path) -> None:
    for path in sorted(p for p in directory.glob("*") if p.suffix in SUFFIXES):
        click.echo(f"{path}\t{path.stat().st_size}")


@backup_group.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database's contents (required)")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the database's contents with SOURCE; stop the service and the dispatcher first."""
    if not yes:
        raise click.UsageError("恢复会替换当前数据库的全部内容；确认后加 --yes。"
                               "Restoring replaces the database: add --yes.")
    restore_backup(source)
    click.echo(f"已恢复 Restored from {source}. 请运行 flask ledger check 并启动服务。Run `flask ledger check`, "
               "then start the services.")
