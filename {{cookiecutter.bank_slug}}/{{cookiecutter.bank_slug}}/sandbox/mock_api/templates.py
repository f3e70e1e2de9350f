"""The account's private templates (已选用模板) and WeChat's rules for template-message values.

Since May 2023 WeChat shows no first line, remark or colour; each keyword value is at most 20
characters without line breaks, and its type (the keyword's prefix: thing1, amount2, time3, ...)
limits what it may contain. A missing or unfit value is refused with 47003.
"""

import re
from dataclasses import dataclass

OPEN, CLOSE = "{" * 2, "}" * 2  # WeChat's placeholder braces, spelled so this file stays plain text
PLACEHOLDER = re.compile(r"\{\{([a-z_]+\d*)\.DATA\}\}")
MAX_VALUE_CHARS = 20

ACCOUNT_CHANGE_TEMPLATE_ID = "sandbox_tmpl_account_change"
CARD_BOUND_TEMPLATE_ID = "sandbox_tmpl_card_bound"
TRANSFER_RESULT_TEMPLATE_ID = "sandbox_tmpl_transfer_result"

_TIME_RUN = r"[0-9年月日时分秒:：\-/. ~]" + "{4,40}"  # digits and date/time separators; "~" joins a range
VALUE_RULES = {  # keyword type -> full-match pattern (WeChat's 参数值内容限制)
    "thing": re.compile(r"[^\r\n]{1,20}"),
    "number": re.compile(r"[+-]?\d{1,32}(\.\d+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(r"[^0-9A-Za-z\u4e00-\u9fff\s]{1,5}"),
    "character_string": re.compile(r"[\x20-\x7e]{1,32}"),
    "time": re.compile(r"(?=.*\d:\d\d)" + _TIME_RUN),
    "date": re.compile(r"(?=.*\d)" + _TIME_RUN),
    "amount": re.compile(r"[¥￥$]?\d{1,10}(\.\d{1,2})?元?"),
    "phone_number": re.compile(r"[0-9+\-() ]{1,17}"),
    "name": re.compile(r"[\u4e00-\u9fff·]{1,10}|[A-Za-z .\-]{1,20}"),
    "phrase": re.compile(r"[\u4e00-\u9fff]{1,5}"),
}


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
    )
}


def keyword_type(keyword: str) -> str:
    return re.fullmatch(r"([a-z_]+?)\d*", keyword).group(1)


def value_problem(keyword: str, value) -> str | None:
    """None when `value` fits the keyword, else WeChat's complaint ("is empty" / "invalid")."""
    if value is None or value == "":
        return "is empty"
    if not isinstance(value, str) or len(value) > MAX_VALUE_CHARS or "\n" in value:
        return "invalid"
    rule = VALUE_RULES.get(keyword_type(keyword), VALUE_RULES["thing"])
    return None if rule.fullmatch(value) else "invalid"
