"""Cleaning what people type."""

from __future__ import annotations

import pytest

from bot.errors import UserError
from bot.text import clean_text, clip


def clean(text: str, limit: int = 20) -> str:
    return clean_text(text, max_length=limit, empty_key="empty", too_long_key="long")


def test_control_and_invisible_characters_are_removed() -> None:
    assert clean("a\x00b\x07c\u202ed\u200be\ufeff") == "abcde"


def test_line_breaks_and_tabs_are_kept_and_blank_runs_folded() -> None:
    assert clean("  첫 줄\r\n\n\n\n둘째\t줄  ") == "첫 줄\n\n둘째\t줄"


def test_decomposed_hangul_is_normalized() -> None:
    assert clean("\u1112\u1161\u11ab") == "한"


def test_empty_and_too_long_raise_with_their_keys() -> None:
    with pytest.raises(UserError) as empty:
        clean(" \u200b\n ")
    assert empty.value.key == "empty"
    with pytest.raises(UserError) as long:
        clean("가" * 21)
    assert long.value.key == "long" and long.value.params == {"length": 21, "limit": 20}


def test_clip() -> None:
    assert clip("짧다", 10) == "짧다"
    assert clip("가나다라마바사", 5) == "가나다라…"
    assert clip("a\n b", 10) == "a b"
