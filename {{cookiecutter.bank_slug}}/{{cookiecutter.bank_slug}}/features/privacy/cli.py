"""`flask privacy ...`: `rotate-keys` (re-wrap every encrypted value under the current key, resumable), `key-status`
(which keys the stored values need), `prune` (delete what is past its retention period)."""

import click
from flask.cli import AppGroup

from ...shared import fieldcrypt

privacy_group = AppGroup("privacy", help="个人信息 Personal information: encryption keys, retention.")


@privacy_group.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="values per commit")
def rotate_keys(batch_size: int) -> None:
    """Re-wrap every encrypted value under the first key of DATA_KEYS (and encrypt any value still in clear text).
    Safe to interrupt and to run again: it continues where it stopped."""
    from .keys import rotate

    keyring = fieldcrypt.current()
    click.echo(f"current key 当前密钥: {keyring.current}")

    def progress(label: str, done: int) -> None:
        click.echo(f"  {label}: {done}")

    try:
        changed = rotate(batch_size, progress)
    except fieldcrypt.DecryptError as exc:
        raise click.ClickException(f"{exc} — add the missing key back to DATA_KEYS and run again "
                                   "(the values done so far stay done) / 请补回缺少的密钥后重新运行") from None
    total = sum(changed.values())
    click.echo(f"done 完成: {total} value(s) re-wrapped or encrypted; every value is under {keyring.current}.")


@privacy_group.command("key-status")
def key_status() -> None:
    """How many stored values each key wraps, per column; exit status 1 when a value needs a key that DATA_KEYS
    does not have, or is still in clear text."""
    from .keys import key_status as status

    keyring = fieldcrypt.current()
    missing = set()
    for label, counts in status().items():
        parts = ", ".join(f"{key}={count}" for key, count in sorted(counts.items())) or "-"
        click.echo(f"{label}: {parts}")
        missing |= {key for key in counts if key == "clear" or key not in keyring.keks}
    old = {key for key in keyring.keks if key != keyring.current}
    if missing:
        raise click.ClickException(f"values need {sorted(missing)}: run `flask privacy rotate-keys` (with every "
                                   "key they name in DATA_KEYS) / 仍有值需要这些密钥或尚未加密")
    if old:
        click.echo(f"keys {sorted(old)} are no longer used by any value 已不再使用，可从 DATA_KEYS 中删除"
                   if not any(key in old for counts in status().values() for key in counts) else
                   f"keys {sorted(old)} still wrap values: run `flask privacy rotate-keys` 仍在使用")


@privacy_group.command("prune")
@click.option("--dry-run", is_flag=True, help="count what would be deleted, delete nothing")
def prune(dry_run: bool) -> None:
    """Delete the records past their retention period (RETENTION_* settings, docs/compliance.md)."""
    from .retention import prune as run

    for rule, days, rows in run(dry_run=dry_run):
        verb, zh = ("would delete", "将删除") if dry_run else ("deleted", "已删除")
        click.echo(f"{rule.table}: {verb} {rows} {zh} ({rule.what}, > {days} days)")
