"""The account's private templates (已选用模板) and WeChat's rules for template-message values.

Since May 2023 WeChat shows no first line, remark or colour; each keyword's type (the keyword's prefix:
thing1, amount2, time3, ...) limits what its value may contain. The rules are the service's own
(wechat/template_rules.py, which checks before sending); the mock applies the same table as WeChat's
side and refuses a missing or unfit value with 47003 naming the field.
"""

import re
from dataclasses import dataclass

OPEN, CLOSE = "{" * 2, "}" * 2  # WeChat's placeholder braces, spelled so this file stays plain text
PLACEHOLDER = re.compile(r"\{\{([a-z_]+\d*)\.DATA\}\}")

ACCOUNT_CHANGE_TEMPLATE_ID = "sandbox_tmpl_account_change"
CARD_BOUND_TEMPLATE_ID = "sandbox_tmpl_card_bound"
TRANSFER_RESULT_TEMPLATE_ID = "sandbox_tmpl_transfer_result"
SERVICE_REPLY_TEMPLATE_ID = "sandbox_tmpl_service_reply"


@dataclass(frozen=True)
class PrivateTemplate:
    template_id: str
    title: str
    fields: tuple[tuple[str, str, str], ...]  # (label, keyword, example value)
    primary_industry: str = "金融业"
    deputy_industry: str = "银行"

    @property
    def keywords(self) -> list[str]:
        return [keyword for _, keyword, _ in self.fields]

    @property
    def content(self) -> str:
        return "\n".join(f"{label}:{OPEN}{keyword}.DATA{CLOSE}" for label, keyword, _ in self.fields)

    @property
    def example(self) -> str:
        return "\n".join(f"{label}:{value}" for label, _, value in self.fields)

    def to_json(self) -> dict:
        return {
            "template_id": self.template_id,
            "title": self.title,
            "primary_industry": self.primary_industry,
            "deputy_industry": self.deputy_industry,
            "content": self.content,
            "example": self.example,
        }

    def render(self, values: dict[str, str]) -> str:
        """The message as the customer's WeChat shows it."""
        return "\n".join(f"{label}:{values[keyword]}" for label, keyword, _ in self.fields)


PRIVATE_TEMPLATES = {
    t.template_id: t
    for t in (
        PrivateTemplate(ACCOUNT_CHANGE_TEMPLATE_ID, "账户资金变动提醒", (
            ("交易类型", "thing1", "转账支出"),
            ("交易金额", "amount2", "¥500.00"),
            ("交易时间", "time3", "2024年05月01日 14:30"),
            ("账户尾号", "character_string4", "1234"),
            ("可用余额", "amount5", "¥12345.67"),
        )),
        PrivateTemplate(CARD_BOUND_TEMPLATE_ID, "银行卡绑定成功通知", (
            ("绑定卡号", "character_string1", "6228 **** **** 1234"),
            ("开户网点", "thing2", "城关支行"),
            ("绑定时间", "time3", "2024年05月01日 14:30"),
        )),
        PrivateTemplate(TRANSFER_RESULT_TEMPLATE_ID, "转账结果通知", (
            ("收款人", "thing1", "张*"),
            ("转账金额", "amount2", "¥500.00"),
            ("转账状态", "phrase3", "转账成功"),
            ("转账时间", "time4", "2024年05月01日 14:30"),
            ("付款卡尾号", "character_string5", "1234"),
        )),
        PrivateTemplate(SERVICE_REPLY_TEMPLATE_ID, "客服回复提醒", (
            ("回复人员", "thing1", "客户经理 王芳"),
            ("回复时间", "time2", "2024年05月01日 14:30"),
            ("温馨提示", "thing3", "您有一条新回复，点击查看"),
        )),
    )
}
