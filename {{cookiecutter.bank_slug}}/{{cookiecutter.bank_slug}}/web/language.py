"""Which language a request is answered in (Flask-Babel's locale selector), and the page's language switch.

Pages (H5, admin): `?lang=zh_CN` or `?lang=en` chooses and is remembered in the session; without a choice
the browser's Accept-Language picks among the catalogues; otherwise DEFAULT_LOCALE. WeChat's pushes to
/wechat come from no browser, so chat replies (and anything without a request, such as the handler threads
and CLI commands) use DEFAULT_LOCALE. The texts themselves live in translations/ (docs/i18n.md).

Babel spells zh_CN as zh_Hans_CN, so the Chinese catalogue lives in translations/zh_Hans_CN/.
"""

from pathlib import Path
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, refresh

from ..extensions import babel
from ..settings import LOCALES

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
SESSION_LANG = "lang"
QUERY_LANG = "lang"
NO_BROWSER_BLUEPRINTS = ("wechat",)  # WeChat's server: no session, no Accept-Language of the customer's
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}  # each in its own language, for the switch
BABEL_LOCALES = {name: Locale.parse(name) for name in LOCALES}  # zh_CN is zh_Hans_CN to Babel


def supported(value: object) -> str | None:
    """One of LOCALES for zh_CN / zh-cn / zh / en / en-US ...; None for anything else."""
    if not isinstance(value, str) or not value or len(value) > 16:
        return None
    wanted = value.strip().replace("-", "_").lower()
    exact = [locale for locale in LOCALES if wanted == locale.lower()]
    same_language = [locale for locale in LOCALES if wanted.split("_")[0] == locale.split("_")[0].lower()]
    return (exact or same_language or [None])[0]


def _from_browser() -> bool:
    return has_request_context() and request.blueprint not in NO_BROWSER_BLUEPRINTS


def remember_choice() -> None:
    """before_request: keep a valid ?lang= in the session (an unknown one is ignored), and forget any
    locale cached by an application context shared with an earlier request."""
    if _from_browser():
        chosen = supported(request.args.get(QUERY_LANG))
        if chosen and session.get(SESSION_LANG) != chosen:
            session[SESSION_LANG] = chosen
    refresh()


def select_locale() -> Locale:
    """Flask-Babel's locale selector. It returns the parsed Locale (BABEL_LOCALES): given a name, Flask-Babel
    parses it again for every request, and Babel's parse looks for the locale's data file each time."""
    return BABEL_LOCALES.get(_selected_name()) or BABEL_LOCALES[LOCALES[0]]


def _selected_name() -> str:
    default = current_app.config["DEFAULT_LOCALE"]
    if not _from_browser():
        return default
    chosen = supported(request.args.get(QUERY_LANG)) or supported(session.get(SESSION_LANG))
    if chosen:
        return chosen
    best = request.accept_languages.best_match([HTML_LANG[locale] for locale in LOCALES])
    return supported(best) or default


def current_language() -> str:
    """The language text is being translated into right now, as spelled in LOCALES (zh_CN, en)."""
    locale = get_locale()  # None outside an application context: gettext gives the source text, Chinese
    if locale is not None:
        return next((name for name, parsed in BABEL_LOCALES.items() if parsed is locale or parsed == locale),
                    current_app.config["DEFAULT_LOCALE"])
    return current_app.config["DEFAULT_LOCALE"] if has_app_context() else LOCALES[0]


def language_href(locale: str) -> str:
    """This page in another language: its query string with lang=<locale>, the other parameters kept
    (switching language on /h5/balance?card=2 stays on card 2)."""
    kept = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"] \
        if has_request_context() else []
    return "?" + urlencode([*kept, ("lang", locale)])


def template_globals() -> dict:
    language = current_language()
    return {
        "html_lang": HTML_LANG[language],
        "current_language": language,
        "other_languages": [(locale, LANGUAGE_NAMES[locale]) for locale in LOCALES if locale != language],
        "language_href": language_href,
    }


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LOCALE"])
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_choice)
    app.context_processor(template_globals)


def bank_name(config, short: bool = False) -> str:
    """The bank's name for the current language: BANK_NAME / BANK_SHORT_NAME, or BANK_NAME_EN in English."""
    if current_language() == "en" and config.get("BANK_NAME_EN"):
        return config["BANK_NAME_EN"]
    return config["BANK_SHORT_NAME" if short else "BANK_NAME"]


def fixed_language(app: Flask, locale: str = LOCALES[0]) -> None:
    """For the package's side apps (the core API reference server): texts marked with _l evaluate in one
    language from the same catalogues. An own Babel instance, so its cache never mixes with the service's."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, configure_jinja=False, default_locale=locale)
