"""Similar ideas: a term index kept in the database and the look-up of the closest earlier ideas."""

from __future__ import annotations

import asyncio
import functools
import math
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from storage.tables import Idea, IdeaTerm, TermCount, table_of

# An idea at least this close is shown as similar (chosen on bench/similar_data/pairs.tsv,
# held_out.tsv and held_out2.tsv; held_out3.tsv measures it, see bench/RESULTS.md §8c): by meaning
# when the analyser answers, by syllable pairs alone (the threshold of before) when it does not.
SHOWN_AT = 0.66
LEXICAL_SHOWN_AT = 0.34
# The candidates closest by syllable pairs whose meaning is compared (each costs the analyser), and
# those holding the most of the words close in meaning to the query's (a rewording sharing one word).
RESCORED = 8
RESCORED_BY_MEANING = 16
# Index rows read for the words close in meaning, on top of ROW_BUDGET.
NEIGHBOUR_ROWS = 3000
# How much of the score is the meaning of the words, the rest their syllable pairs: all of it, as
# the syllables only made rewordings in other words score lower (§8c); they still choose candidates.
MEANING_SHARE = 1.0
# The same person's idea at least this close, within DUPLICATE_HOURS, is a duplicate and refused.
DUPLICATE_AT = 0.8
DUPLICATE_HOURS = 24
SHOWN = 3
# Candidates are read from the rarest terms until this many index rows, so the look-up stays
# fast however many ideas there are; a common term (니다, 설치) says little about similarity.
ROW_BUDGET = 6000
CANDIDATES = 60
MIN_IDEAS = 1000

_RUNS = re.compile(r"[0-9a-z가-힣]+")
_HANGUL_WORD = re.compile(r"[가-힣]+")
# Endings of a request every idea shares; they would only make unrelated ideas look alike.
_FILLER = re.compile(
    r"(하면|했으면|해|하여|되면|했|하|되)?\s*(좋겠습니다|좋겠어요|좋겠다|좋겠네요|주세요|주십시오|바랍니다|합시다|했으면 합니다|하자)$"
)


# Case particles a word may end with (longest first): 공원에 and 공원에서 are 공원. They are grammar,
# not content, and their bigrams (원에, 에그) made ideas that merely share a sentence shape look alike.
_PARTICLES = tuple(
    sorted(
        "에서는 으로도 에서 에게 으로 에는 에도 로도 마다 까지 부터 께서 이나 처럼 보다 을 를 이 가 은 는 의 에 로 과 와 도 만".split(),
        key=len,
        reverse=True,
    )
)


def _without_particle(word: str) -> str:
    """A Hangul word without its case particle, keeping at least two syllables (의자 stays 의자)."""
    for particle in _PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


@functools.lru_cache(maxsize=4096)  # every look-up reads the terms of up to CANDIDATES earlier ideas
def terms(text: str) -> frozenset[str]:
    """The terms of a text: Hangul syllable bigrams across spaces, so 온열 의자 meets 온열의자, with case
    particles left out; and whole Latin or digit words."""
    text = unicodedata.normalize("NFKC", text).lower()
    found: set[str] = set()
    for line in re.split(r"[.!?\n]+", text):
        words = _RUNS.findall(_FILLER.sub("", line.strip()))
        hangul = re.sub(
            r"[^가-힣]+", "", "".join(_without_particle(w) if _HANGUL_WORD.fullmatch(w) else w for w in words)
        )
        found.update(hangul[i : i + 2] for i in range(len(hangul) - 1))
        if len(hangul) == 1:
            found.add(hangul)
        found.update(w[:16] for w in re.findall(r"[0-9a-z]+", " ".join(words)))
    return frozenset(found)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _index_statements(dialect: str) -> tuple[sa.Insert, sa.Insert]:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    counted = insert(table_of(TermCount))
    return (
        insert(table_of(IdeaTerm)).on_conflict_do_nothing(),
        counted.on_conflict_do_update(index_elements=["term"], set_={"ideas": table_of(TermCount).c.ideas + 1}),
    )


# Built once and run for every term (executemany): a multi-row VALUES of the idea's terms was
# compiled afresh for every idea and cost more CPU than the rest of posting it.
_INDEX = {dialect: _index_statements(dialect) for dialect in ("sqlite", "postgresql")}
_TERMS, _COUNTED = table_of(IdeaTerm), table_of(TermCount)
_UNINDEX = sa.delete(_TERMS).where(_TERMS.c.idea_id == sa.bindparam("idea_id"), _TERMS.c.term == sa.bindparam("term"))
_UNCOUNT = sa.update(_COUNTED).where(_COUNTED.c.term == sa.bindparam("b_term")).values(ideas=_COUNTED.c.ideas - 1)


async def index_idea(session: AsyncSession, idea_id: int, text: str) -> None:
    """Add an idea's terms to the index, in the idea's own transaction."""
    found = sorted(terms(text))  # sorted: two posts counting the same terms lock them in one order
    if not found:
        return
    index, count = _INDEX[_dialect(session)]
    await session.exec(index, params=[{"term": t, "idea_id": idea_id} for t in found])
    await session.exec(count, params=[{"term": t, "ideas": 1} for t in found])


async def unindex_idea(session: AsyncSession, idea_id: int, text: str) -> None:
    """Take an idea's terms out of the index (before its text changes)."""
    found = sorted(terms(text))
    if not found:
        return
    await session.exec(_UNINDEX, params=[{"idea_id": idea_id, "term": t} for t in found])
    await session.exec(_UNCOUNT, params=[{"b_term": t} for t in found])


@dataclass(frozen=True)
class Match:
    idea: Idea
    score: float


# How close in meaning each text is to the query (0-1), given the index's term weights: run by the
# analyser's process (bot/ranker.py); None when it cannot answer (not started, died).
# None for a text only its syllables can compare ("하나").
Meaning = Callable[[str, list[str], dict[str, float]], Awaitable[list[float | None] | None]]
# Words close in meaning to the query's, with how close (0-1), from the analyser's process; None
# when it cannot answer.
Neighbours = Callable[[str], Awaitable[list[tuple[str, float]] | None]]


def _live(statement: SelectOfScalar[Idea]) -> SelectOfScalar[Idea]:
    """Leave out withdrawn and merged ideas (they stay in the index: their number still answers)."""
    return statement.where(col(Idea.withdrawn_at).is_(None), col(Idea.merged_into_id).is_(None))


# The look-up's statements, built once and run with parameters (see _INDEX).
_NEWEST = select(func.max(Idea.id))
_COUNTS = select(TermCount.term, TermCount.ideas).where(col(TermCount.term).in_(sa.bindparam("terms", expanding=True)))
_LIVE_IDEAS = _live(select(Idea).where(col(Idea.id).in_(sa.bindparam("ids", expanding=True))))


async def _counts(session: AsyncSession, wanted: Iterable[str]) -> dict[str, int]:
    wanted = list(wanted)
    counts: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        rows = await session.exec(_COUNTS, params={"terms": wanted[start : start + 500]})
        counts.update(rows.all())
    return counts


async def _live_ideas(session: AsyncSession, ids: list[int]) -> list[Idea]:
    return list((await session.exec(_LIVE_IDEAS, params={"ids": ids})).all()) if ids else []


def _weight(count: int, total: int) -> float:
    # BM25's idf, never below a small floor so a term every idea holds still counts a little.
    # A young database is weighed as one of MIN_IDEAS ideas: with a handful of ideas, a term
    # of one of them would otherwise weigh far less than a term of none.
    total = max(total, MIN_IDEAS)
    return max(math.log((total - count + 0.5) / (count + 0.5) + 1), 0.01)


def similarity(a: AbstractSet[str], b: AbstractSet[str], weight: dict[str, float]) -> float:
    """Weighted Dice of two term sets: 1 for the same terms, 0 for none shared.

    Each term counts by its idf, not its square as in a cosine: squared, the rarest one or two
    terms outweigh all the others an idea shares; counted once, rewordings came out closer and
    near-misses less close on pairs.tsv (bench/RESULTS.md §8)."""
    if not a or not b:
        return 0.0
    shared = sum(weight[t] for t in a & b)
    return 2 * shared / (sum(weight[t] for t in a) + sum(weight[t] for t in b))


@functools.lru_cache(maxsize=256)
def _candidates_statement(terms_chosen: int, limit: int) -> Select[int, Any]:
    """The ideas holding terms t0…tn, by the sum of their weights w0…wn (one statement per n)."""
    term = [sa.bindparam(f"t{i}", type_=sa.String) for i in range(terms_chosen)]
    weight = [sa.bindparam(f"w{i}", type_=sa.Integer) for i in range(terms_chosen)]
    hits = func.sum(sa.case(*((col(IdeaTerm.term) == t, w) for t, w in zip(term, weight)), else_=0)).label("hits")
    return (
        select(IdeaTerm.idea_id, hits)
        .where(col(IdeaTerm.term).in_(term))
        .group_by(col(IdeaTerm.idea_id))
        .order_by(sa.desc(hits), sa.desc(col(IdeaTerm.idea_id)))
        .limit(limit)
    )


def _rarest(wanted: Iterable[str], counts: dict[str, int], budget: int) -> list[str]:
    chosen: list[str] = []
    rows = 0
    for term in sorted((t for t in wanted if counts.get(t)), key=lambda t: counts[t]):
        if chosen and rows + counts[term] > budget:
            break
        chosen.append(term)
        rows += counts[term]
    return chosen


async def _candidates(
    session: AsyncSession,
    query: AbstractSet[str],
    counts: dict[str, int],
    total: int,
    limit: int,
    near: dict[str, float] | None = None,
) -> list[tuple[int, int]]:
    """Ideas holding the query's rarest terms, best first, as (id, weight of the terms held); with
    `near`, also the terms of words close in meaning, each weighing its closeness."""
    chosen = _rarest(query, counts, ROW_BUDGET)
    closeness = dict.fromkeys(chosen, 1.0)
    if near:
        for term in _rarest(near.keys() - query, counts, NEIGHBOUR_ROWS):
            closeness[term] = near[term]
    if not closeness:
        return []
    chosen = list(closeness)
    # By the weight of the rare terms shared, not their number, so a long idea is not favoured.
    params: dict[str, Any] = {f"t{i}": t for i, t in enumerate(chosen)}
    params.update({f"w{i}": round(_weight(counts[t], total) * closeness[t] * 100) for i, t in enumerate(chosen)})
    found = await session.exec(_candidates_statement(len(chosen), limit), params=params)
    return [(row[0], row[1]) for row in found.all()]


async def search_ideas(session: AsyncSession, text: str, limit: int) -> list[Idea]:
    """Ideas of every room and month holding the words of `text`, the rarest words weighing most."""
    query = terms(text)
    total = (await session.exec(_NEWEST)).one() or 0
    if not query or not total:
        return []
    found = await _candidates(session, query, await _counts(session, query), total, limit)
    ideas: dict[int | None, Idea] = {
        idea.id: idea for idea in await _live_ideas(session, [idea_id for idea_id, _ in found])
    }
    return [ideas[idea_id] for idea_id, _ in found if idea_id in ideas]


async def similar_ideas(
    session: AsyncSession,
    text: str,
    *,
    limit: int = SHOWN,
    at_least: float | None = None,
    meaning: Meaning | None = None,
    neighbours: Neighbours | None = None,
) -> list[Match]:
    """The earlier ideas closest to `text`, of every room, topic and state, best first.

    Candidates come from the term index, also by the words `neighbours` names close in meaning
    (스마트폰 for 휴대폰), and are scored by their syllable pairs; with `meaning`, the closest few
    are scored again by what their words mean, which also keeps ideas sharing only a place and a
    way of asking (민원실에 … 설치해 주세요) apart."""
    query = terms(text)
    if not query:
        return []
    near_words = asyncio.ensure_future(neighbours(text)) if neighbours is not None else None
    try:
        total = (await session.exec(_NEWEST)).one() or 0
        counts = await _counts(session, query) if total else {}
    except BaseException:
        if near_words is not None:
            near_words.cancel()
        raise
    near = await _near_terms(session, await near_words if near_words is not None else None, counts)
    if not total:
        return []
    found = await _candidates(session, query, counts, total, CANDIDATES, near)
    candidate_ids = [idea_id for idea_id, _ in found]
    candidates = await _live_ideas(session, candidate_ids)
    their_terms = {idea.id: terms(idea.text) for idea in candidates}
    counts.update(await _counts(session, set().union(*their_terms.values()) - counts.keys()))
    weight = {t: _weight(counts.get(t, 0), total) for t in query.union(*their_terms.values())}
    scored = [Match(idea, similarity(query, their_terms[idea.id], weight)) for idea in candidates]
    scored.sort(key=lambda m: (-m.score, -(m.idea.id or 0)))
    threshold = LEXICAL_SHOWN_AT
    if meaning is not None and scored:
        closest = scored[:RESCORED]
        if near:
            # The candidates holding most of the words close in meaning, whatever their syllables.
            rank = {idea_id: i for i, idea_id in enumerate(candidate_ids)}
            chosen = {m.idea.id for m in closest}
            by_near = sorted((m for m in scored if m.idea.id not in chosen), key=lambda m: rank.get(m.idea.id or 0, 0))
            closest += by_near[:RESCORED_BY_MEANING]
        wanted = query.union(*(their_terms[m.idea.id] for m in closest))
        meant = await meaning(text, [m.idea.text for m in closest], {t: weight[t] for t in wanted})
        if meant is not None:
            threshold = SHOWN_AT
            scored = [
                Match(m.idea, m.score if close is None else (1 - MEANING_SHARE) * m.score + MEANING_SHARE * close)
                for m, close in zip(closest, meant)
            ]
            scored.sort(key=lambda m: (-m.score, -(m.idea.id or 0)))
    if at_least is not None:
        threshold = at_least
    return [m for m in scored if m.score >= threshold][:limit]


async def _near_terms(
    session: AsyncSession, words: list[tuple[str, float]] | None, counts: dict[str, int]
) -> dict[str, float]:
    """The terms of the words close in meaning that the index holds all of (a word no idea can hold
    is left out), each with its word's closeness; `counts` gains their counts."""
    if not words:
        return {}
    their_terms = {word: terms(word) for word, _ in words}
    counts.update(await _counts(session, set().union(*their_terms.values()) - counts.keys()))
    near: dict[str, float] = {}
    for word, close in words:
        if their_terms[word] and all(counts.get(t) for t in their_terms[word]):
            for term in their_terms[word]:
                near[term] = max(near.get(term, 0.0), close)
    return near


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"[0-9]+", unicodedata.normalize("NFKC", text)))


def is_duplicate(match: Match, text: str, author_id: int, hours_since: float) -> bool:
    """The same person's (near) copy of their recent idea; other numbers (버스 3번, 5번) make another idea."""
    return (
        match.idea.author_id == author_id
        and match.score >= DUPLICATE_AT
        and hours_since <= DUPLICATE_HOURS
        and _numbers(match.idea.text) == _numbers(text)
    )


def backfill_terms(rows: Sequence[tuple[int, str]]) -> tuple[list[dict[str, object]], dict[str, int]]:
    """Index rows and term counts for ideas stored before the index existed (the migration)."""
    index: list[dict[str, object]] = []
    counted: dict[str, int] = {}
    for idea_id, text in rows:
        for term in terms(text):
            index.append({"term": term, "idea_id": idea_id})
            counted[term] = counted.get(term, 0) + 1
    return index, counted
