"""/topic and its sub-commands: the monthly discussion topic suggested, supported, picked, shown and closed."""

from __future__ import annotations

from datetime import date

from bot.context import Context
from bot.errors import UserError
from bot.features.common import parse_number
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.registry import registry
from bot.subcommands import Subcommands
from bot.text import clean_text, clip, is_number
from bot.topics import queries
from bot.topics.rules import DESCRIPTION_LIMIT, TITLE_LIMIT
from bot.topics.summary import joined_heads, visit_lines
from bot.topics.workflow import candidate_to_pick, close_topic, new_candidate, pick_topic, support_topic
from storage.tables import Reminder, Room, TopicState

CANDIDATES_SHOWN = 10
UNTIL_WORDS = ("until", "까지", "마감")


# --- reading what was typed ----------------------------------------------------------------------


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


def names_a_title(words: list[str], rest: str) -> bool:
    """`/topic pick <title> | <description>`: the organizer names the topic without suggesting it first."""
    return "|" in rest or bool(words and not is_number(words[0].lstrip("#")) and words[0].lower() not in UNTIL_WORDS)


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


# --- commands ------------------------------------------------------------------------------------


async def show_topic(ctx: Context, command: ParsedCommand) -> None:
    """`/topic` alone: the current topic, its ideas, the heads who joined and the field visits."""
    assert ctx.room.id is not None
    topic = await queries.active_topic(ctx.session, ctx.room.id)
    if topic is None:
        ctx.reply(ctx.t("topic.none"))
        return
    assert topic.id is not None
    lines = [ctx.t("topic.current", title=topic.title)]
    if topic.description:
        lines.append(topic.description)
    if topic.closes_at:
        lines.append(ctx.t("topic.closes", date=ctx.date(topic.closes_at)))
    lines.append(ctx.t("topic.idea_count", count=await queries.idea_count(ctx.session, topic.id)))
    heads = await joined_heads(ctx, topic)
    if heads:
        lines.append(ctx.t("topic.heads_joined", heads=", ".join(heads)))
    lines.extend(await visit_lines(ctx, topic))
    ctx.reply("\n".join(lines))


async def suggest(ctx: Context, command: ParsedCommand) -> None:
    """`/topic suggest <title> | <description>`: a new candidate for the month's topic."""
    assert ctx.room.id is not None
    title, description = parse_title(command.rest_after(1), "topic.suggest_usage")
    same = await queries.same_title(ctx.session, ctx.room.id, title)
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
    assert ctx.room.id is not None
    topics = await queries.candidates(ctx.session, ctx.room.id, limit=CANDIDATES_SHOWN)
    if not topics:
        ctx.reply(ctx.t("topic.no_candidates"))
        return
    supporters = await queries.supporters(ctx.session, [t.id for t in topics if t.id is not None])
    authors = await queries.names(ctx.session, {t.suggested_by for t in topics if t.suggested_by})
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


async def support_command(ctx: Context, command: ParsedCommand) -> None:
    topic = await support_topic(ctx, parse_number(command.word(1), "topic.support_usage"))
    ctx.reply(ctx.t("topic.supported", number=topic.id, title=topic.title, supports=topic.support_count))


@registry.button("topic")
async def support_pressed(ctx: Context, args: list[str]) -> str:
    if not args or not is_number(args[0]):
        return ctx.t("error.unknown_button")
    topic = await support_topic(ctx, int(args[0]))
    return ctx.t("topic.supported", number=topic.id, title=topic.title, supports=topic.support_count)


async def pick(ctx: Context, command: ParsedCommand) -> None:
    """`/topic pick [<n>] [until YYYY-MM-DD]` or `/topic pick <title> | <description>`: the room's active topic."""
    await ctx.require_organizer("topic.pick")
    assert ctx.room.id is not None
    words, rest = command.argv[1:], command.rest_after(1)
    direct = names_a_title(words, rest)
    number, until = (None, None) if direct else parse_pick_arguments(words)
    current = await queries.active_topic(ctx.session, ctx.room.id)
    if current is not None:
        raise UserError("topic.already_active", title=current.title)
    if direct:
        title, description = parse_title(rest, "topic.pick_usage")
        topic = await queries.same_title(ctx.session, ctx.room.id, title) or await new_candidate(
            ctx, title, description
        )
    else:
        topic = await candidate_to_pick(ctx, number)
    await pick_topic(ctx, topic, until=until)


async def close(ctx: Context, command: ParsedCommand) -> None:
    """`/topic close`: end the active topic now and post its summary."""
    await ctx.require_organizer("topic.close")
    assert ctx.room.id is not None
    topic = await queries.active_topic(ctx.session, ctx.room.id)
    if topic is None:
        raise UserError("topic.nothing_to_close")
    await close_topic(ctx, topic)


TOPIC = Subcommands(
    "topic",
    {"suggest": suggest, "candidates": list_candidates, "support": support_command, "pick": pick, "close": close},
    bare=show_topic,
)
registry.command(
    "topic",
    help=("help.topic", "help.topic_suggest", "help.topic_candidates"),
    organizer_help=("help.topic_pick", "help.topic_close"),
    order=20,
    in_direct_chat=False,
)(TOPIC)


# --- reminders -----------------------------------------------------------------------------------


@registry.reminder("topic.close", exact=True)
async def close_when_due(ctx: Context, reminder: Reminder) -> None:
    topic = await queries.reminded_topic(ctx.session, reminder)
    if topic is not None:
        await close_topic(ctx, topic)


@registry.reminder("topic.closing_soon")
async def warn_closing_soon(ctx: Context, reminder: Reminder) -> None:
    """Three days before the closing: remind the room to bring its ideas in."""
    topic = await queries.reminded_topic(ctx.session, reminder)
    if topic is None or topic.state != TopicState.active or topic.closes_at is None:
        return
    room = await ctx.session.get(Room, topic.room_id)
    assert room is not None
    tz = ctx.settings.tz
    days = max(1, (topic.closes_at.astimezone(tz).date() - ctx.now().astimezone(tz).date()).days)
    ctx.post(room, ctx.t("topic.closing_soon", title=topic.title, date=ctx.date(topic.closes_at), days=days))
