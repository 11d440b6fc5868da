"""How the bot names people: with their rank when the directory has one, 님 otherwise."""

from __future__ import annotations

from bot.honorifics import called
from storage.tables import Person


def test_a_rank_from_the_directory_or_plain_nim() -> None:
    assert called(Person(name="박민지", rank="주무관"), "ko") == "박민지 주무관님"
    assert called(Person(name="최준호"), "ko") == "최준호 님"
    assert called(Person(name="최준호", rank="  "), "ko") == "최준호 님"
    assert called(Person(name="Park Minji", rank="주무관"), "en") == "Park Minji"
