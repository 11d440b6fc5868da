"""Rank the departments in charge of a topic from their duties (Kiwi morphemes, BM25, related words)."""

from __future__ import annotations

import math
import statistics
import threading
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

_NOUN_TAGS = frozenset({"NNG", "NNP"})
_ROOT_TAGS = frozenset({"XR"})
_PREDICATE_TAGS = frozenset({"VV", "VA"})
# Tags that make up the nominal stem of a word (일회용, 1회용품, 전동킥보드) for the bigram channel.
_STEM_TAGS = frozenset({"NNG", "NNP", "NR", "NNB", "SN", "XPN", "XSN", "XR", "SL"})
# Verb/adjective stems get a suffix so the stem 살 (살다) never matches the noun 살.
_PREDICATE_MARKER = "/V"
_MIN_COMPOUND_LEN = 3
_MIN_PART_LEN = 2
# A one-syllable rest (실 of 민원실) is dropped; the other part is kept if this close in meaning.
_PART_MIN_SIMILARITY = 0.5

# Words of how a topic or a duty is phrased, not what it is about: every department "운영"s
# and "지원"s, and every topic "논의"s an "개선 아이디어". A general list of Korean office
# prose (not of any topic's subject): the organizers' office would otherwise win every topic
# that asks for 혁신 or 아이디어, and departments with long duties every topic that says 관리.
GENERIC_WORDS = frozenset(
    [
        "과",
        "등",
        "및",
        "것",
        "수",
        "때",
        "곳",
        "중",
        "점",
        "측",
        "분",
        "건",
        "개",
        "년",
        "월",
        "일",
        "번",
        "내",
        "외",
        "간",
        "후",
        "전",
        "위",
        "시",
        "군",
        "구",
        "업무",
        "담당",
        "수행",
        "사무",
        "소관",
        "분장",
        "관련",
        "대상",
        "분야",
        "기타",
        "각종",
        "주요",
        "전반",
        "개선",
        "혁신",
        "아이디어",
        "방안",
        "논의",
        "검토",
        "마련",
        "추진",
        "강화",
        "확대",
        "확충",
        "활성화",
        "방식",
        "방법",
        "방향",
        "대책",
        "정책",
        "필요",
        "문제",
        "과제",
        "의견",
        "제시",
        "모색",
        "고민",
        "대응",
        "해결",
        "해소",
        "노력",
        "실천",
        "참여",
        "협력",
        "협의",
        "조성",
        "구축",
        "도입",
        "운영",
        "관리",
        "지원",
        "계획",
        "수립",
        "사업",
        "시행",
        "실시",
        "점검",
        "정비",
        "육성",
        "증진",
        "제고",
        "보장",
        "실태",
        "조사",
        "기준",
        "시민",
        "주민",
        "직원",
        "시",
        "우리",
        "행정",
        "시정",
        "공공",
        "지역",
        "현장",
        "새로",
        "기존",
        "체계",
        "제도",
        "서비스",
        "프로그램",
        "늘리/V",
        "줄이/V",
        "만들/V",
        "바꾸/V",
        "하/V",
        "되/V",
        "있/V",
        "없/V",
        "많/V",
        "같/V",
        "보/V",
        "주/V",
        "모으/V",
        "모이/V",
        "이어지/V",
    ]
)
# Names of departments end in these; as words of a topic they say nothing.
_DEPARTMENT_SUFFIXES = ("담당관", "과")

# BM25 (Robertson) with the usual constants; documents are a department's name and duties.
_K1 = 1.2
_B = 0.75
# How much a matching character bigram (주차난 ~ 주차장, 일회용 ~ 1회용품) counts next to a word.
_BIGRAM_WEIGHT = 0.35
# A duty word is "related" to a topic word when their Kiwi embedding similarity stands this many
# standard deviations above the topic word's similarity to the whole duties vocabulary.
_RELATED_Z = 3.0
_RELATED_MIN_SIMILARITY = 0.35
_RELATED_SURE_Z = 4.0
_RELATED_WEIGHT = 0.6
# Context similarity of two words at which a shared part surely means the same (see _Index.sense).
_SENSE_SURE = 0.5
_SENSE_FLOOR = 0.4
# A department covering none of the topic's words (only parts of them) keeps this share of its score.
_COVERAGE_FLOOR = 0.3
# A compound of the topic found whole in the duties, on top of its parts.
_COMPOUND_WEIGHT = 1.0
# The organizers' office must score this many times the next department to be named first.
_ORGANIZERS_MARGIN = 1.5
# A department sharing no word with the topic (only related words or parts of words) needs this score.
_INDIRECT_MIN = 1.2
# Show a 2nd or 3rd department only when it scores at least this share of the first.
RELATIVE_CUTOFF = 0.6
# A term of the vocabulary bridge (bot/ranking_terms.toml: 킥보드 -> 개인형 이동장치) counts this much of
# a word the duties share with the topic: it is general knowledge, not this department's own words.
_BRIDGE_WEIGHT = 0.5
_BRIDGE_FILE = Path(__file__).with_name("ranking_terms.toml")
# An organizer's earlier choice for a topic this similar (cosine of the topics' words) counts.
_PAST_MIN_SIMILARITY = 0.35
_PAST_WEIGHT = 1.0

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()


@dataclass(frozen=True)
class DepartmentDoc:
    id: int
    name: str
    duties: str
    # The department of the people with the organizer role: it receives every idea anyway, so
    # it is named for a topic only on the words of its own duties, never on related ones.
    organizers_office: bool = False


@dataclass(frozen=True)
class PastChoice:
    """An organizer's invitation of a department for an earlier topic: a correction to learn from."""

    text: str
    department_id: int


@dataclass(frozen=True)
class RankedDepartment:
    id: int
    name: str
    score: float


def get_kiwi() -> Kiwi:
    """Return the process-wide Kiwi analyser, building it (seconds, ~300 MiB) on first use.

    The bot calls it in the ranker's child process (bot/ranker.py), so that no request waits for it.
    """
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                # 'cong' is the model whose morpheme embeddings give related words. Its multi-word
                # dictionary (proper names of several words) is 190 of its 490 MiB, and without it
                # bench.ranking and bench.similar gave the same figures on every topic and pair set.
                _kiwi = Kiwi(model_type="cong", load_multi_dict=False)
    return _kiwi


# --- analysing text -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    key: str
    # Kiwi's token, for its embedding; None for compound parts Kiwi did not split and latin.
    token: Any = field(default=None, compare=False, hash=False)
    # The word (a run of nominal morphemes: 대기시간, 1회용품) the term was found in.
    word: str = ""
    # The content morphemes around the term (one before, one after), for telling senses apart.
    window: tuple[Any, ...] = field(default=(), compare=False, hash=False)


@dataclass(frozen=True)
class _Analysis:
    terms: tuple[_Term, ...]
    bigrams: tuple[str, ...]
    words: dict[str, tuple[Any, ...]] = field(compare=False, hash=False)
    # The bigrams of each word, for the words no term of which a department matched.
    word_bigrams: dict[str, tuple[str, ...]] = field(compare=False, hash=False, default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.terms]

    @property
    def word_list(self) -> list[str]:
        return list(self.words)

    @property
    def compounds(self) -> list[str]:
        """Words of two or more nouns, at least one of them not generic (주민참여예산)."""
        return [
            word
            for word, tokens in self.words.items()
            if sum(t.tag in _NOUN_TAGS for t in tokens) >= 2
            and any(t.tag in _NOUN_TAGS and t.form not in GENERIC_WORDS for t in tokens)
        ]


def tokenize(text: str) -> list[str]:
    """Content morphemes of `text`: nouns (plus parts of compounds), roots, latin, verb stems."""
    return [t.key for t in _analyse(text).terms]


@lru_cache(maxsize=4096)
def _analyse(text: str) -> _Analysis:
    found: list[tuple[str, Any, int, int]] = []  # (key, token, index of its word, of its morpheme)
    content: list[Any] = []  # the content morphemes in order
    words: list[list[Any]] = []  # runs of nominal morphemes inside one word: 1회용품, 전동킥보드
    previous: tuple[int, bool] = (-1, False)
    for token in get_kiwi().tokenize(text):
        # Irregular stems are tagged e.g. "VA-I"; only the base tag matters here.
        tag = token.tag.split("-", 1)[0]
        form = token.form
        in_word = tag in _STEM_TAGS
        if in_word:
            if previous == (token.word_position, True):
                words[-1].append(token)
            else:
                words.append([token])
        previous = (token.word_position, in_word)
        at = len(words) - 1 if in_word else -1
        if tag in _PREDICATE_TAGS or tag in _NOUN_TAGS or tag in _ROOT_TAGS or tag == "SL":
            content.append(token)
        here = len(content) - 1
        if tag == "SL":
            found.append((form.lower(), None, at, here))
        elif tag in _PREDICATE_TAGS:
            found.append((form + _PREDICATE_MARKER, token, -1, here))
        elif tag in _NOUN_TAGS or tag in _ROOT_TAGS:
            found.append((form, token, at, here))
            if tag in _NOUN_TAGS:
                found.extend((part, None, at, here) for part in _compound_parts(form))
    texts = [_word_text(w) for w in words]
    terms = tuple(
        _Term(key, token, texts[at] if at >= 0 else key, tuple(content[max(0, here - 1) : here + 2]))
        for key, token, at, here in found
        if key not in GENERIC_WORDS
    )
    word_bigrams = {text: tuple(_bigrams(text)) for text in texts if text not in GENERIC_WORDS}
    bigrams = tuple(gram for grams in word_bigrams.values() for gram in grams)
    return _Analysis(terms, bigrams, {t: tuple(w) for t, w in zip(texts, words)}, word_bigrams)


def _word_text(tokens: Sequence[Any]) -> str:
    return "".join(t.form.lower() if t.tag == "SL" else t.form for t in tokens)


def _bigrams(word: str) -> list[str]:
    hangul = "".join(ch for ch in word if "가" <= ch <= "힣" or ch.isdigit())
    for suffix in _DEPARTMENT_SUFFIXES:
        if len(hangul) > len(suffix) + 1 and hangul.endswith(suffix):
            hangul = hangul[: -len(suffix)]
    return [hangul[i : i + 2] for i in range(len(hangul) - 1)]


@lru_cache(maxsize=4096)
def _compound_parts(noun: str) -> tuple[str, ...]:
    """Split a noun Kiwi kept whole (교통안전 -> 교통, 안전; 민원실 -> 민원) into nouns of its own.

    Kiwi already splits most compounds (버스정류장 -> 버스, 정류장); this catches the
    lexicalised ones, so a query for 안전 still reaches duties that say 교통안전, and 민원실 or
    주차난 reach duties about 민원 and 주차. One-syllable parts (실, 난) are too vague to keep.
    """
    if len(noun) < _MIN_COMPOUND_LEN or not all("가" <= ch <= "힣" for ch in noun):
        return ()
    kiwi = get_kiwi()
    for cut in range(1, len(noun)):
        head, tail = noun[:cut], noun[cut:]
        if max(len(head), len(tail)) < _MIN_PART_LEN:
            continue
        analysed = kiwi.tokenize(f"{head} {tail}")
        if len(analysed) == 2 and all(
            t.form == part and t.tag in _NOUN_TAGS for t, part in zip(analysed, (head, tail))
        ):
            kept = tuple(part for part in (head, tail) if len(part) >= _MIN_PART_LEN)
            if len(kept) == 2 or _means_like(noun, kept[0]):
                return kept
            return ()
    return ()


def _means_like(noun: str, part: str) -> bool:
    """Whether a noun is about its part (민원실 ~ 민원, 주차난 ~ 주차) and not a word of its own
    that happens to begin with it (일자리 is no 일자, 청소년 no 청소)."""
    kiwi = get_kiwi()
    whole, piece = kiwi.tokenize(noun), kiwi.tokenize(part)
    if len(whole) != 1 or len(piece) != 1:
        return False
    similarity = kiwi.morpheme_similarity(whole[0], piece[0])
    return math.isfinite(similarity) and similarity >= _PART_MIN_SIMILARITY


# --- the index of the duties ----------------------------------------------------------------


class _Bm25:
    """BM25 over bags of words; hand-written because each term's weight is needed on its own
    (related words, senses and bigrams are weighted per term), which rank_bm25 does not expose."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.counts = [Counter(doc) for doc in documents]
        lengths = [len(doc) for doc in documents]
        average = sum(lengths) / len(documents) if documents else 0.0
        self.norms = [_K1 * (1 - _B + _B * (n / average if average else 0.0)) for n in lengths]
        df: Counter[str] = Counter()
        for counts in self.counts:
            df.update(counts.keys())
        n = len(documents)
        # Lucene's non-negative IDF: a word in every department still counts a little.
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def term_score(self, term: str, doc: int) -> float:
        tf = self.counts[doc].get(term, 0)
        if not tf:
            return 0.0
        return self.idf[term] * tf * (_K1 + 1) / (tf + self.norms[doc])


@dataclass
class _Index:
    docs: tuple[DepartmentDoc, ...]
    analyses: tuple[_Analysis, ...]
    words: _Bm25
    grams: _Bm25
    # Every duty noun with its Kiwi token, for related-word lookups.
    vocabulary: dict[str, Any]
    # term -> for each department, the words of its duties the term was found in.
    # term -> for each department, the morphemes around each of its occurrences in the duties.
    windows: list[dict[str, list[tuple[Any, ...]]]]
    related_cache: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    compound_cache: dict[str, tuple[float, list[int]]] = field(default_factory=dict)
    meaning_cache: dict[tuple[str, int], int | None] = field(default_factory=dict)

    def other_meaning(self, key: str, query: _Analysis, doc: int) -> bool:
        """Whether the topic and the duties use the homonym `key` in different meanings, each told
        by its own words (민원 대기시간 is waiting, 대기오염 the air), as in bot/ranking_terms.toml."""
        mine = _meaning(key, query)
        if mine is None:
            return False
        if (key, doc) not in self.meaning_cache:
            self.meaning_cache[(key, doc)] = _meaning(key, self.analyses[doc])
        theirs = self.meaning_cache[(key, doc)]
        return theirs is not None and theirs != mine

    def compound_score(self, word: str, doc: int) -> float:
        """A compound of the topic found whole inside the duties' words (주민참여예산 in 주민참여예산제)."""
        cached = self.compound_cache.get(word)
        if cached is None:
            counts = [sum(word in w for w in a.word_list) for a in self.analyses]
            df = sum(1 for c in counts if c)
            idf = math.log(1 + (len(counts) - df + 0.5) / (df + 0.5)) if df else 0.0
            cached = self.compound_cache[word] = (idf, counts)
        idf, counts = cached
        tf = counts[doc]
        return idf * tf * (_K1 + 1) / (tf + self.words.norms[doc]) if tf else 0.0

    def related(self, term: _Term) -> tuple[tuple[str, float], ...]:
        """Duty nouns that stand out as close to `term`, with how surely (0-1).

        Close is either Kiwi's morpheme embedding (밤 ~ 야간) or its context embedding (국비 ~
        예산, 어르신 ~ 노인), each measured in standard deviations above the term's similarity
        to the whole duties vocabulary, so words whose embedding is close to everything do not
        relate to everything.
        """
        # Kiwi gives words it does not know (뷁뷁, 킥보드) one shared placeholder embedding.
        if term.token is None or term.token.oov or not self.vocabulary:
            return ()
        cached = self.related_cache.get(term.key)
        if cached is not None:
            return cached
        kiwi = get_kiwi()
        keys = [k for k in self.vocabulary if k != term.key]
        strength = dict.fromkeys(keys, 0.0)
        for measure in (
            lambda other: kiwi.morpheme_similarity(term.token, other),
            lambda other: kiwi.context_similarity([term.token], [other]),
        ):
            # Morphemes without an embedding (rare proper nouns) come back as NaN.
            values = [measure(self.vocabulary[k]) for k in keys]
            values = [v if math.isfinite(v) else 0.0 for v in values]
            if len(values) < 3:
                continue
            mean, spread = statistics.fmean(values), statistics.pstdev(values)
            if not spread:
                continue
            for key, value in zip(keys, values):
                z = (value - mean) / spread
                if z >= _RELATED_Z and value >= _RELATED_MIN_SIMILARITY:
                    strength[key] = max(strength[key], min(1.0, z / _RELATED_SURE_Z))
        found = tuple((key, value) for key, value in strength.items() if value)
        self.related_cache[term.key] = found
        return found

    def sense(self, key: str, query: Sequence[_Term], doc: int) -> float:
        """How surely the topic's `key` means what the department's duties mean by it.

        A homonym (민원실 대기시간, 대기오염) is told apart by the context of its occurrences:
        the CoNgram similarity of the morphemes around it in the topic and in the duties.
        """
        theirs = self.windows[doc].get(key, [])
        mine = [t.window for t in query if t.window]
        if not theirs or not mine:
            return 1.0
        kiwi = get_kiwi()
        best = max(1.0 if a == b else kiwi.context_similarity(list(a), list(b)) for a in mine for b in theirs)
        return min(1.0, max(_SENSE_FLOOR, best / _SENSE_SURE))


_index_lock = threading.Lock()


@lru_cache(maxsize=8)
def _build_index(docs: tuple[DepartmentDoc, ...]) -> _Index:
    # The name's 과/담당관 is left out of the words compared for sense (대기보전과 -> 대기보전).
    analyses = tuple(_analyse(f"{_name_stem(d.name)} {d.duties}") for d in docs)
    vocabulary: dict[str, Any] = {}
    windows: list[dict[str, list[tuple[Any, ...]]]] = []
    for analysis in analyses:
        seen: dict[str, list[tuple[Any, ...]]] = {}
        for term in analysis.terms:
            if term.window:
                seen.setdefault(term.key, []).append(term.window)
            if term.token is not None and not term.key.endswith(_PREDICATE_MARKER):
                vocabulary.setdefault(term.key, term.token)
        windows.append(seen)
    return _Index(
        docs,
        analyses,
        _Bm25([a.keys for a in analyses]),
        _Bm25([list(a.bigrams) for a in analyses]),
        vocabulary,
        windows,
    )


def _name_stem(name: str) -> str:
    for suffix in _DEPARTMENT_SUFFIXES:
        if len(name) > len(suffix) + 1 and name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _index(docs: Sequence[DepartmentDoc]) -> _Index:
    # Duties rarely change, so each set of departments is analysed once per process.
    with _index_lock:
        return _build_index(tuple(docs))


# --- ranking --------------------------------------------------------------------------------


def rank_departments(
    query: str,
    departments: Sequence[DepartmentDoc],
    limit: int = 3,
    *,
    past: Iterable[PastChoice] = (),
    cutoff: float = RELATIVE_CUTOFF,
) -> list[RankedDepartment]:
    """The departments in charge of the topic `query`, best first, ties broken by name.

    A department is shown only if it shares a word, a related word or part of a word with the
    topic, and only while it scores at least `cutoff` of the best one, so a topic that only one
    department fits names only that one. `past` choices of organizers for similar topics raise
    the departments they chose.
    """
    if limit <= 0 or not departments or not query.strip():
        return []
    analysis = _analyse(query)
    if not analysis.terms and not analysis.bigrams:
        return []
    index = _index(departments)
    bridged = _bridged_terms(index, analysis)
    scored = [_score(index, analysis, i, bridged) for i in range(len(index.docs))]
    # Related words and parts of words alone are weak evidence: they must add up.
    scores = [score if direct or score >= _INDIRECT_MIN else 0.0 for score, direct in scored]
    _add_past_choices(index, analysis, scores, past)
    ranked = [RankedDepartment(doc.id, doc.name, score) for doc, score in zip(index.docs, scores) if score > 0]
    ranked.sort(key=lambda r: (-r.score, r.name))
    _organizers_office_last(ranked, {d.id for d in departments if d.organizers_office})
    if ranked:
        ranked = [r for r in ranked if r.score >= cutoff * ranked[0].score]
    return ranked[:limit]


def _organizers_office_last(ranked: list[RankedDepartment], offices: set[int]) -> None:
    """The organizers' office is named first only when it clearly leads.

    Every topic of an idea room is about proposals and ideas, the organizers' own duties, so
    their office sits near the top of many rankings; a close call goes to the other department.
    """
    if len(ranked) > 1 and ranked[0].id in offices and ranked[1].score * _ORGANIZERS_MARGIN > ranked[0].score:
        first, second = ranked[0], ranked[1]
        ranked[0] = RankedDepartment(second.id, second.name, first.score)
        ranked[1] = RankedDepartment(first.id, first.name, second.score)


def _score(
    index: _Index, analysis: _Analysis, doc: int, bridged: Sequence[tuple[tuple[str, ...], ...]] = ()
) -> tuple[float, bool]:
    """BM25 of the topic's words in the duties, times the share of the topic's words covered.

    A word of the topic that no duties use is understood through related duty words; one that
    some duties use stands for itself. The coverage factor (Lucene's "coord") prefers the
    department that matches both words of 어르신 일자리 over the one whose name repeats one.
    """
    own_office = index.docs[doc].organizers_office
    score = covered = total = 0.0
    matched_words: set[str] = set()
    by_key: dict[str, list[_Term]] = {}
    for term in analysis.terms:
        by_key.setdefault(term.key, []).append(term)
    rarest = max(index.words.idf.values(), default=1.0)
    for key, occurrences in by_key.items():
        weight = index.words.idf.get(key, rarest)
        total += weight
        exact = index.words.term_score(key, doc)
        if exact and index.other_meaning(key, analysis, doc):
            exact = 0.0  # the same letters, another word
        if exact:
            sense = index.sense(key, occurrences, doc)
            score += exact * sense
            covered += weight * sense
            matched_words.update(t.word for t in occurrences)
        elif key not in index.words.idf and not own_office:
            related = [
                (index.words.term_score(other, doc) * strength * index.sense(other, occurrences, doc), strength)
                for other, strength in index.related(occurrences[0])
                if other in index.words.counts[doc]
            ]
            if related:
                best, strength = max(related)
                score += _RELATED_WEIGHT * best
                covered += weight * _RELATED_WEIGHT * strength
    score += _COMPOUND_WEIGHT * sum(index.compound_score(word, doc) for word in analysis.compounds)
    bridge = _BRIDGE_WEIGHT * _bridge_score(index, bridged, doc) if not own_office else 0.0
    if not own_office:
        # Parts of words are a fallback for words Kiwi cut differently (주차난 ~ 주차장, 일회용 ~ 1회용품).
        grams = {g for word, grams in analysis.word_bigrams.items() if word not in matched_words for g in grams}
        score += _BIGRAM_WEIGHT * sum(index.grams.term_score(g, doc) for g in grams)
    coverage = covered / total if total else 0.0
    return score * (_COVERAGE_FLOOR + (1 - _COVERAGE_FLOOR) * coverage) + bridge, bool(matched_words) or bridge > 0


@lru_cache(maxsize=1)
def _bridge() -> dict[str, tuple[str, ...]]:
    """The municipal vocabulary bridge: everyday words and the terms duties use for them."""
    with _BRIDGE_FILE.open("rb") as f:
        return {word: tuple(terms) for word, terms in tomllib.load(f)["terms"].items()}


@lru_cache(maxsize=1)
def _senses() -> dict[str, tuple[frozenset[str], ...]]:
    """Words with two meanings in a city's duties, and for each meaning the words that tell it."""
    with _BRIDGE_FILE.open("rb") as f:
        table = tomllib.load(f).get("senses", {})
    return {word: tuple(frozenset(words) for words in meanings) for word, meanings in table.items()}


def _meaning(key: str, analysis: _Analysis) -> int | None:
    """Which meaning of the homonym `key` a text has, when the words of exactly one are in it."""
    meanings = _senses().get(key)
    if not meanings:
        return None
    forms = set(analysis.keys) | set(analysis.words) | {m.form for t in analysis.terms for m in t.window}
    found = [i for i, words in enumerate(meanings) if words & forms]
    return found[0] if len(found) == 1 else None


def _bridged_terms(index: _Index, analysis: _Analysis) -> list[tuple[tuple[str, ...], ...]]:
    """For each everyday word of the topic that no duties use, the administrative terms it stands for.

    A word matches a morpheme of the topic (아이) or a nominal word, whole or as its end
    (전동킥보드 ends in 킥보드), never the start of a longer word (아이 is not 아이디어). A word
    some duties use, whole or in part (주차난 ~ 주차), stands for itself, as in `_score`.
    """
    bridge = _bridge()
    found: dict[str, tuple[str, ...]] = {}
    for key in analysis.keys:
        if key in bridge:
            found[key] = bridge[key]
    for word in analysis.words:
        for entry, terms in bridge.items():
            if entry == word or (len(entry) >= 3 and word.endswith(entry)):
                found[entry] = terms
    return [
        tuple(keys for keys in (tuple(_analyse(term).keys) for term in terms) if keys)
        for entry, terms in found.items()
        if not any(key in index.words.idf for key in (entry, *_analyse(entry).keys))
    ]


def _bridge_score(index: _Index, bridged: Sequence[tuple[tuple[str, ...], ...]], doc: int) -> float:
    """The best-matching administrative term of each bridged word, scored like a duty word.

    A term of several words (개인형 이동장치) counts in the share of its words the duties use.
    """
    total = 0.0
    for terms in bridged:
        best = 0.0
        for keys in terms:
            scores = [index.words.term_score(k, doc) for k in keys]
            matched = sum(1 for v in scores if v)
            best = max(best, sum(scores) * matched / len(keys))
        total += best
    return total


def _add_past_choices(index: _Index, analysis: _Analysis, scores: list[float], past: Iterable[PastChoice]) -> None:
    positions = {doc.id: i for i, doc in enumerate(index.docs)}
    best = max(scores, default=0.0)
    words = Counter(analysis.keys)
    for choice in past:
        position = positions.get(choice.department_id)
        if position is None:
            continue
        similarity = _cosine(words, Counter(_analyse(choice.text).keys), index.words.idf)
        if similarity >= _PAST_MIN_SIMILARITY:
            # Lifts the chosen department to about the best score for a near-identical topic.
            scores[position] += _PAST_WEIGHT * similarity * max(best, 1.0)


def _cosine(a: Counter[str], b: Counter[str], idf: dict[str, float]) -> float:
    def weight(term: str) -> float:
        return idf.get(term, max(idf.values(), default=1.0))

    dot = sum(a[t] * b[t] * weight(t) ** 2 for t in a.keys() & b.keys())
    norm_a = math.sqrt(sum((c * weight(t)) ** 2 for t, c in a.items()))
    norm_b = math.sqrt(sum((c * weight(t)) ** 2 for t, c in b.items()))
    return dot / (norm_a * norm_b) if norm_a and norm_b else 0.0
