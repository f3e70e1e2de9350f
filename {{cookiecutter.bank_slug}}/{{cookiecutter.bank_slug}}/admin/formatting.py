"""Column formatters shared by the admin lists: masked PII, money, bank-local times."""

from ..shared.masking import mask_card, mask_id_number, mask_name, mask_openid, mask_phone
from ..shared.money import format_yuan
from ..shared.timeutil import local_time


def _masked(mask):
    def formatter(view, context, model, name):
        value = getattr(model, name, None)
        return mask(value) if value else ""

    return formatter


masked_name = _masked(mask_name)
masked_id_number = _masked(mask_id_number)
masked_phone = _masked(mask_phone)
masked_card = _masked(mask_card)
masked_openid = _masked(mask_openid)


def local_datetime(view, context, model, name):
    value = getattr(model, name, None)
    return local_time(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def yuan(view, context, model, name):
    value = getattr(model, name, None)
    return "" if value is None else format_yuan(value)


def labelled(labels: dict):
    """A code column shown through a label table (lazy strings), the code itself when unknown."""
    def formatter(view, context, model, name):
        value = getattr(model, name, None)
        return str(labels.get(value, value or ""))

    return formatter
