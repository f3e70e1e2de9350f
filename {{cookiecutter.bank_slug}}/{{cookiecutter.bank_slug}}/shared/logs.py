"""Logging that never writes personal financial information in clear, nor a forged line.

Every log record is cleaned when it is created (a record factory), so whatever handler writes it (ours,
gunicorn's access and error logs, a test's) gets the same text:
- card, ID and mobile numbers and openids are masked (`masking.scrub`), in the message, in the traceback
  of an exception (SQLAlchemy puts the statement's parameters there) and in a stack;
- the values of `openid=`, `code=`, `access_token=`, `ticket=` and `state=` in URLs are masked;
- line breaks and other control characters in the message are escaped (a newline becomes backslash-n),
  so a FromUserName or a memo with a newline cannot forge a second log line.
"""

import logging
import re

from .masking import mask_openid, scrub

_base_factory = logging.getLogRecordFactory()
_QUERY_SECRETS = re.compile(r"(?i)\b(openid|code|access_token|ticket|state)=([^&\s\"'#]+)")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_formatter = logging.Formatter()


def _query(match: re.Match) -> str:
    name, value = match.group(1), match.group(2)
    return f"{name}={mask_openid(value) if name.lower() == 'openid' else '***'}"


def clean(text: str) -> str:
    """`text` masked for a log (multi-line text such as a traceback keeps its line breaks)."""
    return _QUERY_SECRETS.sub(_query, scrub(text))


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: {"\n": "\\n", "\r": "\\r"}.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def _scrubbed_record(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a malformed call; let logging report it as usual
        return record
    cleaned = _escape(clean(message))
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        record.exc_text = clean(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = clean(record.stack_info)
    return record


def install_scrubber() -> None:
    if logging.getLogRecordFactory() is not _scrubbed_record:
        logging.setLogRecordFactory(_scrubbed_record)


def configure_logging(level: str) -> None:
    install_scrubber()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())
