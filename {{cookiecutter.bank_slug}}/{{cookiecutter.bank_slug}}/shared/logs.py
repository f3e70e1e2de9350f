"""Logging that never writes personal financial information in clear.

Every log record is scrubbed when it is created (a record factory), so card, ID and mobile numbers
are masked for every handler — ours, gunicorn's, or a test's — whatever arguments the code passed.
"""

import logging

from .masking import scrub

_base_factory = logging.getLogRecordFactory()


def _scrubbed_record(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a malformed call; let logging report it as usual
        return record
    cleaned = scrub(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
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
