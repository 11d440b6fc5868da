"""Events that arrive together share one transaction, and one event's failure loses none of the others."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from bot.i18n import Translator
from bot.messages import IncomingMessage
from storage.tables import Idea, ProcessedEvent
from tests.faults import fail_command
from tests.harness import Story, test_settings

ko = Translator("ko")
PEOPLE = ["minji", "junho", "seoyeon", "jiwoo"]


def idea(n: int, text: str) -> IncomingMessage:
    person = PEOPLE[n % len(PEOPLE)]
    return IncomingMessage(f"group{n}", Story.actor(person), Story.place("room"), text, f"g{n}")


class Commits:
    """Counts the transactions the bot's engine commits."""

    def __init__(self, story: Story) -> None:
        self.count = 0
        sa.event.listen(story.app.db.engine.sync_engine, "commit", self._on_commit)

    def _on_commit(self, *_: Any) -> None:
        self.count += 1


@pytest.fixture
async def story(database_url: str):  # type: ignore[no-untyped-def]
    s = await Story.start(test_settings(database_url))
    yield s
    await s.close()


async def test_a_batch_of_ideas_is_stored_in_one_transaction_and_each_is_answered(story: Story) -> None:
    # Texts of their own (Hangul syllables picked by n), so no two look alike to the similar-idea check.
    texts = ["/idea " + "".join(chr(0xAC00 + (n * 7919 + k * 104729) % 11172) for k in range(8)) for n in range(6)]
    commits = Commits(story)
    outcomes = await story.app.core.handle_many([idea(n, text) for n, text in enumerate(texts)])
    assert commits.count == 1
    await story.app.sender.drain()

    assert not any(o.failed or o.duplicate for o in outcomes)
    ideas = await story.rows(Idea, order=Idea.id)
    assert [i.text for i in ideas] == [t.removeprefix("/idea ") for t in texts]  # in the order they came
    assert Counter(story.in_room()) == Counter(ko("idea.recorded", number=i.id) for i in ideas)


async def test_a_refused_event_and_a_bug_in_a_batch_lose_none_of_the_others(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = fail_command(monkeypatch, story.app.core, "idea", RuntimeError("a bug"))
    events = [
        idea(0, "/idea 버그를 만나는 아이디어"),  # the command fails once: in the batch, then alone it works
        idea(1, "/nosuchcommand"),
        idea(2, "/idea 무사히 저장될 아이디어"),
        idea(2, "/idea 무사히 저장될 아이디어"),  # the same event again: a duplicate
    ]
    outcomes = await story.app.core.handle_many(events)
    await story.app.sender.drain()

    assert [o.duplicate for o in outcomes] == [False, False, False, True]
    assert not any(o.failed for o in outcomes)
    assert failing.calls == 3  # the bug, the third event, and the first again on its own
    assert sorted(i.text for i in await story.rows(Idea)) == sorted(
        ["버그를 만나는 아이디어", "무사히 저장될 아이디어"]
    )
    said = story.in_room()
    assert ko("error.unknown_command", command="/nosuchcommand") in said
    assert ko("error.internal") not in said
    assert await story.count(ProcessedEvent, ProcessedEvent.event_id.in_(["group0", "group1", "group2"])) == 3  # type: ignore[attr-defined]


async def test_a_bug_that_stays_is_apologized_for_once_and_the_rest_of_the_batch_is_stored(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = fail_command(monkeypatch, story.app.core, "idea")
    failing.outage(RuntimeError("a bug that stays"))
    events = [idea(0, "/idea 실패하는 아이디어"), idea(1, "/help")]
    outcomes = await story.app.core.handle_many(events)
    await story.app.sender.drain()

    assert [o.failed for o in outcomes] == [True, False]
    assert await story.count(Idea) == 0
    said = story.in_room()
    assert said.count(ko("error.internal")) == 1
    assert len(said) == 2  # the apology and the help
