"""Korean particles (조사) chosen from the last sound of the word they follow.

Why not `tossi` (the known library for this): its last release is from 2018, it pulls in
`bidict` and `six`, and for Latin letters it falls back to the very hedges we must avoid
(`tossi.postfix("minji", "으로")` gives "minji(으)로"). Handles and ids are Latin here, so
a few rules of our own that read Latin letters and digits as Korean reads them do better.
"""

from __future__ import annotations

import re

# spec -> (after a final consonant, after a vowel); either form may be written in a catalog.
_PAIRS = (
    ("을", "를"),
    ("이", "가"),
    ("은", "는"),
    ("과", "와"),
    ("으로", "로"),
    ("이라", "라"),
    ("이나", "나"),
    ("이며", "며"),
    ("이고", "고"),
    ("이에요", "예요"),
    ("이었", "였"),
    ("아", "야"),
)
PARTICLES: dict[str, tuple[str, str]] = {form: pair for pair in _PAIRS for form in pair}

NONE, RIEUL, OTHER = 0, 1, 2  # no final consonant, ㄹ, any other final consonant

# 0 영, 1 일, 2 이, 3 삼, 4 사, 5 오, 6 육, 7 칠, 8 팔, 9 구
_DIGIT = (OTHER, RIEUL, NONE, OTHER, NONE, NONE, OTHER, RIEUL, RIEUL, NONE)
# 십 백 천, then 만 억 조 경 for every four zeros
_TENS = {1: OTHER, 2: OTHER, 3: OTHER}
_MYRIADS = (OTHER, OTHER, NONE, OTHER)
# letters spelled out: 엘 엠 엔 알; every other letter's name ends in a vowel
_LETTER_NAME = {"l": RIEUL, "r": RIEUL, "m": OTHER, "n": OTHER}
_TAIL = re.compile(r"(?:(?P<digits>[0-9]+)|(?P<latin>[A-Za-z]+)|(?P<other>.))[^0-9A-Za-z\uac00-\ud7a3]*$", re.DOTALL)


def _number(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    zeros = len(digits) - len(digits.rstrip("0"))
    if digits == "0" or zeros == 0:
        return _DIGIT[int(digits[-1])]
    if zeros % 4:
        return _TENS[zeros % 4]
    return _MYRIADS[(zeros // 4 - 1) % 4]


_VOWELS = frozenset("aeiouy")


def _latin(word: str) -> int:
    if len(word) == 1 or (word.isupper() and len(word) <= 4):  # an acronym is spelled: PDF 피디에프
        return _LETTER_NAME.get(word[-1].lower(), NONE)
    word = word.lower()
    if word.endswith("l"):
        return RIEUL
    if word.endswith(("m", "n", "ng", "me", "ne", "ck")):  # room 룸, name 네임, check-in 체크인, block 블록
        return OTHER
    if word[-1] in "bcpkt":
        # A stop after one short vowel is a final consonant (topic 토픽, web 웹, chat 챗); after
        # another consonant it takes 으 (help 헬프, link 링크, report 리포트, support 서포트).
        return NONE if word[-2] not in _VOWELS else OTHER
    return NONE  # minji 민지, user 유저, code 코드


def final_sound(text: str) -> int:
    """NONE, RIEUL or OTHER: how the last word of `text` ends when read aloud in Korean."""
    for ch in reversed(text):
        if "\uac00" <= ch <= "\ud7a3":
            final = (ord(ch) - 0xAC00) % 28
            return NONE if final == 0 else RIEUL if final == 8 else OTHER
        if ch.isascii() and ch.isalnum():
            break
    match = _TAIL.search(text)
    if match is None or match.group("other"):
        return NONE
    if match.group("digits"):
        return _number(match.group("digits"))
    return _latin(match.group("latin"))


def particle(text: str, spec: str) -> str:
    """The form of particle `spec` (either form, e.g. '을' or '를') that follows `text`."""
    after_consonant, after_vowel = PARTICLES[spec]
    sound = final_sound(text)
    if after_consonant == "으로" and sound == RIEUL:
        return after_vowel  # 서울로, 1로
    return after_vowel if sound == NONE else after_consonant
