"""Which entry a question asks for: jieba's words, TF-IDF weights over the entries' phrasings, cosine similarity.

Every phrasing of an entry (its question and each synonym line) is a document; a word's weight is its inverse
document frequency across all phrasings, so words every entry has (怎么, 银行) count little and the ones that tell
entries apart (挂失, 到账) count most. An entry scores the best cosine of the question against its phrasings.
The verdict: ANSWER when the best entry scores at least CLEAR and leads the next by MARGIN; CHOOSE (up to
MAX_CHOICES entries scoring at least SUGGEST) when it is not that clear; ANSWER too when a single entry scores
at least SUGGEST and it reaches ALONE; NONE otherwise.

jieba runs with a trimmed dictionary (words.txt: the 20,000 most frequent words of jieba's own dictionary and
the bank's terms), loaded on the first question a process sees: +11 MB in a built app, where the full dictionary
takes about +80 MB (docs/services.md).
"""

import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

WORDS = Path(__file__).with_name("words.txt")
# Words that say nothing about which question it is (particles, pronouns, politeness).
STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 么 嘛 哦 哈 呐 我 我的 我们 你 您 你们 他 她 它 请问 请 一下 想 想要 要"
    " 是 在 有 和 与 就 都 也 还 能 能不能 可以 可不可以 会 这 那 这个 那个 个 下 谢谢 你好 您好"
    " 怎么 怎么办 怎样 如何 办".split())
NOT_A_WORD = re.compile(r"^[\W_]+$")
CLEAR, SUGGEST, MARGIN = 0.6, 0.3, 0.15
ALONE = 0.5  # the only entry above SUGGEST is the answer from this score on
MAX_CHOICES = 3

ANSWER, CHOOSE, NONE = "answer", "choose", "none"

_tokenizer = None
_tokenizer_lock = threading.Lock()


def _jieba():
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba  # imported on the first question, not by every worker at start-up

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer(dictionary=str(WORDS))
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def words(text: str) -> list[str]:
    """The meaningful words of `text`, lower-cased, in order."""
    found = []
    for word in _jieba().lcut(" ".join((text or "").lower().split()), HMM=True):
        word = word.strip()
        if word and word not in STOPWORDS and not NOT_A_WORD.match(word):
            found.append(word)
    return found


@dataclass(frozen=True)
class Verdict:
    kind: str  # ANSWER | CHOOSE | NONE
    entry_ids: tuple[int, ...] = ()  # ANSWER: one; CHOOSE: best first
    scores: tuple[float, ...] = ()


@dataclass
class Index:
    """The entries' phrasings as weighted word vectors; built once per change of the entries."""

    phrasings: list[tuple[int, dict[str, float]]] = field(default_factory=list)  # (entry id, unit vector)
    idf: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: list[tuple[int, list[str]]]) -> "Index":
        documents = [(entry_id, Counter(words(text))) for entry_id, texts in entries for text in texts]
        documents = [(entry_id, counts) for entry_id, counts in documents if counts]
        frequency = Counter(word for _, counts in documents for word in counts)
        total = len(documents)
        idf = {word: math.log((total + 1) / (seen + 0.5)) + 1.0 for word, seen in frequency.items()}
        return cls([(entry_id, _unit({w: n * idf[w] for w, n in counts.items()})) for entry_id, counts in documents],
                   idf)

    def judge(self, text: str) -> Verdict:
        counts = Counter(words(text))
        if not counts or not self.phrasings:
            return Verdict(NONE)
        unknown = math.log(len(self.phrasings) + 1) + 1.0  # a word no entry has: as rare as can be
        query = _unit({w: n * self.idf.get(w, unknown) for w, n in counts.items()})
        best: dict[int, float] = {}
        for entry_id, vector in self.phrasings:
            score = sum(weight * vector.get(word, 0.0) for word, weight in query.items())
            if score > best.get(entry_id, 0.0):
                best[entry_id] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        if not ranked or ranked[0][1] < SUGGEST:
            return Verdict(NONE)
        top_id, top = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if (top >= CLEAR and top - runner_up >= MARGIN) or (top >= ALONE and runner_up < SUGGEST):
            return Verdict(ANSWER, (top_id,), (round(top, 3),))
        chosen = [(entry_id, score) for entry_id, score in ranked[:MAX_CHOICES] if score >= SUGGEST]
        return Verdict(CHOOSE, tuple(e for e, _ in chosen), tuple(round(s, 3) for _, s in chosen))


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {word: value / norm for word, value in vector.items()}
