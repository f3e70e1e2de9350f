"""The answers this project was baked with: defaults only.

Everything here can be overridden at run time by the environment variable of the same name,
so branding and limits come from configuration, never from rendered templates.
"""

BAKED_DEFAULTS = {
    "BANK_NAME": {{ cookiecutter.bank_name | tojson }},
    "BANK_SHORT_NAME": {{ cookiecutter.bank_short_name | tojson }},
    "BANK_NAME_EN": {{ cookiecutter.bank_name_en | tojson }},
    "BRAND_COLOR": {{ cookiecutter.brand_color | tojson }},
    "SERVICE_HOTLINE": {{ cookiecutter.service_hotline | tojson }},
    "PUBLIC_DOMAIN": {{ cookiecutter.public_domain | tojson }},
    "WECHAT_ENCRYPT_MODE": {{ cookiecutter.wechat_encrypt_mode | tojson }},
    "TIMEZONE": {{ cookiecutter.timezone | tojson }},
    "SINGLE_TRANSFER_LIMIT_YUAN": {{ cookiecutter.single_transfer_limit_yuan | tojson }},
    "DAILY_TRANSFER_LIMIT_YUAN": {{ cookiecutter.daily_transfer_limit_yuan | tojson }},
    "ALERT_MIN_AMOUNT_YUAN": {{ cookiecutter.alert_min_amount_yuan | tojson }},
}
