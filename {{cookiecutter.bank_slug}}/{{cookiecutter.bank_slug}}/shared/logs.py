"""Logging that never writes personal financial information in clear, nor a forged line.

Every log record is cleaned when it is created (a record factory), so whatever handler writes it (ours,
gunicorn's access and error logs, a test's) gets the same text:
- card, ID and mobile numbers and openids are masked (`masking.scrub`), in the message, in the traceback
  of an exception (SQLAlchemy puts the statement's parameters there) and in a stack;
- the values of `openid=`, `code=`, `access_token=`, `ticket=` and `state=` in URLs are masked;
- line breaks and other control characters in the message are escaped (a newline becomes backslash-n),
  so a FromUserName or a memo with a newline cannot forge a second log line.

Two output formats (LOG_FORMAT): `text` (the default, one line per record) and `json` (one JSON object per
line: ts, level, logger, message, request_id inside a request when there is one, exc for a traceback),
both from the same masked record.
"""

import json
import logging
import re
from datetime import UTC, datetime

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


_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Characters json.dumps leaves as they are that some readers (str.splitlines, log shippers) take as a line end.
_JSON_LINE_BREAKS = re.compile("[\x7f\x85\u2028\u2029]")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")


def _request_id() -> str | None:
    """nginx's `$request_id` (X-Request-ID, deploy/nginx.conf.example) of the request being handled, if any."""
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - flask is a dependency
        return None
    if not has_request_context():
        return None
    value = request.headers.get("X-Request-ID", "")
    return value if _REQUEST_ID.fullmatch(value) else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line, from the record the scrubbing factory already masked."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if logging.getLogRecordFactory() is not _scrubbed_record:  # never trust that the factory ran
            message = _escape(clean(message))
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                 .replace("+00:00", "Z"),
                 "level": record.levelname, "logger": record.name, "message": message}
        if request_id := _request_id():
            entry["request_id"] = request_id
        if record.exc_info or record.exc_text:
            entry["exc"] = record.exc_text or clean(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = clean(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return _JSON_LINE_BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", line)


def formatter(log_format: str) -> logging.Formatter:
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}, got {log_format!r}")
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, log_format: str = "text") -> None:
    """The scrubbing factory, and a stderr handler in `log_format` on the root logger (journald or the
    container runtime collects stderr). In JSON mode gunicorn's own error and access logs (when the app
    runs under gunicorn) are switched to JSON too, so every line of the unit's journal parses."""
    install_scrubber()
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "_wechat_bank", False)]
    if not root.handlers:
        handler = logging.StreamHandler()
        handler._wechat_bank = True
        root.addHandler(handler)
        ours = [handler]
    for handler in ours:
        handler.setFormatter(formatter(log_format))
    if log_format == "json":
        for name in ("gunicorn.error", "gunicorn.access"):
            for handler in logging.getLogger(name).handlers:
                handler.setFormatter(JsonFormatter())
    root.setLevel(level.upper())
