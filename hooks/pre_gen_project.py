"""Validate every cookiecutter answer before anything is generated.

Each failure names the answer, the value given and what is accepted, in Chinese and English,
and the bake stops with exit status 1 (cookiecutter then removes the half-made project).
"""

import keyword
import re
import sys
import zoneinfo

ANSWERS = {
    "bank_name": {{ cookiecutter.bank_name | tojson }},
    "bank_short_name": {{ cookiecutter.bank_short_name | tojson }},
    "bank_name_en": {{ cookiecutter.bank_name_en | tojson }},
    "bank_slug": {{ cookiecutter.bank_slug | tojson }},
    "brand_color": {{ cookiecutter.brand_color | tojson }},
    "service_hotline": {{ cookiecutter.service_hotline | tojson }},
    "public_domain": {{ cookiecutter.public_domain | tojson }},
    "wechat_app_id": {{ cookiecutter.wechat_app_id | tojson }},
    "wechat_encrypt_mode": {{ cookiecutter.wechat_encrypt_mode | tojson }},
    "database": {{ cookiecutter.database | tojson }},
    "timezone": {{ cookiecutter.timezone | tojson }},
    "single_transfer_limit_yuan": {{ cookiecutter.single_transfer_limit_yuan | tojson }},
    "daily_transfer_limit_yuan": {{ cookiecutter.daily_transfer_limit_yuan | tojson }},
    "alert_min_amount_yuan": {{ cookiecutter.alert_min_amount_yuan | tojson }},
}

# Names the generated package must not shadow: the standard library and what the project imports.
RESERVED_SLUGS = set(sys.stdlib_module_names) | {
    "flask", "wechatpy", "sqlalchemy", "alembic", "gunicorn", "werkzeug", "jinja2", "click",
    "dotenv", "defusedxml", "psycopg", "requests", "cryptography", "pytest", "tests", "test",
    "migrations", "app", "config", "instance", "deploy", "docs",
}
HOSTNAME_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
MAX_YUAN = 100_000_000  # 1e8 yuan = 1e10 fen, far inside a 64-bit integer


def _text(name, max_len, ascii_only=False):
    value = ANSWERS[name]
    if not value.strip():
        return "不能为空 must not be empty"
    if len(value) > max_len:
        return f"最多 {max_len} 个字符 at most {max_len} characters"
    if any(ord(ch) < 32 for ch in value):
        return "不能包含控制字符 must not contain control characters"
    if ascii_only and not value.isascii():
        return "只能使用英文字符 ASCII characters only"
    return None


def _slug():
    value = ANSWERS["bank_slug"]
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", value) or not value.isidentifier():
        return ("须为小写 Python 标识符：字母开头，仅含 a-z、0-9、下划线，2-40 个字符 "
                "a lowercase Python identifier: starts with a letter, a-z 0-9 _ only, 2-40 characters")
    if keyword.iskeyword(value) or value in RESERVED_SLUGS:
        return "与 Python 关键字或已用模块重名 clashes with a Python keyword or a module in use"
    return None


def _color():
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", ANSWERS["brand_color"]):
        return "须为 #rrggbb 形式的十六进制颜色，例如 #1a7f5a a hex colour like #1a7f5a"
    return None


def _hotline():
    value = ANSWERS["service_hotline"]
    if not re.fullmatch(r"\+?[0-9][0-9 -]{2,19}", value) or sum(c.isdigit() for c in value) < 3:
        return "须为电话号码（数字、空格、-，可带 +），例如 400-800-0000 a phone number, e.g. 400-800-0000"
    return None


def _domain():
    value = ANSWERS["public_domain"]
    labels = value.split(".")
    if (len(value) > 253 or len(labels) < 2 or not all(HOSTNAME_LABEL.match(x) for x in labels)
            or labels[-1].isdigit()):
        return ("须为域名（不带 http:// 和路径），例如 wx.example-bank.cn "
                "a hostname without scheme or path, e.g. wx.example-bank.cn")
    return None


def _app_id():
    value = ANSWERS["wechat_app_id"]
    if value and not re.fullmatch(r"wx[0-9a-f]{16}", value):
        return ("留空（沙箱）或填写公众号 AppID：wx 加 16 位小写十六进制 "
                "empty (sandbox) or an AppID: 'wx' followed by 16 lowercase hex characters")
    return None


def _choice(name, allowed):
    if ANSWERS[name] not in allowed:
        return f"可选值 accepted: {', '.join(allowed)}"
    return None


def _timezone():
    try:
        zoneinfo.ZoneInfo(ANSWERS["timezone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "须为 IANA 时区名，例如 Asia/Shanghai an IANA time zone name, e.g. Asia/Shanghai"
    return None


def _yuan(name, minimum):
    value = ANSWERS[name]
    if not re.fullmatch(r"0|[1-9][0-9]*", value) or not minimum <= int(value) <= MAX_YUAN:
        kind = "正整数 a positive whole number" if minimum else "非负整数 a whole number >= 0"
        return f"须为{kind}（元，不超过 {MAX_YUAN}）of yuan, at most {MAX_YUAN}"
    return None


def _limits_order():
    single, daily = ANSWERS["single_transfer_limit_yuan"], ANSWERS["daily_transfer_limit_yuan"]
    if int(single) > int(daily):
        return (f"单笔限额 {single} 不能大于日累计限额 {daily} "
                f"the single transfer limit must not exceed the daily limit")
    return None


CHECKS = [
    ("bank_name", lambda: _text("bank_name", 40)),
    ("bank_short_name", lambda: _text("bank_short_name", 20)),
    ("bank_name_en", lambda: _text("bank_name_en", 80, ascii_only=True)),
    ("bank_slug", _slug),
    ("brand_color", _color),
    ("service_hotline", _hotline),
    ("public_domain", _domain),
    ("wechat_app_id", _app_id),
    ("wechat_encrypt_mode", lambda: _choice("wechat_encrypt_mode", ["safe", "compat", "plain"])),
    ("database", lambda: _choice("database", ["sqlite", "postgresql"])),
    ("timezone", _timezone),
    ("single_transfer_limit_yuan", lambda: _yuan("single_transfer_limit_yuan", 1)),
    ("daily_transfer_limit_yuan", lambda: _yuan("daily_transfer_limit_yuan", 1)),
    ("alert_min_amount_yuan", lambda: _yuan("alert_min_amount_yuan", 0)),
]


def main():
    errors = [(name, problem) for name, check in CHECKS if (problem := check())]
    if not errors:
        problem = _limits_order()
        if problem:
            errors.append(("single_transfer_limit_yuan", problem))
    for name, problem in errors:
        print(f"错误 ERROR: {name} = {ANSWERS[name]!r}: {problem}", file=sys.stderr)
    if errors:
        print("项目未生成，请修改以上回答后重试。Nothing was generated; fix the answers above and bake again.",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
