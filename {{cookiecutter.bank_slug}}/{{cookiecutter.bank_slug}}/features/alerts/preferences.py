"""A customer's alert rules (动账提醒设置): on/off, minimum amount, SMS when WeChat cannot deliver.
Without a saved row the configured defaults apply (ALERTS_DEFAULT_ON, ALERT_MIN_AMOUNT_YUAN)."""

from dataclasses import dataclass

from ...extensions import db
from ...outbox.app_push import configured
from ...outbox.models import CHANNEL_APP, CHANNEL_SMS, CHANNEL_WECHAT
from .models import AlertChannelChoice, AlertPreference

MAX_MIN_AMOUNT_FEN = 100_000_000  # ¥1,000,000: a higher threshold would silence every alert


@dataclass(frozen=True)
class Rules:
    enabled: bool
    min_amount_fen: int
    sms_fallback: bool

    def wants(self, amount_fen: int) -> bool:
        return self.enabled and abs(amount_fen) >= self.min_amount_fen


def default_rules(config) -> Rules:
    return Rules(bool(config["ALERTS_DEFAULT_ON"]), int(config["ALERT_MIN_AMOUNT_FEN"]), False)


def rules_of(preference: AlertPreference | None, config) -> Rules:
    if preference is None:
        return default_rules(config)
    return Rules(preference.enabled, preference.min_amount_fen, preference.sms_fallback)


def load_rules(openid: str, config) -> Rules:
    return rules_of(db.session.get(AlertPreference, openid), config)


def save_rules(openid: str, rules: Rules) -> None:
    if not 0 <= rules.min_amount_fen <= MAX_MIN_AMOUNT_FEN:
        raise ValueError("min_amount_fen out of range")
    preference = db.session.get(AlertPreference, openid) or AlertPreference(openid=openid)
    preference.enabled, preference.min_amount_fen, preference.sms_fallback = (
        rules.enabled, rules.min_amount_fen, rules.sms_fallback)
    db.session.add(preference)
    db.session.commit()


def channel_choices(config, binding) -> tuple[str, ...]:
    """What the customer may choose for a card: WeChat; the app when the bank has its push platform; SMS
    when a phone was verified at binding."""
    return (CHANNEL_WECHAT, *((CHANNEL_APP,) if configured(config) else ()),
            *((CHANNEL_SMS,) if binding.sms_phone else ()))


def chosen_channels(openid: str, account_ids) -> dict[str, str]:
    """account id -> the chosen channel (WeChat when nothing was chosen)."""
    rows = db.session.query(AlertChannelChoice).filter(AlertChannelChoice.openid == openid,
                                                       AlertChannelChoice.account_id.in_(list(account_ids))).all()
    found = {row.account_id: row.channel for row in rows}
    return {account: found.get(account, CHANNEL_WECHAT) for account in account_ids}


def choose_channel(openid: str, account_id: str, channel: str) -> None:
    """One channel per card; the caller checked `channel` is among channel_choices and commits."""
    row = db.session.get(AlertChannelChoice, (openid, account_id))
    if row is None:
        db.session.add(AlertChannelChoice(openid=openid, account_id=account_id, channel=channel))
    else:
        row.channel = channel
