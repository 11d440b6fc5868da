"""Delivers a reminder's text to its audience: a room, a person, the organizers or the committee."""

from __future__ import annotations

from collections.abc import Callable

from bot.committee.queries import committee_members
from bot.context import Context
from bot.honorifics import called
from bot.i18n import Translator
from bot.text import is_number
from storage.tables import Person, Room

Render = Callable[[Translator], str]


async def people_of(ctx: Context, audience: str) -> list[Person]:
    """The people an audience stands for (a room stands for nobody in particular)."""
    kind, _, ident = audience.partition(":")
    if kind == "organizers":
        return await ctx.organizers()
    if kind == "committee":
        return await committee_members(ctx)
    if kind == "person" and is_number(ident):
        person = await ctx.session.get(Person, int(ident))
        return [person] if person else []
    return []


async def deliver(ctx: Context, audience: str, render: Render) -> int:
    """Post to the room, or tell each person in their own language; returns how many got it."""
    kind, _, ident = audience.partition(":")
    if kind == "room":
        room = await ctx.session.get(Room, int(ident)) if is_number(ident) else None
        if room is None:
            return 0
        ctx.post(room, render(ctx.translator()))
        return 1
    count = 0
    for person in await people_of(ctx, audience):
        if await ctx.tell(person, render(ctx.translator(person))):
            count += 1
    return count


async def describe_audience(ctx: Context, t: Translator, audience: str) -> str:
    """How an audience reads in a list: `이 방 (아이디어방)`, `담당자`, `자문단`, `@박민지`."""
    kind, _, ident = audience.partition(":")
    if kind == "room" and is_number(ident):
        room = await ctx.session.get(Room, int(ident))
        return t("audience.room", room=room.title or room.external_id if room else ident)
    if kind == "person" and is_number(ident):
        person = await ctx.session.get(Person, int(ident))
        return t("audience.person", name=called(person, t.locale) if person else ident)
    if kind in ("organizers", "committee"):
        return t(f"audience.{kind}")
    return audience
