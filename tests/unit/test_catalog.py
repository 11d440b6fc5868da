"""The message catalog: both languages complete, and every key the code uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from bot.i18n import Translator, load_messages, locales, placeholders

ROOT = Path(__file__).resolve().parents[2]
# ctx.t("key"), t("key"), translator(...)("key"), raise UserError("key"), help=("key", ...)
KEY_USE = re.compile(r"""(?:\bt|\)|UserError|NotAllowed)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def test_korean_and_english_have_the_same_keys_and_placeholders() -> None:
    korean, english = load_messages("ko"), load_messages("en")
    assert set(korean) == set(english), set(korean) ^ set(english)
    for key in korean:
        assert placeholders(korean[key]) == placeholders(english[key]), key


def test_every_key_used_in_the_code_is_in_the_catalog() -> None:
    known = set(load_messages("ko"))
    used: set[str] = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("adapters/**/*.py"), *ROOT.glob("scheduler/**/*.py")]:
        used |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys: it is broken"
    missing = sorted(k for k in used if k not in known)
    assert missing == []


def test_korean_is_the_default_and_unknown_locales_fall_back_to_it() -> None:
    assert Translator()("idea.support_button") == "👍 공감"
    assert Translator("fr")("idea.support_button") == "👍 공감"
    assert Translator("en")("idea.support_button") == "👍 Support"
    assert set(locales()) == {"ko", "en"}


def test_the_english_monthly_nudge_names_the_month_and_the_korean_one_counts_it() -> None:
    assert "topic for March." in Translator("en")("scheduler.monthly_topic_header", month=3)
    assert "for month" not in Translator("en")("scheduler.monthly_topic_all_picked", month=12)
    assert "December" in Translator("en")("scheduler.monthly_topic_all_picked", month=12)
    assert Translator("ko")("scheduler.monthly_topic_header", month=3).startswith("📅 3월 토론주제를")
