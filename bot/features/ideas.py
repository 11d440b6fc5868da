"""Ideas: posting (/idea, #아이디어), listing (/ideas, earlier topics and months too) and supporting (/support, 👍, button)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlmodel import func, select

from bot.context import Context
from bot.errors import UserError
from bot.features.common import active_topic, parse_number
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.points.periods import parse_period
from bot.registry import registry
from bot.text import clean_text, clip, is_number
from storage.db import insert_ignoring_conflict
from storage.tables import AuditEntry, Idea, MessageLink, Person, Support, Topic, TopicState

IDEAS_SHOWN = 20
CLOSED_TOPICS_SHOWN = 3
_MONTH = re.compile(r"^\d{4}-\d{1,2}$")


def support_button(ctx: Context, idea_id: int) -> list[list[Button]]:
    return [[Button(ctx.t("idea.support_button"), f"support:{idea_id}")]]


@registry.command("idea", help=("help.idea",), order=10, in_direct_chat=False)
async def post_idea(ctx: Context, command: ParsedCommand) -> None:
    """Store an idea under the room's current topic and answer with its number."""
    text = clean_text(
        command.args,
        max_length=ctx.settings.max_idea_length,
        empty_key="idea.empty",
        too_long_key="idea.too_long",
    )
    topic = await active_topic(ctx.session, ctx.room.id)
    idea = Idea(
        room_id=ctx.room.id,  # type: ignore[arg-type]
        topic_id=topic.id if topic else None,
        author_id=ctx.person.id,  # type: ignore[arg-type]
        text=text,
        created_at=ctx.now(),
    )
    ctx.session.add(idea)
    await ctx.session.flush()
    assert idea.id is not None
    if ctx.message_id:
        # A 👍 on the person's own message supports the idea too.
        ctx.session.add(
            MessageLink(
                platform=ctx.place.platform,
                chat_id=ctx.place.chat_id,
                message_id=ctx.message_id,
                ref_kind="idea",
                ref_id=idea.id,
            )
        )
    ctx.audit("idea.posted", "idea", idea.id)
    await ctx.publish("idea.posted", idea=idea)
    key = "idea.recorded_topic" if topic else "idea.recorded"
    ctx.reply(
        ctx.t(key, number=idea.id, topic=topic.title if topic else ""),
        support_button(ctx, idea.id),
        ref=("idea", idea.id),
        coalesce_key="idea-ack",
    )


@registry.command("ideas", help=("help.ideas",), order=11, in_direct_chat=False)
async def list_ideas(ctx: Context, command: ParsedCommand) -> None:
    """The current topic's ideas, most supported first; `/ideas <topic#>` or `/ideas YYYY-MM` for earlier ones."""
    word = command.word(0)
    if word is not None:
        await _earlier_ideas(ctx, word)
        return
    topic = await active_topic(ctx.session, ctx.room.id)
    condition = [Idea.room_id == ctx.room.id, Idea.topic_id == (topic.id if topic else None)]
    if topic is None:
        condition[1] = Idea.topic_id.is_(None)  # type: ignore[union-attr]
    header = (lambda count: ctx.t("ideas.header_topic", topic=topic.title, count=count)) if topic else (lambda count: ctx.t("ideas.header", count=count))
    empty = ctx.t("ideas.none_topic", topic=topic.title) if topic else ctx.t("ideas.none")
    hint = await _closed_topics_hint(ctx) if topic is None else ""
    await _reply_with_ideas(ctx, condition, header, "\n".join(filter(None, [empty, hint])), hint)


async def _earlier_ideas(ctx: Context, word: str) -> None:
    """A topic of this room by its number (closed ones too), or a month of this room's ideas."""
    cleaned = word.lstrip("#")
    if is_number(cleaned):
        topic = await ctx.session.get(Topic, int(cleaned))
        if topic is None or topic.room_id != ctx.room.id or topic.state == TopicState.candidate:
            raise UserError("ideas.topic_not_found", number=int(cleaned))
        condition = [Idea.room_id == ctx.room.id, Idea.topic_id == topic.id]
        if topic.state == TopicState.closed and topic.closed_at is not None:
            closed = ctx.date(topic.closed_at)
            header = lambda count: ctx.t("ideas.header_closed_topic", topic=topic.title, date=closed, count=count)  # noqa: E731
        else:
            header = lambda count: ctx.t("ideas.header_topic", topic=topic.title, count=count)  # noqa: E731
        empty = ctx.t("ideas.none_closed_topic" if topic.state == TopicState.closed else "ideas.none_topic", topic=topic.title)
        await _reply_with_ideas(ctx, condition, header, empty, ctx.t("ideas.bundle_hint"))
        return
    if not _MONTH.match(cleaned):
        raise UserError("ideas.usage")
    try:
        span = parse_period(cleaned, ctx.settings.tz)
    except ValueError:
        raise UserError("ideas.usage") from None
    condition = [Idea.room_id == ctx.room.id, Idea.created_at >= span.start, Idea.created_at < span.end]
    header = lambda count: ctx.t("ideas.header_month", month=span.label, count=count)  # noqa: E731
    await _reply_with_ideas(ctx, condition, header, ctx.t("ideas.none_month", month=span.label), ctx.t("ideas.bundle_hint"))


async def _closed_topics_hint(ctx: Context) -> str:
    """After a topic closed, where its ideas went: the latest closed topics and how to list them."""
    closed = (
        await ctx.session.exec(
            select(Topic)
            .where(Topic.room_id == ctx.room.id, Topic.state == TopicState.closed)
            .order_by(Topic.closed_at.desc(), Topic.id.desc())  # type: ignore[union-attr]
            .limit(CLOSED_TOPICS_SHOWN)
        )
    ).all()
    if not closed:
        return ""
    lines = [ctx.t("ideas.closed_topics_header")]
    for topic in closed:
        count = (await ctx.session.exec(select(func.count()).select_from(Idea).where(Idea.topic_id == topic.id))).one()
        lines.append(ctx.t("ideas.closed_topic_line", number=topic.id, topic=clip(topic.title, 40), count=count))
    return "\n".join(lines)


async def _reply_with_ideas(ctx: Context, condition: list, header, empty: str, footer: str = "") -> None:  # type: ignore[no-untyped-def, type-arg]
    """The ideas matching `condition`, most supported first, or `empty` when there are none."""
    total = (await ctx.session.exec(select(func.count()).select_from(Idea).where(*condition))).one()
    if not total:
        ctx.reply(empty)
        return
    rows = (
        await ctx.session.exec(
            select(Idea, Person.name)
            .join(Person, Person.id == Idea.author_id)  # type: ignore[arg-type]
            .where(*condition)
            .order_by(Idea.support_count.desc(), Idea.id)  # type: ignore[attr-defined]
            .limit(IDEAS_SHOWN)
        )
    ).all()
    lines = [header(total)]
    for rank, (idea, author) in enumerate(rows, start=1):
        lines.append(
            ctx.t("ideas.line", rank=rank, number=idea.id, text=clip(idea.text, 60), author=author, supports=idea.support_count)
        )
    if total > IDEAS_SHOWN:
        lines.append(ctx.t("ideas.more", count=total - IDEAS_SHOWN))
    if footer:
        lines.append(footer)
    ctx.reply("\n".join(lines))


async def support_idea(ctx: Context, idea_id: int) -> Idea:
    """Record the person's support once; refuse their own idea and a second support."""
    idea = await ctx.session.get(Idea, idea_id)
    if idea is None:
        raise UserError("idea.not_found", number=idea_id)
    if idea.author_id == ctx.person.id:
        raise UserError("support.own_idea", number=idea_id)
    added = await insert_ignoring_conflict(
        ctx.session,
        Support,
        dict(idea_id=idea_id, person_id=ctx.person.id, created_at=ctx.now()),
    )
    if not added:
        raise UserError("support.already", number=idea_id)
    # An atomic increment: two workers supporting at once both count.
    await ctx.session.exec(  # type: ignore[call-overload]
        sa.update(Idea).where(Idea.id == idea_id).values(support_count=Idea.support_count + 1)
    )
    await ctx.session.refresh(idea)
    ctx.audit("idea.supported", "idea", idea_id)
    await ctx.publish("idea.supported", idea=idea, supporter=ctx.person)
    return idea


@registry.command("support", help=("help.support",), order=12)
async def support_command(ctx: Context, command: ParsedCommand) -> None:
    idea = await support_idea(ctx, parse_number(command.word(0), "support.usage"))
    ctx.reply(ctx.t("support.done", number=idea.id, supports=idea.support_count))


@registry.button("support")
async def support_button_pressed(ctx: Context, args: list[str]) -> str:
    if not args or not is_number(args[0]):
        return ctx.t("error.unknown_button")
    idea = await support_idea(ctx, int(args[0]))
    return ctx.t("support.done", number=idea.id, supports=idea.support_count)


@registry.on("reaction.support")
async def support_by_reaction(ctx: Context, message_id: str) -> None:
    """A 👍 on an idea's message (the person's or the bot's) counts as a support, quietly."""
    link = (
        await ctx.session.exec(
            select(MessageLink).where(
                MessageLink.platform == ctx.place.platform,
                MessageLink.chat_id == ctx.place.chat_id,
                MessageLink.message_id == message_id,
                MessageLink.ref_kind == "idea",
            )
        )
    ).first()
    if link is None:
        return
    try:
        await support_idea(ctx, link.ref_id)
    except UserError as error:
        # A room is not told about one person's 👍. On their own idea they are told once, in
        # their direct chat, on every platform alike; a second 👍 on the same idea is quiet.
        if error.key == "support.own_idea" and not await _told_before(ctx, link.ref_id):
            ctx.audit("support.own_reaction_told", "idea", link.ref_id)
            await ctx.tell(ctx.person, ctx.t("support.own_idea_reaction", number=link.ref_id))


async def _told_before(ctx: Context, idea_id: int) -> bool:
    told = await ctx.session.exec(
        select(AuditEntry.id).where(
            AuditEntry.action == "support.own_reaction_told",
            AuditEntry.subject_id == idea_id,
            AuditEntry.actor_id == ctx.person.id,
        )
    )
    return told.first() is not None
