"""A language is a folder of catalogs: copied, translated and offered without a change to the code."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import ValidationError

import bot.i18n
from bot.i18n import locales, use_catalogs
from tests.harness import Story, test_settings

PACKAGE_CATALOGS = Path(bot.i18n.__file__).parent


def japanese(folder: Path) -> Path:
    """`cp -r bot/i18n/en <folder>/ja`, then a translator changes a few msgstrs."""
    target = folder / "ja"
    shutil.copytree(PACKAGE_CATALOGS / "en", target)
    for name, old, new in (
        ("core.po", 'msgstr "📖 Idea room commands"', 'msgstr "📖 アイデアルームのコマンド"'),
        ("commands.po", 'msgid "command.idea"\nmsgstr "idea"', 'msgid "command.idea"\nmsgstr "アイデア"'),
        (
            "commands.po",
            'msgid "command.topic.suggest"\nmsgstr "suggest"',
            'msgid "command.topic.suggest"\nmsgstr "提案"',
        ),
    ):
        path = target / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.fixture
async def in_japanese(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Story]:
    story = await Story.start(
        test_settings(sqlite_url, IDEAROOM_CATALOGS=str(japanese(tmp_path)), IDEAROOM_LOCALE="ja")
    )
    yield story
    await story.close()
    use_catalogs(())  # the next app reads its own settings; tests without one see the package's locales


async def test_a_copied_locale_folder_is_offered_and_spoken(in_japanese: Story) -> None:
    assert "ja" in locales()
    shown = (await in_japanese.say("minji", "/help"))[0]
    recorded = (await in_japanese.say("minji", "/アイデア バス停に日よけを"))[0]
    suggested = (await in_japanese.say("minji", "/topic 提案 バス停の暑さ対策"))[0]

    assert shown.startswith("📖 アイデアルームのコマンド")
    assert recorded.startswith("💡 Idea #1 recorded")  # what the translator left as it was stays English
    assert "'バス停の暑さ対策'" in suggested and "#1" in suggested


def test_a_locale_without_its_folder_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ko, en"):
        test_settings(sqlite_url, IDEAROOM_LOCALE="ja")
    assert test_settings(sqlite_url, IDEAROOM_CATALOGS=str(japanese(tmp_path)), IDEAROOM_LOCALE="ja").locale == "ja"
