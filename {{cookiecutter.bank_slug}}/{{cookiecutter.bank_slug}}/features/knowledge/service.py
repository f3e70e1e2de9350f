"""The knowledge base at work: the index of the enabled entries (rebuilt when staff change them), what a
question gets, the 1-3 choices a customer may pick from, and the questions kept for staff."""

import hashlib
import re
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ...extensions import db
from ...shared.i18n import _l
from ...shared.masking import scrub
from ...shared.timeutil import utcnow
from .matcher import ANSWER, CHOOSE, Index
from .models import KnowledgeChoice, KnowledgeEntry, UnansweredQuestion

CHOICE_MINUTES = 10  # a reply of 1-3 picks from the choices offered this long ago at most
MAX_QUESTION_CHARS = 200
MIN_QUESTION_CHARS = 2
CJK = re.compile(r"[\u4e00-\u9fff]")

CHOOSE_HEAD = _l("您是不是想问：")
CHOOSE_TAIL = _l("请回复序号查看答案。")


@dataclass(frozen=True)
class Found:
    kind: str  # matcher.ANSWER | matcher.CHOOSE | matcher.NONE
    text: str | None  # the reply (None: nothing to say, the fallback answers)


_cache: dict = {"stamp": None, "index": None}
_cache_lock = threading.Lock()


def index() -> Index:
    """The enabled entries' index, rebuilt in this process when an entry was added, changed or removed."""
    stamp = db.session.execute(select(func.count(KnowledgeEntry.id), func.max(KnowledgeEntry.updated_at),
                                      func.sum(KnowledgeEntry.id)).where(KnowledgeEntry.enabled.is_(True))).one()
    stamp = tuple(stamp)
    if _cache["stamp"] != stamp:
        with _cache_lock:
            if _cache["stamp"] != stamp:
                rows = db.session.execute(select(KnowledgeEntry.id, KnowledgeEntry.question, KnowledgeEntry.synonyms)
                                          .where(KnowledgeEntry.enabled.is_(True))).all()
                entries = [(row.id, [row.question, *(line.strip() for line in (row.synonyms or "").splitlines()
                                                     if line.strip())]) for row in rows]
                _cache["index"], _cache["stamp"] = Index.build(entries), stamp
    return _cache["index"]


def ask(openid: str, text: str) -> Found:
    """What the knowledge base says to `text` from `openid`."""
    text = " ".join((text or "").split())[:MAX_QUESTION_CHARS]
    if len(text) < MIN_QUESTION_CHARS:
        return Found("none", None)
    verdict = index().judge(text)
    if verdict.kind == ANSWER:
        return Found(ANSWER, _answer(verdict.entry_ids[0]))
    if verdict.kind == CHOOSE:
        entries = {e.id: e for e in db.session.scalars(select(KnowledgeEntry).where(
            KnowledgeEntry.id.in_(verdict.entry_ids)))}
        chosen = [entries[i] for i in verdict.entry_ids if i in entries]
        _remember_choices(openid, [entry.id for entry in chosen])
        lines = [str(CHOOSE_HEAD), *(f"{n}. {entry.question}" for n, entry in enumerate(chosen, 1)), str(CHOOSE_TAIL)]
        return Found(CHOOSE, "\n".join(lines))
    keep_unanswered(text)
    return Found("none", None)


def pick(openid: str, number: int) -> str | None:
    """The answer to choice `number` (1-3) of the choices offered to `openid` lately; None if there is none."""
    choice = db.session.get(KnowledgeChoice, openid)
    if choice is None or choice.offered_at < utcnow() - timedelta(minutes=CHOICE_MINUTES):
        return None
    ids = [int(i) for i in choice.entry_ids.split(",") if i]
    if not 1 <= number <= len(ids):
        return None
    return _answer(ids[number - 1])


def _answer(entry_id: int) -> str | None:
    entry = db.session.get(KnowledgeEntry, entry_id)
    if entry is None or not entry.enabled:
        return None
    with db.engine.begin() as connection:  # counted apart from the session: a hit is not the staff's change
        connection.execute(update(KnowledgeEntry.__table__).where(KnowledgeEntry.__table__.c.id == entry_id)
                           .values(hits=KnowledgeEntry.__table__.c.hits + 1))
    return entry.answer


def _insert():
    return postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _remember_choices(openid: str, ids: list[int]) -> None:
    table = KnowledgeChoice.__table__
    values = {"openid": openid, "entry_ids": ",".join(map(str, ids)), "offered_at": utcnow()}
    with db.engine.begin() as connection:
        connection.execute(_insert()(table).values(**values).on_conflict_do_update(
            index_elements=[table.c.openid],
            set_={"entry_ids": values["entry_ids"], "offered_at": values["offered_at"]}))


def keep_unanswered(text: str) -> None:
    """Count the question for staff, masked; only text with Chinese in it (not a stray "ok" or an emoji)."""
    if not CJK.search(text):
        return
    masked = scrub(text)[:MAX_QUESTION_CHARS]
    digest = hashlib.sha256(masked.casefold().encode()).hexdigest()
    table, now = UnansweredQuestion.__table__, utcnow()
    statement = _insert()(table).values(text=masked, text_hash=digest, times=1, status="open", first_asked_at=now,
                                        last_asked_at=now)
    with db.engine.begin() as connection:
        connection.execute(statement.on_conflict_do_update(
            index_elements=[table.c.text_hash], set_={"times": table.c.times + 1, "last_asked_at": now}))
