"""The translation catalogues in translations/: extract the marked texts, update the catalogues, compile them,
and check that they are current (docs/i18n.md).

    flask --app <package> i18n update    # messages.pot from the source, every messages.po updated, .mo compiled
    flask --app <package> i18n compile   # after editing a messages.po
    flask --app <package> i18n check     # exit 1, saying what is stale (the test suite runs the same check)

The same as pybabel, run in the package directory (see babel.cfg one level up):
    pybabel extract -F ../babel.cfg -k _l -k lazy_gettext --add-location=file -w 120 -o translations/messages.pot .
    pybabel update -i translations/messages.pot -d translations -w 120 --ignore-obsolete
    pybabel compile -d translations

The source texts are Chinese (msgid = the zh_CN wording), so the Chinese catalogue may leave msgstr empty;
every other catalogue must translate every text. The .mo files are committed: no build step at the bank.
"""

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po
from flask.cli import AppGroup

from .language import TRANSLATIONS_DIR

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE = TRANSLATIONS_DIR / "messages.pot"
DOMAIN = "messages"
SOURCE_LOCALE = "zh_Hans_CN"  # Babel's name for zh_CN: the language of the msgids
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
METHOD_MAP = [("**.py", "python"), ("templates/**.html", "jinja2")]  # paths relative to the package
OPTIONS_MAP = {"templates/**.html": {"silent": "false"}}  # a template Jinja cannot parse is an error
PROJECT = "WeChat bank"
HEADER = ("# Texts of the WeChat bank service. The msgids are the Chinese (zh_CN) wording; docs/i18n.md says how\n"
          "# to change a text or add a language. Regenerate with `flask --app <package> i18n update`.\n#")
BRACE_FIELD = re.compile(r"\{(\w*)\}")  # str.format fields, e.g. {url}, {hotline}
REFRESH_HINT = ("Refresh the catalogues: `flask --app <package> i18n update`, translate the new texts in "
                "translations/en/LC_MESSAGES/messages.po (msgstr), then `flask --app <package> i18n compile` "
                "(or the pybabel commands in i18n_catalogs.py and docs/i18n.md).")


def extract() -> Catalog:
    """Every text marked with _(), _l(), ngettext() in the package's Python files and templates."""
    catalog = Catalog(project=PROJECT, version="1", header_comment=HEADER, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, METHOD_MAP, OPTIONS_MAP, keywords=KEYWORDS,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def locales() -> list[str]:
    """The catalogues there are: the directory names under translations/ holding LC_MESSAGES/messages.po."""
    return sorted(path.parent.parent.name for path in TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def po_path(locale: str) -> Path:
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fileobj:
        return read_po(fileobj, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fileobj:
        write_po(fileobj, catalog, width=120, include_lineno=False, ignore_obsolete=True)


def compiled(catalog: Catalog) -> dict:
    """msgid -> msgstr as the .mo of this catalogue holds them (untranslated and fuzzy texts are left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return mo_messages(read_mo(buffer))


def mo_messages(catalog: Catalog) -> dict:
    return {message.id: message.string for message in catalog if message.id}


def read_compiled(path: Path) -> dict:
    with path.open("rb") as fileobj:
        return mo_messages(read_mo(fileobj))


def _ids(catalog: Catalog) -> set:
    return {message.id for message in catalog if message.id}


def _sample(ids: set, n: int = 3) -> str:
    return ", ".join(repr(i) for i in sorted(ids, key=str)[:n]) + (" ..." if len(ids) > n else "")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        self.problems.append(problem)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __str__(self) -> str:
        return "\n".join(f"- {problem}" for problem in self.problems) + "\n" + REFRESH_HINT


def _check_translations(locale: str, catalog: Catalog, report: Report) -> None:
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            report.add(f"{locale}: fuzzy (needs review, then remove the fuzzy flag): {message.id!r}")
        elif not all(strings):
            if locale != SOURCE_LOCALE:
                report.add(f"{locale}: not translated: {message.id!r}")
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        fields = set(BRACE_FIELD.findall(source))
        for string in strings:
            if string and fields != set(BRACE_FIELD.findall(string)):
                report.add(f"{locale}: the translation must keep the fields {sorted(fields)}: {message.id!r}")
    for message, errors in catalog.check():  # %(name)s placeholders, plural forms
        for error in errors:
            report.add(f"{locale}: {error}: {message.id!r}")


def check() -> Report:
    """What is stale: the template against the source, each catalogue against the template, the English
    (and any other) translations, and each committed .mo against its .po."""
    report = Report()
    source_ids = _ids(extract())
    if not TEMPLATE.exists():
        report.add(f"{TEMPLATE.relative_to(PACKAGE_DIR)} is missing")
        return report
    template_ids = _ids(read_catalog(TEMPLATE))
    if source_ids - template_ids:
        report.add(f"messages.pot lacks {len(source_ids - template_ids)} text(s) the source marks: "
                   f"{_sample(source_ids - template_ids)}")
    if template_ids - source_ids:
        report.add(f"messages.pot holds {len(template_ids - source_ids)} text(s) the source no longer marks: "
                   f"{_sample(template_ids - source_ids)}")
    for locale in locales():
        catalog = read_catalog(po_path(locale), locale)
        ids = _ids(catalog)
        if ids != template_ids:
            report.add(f"{locale}/messages.po differs from messages.pot: {len(template_ids - ids)} missing, "
                       f"{len(ids - template_ids)} extra")
        _check_translations(locale, catalog, report)
        mo = po_path(locale).with_suffix(".mo")
        if not mo.exists():
            report.add(f"{locale}/messages.mo is missing (compile)")
        elif read_compiled(mo) != compiled(catalog):
            report.add(f"{locale}/messages.mo does not match messages.po (compile)")
    return report


def compile_all() -> list[Path]:
    written = []
    for locale in locales():
        catalog = read_catalog(po_path(locale), locale)
        mo = po_path(locale).with_suffix(".mo")
        with mo.open("wb") as fileobj:
            write_mo(fileobj, catalog)
        written.append(mo)
    return written


def update() -> tuple[int, list[str]]:
    """Write messages.pot from the source and merge it into every messages.po (new texts empty, changed
    ones fuzzy); then compile. Returns (number of texts, locales)."""
    template = extract()
    write_catalog(TEMPLATE, template)
    template = read_catalog(TEMPLATE)
    for locale in locales():
        catalog = read_catalog(po_path(locale), locale)
        catalog.update(template)
        write_catalog(po_path(locale), catalog)
    compile_all()
    return len(_ids(template)), locales()


def init(locale: str) -> Path:
    """A new catalogue for `locale` (a Babel name such as fr or zh_Hant_TW) from messages.pot, untranslated."""
    from babel import Locale

    Locale.parse(locale)  # UnknownLocaleError for a name Babel does not know
    path = po_path(locale)
    if path.exists():
        raise FileExistsError(path)
    template = read_catalog(TEMPLATE)
    catalog = Catalog(locale=locale, project=PROJECT, version="1", header_comment=HEADER, charset="utf-8",
                      fuzzy=False)
    catalog.update(template)
    write_catalog(path, catalog)
    return path


i18n_group = AppGroup("i18n", help="Translation catalogues: update, compile, check (docs/i18n.md).")


@i18n_group.command("init")
@click.argument("locale")
def init_command(locale: str) -> None:
    """Start the catalogue of a new language (then translate it, compile, and add it to config.LOCALES)."""
    try:
        path = init(locale)
    except FileExistsError:
        raise click.ClickException(f"{locale} already has a catalogue") from None
    except ValueError as exc:
        raise click.ClickException(f"unknown locale {locale!r}: {exc}") from None
    click.echo(f"created {path.relative_to(PACKAGE_DIR)}")


@i18n_group.command("update")
def update_command() -> None:
    """Extract the marked texts, merge them into every catalogue, compile."""
    count, names = update()
    click.echo(f"{count} texts; catalogues updated and compiled: {', '.join(names)}")
    report = check()
    if report:
        click.echo(f"Still to do:\n{report}")


@i18n_group.command("compile")
def compile_command() -> None:
    """Compile every messages.po to messages.mo."""
    for path in compile_all():
        click.echo(f"compiled {path.relative_to(PACKAGE_DIR)}")


@i18n_group.command("check")
def check_command() -> None:
    """Exit 1 when a catalogue is stale, untranslated or not compiled."""
    report = check()
    if report:
        raise click.ClickException(f"translation catalogues are not current:\n{report}")
    click.echo("translation catalogues are current")
