"""On a real Synapse: an `m.replace` edit of an idea message updates the idea; redacting a 👍 withdraws its support."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from matrix_people import button_key, text_of
from matrix_stand import Stand, make_stand
from test_matrix_month import idea_room

from storage.tables import Idea, ProcessedEvent, Support

pytestmark = pytest.mark.xdist_group("synapse")


@pytest.fixture
async def stand(synapse, names, sqlite_url) -> AsyncIterator[Stand]:  # type: ignore[no-untyped-def]
    running = make_stand(synapse, names)
    await running.start(sqlite_url)
    yield running
    await running.stop()


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Wait until what is stored says so (the bot handles a sync batch at a time)."""
    for _ in range(int(timeout / 0.1)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the bot did not get there in time")


async def test_an_edit_updates_the_idea_and_a_redacted_thumbs_up_withdraws_its_support(stand: Stand) -> None:
    minji, junho, sujin, bot = stand["minji"], stand["junho"], stand["sujin"], stand.bot_id
    room = await idea_room(stand)

    posted = await minji.say(room, "#아이디어 하천 산책로에 야간 조명을 설치해 주세요")
    confirmation = await minji.wait_for_message(room, bot, lambda e: "/press support:1" in text_of(e))
    # Junho presses the pre-seeded 👍 under the bot's answer; Sujin puts a 👍 on Minji's own message.
    pressed = await junho.react(room, confirmation["event_id"], button_key(confirmation, "support:1"))
    reacted = await sujin.react(room, posted, "👍")

    async def supports(count: int) -> bool:
        [idea] = await stand.rows(Idea)
        return idea.support_count == count and await stand.count(Support) == count

    await until(lambda: supports(2))

    # Minji edits her message: the idea follows and the room is told. Junho's "edit" of her message is no edit.
    await minji.edit(room, posted, "#아이디어 하천 산책로에 야간 조명과 비상벨을 설치해 주세요")
    await minji.wait_for_text(
        room, bot, "✏️ #1번 아이디어를 고쳤습니다: 하천 산책로에 야간 조명과 비상벨을 설치해 주세요"
    )
    forged = await junho.edit(room, posted, "#아이디어 남이 고친 글")

    # Un-reacting (redacting the reaction) withdraws each support; reacting again gives it again, once.
    await junho.redact(room, pressed)
    await sujin.redact(room, reacted)
    await until(lambda: supports(0))
    # The forged edit came before the redactions, so it has been read by now: it changed nothing.
    [idea] = await stand.rows(Idea)
    assert idea.text == "하천 산책로에 야간 조명과 비상벨을 설치해 주세요"
    assert await stand.count(ProcessedEvent, ProcessedEvent.event_id == forged) == 0
    await junho.react(room, confirmation["event_id"], button_key(confirmation, "support:1"))
    await until(lambda: supports(1))
    edits = [e for e in await minji.messages_from(room, bot) if "고쳤습니다" in text_of(e)]
    assert len(edits) == 1
