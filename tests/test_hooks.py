"""The pre-gen hook refuses every invalid answer with a message; the post-gen hook makes secrets."""

import json
import re
from pathlib import Path

import pytest

SECRET_NAMES = ["SECRET_KEY", "WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "CORE_API_SECRET", "WECHAT_APP_SECRET",
                "SMS_GATEWAY_SECRET", "DATA_KEYS", "DATA_LOOKUP_KEY"]

INVALID = [  # answer, value, part of the message that says what is accepted
    ("bank_name", "", "must not be empty"),
    ("bank_name", "银" * 41, "at most 40 characters"),
    ("bank_short_name", "  ", "must not be empty"),
    ("bank_name_en", "青山 Bank", "ASCII characters only"),
    ("bank_slug", "Qingshan", "lowercase Python identifier"),
    ("bank_slug", "9bank", "lowercase Python identifier"),
    ("bank_slug", "qing-shan", "lowercase Python identifier"),
    ("bank_slug", "class", "clashes with a Python keyword"),
    ("bank_slug", "json", "clashes with a Python keyword"),
    ("bank_slug", "flask", "clashes with a Python keyword"),
    ("brand_color", "green", "hex colour"),
    ("brand_color", "#12345", "hex colour"),
    ("brand_color", "#12345g", "hex colour"),
    ("service_hotline", "call us", "phone number"),
    ("service_hotline", "12", "phone number"),
    ("public_domain", "https://wx.bank.cn", "hostname without scheme or path"),
    ("public_domain", "wx.bank.cn/wechat", "hostname without scheme or path"),
    ("public_domain", "localhost", "hostname without scheme or path"),
    ("public_domain", "10.0.0.1", "hostname without scheme or path"),
    ("public_domain", "-bad-.bank.cn", "hostname without scheme or path"),
    ("wechat_app_id", "wx123", "16 lowercase hex"),
    ("wechat_app_id", "wx1234567890ABCDEF", "16 lowercase hex"),
    ("wechat_app_id", "ab1234567890abcdef", "16 lowercase hex"),
    ("timezone", "Mars/Olympus", "IANA time zone"),
    ("timezone", "", "IANA time zone"),
    ("single_transfer_limit_yuan", "0", "positive whole number"),
    ("single_transfer_limit_yuan", "-5", "positive whole number"),
    ("single_transfer_limit_yuan", "50.5", "positive whole number"),
    ("single_transfer_limit_yuan", "007", "positive whole number"),
    ("daily_transfer_limit_yuan", "abc", "positive whole number"),
    ("daily_transfer_limit_yuan", "1000000000", "at most 100000000"),
    ("alert_min_amount_yuan", "-1", "whole number >= 0"),
    ("alert_min_amount_yuan", "1.5", "whole number >= 0"),
]


@pytest.mark.parametrize("answer,value,hint", INVALID, ids=[f"{a}={v[:12]!r}" for a, v, _ in INVALID])
def test_pre_gen_hook_refuses_invalid_answers(cookies, capfd, answer, value, hint):
    result = cookies.bake(extra_context={answer: value})
    assert result.exit_code != 0
    assert result.project_path is None or not Path(result.project_path).exists()
    err = capfd.readouterr().err
    assert f"ERROR: {answer} = " in err
    assert hint in err


@pytest.mark.parametrize("answer,value", [("wechat_encrypt_mode", "aes"), ("database", "mysql")])
def test_choices_outside_the_list_are_refused(cookies, capfd, answer, value):
    result = cookies.bake(extra_context={answer: value})
    assert result.exit_code != 0
    assert result.project_path is None or not Path(result.project_path).exists()


def test_single_limit_above_daily_is_refused(cookies, capfd):
    result = cookies.bake(extra_context={"single_transfer_limit_yuan": "30000",
                                         "daily_transfer_limit_yuan": "20000"})
    assert result.exit_code != 0
    assert "ERROR: single_transfer_limit_yuan" in capfd.readouterr().err


def test_several_bad_answers_are_all_reported(cookies, capfd):
    result = cookies.bake(extra_context={"brand_color": "red", "timezone": "Nowhere/Town"})
    assert result.exit_code != 0
    err = capfd.readouterr().err
    assert "ERROR: brand_color" in err and "ERROR: timezone" in err


def _env(project: Path) -> dict:
    pairs = {}
    for line in (project / ".env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def test_post_gen_hook_writes_valid_secrets(cookies):
    result = cookies.bake()
    assert result.exit_code == 0, result.exception
    env = _env(result.project_path)
    assert re.fullmatch(r"[A-Za-z0-9]{43}", env["WECHAT_ENCODING_AES_KEY"])
    assert re.fullmatch(r"[A-Za-z0-9]{32}", env["WECHAT_TOKEN"])
    assert len(env["SECRET_KEY"]) >= 40 and len(env["CORE_API_SECRET"]) == 64
    assert re.fullmatch(r"wx[0-9a-f]{16}", env["WECHAT_APP_ID"])
    assert env["DATABASE_URL"].startswith("sqlite:///")
    assert len(env["SMS_GATEWAY_SECRET"]) == 64 and env["SMS_SENDER"] == "sandbox"
    assert (result.project_path / ".env").stat().st_mode & 0o077 == 0
    assert ".env" in (result.project_path / ".gitignore").read_text().splitlines()
    # the key is usable for WeChat's AES: base64 of 32 bytes
    import base64

    assert len(base64.b64decode(env["WECHAT_ENCODING_AES_KEY"] + "=")) == 32
    # the keys of the encryption at rest: one key-encryption key "id:base64 of 32 bytes", and the lookup key
    key_id, _, key = env["DATA_KEYS"].partition(":")
    assert re.fullmatch(r"k\d{6}", key_id) and len(base64.b64decode(key)) == 32 and "," not in key
    assert len(base64.b64decode(env["DATA_LOOKUP_KEY"])) == 32


def test_env_example_documents_every_variable(cookies):
    result = cookies.bake()
    example = (result.project_path / ".env.example").read_text()
    for name in _env(result.project_path):
        assert re.search(rf"^{name}=", example, re.M), name


def test_two_bakes_get_different_secrets(cookies):
    first, second = cookies.bake(), cookies.bake()
    a, b = _env(first.project_path), _env(second.project_path)
    for name in ("SECRET_KEY", "WECHAT_TOKEN", "WECHAT_ENCODING_AES_KEY", "CORE_API_SECRET", "WECHAT_APP_SECRET",
                 "SMS_GATEWAY_SECRET", "DATA_KEYS", "DATA_LOOKUP_KEY"):
        assert a[name] != b[name], name


def test_a_production_bake_names_the_gateway_sms_sender(cookies):
    result = cookies.bake(extra_context={"wechat_app_id": "wx0123456789abcdef"})
    assert result.exit_code == 0, result.exception
    env = _env(result.project_path)
    assert env["WECHAT_SANDBOX"] == "0" and env["SMS_SENDER"] == "gateway" and len(env["SMS_GATEWAY_SECRET"]) == 64


def test_replay_file_holds_no_secret(cookies, _cookiecutter_config_file):
    result = cookies.bake(extra_context={"database": "postgresql"})
    assert result.exit_code == 0, result.exception
    replay_dir = Path(str(_cookiecutter_config_file)).parent / "cookiecutter_replay"
    replays = list(replay_dir.glob("*.json"))
    assert replays, "cookiecutter wrote no replay file"
    replay_text = "\n".join(p.read_text(encoding="utf-8") for p in replays)
    env = _env(result.project_path)
    db_password = re.search(r"://[^:]+:([^@]+)@", env["DATABASE_URL"]).group(1)
    for name in SECRET_NAMES:
        if env.get(name):
            assert env[name] not in replay_text, name
    assert db_password not in replay_text
    answers = json.loads(replays[0].read_text(encoding="utf-8"))["cookiecutter"]
    assert not any(re.search("secret|token|password|key", k, re.I) for k in answers if not k.startswith("_"))


def test_postgresql_bake_ships_its_setup_script_with_the_generated_password(cookies):
    result = cookies.bake(extra_context={"database": "postgresql"})
    project = result.project_path
    env = _env(project)
    setup = (project / "deploy" / "postgresql-setup.sql").read_text()
    password = re.search(r"://[^:]+:([^@]+)@", env["DATABASE_URL"]).group(1)
    assert f"PASSWORD '{password}'" in setup and "__DB_PASSWORD__" not in setup


def test_sqlite_bake_drops_the_postgresql_setup(cookies):
    result = cookies.bake(extra_context={"database": "sqlite"})
    assert not (result.project_path / "deploy" / "postgresql-setup.sql").exists()
    assert "psycopg" not in (result.project_path / "pyproject.toml").read_text().split("[project.optional")[0]


def test_post_gen_hook_prints_next_steps_in_both_languages(cookies, capfd):
    cookies.bake()
    out = capfd.readouterr().out
    assert "下一步" in out and "Next steps" in out and "init-db" in out
    assert "wechat settings" in out
    assert "seed-demo" in out and "sandbox run" in out  # no AppID: the sandbox demo


def test_production_next_steps_never_seed_demo_data(cookies, capfd):
    result = cookies.bake(extra_context={"wechat_app_id": "wx0123456789abcdef"})
    assert result.exit_code == 0
    out = capfd.readouterr().out
    assert "seed-demo" not in out and "sandbox run" not in out
    assert "create-admin" in out and "check-deploy" in out and "--require-hashes" in out
