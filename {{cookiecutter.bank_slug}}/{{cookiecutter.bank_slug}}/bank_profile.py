{%- macro py(value) -%}"{{ value | replace('\\', '\\\\') | replace('"', '\\"') }}"{%- endmacro -%}
"""The answers this project was baked with: defaults only.

Everything here can be overridden at run time by the environment variable of the same name,
so branding and limits come from configuration, never from rendered templates.
"""

BAKED_DEFAULTS = {
    "BANK_NAME": {{ py(cookiecutter.bank_name) }},
    "BANK_SHORT_NAME": {{ py(cookiecutter.bank_short_name) }},
    "BANK_NAME_EN": {{ py(cookiecutter.bank_name_en) }},
    "BRAND_COLOR": {{ py(cookiecutter.brand_color) }},
    "SERVICE_HOTLINE": {{ py(cookiecutter.service_hotline) }},
    "PUBLIC_DOMAIN": {{ py(cookiecutter.public_domain) }},
    "WECHAT_ENCRYPT_MODE": {{ py(cookiecutter.wechat_encrypt_mode) }},
    "TIMEZONE": {{ py(cookiecutter.timezone) }},
    "SINGLE_TRANSFER_LIMIT_YUAN": {{ py(cookiecutter.single_transfer_limit_yuan) }},
    "DAILY_TRANSFER_LIMIT_YUAN": {{ py(cookiecutter.daily_transfer_limit_yuan) }},
    "ALERT_MIN_AMOUNT_YUAN": {{ py(cookiecutter.alert_min_amount_yuan) }},
}
