"""`flask alerts import FILE`: the core's end-of-day file, idempotent, with a per-line report."""

import pytest

from {{ cookiecutter.bank_slug }}.features.alerts.models import SOURCE_CORE

from ...ledger_helpers import seed
from .support import alerts, item, push

HEADER = "transaction_id,account_id,amount_fen,balance_after_fen,occurred_at,kind,counterparty_name,memo\n"


@pytest.fixture
def accounts(app):
    return seed(app)


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "eod.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def run_import(app, path, *extra):
    return app.test_cli_runner().invoke(args=["alerts", "import", path, *extra])


def test_a_clean_file_is_stored_and_a_second_run_stores_nothing(app, accounts, tmp_path):
    account = accounts[0].account_id
    lines = "".join(f"E{n},{account},-{n + 1}00,500000,2026-11-23T0{n % 10}:00:00+08:00,purchase,商户{n},\n"
                    for n in range(10))
    path = write(tmp_path, HEADER + lines)
    first = run_import(app, path)
    assert first.exit_code == 0, first.output
    assert "10 lines, 10 stored, 0 skipped (already stored), 0 refused" in first.stdout
    assert "stored" in first.stderr  # progress
    again = run_import(app, path)
    assert again.exit_code == 0 and "0 stored, 10 skipped" in again.stdout
    assert len(alerts(app, source=SOURCE_CORE)) == 10


def test_bad_lines_are_reported_by_number_and_the_rest_stored(app, accounts, tmp_path):
    account = accounts[0].account_id
    path = write(tmp_path, HEADER
                 + f"G1,{account},-100,500000,2026-11-23T09:00:00+08:00,purchase,,\n"
                 + f"B1,{account},-1.5,500000,2026-11-23T09:00:00+08:00,purchase,,\n"
                 + "B2,A9999999,-100,500000,2026-11-23T09:00:00+08:00,purchase,,\n"
                 + f"B3,{account},-100,500000,yesterday,purchase,,\n"
                 + f"B4,{account},-100,500000,2026-11-23T09:00:00+08:00,purchase,,,extra\n"
                 + f"G2,{account},300,500300,2026-11-23T10:00:00+08:00,refund,,退货\n")
    result = run_import(app, path)
    assert result.exit_code == 1  # something was refused: the operator must look
    assert "6 lines, 2 stored, 0 skipped (already stored), 4 refused" in result.stdout
    assert "line 3: amount_fen must be a whole number of fen" in result.stdout
    assert "line 4: unknown account_id" in result.stdout
    assert "line 5: occurred_at" in result.stdout
    assert "line 6: more cells than header columns" in result.stdout
    assert [a.source_txn_id for a in alerts(app, source=SOURCE_CORE)] == ["G1", "G2"]


def test_a_transaction_pushed_earlier_is_skipped_not_alerted_twice(app, client, accounts, tmp_path):
    account = accounts[0].account_id
    push(client, app, {"transactions": [item("P1", account, -100, occurred_at="2026-11-23T09:00:00+08:00",
                                             counterparty_name="", balance_after_fen=500000)]})
    path = write(tmp_path, HEADER + f"P1,{account},-100,500000,2026-11-23T09:00:00+08:00,purchase,,\n")
    result = run_import(app, path)
    assert result.exit_code == 0 and "0 stored, 1 skipped" in result.stdout
    assert len(alerts(app, source=SOURCE_CORE)) == 1


def test_a_missing_column_refuses_the_whole_file(app, accounts, tmp_path):
    path = write(tmp_path, "transaction_id,account_id,amount_fen\nX,Y,1\n")
    result = run_import(app, path)
    assert result.exit_code != 0
    assert "header row lacks column(s): balance_after_fen, occurred_at, kind" in result.output
    assert alerts(app, source=SOURCE_CORE) == []


def test_gb18030_files_need_the_encoding_option(app, accounts, tmp_path):
    account = accounts[0].account_id
    path = write(tmp_path, HEADER + f"C1,{account},-100,500000,2026-11-23T09:00:00+08:00,purchase,青山超市,\n",
                 encoding="gb18030")
    refused = run_import(app, path)
    assert refused.exit_code != 0 and "--encoding gb18030" in refused.output
    assert alerts(app, source=SOURCE_CORE) == []
    ok = run_import(app, path, "--encoding", "gb18030")
    assert ok.exit_code == 0, ok.output
    assert alerts(app, source=SOURCE_CORE)[0].counterparty == "青***"
