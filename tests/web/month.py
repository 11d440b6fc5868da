"""A month in the idea room, told through the chat: the data the dashboard tests look at."""

from __future__ import annotations

from sqlmodel import select

from storage.tables import Room
from tests.harness import Story

ROOM = "아이디어방"
SCRIPT_IDEA = "정류장 안내판에 <script>alert('x')</script> 대신 그늘막 위치를 표시"


async def a_month(story: Story) -> int:
    """A topic picked and 교통정책과's head invited, three ideas (one with markup), one proposal made; returns the room's id."""
    await story.say("sujin", "/topic pick 버스정류장 폭염 대책 | 그늘막과 쿨링포그", room=ROOM)
    await story.say("sujin", "/invite 교통정책과", room=ROOM)
    await story.say("minji", "/idea 버스정류장에 그늘막을 설치해 주세요", room=ROOM)
    await story.say("junho", "/idea 정류장 쿨링포그로 한낮 더위를 식히기", room=ROOM)
    await story.say("seoyeon", f"/idea {SCRIPT_IDEA}", room=ROOM)
    await story.say("junho", "/support 1", room=ROOM)
    await story.say("sujin", "/proposal new 1,2 정류장 그늘막과 쿨링포그", room=ROOM)
    async with story.app.db.session() as session:
        room = (await session.exec(select(Room).where(Room.title == ROOM))).one()
    assert room.id is not None
    return room.id
