"""On a real Synapse: events whose content is not the shape clients send (any member can send them) are
skipped and logged; they never stop the sync, so the ideas after them are stored and answered."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from matrix_people import MatrixUser
from matrix_stand import Stand, make_stand
from test_matrix_edits import until
from test_matrix_month import idea_room

from storage.tables import Idea

pytestmark = pytest.mark.xdist_group("synapse")
_txn = itertools.count(1)


@pytest.fixture
async def stand(synapse, names, database_url) -> AsyncIterator[Stand]:  # type: ignore[no-untyped-def]
    running = make_stand(synapse, names)
    await running.start(database_url)
    yield running
    await running.stop()


async def send(user: MatrixUser, room: str, kind: str, content: Any) -> bool:
    """Whether Synapse took the event (it refuses some shapes itself, e.g. a body that is not a string)."""
    path = f"/rooms/{quote(room)}/send/{kind}/odd{next(_txn)}-{time.time_ns()}"
    answer = await user.http.request("PUT", path, json=content)
    return answer.status_code == 200


ODD = [
    ("m.room.message", {"msgtype": "m.text", "body": "#아이디어 관계가 글자", "m.relates_to": "x"}),
    ("m.room.message", {"msgtype": "m.text", "body": 12345}),
    ("m.room.message", {"msgtype": "m.text", "body": "#아이디어 널\u0000문자 \u202e아이디어"}),
    (
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": "고침",
            "m.relates_to": {"rel_type": "m.replace", "event_id": 7},
            "m.new_content": "not an object",
        },
    ),
    ("m.reaction", {"m.relates_to": ["not", "an", "object"]}),
    ("m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": {"x": 1}, "key": ["👍"]}}),
    ("org.matrix.msc3381.poll.response", {"m.relates_to": {"event_id": "$x"}, "org.matrix.msc3381.poll.response": "x"}),
    ("org.matrix.msc3381.poll.response", {"m.relates_to": "x", "org.matrix.msc3381.poll.response": {"answers": "x"}}),
    ("m.room.redaction", {"redacts": {"not": "a string"}}),
]


async def test_odd_contents_are_skipped_and_the_ideas_after_them_are_stored(stand: Stand) -> None:
    minji = stand["minji"]
    room = await idea_room(stand)
    taken = [kind for kind, content in ODD if await send(minji, room, kind, content)]
    assert len(taken) >= 5, taken  # most of them reach the bot
    await minji.say(room, "#아이디어 이상한 이벤트 뒤의 아이디어")

    async def stored() -> bool:
        return "이상한 이벤트 뒤의 아이디어" in [i.text for i in await stand.rows(Idea)]

    await until(stored, timeout=30)
    [last] = [i for i in await stand.rows(Idea) if i.text == "이상한 이벤트 뒤의 아이디어"]
    await minji.wait_for_text(room, stand.bot_id, f"#{last.id}번을 등록했습니다", timeout=30)
    assert not any("\x00" in i.text or "\u202e" in i.text for i in await stand.rows(Idea))
