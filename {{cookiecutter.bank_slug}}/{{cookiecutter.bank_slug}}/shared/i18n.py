"""Translations (Flask-Babel): Chinese first (zh_CN), English available. `_` for text built in a request, `_l` for
text defined at import time (form labels, constants)."""

from flask_babel import gettext as _  # noqa: F401
from flask_babel import lazy_gettext as _l  # noqa: F401
from flask_babel import ngettext  # noqa: F401
