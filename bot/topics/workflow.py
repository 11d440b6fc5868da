"""Suggesting, supporting, picking and closing a topic, and what follows: its reminders and the room told."""

from __future__ import annotations

from datetime import date

from bot import reminders
from bot.context import Context
from bot.errors import UserError
from bot.office_hours import OfficeHours
from bot.supports import support_once
from bot.topics import queries
from bot.topics.rules import closing_day, closing_instant, warning_day
from bot.topics.summary import closing_summary
from bot.transitions import change_state
from storage.tables import Room, Topic, TopicState, TopicSupport


async def new_candidate(ctx: Context, title: str, description: str) -> Topic:
    assert ctx.room.id is not None
    topic = Topic(
        room_id=ctx.room.id,
        title=title,
        description=description,
        state=TopicState.candidate,
        suggested_by=ctx.person.id,
        created_at=ctx.now(),
    )
    ctx.session.add(topic)
    await ctx.session.flush()
    assert topic.id is not None
    ctx.audit("topic.suggested", "topic", topic.id)
    return topic


async def support_topic(ctx: Context, topic_id: int) -> Topic:
    """Record one support of a candidate; not for your own suggestion, and only once."""
    topic = await ctx.session.get(Topic, topic_id)
    if topic is None or topic.room_id != ctx.room.id:
        raise UserError("topic.candidate_not_found", number=topic_id)
    if topic.state != TopicState.candidate:
        raise UserError("topic.not_a_candidate", number=topic_id, title=topic.title)
    if topic.suggested_by == ctx.person.id:
        # Everyone would support their own suggestion, so the count would say nothing.
        raise UserError("topic.own_suggestion", number=topic_id)
    await support_once(ctx, topic, TopicSupport, dict(topic_id=topic_id), already_key="topic.already_supported")
    ctx.audit("topic.supported", "topic", topic_id)
    await ctx.publish("topic.supported", topic=topic)
    return topic


async def candidate_to_pick(ctx: Context, number: int | None) -> Topic:
    """The candidate numbered, or without a number the most supported one."""
    assert ctx.room.id is not None
    if number is None:
        favourites = await queries.candidates(ctx.session, ctx.room.id, limit=1)
        if not favourites:
            raise UserError("topic.nothing_to_pick")
        return favourites[0]
    topic = await ctx.session.get(Topic, number)
    if topic is None or topic.room_id != ctx.room.id:
        raise UserError("topic.candidate_not_found", number=number)
    if topic.state != TopicState.candidate:
        raise UserError("topic.not_a_candidate", number=number, title=topic.title)
    return topic


async def pick_topic(
    ctx: Context, topic: Topic, *, room: Room | None = None, until: date | None = None, automatic: bool = False
) -> None:
    """Make a candidate the room's topic until `until` (the end of the month): announce it, schedule
    its closing, and rank the departments in charge with the offer to invite their heads.

    `/topic pick` and the monthly automatic pick both come here, so they do the same."""
    room = room or ctx.room
    today = ctx.now().astimezone(ctx.settings.tz).date()
    closing = closing_day(today, until)
    if closing < today:
        raise UserError("topic.until_past", date=ctx.date(closing))
    topic.state = TopicState.active
    topic.picked_by = ctx.person.id
    topic.picked_at = ctx.now()
    topic.closes_at = closing_instant(closing, ctx.settings.tz)
    ctx.session.add(topic)
    assert topic.id is not None
    extra = {"automatic": True} if automatic else {}
    ctx.audit("topic.picked", "topic", topic.id, closes_at=topic.closes_at.isoformat(), **extra)
    t = ctx.translator() if automatic else ctx.t  # an automatic pick speaks to the room, not to a person
    if automatic:
        lines = [t("scheduler.topic_auto_picked", title=topic.title, supports=topic.support_count)]
    else:
        lines = [t("topic.picked", title=topic.title)]
    if topic.description:
        lines.append(topic.description)
    lines.append(t("topic.picked_closes", date=ctx.date(closing)))
    ctx.post(room, "\n".join(lines))
    await schedule_closing(ctx, topic)
    await ctx.publish("topic.picked", topic=topic)


async def schedule_closing(ctx: Context, topic: Topic) -> None:
    """The closing at its time, and the warning on the morning of the last business day three days before."""
    assert topic.closes_at is not None
    audience, payload = f"room:{topic.room_id}", {"topic_id": topic.id}
    await reminders.schedule(
        ctx.session,
        kind="topic.close",
        due_at=topic.closes_at,
        audience=audience,
        dedupe_key=f"topic:{topic.id}:close",
        payload=payload,
        now=ctx.now(),
    )
    warning_at = OfficeHours.of(ctx.settings).opening(warning_day(topic.closes_at.astimezone(ctx.settings.tz).date()))
    if warning_at > ctx.now():
        await reminders.schedule(
            ctx.session,
            kind="topic.closing_soon",
            due_at=warning_at,
            audience=audience,
            dedupe_key=f"topic:{topic.id}:closing_soon",
            payload=payload,
            now=ctx.now(),
        )


async def close_topic(ctx: Context, topic: Topic) -> None:
    """Close an active topic, post the summary in its room and publish `topic.closed`."""
    if topic.state != TopicState.active or not await change_state(
        ctx.session, topic, TopicState.closed, closed_at=ctx.now()
    ):
        return  # closed already (early, or by another worker at this moment): nothing left to do
    await reminders.cancel(ctx.session, f"topic:{topic.id}:")
    ctx.audit("topic.closed", "topic", topic.id)
    room = await ctx.session.get(Room, topic.room_id)
    assert room is not None
    ctx.post(room, await closing_summary(ctx, topic))
    await ctx.publish("topic.closed", topic=topic)
