"""Ideas: posting (/idea, #아이디어), listing (/ideas, earlier topics and months too) and supporting (/support, 👍, button)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import col, func, select

from bot.context import Context
from bot.errors import UserError
from bot.features.common import active_topic, parse_number
from bot.messages import Button
from bot.parsing import ParsedCommand, parse
from bot.points.periods import parse_period
from bot.ranker import ranker
from bot.registry import registry
from bot.similar import (
    SHOWN,
    Match,
    index_idea,
    is_duplicate,
    search_ideas,
    similar_ideas,
    unindex_idea,
)
from bot.subcommands import Sub, Subcommands
from bot.supports import support_once
from bot.text import clean_text, clip, is_number
from storage.db import insert_ignoring_conflict
from storage.tables import (
    AuditEntry,
    Idea,
    IdeaCoauthor,
    IdeaComment,
    MessageLink,
    Person,
    Proposal,
    ProposalIdea,
    Support,
    Topic,
    TopicState,
    id_of,
    table_of,
)

IDEAS_SHOWN = 20
CLOSED_TOPICS_SHOWN = 3
_MONTH = re.compile(r"^\d{4}-\d{1,2}$")
FOUND_SHOWN = 10
MERGE_FILLER = {"into", "to", "→", "->", "에", "로"}


def support_button(ctx: Context, idea_id: int) -> list[list[Button]]:
    return [[Button(ctx.t("idea.support_button"), f"support:{idea_id}")]]


async def merge_command(ctx: Context, command: ParsedCommand) -> None:
    numbers = [w.removeprefix("#") for w in command.argv[1:] if w.lower() not in MERGE_FILLER]
    if len(numbers) != 2 or not all(is_number(n) for n in numbers):
        raise UserError("idea.merge_usage")
    await merge_ideas(ctx, int(numbers[0]), int(numbers[1]))


async def post_idea(ctx: Context, command: ParsedCommand) -> None:
    """Store an idea under the room's current topic and answer with its number."""
    text = clean_text(
        command.args,
        max_length=ctx.settings.max_idea_length,
        empty_key="idea.empty",
        too_long_key="idea.too_long",
    )
    similar = await similar_ideas(ctx.session, text, meaning=ranker.meaning, neighbours=ranker.neighbours)
    for match in similar:
        if is_duplicate(match, text, id_of(ctx.person), (ctx.now() - match.idea.created_at).total_seconds() / 3600):
            raise UserError("idea.duplicate_own", number=match.idea.id)
    topic = await active_topic(ctx.session, id_of(ctx.room))
    idea = await _insert_idea(ctx, topic.id if topic else None, text)
    assert idea.id is not None
    if ctx.message_id:
        # A 👍 on the person's own message supports the idea too.
        row = dict(
            platform=ctx.place.platform,
            chat_id=ctx.place.chat_id,
            message_id=ctx.message_id,
            ref_kind="idea",
            ref_id=idea.id,
            edited_at=None,
        )
        await ctx.session.exec(_LINK_INSERT, params=row)
    await index_idea(ctx.session, idea.id, text)
    await ctx.audit_now("idea.posted", "idea", idea.id)
    await ctx.publish("idea.posted", idea=idea)
    key = "idea.recorded_topic" if topic else "idea.recorded"
    answer = ctx.t(key, number=idea.id, topic=topic.title if topic else "")
    buttons = support_button(ctx, idea.id)
    if similar:
        answer += "\n" + await _similar_line(ctx, similar)
        buttons += [
            [Button(ctx.t("idea.support_similar_button", number=m.idea.id), f"support:{m.idea.id}") for m in similar]
        ]
    ctx.reply(
        answer,
        buttons,
        ref=("idea", idea.id),
        coalesce_key="idea-ack",
    )


# Core inserts, built once: the ORM's unit of work cost more CPU than the rows' SQL (issue 18).
_IDEA_INSERT = sa.insert(table_of(Idea)).returning(table_of(Idea).c.id)
_LINK_INSERT = sa.insert(table_of(MessageLink))


async def _insert_idea(ctx: Context, topic_id: int | None, text: str) -> Idea:
    """Store a new idea by one Core insert; the object is put in the session as if loaded."""
    idea = Idea(
        room_id=id_of(ctx.room),
        topic_id=topic_id,
        author_id=id_of(ctx.person),
        text=text,
        support_count=0,
        created_at=ctx.now(),
        withdrawn_at=None,
        merged_into_id=None,
    )
    row = {column: getattr(idea, column) for column in _IDEA_COLUMNS}
    idea.id = (await ctx.session.exec(_IDEA_INSERT, params=row)).scalar_one()
    make_transient_to_detached(idea)
    ctx.session.add(idea)
    return idea


_IDEA_COLUMNS = (
    "room_id",
    "topic_id",
    "author_id",
    "text",
    "support_count",
    "created_at",
    "withdrawn_at",
    "merged_into_id",
)


async def _own_free_idea(ctx: Context, idea_id: int, action: str) -> Idea:
    """The person's own idea, not withdrawn and not in a proposal, or a refusal saying why."""
    idea = await ctx.session.get(Idea, idea_id)
    if idea is None:
        raise UserError("idea.not_found", number=idea_id)
    if idea.author_id != ctx.person.id:
        raise UserError(f"idea.{action}_not_author", number=idea_id)
    if idea.withdrawn_at is not None:
        raise UserError("idea.withdrawn", number=idea_id)
    bundled = await ctx.session.exec(select(ProposalIdea.proposal_id).where(ProposalIdea.idea_id == idea_id))
    proposal_id = bundled.first()
    if proposal_id is not None:
        raise UserError(f"idea.{action}_in_proposal", number=idea_id, proposal=proposal_id)
    return idea


async def edit_idea(ctx: Context, idea_id: int, new_text: str, *, action: str = "edit") -> None:
    """The author rewrites their idea while no proposal holds it; supports stay.

    `action` is "message_edit" when the author edited the chat message that posted the idea."""
    text = clean_text(
        new_text,
        max_length=ctx.settings.max_idea_length,
        empty_key="idea.edit_usage",
        too_long_key="idea.too_long",
    )
    idea = await _own_free_idea(ctx, idea_id, action)
    similar = [
        m
        for m in await similar_ideas(
            ctx.session, text, limit=SHOWN + 1, meaning=ranker.meaning, neighbours=ranker.neighbours
        )
        if m.idea.id != idea_id
    ][:SHOWN]
    for match in similar:
        if is_duplicate(match, text, id_of(ctx.person), (ctx.now() - match.idea.created_at).total_seconds() / 3600):
            raise UserError("idea.edit_duplicate_own", number=idea_id, other=match.idea.id)
    old = idea.text
    await unindex_idea(ctx.session, idea_id, old)
    idea.text = text
    ctx.session.add(idea)
    await index_idea(ctx.session, idea_id, text)
    ctx.audit("idea.edited", "idea", idea_id, before=old, via="message" if action == "message_edit" else "command")
    answer = ctx.t("idea.edited", number=idea_id, text=clip(text, 60))
    if similar:
        answer += "\n" + await _similar_line(ctx, similar)
    ctx.reply(answer)


@registry.on("message.edited")
async def edit_by_message(ctx: Context, message_id: str, text: str, edited_at: datetime | None) -> None:
    """The author edited the `#아이디어` message that posted an idea: the idea follows, as `/idea edit` would.

    Someone else's edit, an edit of a message that posted no idea, and an edit older than one
    already applied change nothing and are not answered."""
    link = await _idea_link(ctx, message_id)
    if link is None:
        return
    idea = await ctx.session.get(Idea, link.ref_id)
    if idea is None or idea.author_id != ctx.person.id:
        return
    new_text = edited_idea_text(text)
    if new_text is None:
        return  # the message became another command
    new_text = clean_text(
        new_text, max_length=ctx.settings.max_idea_length, empty_key="idea.edit_usage", too_long_key="idea.too_long"
    )
    if new_text == idea.text:
        return  # unchanged (Slack also reports a link preview as an edit)
    if edited_at is not None:
        if link.edited_at is not None and edited_at < link.edited_at:
            return
        link.edited_at = edited_at
        ctx.session.add(link)
    await edit_idea(ctx, id_of(idea), new_text, action="message_edit")


def edited_idea_text(text: str) -> str | None:
    """The idea an edited message now says: the text after `#아이디어` (or the whole text if the tag
    was taken out), None when it became another command."""
    command = parse(text)
    if command is None:
        return text
    if command.name != "idea" or IDEA.which(command.word(0)) is not None:
        return None
    return command.args


async def withdraw_idea(ctx: Context, idea_id: int) -> None:
    """The author takes their idea back: its number stays, listings leave it out, its points go once."""
    idea = await _own_free_idea(ctx, idea_id, "withdraw")
    idea.withdrawn_at = ctx.now()
    ctx.session.add(idea)
    ctx.audit("idea.withdrawn", "idea", idea_id)
    await ctx.publish("idea.withdrawn", idea=idea)
    ctx.reply(ctx.t("idea.withdrawn_done", number=idea_id))


async def live_idea(ctx: Context, idea_id: int) -> tuple[Idea, list[str]]:
    """The idea a number stands for, following merges: (idea, a note per merge followed)."""
    idea = await ctx.session.get(Idea, idea_id)
    if idea is None:
        raise UserError("idea.not_found", number=idea_id)
    notes = []
    for _ in range(20):  # merged ideas form a chain, never a loop; the bound is a guard
        if idea.merged_into_id is None:
            break
        notes.append(ctx.t("idea.merged_note", number=idea.id, into=idea.merged_into_id))
        merged_into = await ctx.session.get(Idea, idea.merged_into_id)
        if merged_into is None:
            break
        idea = merged_into
    return idea, notes


async def _coauthors(ctx: Context, idea_id: int) -> list[Person]:
    rows = await ctx.session.exec(
        select(Person)
        .join(IdeaCoauthor, col(IdeaCoauthor.person_id) == col(Person.id))
        .where(IdeaCoauthor.idea_id == idea_id)
        .order_by(col(IdeaCoauthor.id))
    )
    return list(rows.all())


async def merge_ideas(ctx: Context, source_id: int, target_id: int) -> None:
    """An organizer merges a duplicate into an idea: supports move (one per person), authors become co-authors."""
    await ctx.require_organizer("idea.merge")
    if source_id == target_id:
        raise UserError("idea.merge_same", number=source_id)
    source, target = await ctx.session.get(Idea, source_id), await ctx.session.get(Idea, target_id)
    for number, idea in ((source_id, source), (target_id, target)):
        if idea is None:
            raise UserError("idea.not_found", number=number)
        if idea.withdrawn_at is not None:
            raise UserError("idea.withdrawn", number=number)
        if idea.merged_into_id is not None:
            raise UserError("idea.merged_already", number=number, into=idea.merged_into_id)
    assert source is not None and target is not None
    bundled = (
        await ctx.session.exec(select(ProposalIdea.proposal_id).where(ProposalIdea.idea_id == source_id))
    ).first()
    if bundled is not None:
        raise UserError("idea.merge_in_proposal", number=source_id, proposal=bundled)
    authors = {target.author_id, *(p.id for p in await _coauthors(ctx, target_id))}
    new_authors = [source.author_id, *(p.id for p in await _coauthors(ctx, source_id))]
    for person_id in new_authors:
        if person_id not in authors:
            await insert_ignoring_conflict(
                ctx.session, IdeaCoauthor, {"idea_id": target_id, "person_id": person_id, "created_at": ctx.now()}
            )
            authors.add(person_id)
    moved = 0
    for support in (await ctx.session.exec(select(Support).where(Support.idea_id == source_id))).all():
        # A co-author's support of their own idea, or a second support of one person, is dropped.
        if support.person_id not in authors:
            moved += await insert_ignoring_conflict(
                ctx.session,
                Support,
                {
                    "idea_id": target_id,
                    "person_id": support.person_id,
                    "created_at": support.created_at,
                    "reaction": support.reaction,
                },
            )
    await ctx.session.exec(sa.delete(Support).where(col(Support.idea_id) == source_id))
    # Comments, and replies and 👍 on the merged idea's messages from now on, belong to the idea it joined.
    await ctx.session.exec(
        sa.update(IdeaComment).where(col(IdeaComment.idea_id) == source_id).values(idea_id=target_id)
    )
    await ctx.session.exec(
        sa.update(MessageLink)
        .where(col(MessageLink.ref_kind) == "idea", col(MessageLink.ref_id) == source_id)
        .values(ref_id=target_id)
    )
    count = (
        await ctx.session.exec(select(func.count()).select_from(Support).where(Support.idea_id == target_id))
    ).one()
    target.support_count = count
    source.support_count = 0
    source.merged_into_id = target_id
    ctx.session.add_all([source, target])
    ctx.audit("idea.merged", "idea", source_id, into=target_id, supports_moved=moved)
    await ctx.publish("idea.merged", source=source, target=target)
    answer = ctx.t("idea.merge_done", number=source_id, into=target_id, moved=moved, supports=count)
    coauthors = await _coauthors(ctx, target_id)
    if coauthors:
        answer += "\n" + ctx.t("idea.merge_coauthors", into=target_id, names=", ".join(p.name for p in coauthors))
    ctx.reply(answer)


async def show_idea(ctx: Context, idea_id: int) -> None:
    """`/idea 12`: the idea with its supports, where it went and the discussion about it."""
    idea, notes = await live_idea(ctx, idea_id)
    idea_id = id_of(idea)
    author = await ctx.session.get(Person, idea.author_id)
    assert author is not None  # a foreign key: every idea has its author's row
    header = "idea.show_header_withdrawn" if idea.withdrawn_at else "idea.show_header"
    lines = [*notes, ctx.t(header, number=idea_id), idea.text]
    lines.append(
        ctx.t("idea.show_meta", author=ctx.called(author), date=ctx.date(idea.created_at), supports=idea.support_count)
    )
    coauthors = await _coauthors(ctx, idea_id)
    if coauthors:
        lines.append(ctx.t("idea.show_coauthors", names=", ".join(p.name for p in coauthors)))
    supporters = (
        await ctx.session.exec(
            select(Person)
            .join(Support, col(Support.person_id) == col(Person.id))
            .where(col(Support.idea_id) == idea_id)
            .order_by(col(Support.id))
        )
    ).all()
    if supporters:
        lines.append(ctx.t("idea.show_supporters", names=", ".join(p.name for p in supporters)))
    went = (
        await ctx.session.exec(
            select(Proposal)
            .join(ProposalIdea, col(ProposalIdea.proposal_id) == col(Proposal.id))
            .where(ProposalIdea.idea_id == idea_id)
            .order_by(col(ProposalIdea.added_at))
        )
    ).all()
    for proposal in went:
        state = ctx.t(f"proposal.state.{proposal.state}")
        lines.append(ctx.t("idea.show_proposal", number=proposal.id, title=proposal.title, state=state))
    if not went:
        lines.append(ctx.t("idea.show_no_proposal"))
    comments = (
        await ctx.session.exec(
            select(IdeaComment, Person)
            .join(Person, col(Person.id) == col(IdeaComment.person_id))
            .where(IdeaComment.idea_id == idea_id)
            .order_by(col(IdeaComment.id))
        )
    ).all()
    if comments:
        lines.append(ctx.t("idea.show_comments", count=len(comments)))
        for comment, person in comments:
            lines.append(
                ctx.t(
                    "idea.show_comment",
                    name=person.name,
                    date=ctx.day(comment.created_at),
                    text=clip(comment.text, 200),
                )
            )
    ctx.reply("\n".join(lines))


@registry.on("message.reply")
async def comment_by_reply(ctx: Context, message_id: str, text: str) -> None:
    """A reply to an idea's message (the bot's answer or the idea itself) is kept as a comment on it."""
    link = await _idea_link(ctx, message_id)
    if link is None:
        return
    text = text.strip()[: ctx.settings.max_idea_length]
    if not text:
        return
    comment = IdeaComment(idea_id=link.ref_id, person_id=id_of(ctx.person), text=text, created_at=ctx.now())
    ctx.session.add(comment)
    ctx.audit("idea.commented", "idea", link.ref_id)
    await ctx.publish("idea.commented", comment=comment)


async def _similar_line(ctx: Context, similar: list[Match]) -> str:
    """ "비슷한 아이디어가 있습니다: #12 (제안 #3, 숙성 중), #40": each with where it went."""
    ids = [m.idea.id for m in similar if m.idea.id is not None]
    went: dict[int, Proposal] = {}
    rows = await ctx.session.exec(
        select(ProposalIdea.idea_id, Proposal)
        .join(Proposal, col(Proposal.id) == col(ProposalIdea.proposal_id))
        .where(col(ProposalIdea.idea_id).in_(ids))
        .order_by(col(ProposalIdea.added_at))
    )
    for idea_id, proposal in rows.all():
        went[idea_id] = proposal  # the latest proposal the idea went into
    items = []
    for idea_id in ids:
        found = went.get(idea_id)
        if found is None:
            items.append(ctx.t("idea.similar_item", number=idea_id))
        else:
            state = ctx.t(f"proposal.state.{found.state}")
            items.append(ctx.t("idea.similar_item_proposal", number=idea_id, proposal=found.id, state=state))
    return ctx.t("idea.similar", ideas=", ".join(items))


async def list_ideas(ctx: Context, command: ParsedCommand) -> None:
    """The current topic's ideas, most supported first; `/ideas <topic#>` or `/ideas YYYY-MM` for earlier ones,
    `/ideas search <words>` searches them all."""
    word = command.word(0)
    if word is not None:
        await _earlier_ideas(ctx, word)
        return
    topic = await active_topic(ctx.session, id_of(ctx.room))
    condition: list[sa.ColumnElement[bool]] = [
        col(Idea.room_id) == ctx.room.id,
        col(Idea.topic_id) == (topic.id if topic else None),
    ]
    if topic is None:
        condition[1] = col(Idea.topic_id).is_(None)
    header = (
        (lambda count: ctx.t("ideas.header_topic", topic=topic.title, count=count))
        if topic
        else (lambda count: ctx.t("ideas.header", count=count))
    )
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
        condition = [col(Idea.room_id) == ctx.room.id, col(Idea.topic_id) == topic.id]
        if topic.state == TopicState.closed and topic.closed_at is not None:
            closed = ctx.date(topic.closed_at)
            header = lambda count: ctx.t("ideas.header_closed_topic", topic=topic.title, date=closed, count=count)  # noqa: E731
        else:
            header = lambda count: ctx.t("ideas.header_topic", topic=topic.title, count=count)  # noqa: E731
        empty = ctx.t(
            "ideas.none_closed_topic" if topic.state == TopicState.closed else "ideas.none_topic", topic=topic.title
        )
        await _reply_with_ideas(ctx, condition, header, empty, ctx.t("ideas.bundle_hint"))
        return
    if not _MONTH.match(cleaned):
        raise UserError("ideas.usage")
    try:
        span = parse_period(cleaned, ctx.settings.tz)
    except ValueError:
        raise UserError("ideas.usage") from None
    condition = [col(Idea.room_id) == ctx.room.id, col(Idea.created_at) >= span.start, col(Idea.created_at) < span.end]
    header = lambda count: ctx.t("ideas.header_month", month=span.label, count=count)  # noqa: E731
    await _reply_with_ideas(
        ctx, condition, header, ctx.t("ideas.none_month", month=span.label), ctx.t("ideas.bundle_hint")
    )


async def _closed_topics_hint(ctx: Context) -> str:
    """After a topic closed, where its ideas went: the latest closed topics and how to list them."""
    closed = (
        await ctx.session.exec(
            select(Topic)
            .where(Topic.room_id == ctx.room.id, Topic.state == TopicState.closed)
            .order_by(col(Topic.closed_at).desc(), col(Topic.id).desc())
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


async def _reply_with_ideas(
    ctx: Context, condition: list[sa.ColumnElement[bool]], header: Callable[[int], str], empty: str, footer: str = ""
) -> None:
    """The ideas matching `condition`, most supported first, or `empty` when there are none."""
    # Withdrawn and merged ideas keep their numbers but leave every listing.
    condition = [*condition, col(Idea.withdrawn_at).is_(None), col(Idea.merged_into_id).is_(None)]
    total = (await ctx.session.exec(select(func.count()).select_from(Idea).where(*condition))).one()
    if not total:
        ctx.reply(empty)
        return
    rows = (
        await ctx.session.exec(
            select(Idea, Person.name)
            .join(Person, col(Person.id) == col(Idea.author_id))
            .where(*condition)
            .order_by(col(Idea.support_count).desc(), col(Idea.id))
            .limit(IDEAS_SHOWN)
        )
    ).all()
    lines = [header(total)]
    for rank, (idea, author) in enumerate(rows, start=1):
        lines.append(
            ctx.t(
                "ideas.line",
                rank=rank,
                number=idea.id,
                text=clip(idea.text, 60),
                author=author,
                supports=idea.support_count,
            )
        )
    if total > IDEAS_SHOWN:
        lines.append(ctx.t("ideas.more", count=total - IDEAS_SHOWN))
    if footer:
        lines.append(footer)
    ctx.reply("\n".join(lines))


async def search(ctx: Context, words: str) -> None:
    """Ideas and proposals of every room and month holding the words, the best match first."""
    words = clean_text(words, max_length=200, empty_key="ideas.search_usage", too_long_key="ideas.search_usage")
    ideas = await search_ideas(ctx.session, words, FOUND_SHOWN)
    proposals = (
        await ctx.session.exec(
            select(Proposal)
            .where(*[col(Proposal.title).contains(word, autoescape=True) for word in words.split()])
            .order_by(col(Proposal.id).desc())
            .limit(FOUND_SHOWN)
        )
    ).all()
    if not ideas and not proposals:
        ctx.reply(ctx.t("ideas.search_none", words=words))
        return
    authors = dict(
        (
            await ctx.session.exec(
                select(Person.id, Person.name).where(col(Person.id).in_({i.author_id for i in ideas}))
            )
        ).all()
    )
    lines = [ctx.t("ideas.search_header", words=words)]
    for idea in ideas:
        lines.append(
            ctx.t(
                "ideas.search_line",
                number=idea.id,
                text=clip(idea.text, 60),
                author=authors.get(idea.author_id, ""),
                supports=idea.support_count,
                date=ctx.date(idea.created_at),
            )
        )
    for proposal in proposals:
        state = ctx.t(f"proposal.state.{proposal.state}")
        lines.append(
            ctx.t("ideas.search_proposal_line", number=proposal.id, title=clip(proposal.title, 60), state=state)
        )
    ctx.reply("\n".join(lines))


async def support_idea(ctx: Context, idea_id: int) -> Idea:
    """Record the person's support once; refuse their own idea and a second support.

    A merged idea's number supports the idea it was merged into."""
    idea, _ = await live_idea(ctx, idea_id)
    idea_id = id_of(idea)
    if idea.withdrawn_at is not None:
        raise UserError("idea.withdrawn", number=idea_id)
    coauthor = (
        await ctx.session.exec(
            select(IdeaCoauthor.id).where(IdeaCoauthor.idea_id == idea_id, IdeaCoauthor.person_id == ctx.person.id)
        )
    ).first()
    if idea.author_id == ctx.person.id or coauthor is not None:
        raise UserError("support.own_idea", number=idea_id)
    # A support given by a 👍 remembers that reaction, so taking the 👍 back withdraws it.
    link = dict(idea_id=idea_id, reaction=ctx.reaction)
    await support_once(ctx, idea, Support, link, already_key="support.already")
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
    link = await _idea_link(ctx, message_id)
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


@registry.on("reaction.removed")
async def unsupport_by_reaction(ctx: Context, reaction: str, anyone: bool) -> None:
    """Taking back the 👍 that gave a support withdraws it, quietly; a support by /support or a button stays."""
    statement = select(Support).where(Support.reaction == reaction)
    if not anyone:
        statement = statement.where(Support.person_id == ctx.person.id)
    support = (await ctx.session.exec(statement)).first()
    if support is not None:
        await withdraw_support(ctx, support)


async def withdraw_support(ctx: Context, support: Support) -> None:
    """Remove one support: the count goes down at once and the points it brought are reversed (points listener)."""
    deleted = await ctx.session.exec(sa.delete(Support).where(col(Support.id) == support.id))
    if not deleted.rowcount:
        return  # another worker withdrew it first
    await ctx.session.exec(
        sa.update(Idea).where(col(Idea.id) == support.idea_id).values(support_count=col(Idea.support_count) - 1)
    )
    idea = await ctx.session.get(Idea, support.idea_id)
    assert idea is not None
    await ctx.session.refresh(idea)
    ctx.audit("idea.support_withdrawn", "idea", idea.id, supporter=support.person_id)
    await ctx.publish("idea.support_withdrawn", idea=idea)


async def _told_before(ctx: Context, idea_id: int) -> bool:
    told = await ctx.session.exec(
        select(AuditEntry.id).where(
            AuditEntry.action == "support.own_reaction_told",
            AuditEntry.subject_id == idea_id,
            AuditEntry.actor_id == ctx.person.id,
        )
    )
    return told.first() is not None


async def _idea_link(ctx: Context, message_id: str) -> MessageLink | None:
    """The idea a message of this chat stands for (the person's post or the bot's confirmation)."""
    statement = select(MessageLink).where(
        MessageLink.platform == ctx.place.platform,
        MessageLink.chat_id == ctx.place.chat_id,
        MessageLink.message_id == message_id,
        MessageLink.ref_kind == "idea",
    )
    return (await ctx.session.exec(statement)).first()


def _number_after(command: ParsedCommand) -> int:
    return int(command.word(1) or 0)


# `/idea edit 12 …` and `/idea withdraw 12`; an idea that merely starts with the word stays an idea.
IDEA = Subcommands(
    "idea",
    {
        "edit": Sub(
            lambda ctx, c: edit_idea(ctx, _number_after(c), c.rest_after(2)), fits=lambda c: is_number(c.word(1) or "")
        ),
        "withdraw": Sub(
            lambda ctx, c: withdraw_idea(ctx, _number_after(c)),
            fits=lambda c: len(c.argv) == 2 and is_number(c.word(1) or ""),
        ),
        "merge": merge_command,
    },
    numbered=Sub(lambda ctx, c: show_idea(ctx, int(c.argv[0].removeprefix("#"))), fits=lambda c: len(c.argv) == 1),
    otherwise=post_idea,
)
registry.command(
    "idea",
    help=("help.idea", "help.idea_show", "help.idea_edit"),
    organizer_help=("help.idea_merge",),
    order=10,
    in_direct_chat=False,
)(IDEA)
IDEAS = Subcommands("ideas", {"search": lambda ctx, c: search(ctx, c.rest_after(1))}, otherwise=list_ideas)
registry.command("ideas", help=("help.ideas", "help.ideas_search"), order=11, in_direct_chat=False)(IDEAS)
