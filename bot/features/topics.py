"""The monthly discussion topic: suggesting, supporting, picking, showing and closing it."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import func, select

from bot import reminders
from bot.business_days import previous_business_day
from bot.context import Context
from bot.errors import UserError
from bot.features.common import active_topic, change_state, parse_number
from bot.messages import Button
from bot.office_hours import OfficeHours
from bot.parsing import ParsedCommand
from bot.registry import registry
from bot.text import clean_text, clip, is_number
from storage.db import insert_ignoring_conflict
from storage.tables import (
    Department,
    FieldVisit,
    Idea,
    Invitation,
    InvitationState,
    Person,
    Reminder,
    Room,
    Support,
    Topic,
    TopicState,
    TopicSupport,
)

TITLE_LIMIT = 100
DESCRIPTION_LIMIT = 1000
CANDIDATES_SHOWN = 10
TOP_IDEAS = 3
CLOSING_SOON = timedelta(days=3)
UNTIL_WORDS = ("until", "까지", "마감")


@registry.command(
    "topic",
    help=("help.topic", "help.topic_suggest", "help.topic_candidates"),
    organizer_help=("help.topic_pick", "help.topic_close"),
    order=20,
    in_direct_chat=False,
)
async def topic_command(ctx: Context, command: ParsedCommand) -> None:
    """`/topic` alone shows the current topic; the sub-commands run the monthly flow."""
    sub = command.word(0)
    if sub is None:
        await show_topic(ctx)
        return
    handler = SUBCOMMANDS.get(sub)
    if handler is None:
        raise UserError("topic.unknown_subcommand", command=f"/{command.shown} {command.argv[0][:30]}")
    await handler(ctx, command)


# --- showing ---------------------------------------------------------------------------------


async def show_topic(ctx: Context) -> None:
    topic = await active_topic(ctx.session, ctx.room.id)
    if topic is None:
        ctx.reply(ctx.t("topic.none"))
        return
    ideas = (await ctx.session.exec(select(func.count()).select_from(Idea).where(Idea.topic_id == topic.id))).one()
    lines = [ctx.t("topic.current", title=topic.title)]
    if topic.description:
        lines.append(topic.description)
    if topic.closes_at:
        lines.append(ctx.t("topic.closes", date=ctx.date(topic.closes_at)))
    lines.append(ctx.t("topic.idea_count", count=ideas))
    heads = await joined_heads(ctx, topic)
    if heads:
        lines.append(ctx.t("topic.heads_joined", heads=", ".join(heads)))
    lines.extend(await visit_lines(ctx, topic))
    ctx.reply("\n".join(lines))


async def joined_heads(ctx: Context, topic: Topic) -> list[str]:
    """'교통정책과 김도현' for every head who accepted an invitation to the topic."""
    rows = (
        await ctx.session.exec(
            select(Department.name, Person.name)
            .join(Invitation, Invitation.department_id == Department.id)  # type: ignore[arg-type]
            .join(Person, Person.id == Invitation.head_person_id)  # type: ignore[arg-type]
            .where(Invitation.topic_id == topic.id, Invitation.state == InvitationState.accepted)
            .order_by(Invitation.answered_at, Invitation.id)
        )
    ).all()
    return [ctx.t("topic.head", department=department, head=head) for department, head in rows]


async def visit_lines(ctx: Context, topic: Topic) -> list[str]:
    """One line per planned or held field visit of the topic, soonest first."""
    rows = (
        await ctx.session.exec(
            select(FieldVisit, Department.name, Person.name)
            .join(Invitation, Invitation.id == FieldVisit.invitation_id)  # type: ignore[arg-type]
            .join(Department, Department.id == Invitation.department_id)  # type: ignore[arg-type]
            .join(Person, Person.id == Invitation.head_person_id)  # type: ignore[arg-type]
            .where(FieldVisit.topic_id == topic.id, FieldVisit.state != "cancelled")
            .order_by(FieldVisit.visit_at)
        )
    ).all()
    if not rows:
        return []
    lines = [ctx.t("topic.visits_header")]
    for visit, department, head in rows:
        key = "topic.visit_held" if visit.state == "held" else "topic.visit_planned"
        lines.append(ctx.t(key, date=ctx.when(visit.visit_at), place=visit.place, department=department, head=head))
    return lines


# --- candidates -------------------------------------------------------------------------------


def parse_title(text: str, usage_key: str) -> tuple[str, str]:
    """`<title> | <description>` as typed: the cleaned title and the (optional) description."""
    title_part, _, description_part = text.partition("|")
    title = " ".join(
        clean_text(title_part, max_length=TITLE_LIMIT, empty_key=usage_key, too_long_key="topic.title_too_long").split()
    )
    description = ""
    if description_part.strip():
        description = clean_text(
            description_part,
            max_length=DESCRIPTION_LIMIT,
            empty_key=usage_key,
            too_long_key="topic.description_too_long",
        )
    return title, description


async def same_title(ctx: Context, title: str) -> Topic | None:
    """A candidate or the active topic of this room with this title (case does not matter)."""
    return (
        await ctx.session.exec(
            select(Topic).where(
                Topic.room_id == ctx.room.id,
                Topic.state != TopicState.closed,
                sa.func.lower(Topic.title) == title.lower(),
            )
        )
    ).first()


async def new_candidate(ctx: Context, title: str, description: str) -> Topic:
    topic = Topic(
        room_id=ctx.room.id,  # type: ignore[arg-type]
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


async def suggest(ctx: Context, command: ParsedCommand) -> None:
    """`/topic suggest <title> | <description>`: a new candidate for the month's topic."""
    title, description = parse_title(command.rest_after(1), "topic.suggest_usage")
    same = await same_title(ctx, title)
    if same is not None:
        raise UserError("topic.duplicate", number=same.id, title=same.title)
    topic = await new_candidate(ctx, title, description)
    assert topic.id is not None
    await ctx.publish("topic.suggested", topic=topic)
    ctx.reply(ctx.t("topic.suggested", number=topic.id, title=title), [[support_button(ctx, topic.id)]])


def support_button(ctx: Context, topic_id: int) -> Button:
    return Button(ctx.t("topic.support_button", number=topic_id), f"topic:{topic_id}")


async def list_candidates(ctx: Context, command: ParsedCommand) -> None:
    """`/topic candidates`: the room's candidates, most supported first, with who supports them."""
    topics = (
        await ctx.session.exec(
            select(Topic)
            .where(Topic.room_id == ctx.room.id, Topic.state == TopicState.candidate)
            .order_by(Topic.support_count.desc(), Topic.id)  # type: ignore[attr-defined]
            .limit(CANDIDATES_SHOWN)
        )
    ).all()
    if not topics:
        ctx.reply(ctx.t("topic.no_candidates"))
        return
    ids = [t.id for t in topics]
    supporters: dict[int, list[str]] = {}
    for topic_id, name in (
        await ctx.session.exec(
            select(TopicSupport.topic_id, Person.name)
            .join(Person, Person.id == TopicSupport.person_id)  # type: ignore[arg-type]
            .where(TopicSupport.topic_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(TopicSupport.id)
        )
    ).all():
        supporters.setdefault(topic_id, []).append(name)
    authors = await _names(ctx, {t.suggested_by for t in topics if t.suggested_by})
    lines = [ctx.t("topic.candidates_header")]
    buttons = []
    for topic in topics:
        assert topic.id is not None
        lines.append(
            ctx.t(
                "topic.candidate_line",
                number=topic.id,
                title=clip(topic.title, 60),
                author=authors.get(topic.suggested_by or 0, "?"),
                supports=topic.support_count,
            )
        )
        if supporters.get(topic.id):
            lines.append(ctx.t("topic.candidate_supporters", names=", ".join(supporters[topic.id])))
        buttons.append([support_button(ctx, topic.id)])
    lines.append(ctx.t("topic.candidates_footer"))
    ctx.reply("\n".join(lines), buttons)


async def _names(ctx: Context, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    rows = (await ctx.session.exec(select(Person.id, Person.name).where(Person.id.in_(person_ids)))).all()  # type: ignore[union-attr]
    return {person_id: name for person_id, name in rows if person_id is not None}


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
    added = await insert_ignoring_conflict(
        ctx.session, TopicSupport, dict(topic_id=topic_id, person_id=ctx.person.id, created_at=ctx.now())
    )
    if not added:
        raise UserError("topic.already_supported", number=topic_id)
    await ctx.session.exec(  # type: ignore[call-overload]
        sa.update(Topic).where(Topic.id == topic_id).values(support_count=Topic.support_count + 1)
    )
    await ctx.session.refresh(topic)
    ctx.audit("topic.supported", "topic", topic_id)
    await ctx.publish("topic.supported", topic=topic)
    return topic


async def support_command(ctx: Context, command: ParsedCommand) -> None:
    topic = await support_topic(ctx, parse_number(command.word(1), "topic.support_usage"))
    ctx.reply(ctx.t("topic.supported", number=topic.id, title=topic.title, supports=topic.support_count))


@registry.button("topic")
async def support_pressed(ctx: Context, args: list[str]) -> str:
    if not args or not is_number(args[0]):
        return ctx.t("error.unknown_button")
    topic = await support_topic(ctx, int(args[0]))
    return ctx.t("topic.supported", number=topic.id, title=topic.title, supports=topic.support_count)


# --- picking ----------------------------------------------------------------------------------


def parse_pick_arguments(words: list[str]) -> tuple[int | None, date | None]:
    """`[<n>] [until YYYY-MM-DD]` in any order."""
    number: int | None = None
    until: date | None = None
    index = 0
    while index < len(words):
        word = words[index]
        if word.lower() in UNTIL_WORDS:
            if index + 1 >= len(words) or until is not None:
                raise UserError("topic.pick_usage")
            until = parse_date(words[index + 1])
            index += 2
            continue
        if number is not None:
            raise UserError("topic.pick_usage")
        number = parse_number(word, "topic.pick_usage")
        index += 1
    return number, until


def parse_date(word: str) -> date:
    try:
        if len(word) != 10:
            raise ValueError(word)
        return date.fromisoformat(word)
    except ValueError:
        raise UserError("topic.bad_date", value=word[:20]) from None


def closing_instant(ctx: Context, day: date) -> datetime:
    """The last second of `day` in the office's time zone, as aware UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=ctx.settings.tz).astimezone(timezone.utc)


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


async def pick(ctx: Context, command: ParsedCommand) -> None:
    """`/topic pick [<n>] [until YYYY-MM-DD]` or `/topic pick <title> | <description>`: the room's active topic."""
    await ctx.require_organizer("topic.pick")
    words = command.argv[1:]
    rest = command.rest_after(1)
    # `/topic pick <title> | <description>`: the organizer names the topic without suggesting it first.
    direct = "|" in rest or bool(words and not is_number(words[0].lstrip("#")) and words[0].lower() not in UNTIL_WORDS)
    number, until = (None, None) if direct else parse_pick_arguments(words)
    current = await active_topic(ctx.session, ctx.room.id)
    if current is not None:
        raise UserError("topic.already_active", title=current.title)
    if direct:
        title, description = parse_title(rest, "topic.pick_usage")
        topic = await same_title(ctx, title) or await new_candidate(ctx, title, description)
    else:
        topic = await _candidate_to_pick(ctx, number)
    await pick_topic(ctx, topic, until=until)


async def pick_topic(
    ctx: Context, topic: Topic, *, room: Room | None = None, until: date | None = None, automatic: bool = False
) -> None:
    """Make a candidate the room's topic until `until` (the end of the month): announce it, schedule
    its closing, and rank the departments in charge with the offer to invite their heads.

    `/topic pick` and the monthly automatic pick both come here, so they do the same."""
    room = room or ctx.room
    today = ctx.now().astimezone(ctx.settings.tz).date()
    closing_day = until or end_of_month(today)
    if closing_day < today:
        raise UserError("topic.until_past", date=ctx.date(closing_day))
    topic.state = TopicState.active
    topic.picked_by = ctx.person.id
    topic.picked_at = ctx.now()
    topic.closes_at = closing_instant(ctx, closing_day)
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
    lines.append(t("topic.picked_closes", date=ctx.date(closing_day)))
    ctx.post(room, "\n".join(lines))
    await _schedule_closing(ctx, topic)
    await ctx.publish("topic.picked", topic=topic)


async def _candidate_to_pick(ctx: Context, number: int | None) -> Topic:
    if number is None:
        # The most supported candidate; on a tie, the one suggested first.
        topic = (
            await ctx.session.exec(
                select(Topic)
                .where(Topic.room_id == ctx.room.id, Topic.state == TopicState.candidate)
                .order_by(Topic.support_count.desc(), Topic.id)  # type: ignore[attr-defined]
            )
        ).first()
        if topic is None:
            raise UserError("topic.nothing_to_pick")
        return topic
    topic = await ctx.session.get(Topic, number)
    if topic is None or topic.room_id != ctx.room.id:
        raise UserError("topic.candidate_not_found", number=number)
    if topic.state != TopicState.candidate:
        raise UserError("topic.not_a_candidate", number=number, title=topic.title)
    return topic


async def _schedule_closing(ctx: Context, topic: Topic) -> None:
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
    # The morning of the last business day at least three days before the closing day.
    closing_day = topic.closes_at.astimezone(ctx.settings.tz).date()
    warning_at = OfficeHours.of(ctx.settings).opening(previous_business_day(closing_day - CLOSING_SOON, include_today=True))
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


# --- closing ----------------------------------------------------------------------------------


async def close(ctx: Context, command: ParsedCommand) -> None:
    """`/topic close`: end the active topic now and post its summary."""
    await ctx.require_organizer("topic.close")
    topic = await active_topic(ctx.session, ctx.room.id)
    if topic is None:
        raise UserError("topic.nothing_to_close")
    await close_topic(ctx, topic)


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


async def closing_summary(ctx: Context, topic: Topic) -> str:
    """Ideas, participants, the top ideas, the heads who joined and the field visits."""
    ideas = (await ctx.session.exec(select(func.count()).select_from(Idea).where(Idea.topic_id == topic.id))).one()
    authors = set((await ctx.session.exec(select(Idea.author_id).where(Idea.topic_id == topic.id))).all())
    supporters = set(
        (
            await ctx.session.exec(
                select(Support.person_id)
                .join(Idea, Idea.id == Support.idea_id)  # type: ignore[arg-type]
                .where(Idea.topic_id == topic.id)
            )
        ).all()
    )
    lines = [
        ctx.t("topic.closed", title=topic.title),
        ctx.t("topic.closed_counts", ideas=ideas, people=len(authors | supporters)),
    ]
    top = (
        await ctx.session.exec(
            select(Idea, Person.name)
            .join(Person, Person.id == Idea.author_id)  # type: ignore[arg-type]
            .where(Idea.topic_id == topic.id)
            .order_by(Idea.support_count.desc(), Idea.id)  # type: ignore[attr-defined]
            .limit(TOP_IDEAS)
        )
    ).all()
    if top:
        lines.append(ctx.t("topic.closed_top_header"))
        for rank, (idea, author) in enumerate(top, start=1):
            text = clip(idea.text, 60)
            lines.append(
                ctx.t("ideas.line", rank=rank, number=idea.id, text=text, author=author, supports=idea.support_count)
            )
    heads = await joined_heads(ctx, topic)
    lines.append(ctx.t("topic.closed_heads", heads=", ".join(heads)) if heads else ctx.t("topic.no_heads_joined"))
    lines.extend(await visit_lines(ctx, topic))
    lines.append(ctx.t("topic.closed_thanks"))
    return "\n".join(lines)


@registry.reminder("topic.close", exact=True)
async def close_when_due(ctx: Context, reminder: Reminder) -> None:
    topic = await _reminded_topic(ctx, reminder)
    if topic is not None:
        await close_topic(ctx, topic)


@registry.reminder("topic.closing_soon")
async def warn_closing_soon(ctx: Context, reminder: Reminder) -> None:
    """Three days before the closing: remind the room to bring its ideas in."""
    topic = await _reminded_topic(ctx, reminder)
    if topic is None or topic.state != TopicState.active or topic.closes_at is None:
        return
    room = await ctx.session.get(Room, topic.room_id)
    assert room is not None
    tz = ctx.settings.tz
    days = max(1, (topic.closes_at.astimezone(tz).date() - ctx.now().astimezone(tz).date()).days)
    ctx.post(room, ctx.t("topic.closing_soon", title=topic.title, date=ctx.date(topic.closes_at), days=days))


async def _reminded_topic(ctx: Context, reminder: Reminder) -> Topic | None:
    topic_id = (reminder.payload or {}).get("topic_id")
    return await ctx.session.get(Topic, topic_id) if isinstance(topic_id, int) else None


SUBCOMMANDS = {
    "suggest": suggest,
    "제안": suggest,
    "candidates": list_candidates,
    "후보": list_candidates,
    "support": support_command,
    "공감": support_command,
    "pick": pick,
    "선정": pick,
    "close": close,
    "마감": close,
}
