"""Rank departments by how well their duties match a discussion topic (Kiwi + BM25+)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from kiwipiepy import Kiwi

_NOUN_TAGS = frozenset({"NNG", "NNP"})
_KEEP_AS_IS_TAGS = frozenset({"NNG", "NNP", "SN", "XR"})
_PREDICATE_TAGS = frozenset({"VV", "VA"})
# Verb/adjective stems get a suffix so the stem 살 (살다) never matches the noun 살.
_PREDICATE_MARKER = "/V"
# Kiwi tags the 과 of department names (도로과) as a noun only sometimes; it says nothing.
_STOPWORDS = frozenset({"과"})
_MIN_COMPOUND_LEN = 4
_MIN_PART_LEN = 2

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()


@dataclass(frozen=True)
class DepartmentDoc:
    id: int
    name: str
    duties: str


@dataclass(frozen=True)
class RankedDepartment:
    id: int
    name: str
    score: float


def get_kiwi() -> Kiwi:
    """Return the process-wide Kiwi analyser, building it (about a second) on first use."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


def tokenize(text: str) -> list[str]:
    """Content morphemes of `text`: nouns (plus parts of compounds), roots, numbers, latin, stems."""
    tokens: list[str] = []
    for token in get_kiwi().tokenize(text):
        # Irregular stems are tagged e.g. "VA-I"; only the base tag matters here.
        tag = token.tag.split("-", 1)[0]
        form = token.form
        if tag == "SL":
            tokens.append(form.lower())
        elif tag in _PREDICATE_TAGS:
            tokens.append(form + _PREDICATE_MARKER)
        elif tag in _KEEP_AS_IS_TAGS and form not in _STOPWORDS:
            tokens.append(form)
            if tag in _NOUN_TAGS:
                tokens.extend(_compound_parts(form))
    return tokens


@lru_cache(maxsize=4096)
def _compound_parts(noun: str) -> tuple[str, ...]:
    """Split a noun Kiwi kept whole (교통안전 -> 교통, 안전) if both halves are nouns on their own.

    Kiwi already splits most compounds (버스정류장 -> 버스, 정류장); this catches the
    lexicalised ones, so a query for 안전 still reaches duties that say 교통안전.
    """
    if len(noun) < _MIN_COMPOUND_LEN or not all("가" <= ch <= "힣" for ch in noun):
        return ()
    kiwi = get_kiwi()
    for cut in range(_MIN_PART_LEN, len(noun) - _MIN_PART_LEN + 1):
        head, tail = noun[:cut], noun[cut:]
        analysed = kiwi.tokenize(f"{head} {tail}")
        if len(analysed) == 2 and all(
            t.form == part and t.tag in _NOUN_TAGS for t, part in zip(analysed, (head, tail))
        ):
            return (head, tail)
    return ()


@lru_cache(maxsize=1024)
def _document_tokens(text: str) -> tuple[str, ...]:
    # Department duties rarely change, so each text is analysed once per process.
    return tuple(tokenize(text))


def rank_departments(
    query: str, departments: Sequence[DepartmentDoc], limit: int = 3
) -> list[RankedDepartment]:
    """Best-matching departments for `query`, highest score first, ties broken by name.

    Departments sharing no content term with the query are left out.
    """
    if limit <= 0 or not departments:
        return []
    query_tokens = tokenize(query)
    if not query_tokens:
        return []
    corpus = [list(_document_tokens(f"{dept.name} {dept.duties}")) for dept in departments]
    query_terms = set(query_tokens)
    if not any(query_terms.intersection(doc) for doc in corpus):
        return []

    scores = _bm25_plus_scores(corpus, query_tokens)
    ranked = [
        RankedDepartment(dept.id, dept.name, score)
        for dept, doc, score in zip(departments, corpus, scores)
        if query_terms.intersection(doc)
    ]
    ranked.sort(key=lambda r: (-r.score, r.name))
    return ranked[:limit]


def _bm25_plus_scores(corpus: list[list[str]], query_tokens: list[str]) -> list[float]:
    """BM25+ scores of each tokenised document for the query.

    BM25+ rather than BM25Okapi: with only 5-60 departments, Okapi's IDF
    log((N - df + 0.5) / (df + 0.5)) is zero when a term is in exactly half the
    documents and negative above that (rank_bm25 then substitutes a small epsilon),
    so common-but-relevant words would score nothing or distort the order, and with
    one document every term is "too common". BM25+'s IDF log((N + 1) / df) stays
    positive, and its delta lower-bounds the reward for a match in a long document.
    """
    from rank_bm25 import BM25Plus  # with numpy behind it: loaded on the first ranking, not at start

    bm25 = BM25Plus(corpus)
    raw = bm25.get_scores(query_tokens)
    # rank_bm25 adds idf * delta for every query term, even those absent from the
    # document; BM25+ gives that bonus only to matched terms, so take it back out.
    scores = []
    for raw_score, terms in zip(raw, (set(doc) for doc in corpus)):
        missing = sum(bm25.idf.get(q, 0.0) for q in query_tokens if q not in terms)
        scores.append(float(raw_score) - bm25.delta * missing)
    return scores
