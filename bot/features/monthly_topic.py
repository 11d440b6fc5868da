"""The monthly topic reminder: organizers get each room's top candidates; optionally the bot picks."""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlmodel import col, select

from bot.context import Context
from bot.jobs import MONTHLY_TOPIC, schedule_monthly_topic
from bot.registry import registry
from bot.topics.workflow import pick_topic
from storage.tables import Reminder, Room, Topic, TopicState

log = logging.getLogger(__name__)

TOP_CANDIDATES = 3


async def candidates_by_room(ctx: Context) -> dict[int, list[Topic]]:
    """Each room's topic candidates, most supported first."""
    rows = (
        await ctx.session.exec(
            select(Topic)
            .where(Topic.state == TopicState.candidate)
            .order_by(col(Topic.room_id), col(Topic.support_count).desc(), col(Topic.id))
        )
    ).all()
    grouped: dict[int, list[Topic]] = defaultdict(list)
    for topic in rows:
        grouped[topic.room_id].append(topic)
    return grouped


async def auto_pick(ctx: Context, room: Room, topic: Topic) -> None:
    """Make the favourite candidate the room's topic until the end of the month, as /topic pick does."""
    await pick_topic(ctx, topic, room=room, automatic=True)


async def active_by_room(ctx: Context) -> dict[int, Topic]:
    """Each room's active topic: a room that has one needs no reminder to pick."""
    rows = (await ctx.session.exec(select(Topic).where(Topic.state == TopicState.active).order_by(col(Topic.id)))).all()
    return {topic.room_id: topic for topic in rows}


@registry.reminder(MONTHLY_TOPIC)
async def monthly_topic_due(ctx: Context, reminder: Reminder) -> None:
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
                    t(
                        "scheduler.monthly_topic_line",
                        rank=rank,
                        number=topic.id,
                        title=topic.title,
                        supports=topic.support_count,
                    )
                )
        chosen = {topic.id for _, topic in picked}
        for room_id, topic in active.items():
            room = await ctx.session.get(Room, room_id)
            if room is None or topic.id in chosen:
                continue
            closes = ctx.date(topic.closes_at, organizer) if topic.closes_at else t("value.no_date")
            lines.append(
                t(
                    "scheduler.monthly_topic_already",
                    room=room.title or room.external_id,
                    title=topic.title,
                    date=closes,
                )
            )
        if not grouped and not active:
            lines.append(t("scheduler.monthly_topic_no_candidates"))
        for room, topic in picked:
            lines.append(t("scheduler.monthly_topic_picked", room=room.title or room.external_id, title=topic.title))
        if to_pick:
            first = next(iter(to_pick.values()))[0]
            lines.append(t("scheduler.monthly_topic_hint", number=first.id))
        await ctx.tell(organizer, "\n".join(lines))
    await schedule_monthly_topic(ctx.session, ctx.settings, reminder.due_at)
