"""The monthly topic reminder: organizers get each room's top candidates; optionally the bot picks."""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlmodel import select

from bot.business_days import end_of_month
from bot.context import Context
from bot.registry import registry
from scheduler.jobs import MONTHLY_TOPIC, schedule_monthly_topic
from storage.tables import Room, Topic, TopicState

log = logging.getLogger(__name__)

TOP_CANDIDATES = 3


async def candidates_by_room(ctx: Context) -> dict[int, list[Topic]]:
    """Each room's topic candidates, most supported first."""
    rows = (
        await ctx.session.exec(
            select(Topic)
            .where(Topic.state == TopicState.candidate)
            .order_by(Topic.room_id, Topic.support_count.desc(), Topic.id)  # type: ignore[attr-defined]
        )
    ).all()
    grouped: dict[int, list[Topic]] = defaultdict(list)
    for topic in rows:
        grouped[topic.room_id].append(topic)
    return grouped


async def auto_pick(ctx: Context, room: Room, topic: Topic) -> None:
    """Make the favourite candidate the room's topic until the end of the month, as /topic pick does."""
    from bot.features import topics

    pick = getattr(topics, "pick_topic", None)
    if pick is not None:
        await pick(ctx, topic, room=room)
        return
    closing_day = end_of_month(ctx.now().astimezone(ctx.settings.tz).date())
    topic.state = TopicState.active
    topic.picked_by, topic.picked_at = ctx.person.id, ctx.now()
    topic.closes_at = topics.closing_instant(ctx, closing_day)
    ctx.session.add(topic)
    ctx.audit("topic.picked", "topic", topic.id, closes_at=topic.closes_at.isoformat(), automatic=True)
    t = ctx.translator()
    announcement = [t("scheduler.topic_auto_picked", title=topic.title, supports=topic.support_count)]
    announcement.append(t("topic.picked_closes", date=closing_day.isoformat()))
    ctx.post(room, "\n".join(announcement))
    # The closing reminders belong to the topics flow; reuse its scheduling when present.
    schedule_closing = getattr(topics, "_schedule_closing", None)
    if schedule_closing is not None:
        await schedule_closing(ctx, topic)
    await ctx.publish("topic.picked", topic=topic)


async def active_by_room(ctx: Context) -> dict[int, Topic]:
    """Each room's active topic: a room that has one needs no reminder to pick."""
    rows = (await ctx.session.exec(select(Topic).where(Topic.state == TopicState.active).order_by(Topic.id))).all()
    return {topic.room_id: topic for topic in rows}


@registry.reminder(MONTHLY_TOPIC)
async def monthly_topic_due(ctx: Context, reminder) -> None:  # type: ignore[no-untyped-def]
    """First business day, 09:00: remind organizers to pick a topic where none is picked yet."""
    grouped = await candidates_by_room(ctx)
    active = await active_by_room(ctx)
    picked: list[tuple[Room, Topic]] = []
    if ctx.settings.auto_pick_topic:
        for room_id, topics in grouped.items():
            room = await ctx.session.get(Room, room_id)
            if room is not None and room_id not in active:
                await auto_pick(ctx, room, topics[0])
                picked.append((room, topics[0]))
                active[room_id] = topics[0]
    to_pick = {room_id: topics for room_id, topics in grouped.items() if room_id not in active}
    month = reminder.due_at.astimezone(ctx.settings.tz).month
    for organizer in await ctx.organizers():
        t = ctx.translator(organizer)
        if active and not to_pick and not picked:
            lines = [t("scheduler.monthly_topic_all_picked", month=month)]
        else:
            lines = [t("scheduler.monthly_topic_header", month=month)]
        for room_id, topics in to_pick.items():
            room = await ctx.session.get(Room, room_id)
            if room is None:
                continue
            lines.append(t("scheduler.monthly_topic_room", room=room.title or room.external_id))
            for rank, topic in enumerate(topics[:TOP_CANDIDATES], start=1):
                lines.append(
                    t("scheduler.monthly_topic_line", rank=rank, number=topic.id, title=topic.title, supports=topic.support_count)
                )
        chosen = {topic.id for _, topic in picked}
        for room_id, topic in active.items():
            room = await ctx.session.get(Room, room_id)
            if room is None or topic.id in chosen:
                continue
            closes = ctx.local(topic.closes_at, "%Y-%m-%d") if topic.closes_at else "-"
            lines.append(t("scheduler.monthly_topic_already", room=room.title or room.external_id, title=topic.title, date=closes))
        if not grouped and not active:
            lines.append(t("scheduler.monthly_topic_no_candidates"))
        for room, topic in picked:
            lines.append(t("scheduler.monthly_topic_picked", room=room.title or room.external_id, title=topic.title))
        if to_pick:
            first = next(iter(to_pick.values()))[0]
            lines.append(t("scheduler.monthly_topic_hint", number=first.id))
        await ctx.tell(organizer, "\n".join(lines))
    await schedule_monthly_topic(ctx.session, ctx.settings, reminder.due_at)
