"""Bake the default and every supported option combination; each must be a working project."""

import itertools
import json
import subprocess
import sys

import pytest

from .bakes import leftover_template_syntax, run_ruff, run_suite

MODES = ["safe", "compat", "plain"]
DATABASES = ["sqlite", "postgresql"]
APP_IDS = ["", "wx1234567890abcdef"]

# Half the combinations bake a different bank, so nothing may depend on the default answers.
OTHER_BANK = {
    "bank_name": "河口村镇银行",
    "bank_short_name": "河口村镇银行",
    "bank_name_en": "Hekou Village Bank",
    "brand_color": "#C0392B",
    "service_hotline": "0731-96518",
    "public_domain": "weixin.hekou-vb.example.cn",
    "timezone": "Asia/Urumqi",
    "single_transfer_limit_yuan": "2000",
    "daily_transfer_limit_yuan": "10000",
    "alert_min_amount_yuan": "50",
}

# Every combination bakes, has no leftover template syntax, passes ruff and runs its `smoke` tests (the
# modules that depend end to end on the answers: configuration, the /wechat endpoint in its mode, migrations on
# its database, OAuth2 and binding against sandbox or AppID settings, limits, chat replies, alerts, languages).
# Two combinations run the whole suite, `heavy` tests included (process storms, thousands of concurrent
# transfers, the SIGKILL test, the browser): between them they cover both databases, sandbox and a real AppID,
# and both banks. The generated code is the same in every bake except bank_profile.py and .env, which the smoke
# tests exercise in each combination; running everything twelve times would not fit CI's 25 minutes.
# Each whole suite runs as two items, its `heavy` tests and the rest. The four long items are paired into two
# xdist groups of about equal length (`--dist loadgroup` in pytest.ini: a group stays on one worker, the biggest
# units go out first), one per worker, so neither worker runs the long items one after the other while the
# other sits idle; the smoke bakes and the hook tests fill in around them.
FULL_SUITE = {("safe", "sqlite", ""), ("safe", "postgresql", "wx1234567890abcdef")}
SHARDS = {"all-but-heavy": "not heavy", "heavy": "heavy", "smoke": "smoke and not heavy"}

ALL_COMBINATIONS = list(itertools.product(MODES, DATABASES, APP_IDS))


# The PostgreSQL whole suite's non-heavy part is the longest item; it shares a worker with SQLite's heavy part,
# and SQLite's non-heavy part with PostgreSQL's heavy part.
GROUPS = {("postgresql", "all-but-heavy"): "full-a", ("sqlite", "heavy"): "full-a",
          ("sqlite", "all-but-heavy"): "full-b", ("postgresql", "heavy"): "full-b"}


def _param(mode, database, app_id, shard):
    group = GROUPS.get((database, shard)) if shard != "smoke" else None
    return pytest.param(mode, database, app_id, shard,
                        id=f"{mode}-{database}-{'appid' if app_id else 'sandbox'}-{shard}",
                        marks=[pytest.mark.xdist_group(group)] if group else [])


COMBINATIONS = (
    [_param(*combo, shard) for shard in ("heavy", "all-but-heavy") for combo in ALL_COMBINATIONS
     if combo in FULL_SUITE]
    + [_param(*combo, "smoke") for combo in ALL_COMBINATIONS if combo not in FULL_SUITE]
)


@pytest.mark.slow
@pytest.mark.parametrize("mode,database,app_id,shard", COMBINATIONS)
def test_every_combination_bakes_a_green_project(cookies, postgres_url, mode, database, app_id, shard):
    index = ALL_COMBINATIONS.index((mode, database, app_id))
    context = {"wechat_encrypt_mode": mode, "database": database, "wechat_app_id": app_id}
    if index % 2:
        context.update(OTHER_BANK)
    result = cookies.bake(extra_context=context)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    expected_slug = "hekou_village_bank" if index % 2 else "qingshan_rural_commercial_bank"
    assert project.name == expected_slug

    assert leftover_template_syntax(project) == []
    lint = run_ruff(project)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    env_text = (project / ".env").read_text()
    assert f"WECHAT_ENCRYPT_MODE={mode}" in env_text
    assert ("WECHAT_SANDBOX=1" in env_text) == (not app_id)
    assert ("postgresql+psycopg://" in env_text) == (database == "postgresql")

    suite = run_suite(project, postgres_url if database == "postgresql" else None, marks=SHARDS[shard])
    assert suite.returncode == 0, suite.stdout[-6000:] + suite.stderr[-3000:]
    assert " passed" in suite.stdout


def test_default_bake_is_branded_from_config_not_templates(cookies):
    result = cookies.bake()
    assert result.exit_code == 0, result.exception
    project = result.project_path
    package = project / project.name
    profile = (package / "bank_profile.py").read_text(encoding="utf-8")
    assert "青山农村商业银行" in profile and "#1a7f5a" in profile
    # Flask templates stay unrendered and free of baked branding.
    for template in (package / "templates").rglob("*.html"):
        assert "青山" not in template.read_text(encoding="utf-8")


def test_answers_with_quotes_and_backslashes_stay_exact(cookies):
    name = '青山"农商\\银行\'测试'
    result = cookies.bake(extra_context={"bank_name": name, "bank_short_name": "青山'农商",
                                         "bank_name_en": 'Qingshan "Q" Bank', "bank_slug": "qingshan_q"})
    assert result.exit_code == 0, result.exception
    project = result.project_path
    assert run_ruff(project).returncode == 0
    probe = subprocess.run(
        [sys.executable, "-c", "import json, qingshan_q.bank_profile as p; print(json.dumps(p.BAKED_DEFAULTS))"],
        cwd=project, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    defaults = json.loads(probe.stdout)
    assert defaults["BANK_NAME"] == name and defaults["BANK_SHORT_NAME"] == "青山'农商"
    assert defaults["BANK_NAME_EN"] == 'Qingshan "Q" Bank'


def test_slug_is_derived_from_the_english_name(cookies):
    result = cookies.bake(extra_context={"bank_name_en": "Hekou Village & Town-Bank Co., Ltd."})
    assert result.exit_code == 0, result.exception
    assert result.project_path.name == "hekou_village_and_town_bank_co_ltd"
