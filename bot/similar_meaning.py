"""Similar ideas by word meaning: Kiwi's content morphemes matched softly by their CoNgram context similarity."""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.ranking import GENERIC_WORDS, get_kiwi

_NOUN_TAGS = frozenset({"NNG", "NNP", "XR"})
_PREDICATE_TAGS = frozenset({"VV", "VA"})
_PREDICATE_MARKER = "/V"
_HANGUL = re.compile(r"[가-힣]+")
# Words of how an idea is asked, not what it asks for ("…을 설치해 주세요", "…을 해 주세요"): on top of
# the ranking's list of office prose. They count little, and predicates (늘리다, 해 주다) not at all:
# a rewording changes its verbs most (설치해 / 달아 / 놓아).
_REQUEST_WORDS = frozenset({"설치", "제안", "가능", "이용", "사용", "활용", "좋/V"})
# Context similarity below which two different morphemes count as unrelated, and from which
# they count as the same word (chosen with the weights below on pairs.tsv, held_out.tsv and
# held_out2.tsv, never on held_out3.tsv; see bench/RESULTS.md §8c).
MEANING_FROM = 0.45
MEANING_SURE = 0.75
# A morpheme inside another (민원 in 민원실, 주차 in 주차장) counts this much of the same word.
PART_MATCH = 0.8
# Weight of a generic or request word, and of a predicate, as a share of an ordinary word's.
GENERIC_SHARE = 0.15
PREDICATE_SHARE = 0.0
# Weight of a morpheme none of whose syllable pairs the index counts (one syllable: 차, 길).
SHORT_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class _Morpheme:
    key: str
    # Kiwi's token, for its embedding (not its (form, tag): 닫/VV names three morphemes); None for
    # Latin words and numbers.
    token: Any
    predicate: bool = False
    # Kiwi gives words it does not know one shared embedding.
    oov: bool = False


# The morphemes of texts seen, newest last: an idea is compared again with every later idea it is a
# candidate for, and the bot posts each idea as a query first, so most candidates are known.
# Measured ~3 KiB of the process a text (with Kiwi's own growth), so 20,000 texts are ~60 MiB.
_analysed: OrderedDict[str, tuple[_Morpheme, ...]] = OrderedDict()
_ANALYSED_MAX = 20_000


def morphemes(text: str) -> tuple[_Morpheme, ...]:
    """The content morphemes of a text: nouns, roots, verb and adjective stems, Latin words and numbers."""
    return _morphemes_of([text])[0]


def _morphemes_of(texts: Sequence[str]) -> list[tuple[_Morpheme, ...]]:
    # Kiwi analyses a batch several times faster per text than one text at a time.
    new = [text for text in dict.fromkeys(texts) if text not in _analysed]
    if new:
        for text, tokens in zip(new, get_kiwi().tokenize(new)):
            _analysed[text] = _content(tokens)
        while len(_analysed) > _ANALYSED_MAX:
            _analysed.popitem(last=False)
    for text in texts:
        _analysed.move_to_end(text)
    return [_analysed[text] for text in texts]


def _content(tokens: Iterable[Any]) -> tuple[_Morpheme, ...]:
    found: dict[str, _Morpheme] = {}
    for token in tokens:
        tag = token.tag.split("-", 1)[0]  # irregular stems are tagged e.g. "VA-I"
        if tag in _NOUN_TAGS:
            found.setdefault(token.form, _Morpheme(token.form, token, oov=token.oov))
        elif tag in _PREDICATE_TAGS:
            key = token.form + _PREDICATE_MARKER
            found.setdefault(key, _Morpheme(key, token, predicate=True, oov=token.oov))
        elif tag in ("SL", "SN"):
            found.setdefault(token.form.lower(), _Morpheme(token.form.lower(), None))
    return tuple(found.values())


def _weight(morpheme: _Morpheme, weight: Mapping[str, float]) -> float:
    """How much a morpheme says: the idf of its rarest syllable pair in the term index, less for
    generic words and predicates."""
    key = morpheme.key.removesuffix(_PREDICATE_MARKER)
    grams = [key[i : i + 2] for i in range(len(key) - 1)] if _HANGUL.fullmatch(key) else [key[:16]]
    known = [weight[g] for g in grams if g in weight]
    value = max(known) if known else SHORT_WEIGHT
    if morpheme.key in GENERIC_WORDS or morpheme.key in _REQUEST_WORDS:
        value *= GENERIC_SHARE
    elif morpheme.predicate:
        value *= PREDICATE_SHARE
    return value


def _closeness(a: _Morpheme, b: _Morpheme) -> float:
    if a.key == b.key:
        return 1.0
    if a.token is None or b.token is None or a.predicate != b.predicate:
        return 0.0
    if not a.predicate and min(len(a.key), len(b.key)) >= 2 and (a.key in b.key or b.key in a.key):
        return PART_MATCH
    if a.oov or b.oov:
        return 0.0
    try:
        similarity = get_kiwi().context_similarity([a.token], [b.token])
    except ValueError:  # a morpheme Kiwi cannot look up: no evidence either way
        return 0.0
    if not math.isfinite(similarity) or similarity < MEANING_FROM:
        return 0.0
    return min(1.0, (similarity - MEANING_FROM) / (MEANING_SURE - MEANING_FROM))


# Closeness of two morphemes by their keys, kept for the process: ideas of one office share words.
_known: dict[tuple[str, str], float] = {}
_KNOWN_MAX = 200_000


def _closest(mine: Sequence[_Morpheme], theirs: Sequence[_Morpheme]) -> list[float]:
    best = []
    for a in mine:
        value = 0.0
        for b in theirs:
            pair = (a.key, b.key) if a.key <= b.key else (b.key, a.key)
            close = _known.get(pair)
            if close is None:
                if len(_known) >= _KNOWN_MAX:
                    _known.clear()
                close = _known[pair] = _closeness(a, b)
            value = max(value, close)
            if value == 1.0:
                break
        best.append(value)
    return best


# Kiwi's nearest morphemes looked at for each of a query's words (Kiwi takes ~1 ms for 100, ~16 ms
# for 300, with the same candidates found on the development sets), and the closest words kept in all.
NEIGHBOURS = 100
NEIGHBOURS_KEPT = 40
_NEIGHBOUR_TAGS = frozenset({"NNG", "NNP"})
# The neighbours of each morpheme asked for, by Kiwi's id: they never change, and ideas repeat words.
_near: OrderedDict[int, tuple[tuple[str, float], ...]] = OrderedDict()
_NEAR_MAX = 20_000


def _counts_for_meaning(morpheme: _Morpheme) -> bool:
    return (
        morpheme.token is not None
        and not morpheme.predicate
        and not morpheme.oov
        and morpheme.key not in GENERIC_WORDS
        and morpheme.key not in _REQUEST_WORDS
    )


def _neighbours_of(morpheme: _Morpheme) -> tuple[tuple[str, float], ...]:
    found = _near.get(morpheme.token.id)
    if found is None:
        near = []
        for other in get_kiwi().most_similar_morphemes(morpheme.token.id, top_n=NEIGHBOURS):
            if other.tag not in _NEIGHBOUR_TAGS or not _HANGUL.fullmatch(other.form) or len(other.form) < 2:
                continue
            if other.form in GENERIC_WORDS or other.form in _REQUEST_WORDS:
                continue
            if morpheme.key in other.form or other.form in morpheme.key:
                continue  # its syllables already find it
            # Kiwi's own ranking is noisy (대기표 → 오존); kept only what the re-score would count.
            close = _closeness(morpheme, _Morpheme(other.form, other.id))
            if close > 0:
                near.append((other.form, close))
        found = _near[morpheme.token.id] = tuple(near)
        while len(_near) > _NEAR_MAX:
            _near.popitem(last=False)
    return found


def neighbours(query: str) -> list[tuple[str, float]]:
    """Words close in meaning to the query's content nouns (스마트폰 for 휴대폰), each with how much
    of the same word the re-score counts it, closest first: the look-up also reads the ideas holding
    them, so a rewording sharing one word reaches the re-score."""
    mine = morphemes(query)
    own = {m.key for m in mine}
    found: dict[str, float] = {}
    for morpheme in mine:
        if not _counts_for_meaning(morpheme):
            continue
        for form, close in _neighbours_of(morpheme):
            if form not in own and close > found.get(form, 0.0):
                found[form] = close
    return sorted(found.items(), key=lambda item: -item[1])[:NEIGHBOURS_KEPT]


def meaning_similarity(query: str, others: Sequence[str], weight: Mapping[str, float]) -> list[float | None]:
    """How close in meaning each of `others` is to `query` (0-1): a weighted Dice over content
    morphemes where each morpheme counts by how close the other text's closest one is; None
    where a text has no content morpheme ("하나"), which only its syllables can compare.

    `weight` is the term index's idf of syllable pairs, so a morpheme weighs what it does in the
    lexical score (bot/similar.py)."""
    mine, *analysed = _morphemes_of([query, *others])
    my_weights = [_weight(m, weight) for m in mine]
    scores: list[float | None] = []
    for theirs in analysed:
        if not mine or not theirs:
            scores.append(None)
            continue
        their_weights = [_weight(m, weight) for m in theirs]
        whole = sum(my_weights) + sum(their_weights)
        if not whole:  # only predicates ("하다", which weigh nothing): a matter for the syllables
            scores.append(None)
            continue
        shared = sum(w * c for w, c in zip(my_weights, _closest(mine, theirs)))
        shared += sum(w * c for w, c in zip(their_weights, _closest(theirs, mine)))
        scores.append(shared / whole)
    return scores
