"""Proposal chat commands: /proposal and its subcommands, /proposals, the adopt button and review reminders."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from bot import routing
from bot.committee.rules import DECIDER, recused
from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.features.common import parse_number
from bot.features.ideas import support_idea
from bot.idea_comments import comment_lines
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.proposals.queries import (
    department_of,
    ideas_of,
    is_committee_member,
    is_head_of,
    notice_params,
    proposers,
)
from bot.proposals.states import LISTING_ORDER, bot_actor_key, can_move, state_key
from bot.proposals.workflow import (
    answer_supplement,
    days_left_when_paused,
    decide,
    move,
    request_supplement,
    require_head_or_organizer,
    review_buttons,
    review_key,
    revive_proposal,
    submit,
    tell_proposers,
    undo_last,
)
from bot.registry import COMMITTEE, HEAD, IMPLEMENTER, registry
from bot.reminders import cancel
from bot.subcommands import Subcommands
from bot.text import MAX_ID, clean_optional, clean_text, clip, is_number
from storage.tables import (
    Department,
    Idea,
    Identity,
    Person,
    Proposal,
    ProposalIdea,
    ProposalState,
    ProposalTransition,
    Topic,
    id_of,
)

S = ProposalState
MAX_TITLE = 300
MAX_REASON = 1000
SHOWN_PER_STATE = 10
ROUTE_CHOICES = 3
_IDEA_LIST = re.compile(r"^[#0-9,]*[0-9][#0-9,]*$")

CANCEL_WORDS = ("취소", "cancel")


# --- reading what was typed ----------------------------------------------------------------------


async def load_proposal(ctx: Context, word: str | None, usage_key: str = "proposal.usage") -> Proposal:
    number = parse_number(word, usage_key)
    proposal = await ctx.session.get(Proposal, number)
    if proposal is None:
        raise UserError("proposal.not_found", number=number)
    return proposal


async def load_ideas(ctx: Context, numbers: list[int]) -> list[Idea]:
    """The ideas with these numbers, in order and without repeats; every one must exist."""
    unique = list(dict.fromkeys(numbers))
    possible = [n for n in unique if n <= MAX_ID]
    ideas = {i.id: i for i in (await ctx.session.exec(select(Idea).where(col(Idea.id).in_(possible)))).all()}
    missing = [n for n in unique if n not in ideas]
    if missing:
        raise UserError("proposal.ideas_not_found", numbers=", ".join(f"#{n}" for n in missing))
    return [ideas[n] for n in unique]


def idea_numbers(words: list[str]) -> tuple[list[int], int]:
    """Leading words that are idea numbers (`3,5 #7`) and how many words they took."""
    numbers: list[int] = []
    taken = 0
    for word in words:
        if not _IDEA_LIST.match(word):
            break
        for part in filter(None, (p.strip("#") for p in word.split(","))):
            if not is_number(part):
                raise UserError("error.not_a_number", value=part[:20])
            numbers.append(int(part))
        taken += 1
    return numbers, taken


async def suggested_departments(ctx: Context, proposal: Proposal) -> list[Department]:
    """Where the proposal should go: its topic's departments first, then what its own text says.

    The department that already has it (a revival after "not ours") is left out.
    """
    past = await routing.past_choices(ctx, except_proposal=proposal.id)
    found: list[Department] = []
    topic = await ctx.session.get(Topic, proposal.topic_id) if proposal.topic_id else None
    if topic is not None:
        found += await routing.rank(ctx, f"{topic.title} {topic.description}", ROUTE_CHOICES + 1, past)
    text = " ".join([proposal.title] + [i.text for i in await ideas_of(ctx.session, id_of(proposal))])
    found += await routing.rank(ctx, text, ROUTE_CHOICES + 1, past)
    unique = {d.id: d for d in found if d.id != proposal.department_id}
    return list(unique.values())[:ROUTE_CHOICES]


async def offer_departments(ctx: Context, proposal: Proposal) -> None:
    """Name the suggested department and wait for the organizer's one-tap confirmation."""
    departments = await suggested_departments(ctx, proposal)
    if not departments:
        raise UserError("proposal.department_needed", number=proposal.id)
    lines = [ctx.t("proposal.route_header", number=proposal.id, title=proposal.title)]
    buttons = []
    for rank, department in enumerate(departments, start=1):
        head = await ctx.session.get(Person, department.head_person_id) if department.head_person_id else None
        if head is None:  # said, not a "-" where the head's name goes
            lines.append(ctx.t("proposal.route_line_no_head", rank=rank, department=department.name))
        else:
            lines.append(ctx.t("proposal.route_line", rank=rank, department=department.name, head=head.name))
        buttons.append(
            [Button(ctx.t("proposal.route_button", department=department.name), f"route:{proposal.id}:{department.id}")]
        )
    lines.append(ctx.t("proposal.route_footer", number=proposal.id, department=departments[0].name))
    ctx.reply("\n".join(lines), buttons)


async def send_to(ctx: Context, proposal: Proposal, department: Department) -> None:
    """Submit a draft, or send a maturing proposal again to a department (a revival)."""
    if proposal.state == S.maturing:
        await revive_proposal(ctx, proposal, by_committee=False, department=department)
        ctx.reply(ctx.t("proposal.notice.revived", **await notice_params(ctx, proposal)))
        return
    await submit(ctx, proposal, department)
    ctx.reply(ctx.t("proposal.submitted_reply", **await notice_params(ctx, proposal)))


def clean_reason(text: str, missing_key: str, **params: object) -> str:
    try:
        return clean_text(text, max_length=MAX_REASON, empty_key=missing_key, too_long_key="proposal.reason_too_long")
    except UserError as error:
        raise UserError(error.key, **{**params, **error.params}) from None


# --- commands -----------------------------------------------------------------------------------


async def new(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("proposal.new")
    words = command.args.split()[1:]
    numbers, taken = idea_numbers(words)
    if not numbers:
        raise UserError("proposal.new_usage")
    title = clean_text(
        command.rest_after(1 + taken),
        max_length=MAX_TITLE,
        empty_key="proposal.title_missing",
        too_long_key="proposal.title_too_long",
    )
    ideas = await load_ideas(ctx, numbers)
    proposal = Proposal(
        title=title,
        room_id=None if ctx.place.is_direct else ctx.room.id,
        topic_id=ideas[0].topic_id,
        created_by=id_of(ctx.person),
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    ctx.session.add(proposal)
    await ctx.session.flush()
    for idea in ideas:
        ctx.session.add(ProposalIdea(proposal_id=id_of(proposal), idea_id=id_of(idea), added_at=ctx.now()))
    await ctx.session.flush()
    ctx.audit("proposal.created", "proposal", proposal.id, ideas=[i.id for i in ideas], title=title)
    await ctx.publish("proposal.created", proposal=proposal)
    names = ", ".join(p.name for p in await proposers(ctx.session, id_of(proposal)))
    ctx.reply(ctx.t("proposal.created", number=proposal.id, title=title, count=len(ideas), proposers=names))
    await tell_proposers(ctx, proposal, "proposal.notice.created", number=proposal.id, title=title)


async def submit_command(ctx: Context, command: ParsedCommand) -> None:
    """`/proposal submit N [department]`: without a department, the bot suggests one and asks."""
    await ctx.require_organizer("proposal.submit")
    proposal = await load_proposal(ctx, command.word(1), "proposal.submit_usage")
    if proposal.state not in (S.draft, S.maturing):
        # Checked before guessing a department, so the answer is about the state.
        raise UserError(
            "proposal.not_now",
            number=proposal.id,
            state=ctx.t(state_key(proposal.state)),
            action=ctx.t("proposal.action.submitted"),
        )
    name = command.rest_after(2)
    if not name:
        await offer_departments(ctx, proposal)
        return
    await send_to(ctx, proposal, await routing.choose_department(ctx, name, error_prefix="proposal"))


@registry.button("route")
async def route_pressed(ctx: Context, args: list[str]) -> str:
    """`route:<proposal>:<department>`: the organizer confirms where the proposal goes."""
    await ctx.require_organizer("proposal.submit")
    if len(args) != 2 or not all(is_number(a) for a in args):
        return ctx.t("error.unknown_button")
    proposal = await ctx.session.get(Proposal, int(args[0]))
    department = await ctx.session.get(Department, int(args[1]))
    if proposal is None or department is None:
        return ctx.t("error.unknown_button")
    if proposal.state not in (S.draft, S.maturing):
        raise UserError(
            "proposal.not_now",
            number=proposal.id,
            state=ctx.t(state_key(proposal.state)),
            action=ctx.t("proposal.action.submitted"),
        )
    await send_to(ctx, proposal, department)
    return ctx.t("proposal.route_sent_toast", number=proposal.id, department=department.name)


async def adopt_command(ctx: Context, command: ParsedCommand) -> None:
    proposal = await load_proposal(ctx, command.word(1), "proposal.adopt_usage")
    await decide(ctx, proposal, S.adopted)
    ctx.reply(ctx.t("proposal.notice.adopted", **await notice_params(ctx, proposal)))


@registry.button("prop")
async def proposal_button(ctx: Context, args: list[str]) -> str:
    """`prop:<id>:adopt|reject|supplement` under the head's review request; the last two ask for a text."""
    if len(args) != 2 or not is_number(args[0]) or args[1] not in ("adopt", "reject", "supplement"):
        return ctx.t("error.unknown_button")
    proposal = await load_proposal(ctx, args[0])
    if args[1] == "adopt":
        await decide(ctx, proposal, S.adopted)
        return ctx.t("proposal.notice.adopted", **await notice_params(ctx, proposal))
    to_state = S.rejected if args[1] == "reject" else S.supplement
    await require_head_or_organizer(ctx, proposal, f"proposal.{args[1]}")
    if not can_move(proposal.state, to_state):
        raise UserError(
            "proposal.not_now",
            number=proposal.id,
            state=ctx.t(state_key(proposal.state)),
            action=ctx.t(f"proposal.action.{to_state}"),
        )
    await ctx.ask(f"proposal_{args[1]}", proposal.id)
    await ctx.tell(ctx.person, ctx.t(f"proposal.ask_{args[1]}", number=proposal.id, title=proposal.title))
    return ctx.t("proposal.ask_toast")


@registry.awaiting("proposal_reject")
async def reject_answered(ctx: Context, text: str, pending: Any) -> None:
    """The reason typed after the reject button."""
    proposal = await load_proposal(ctx, str(pending.ref_id or 0))
    if text.strip().lower() in CANCEL_WORDS:
        ctx.reply(ctx.t("proposal.ask_cancelled", number=proposal.id))
        return
    reason = clean_reason(text, "proposal.reason_required", number=proposal.id)
    await decide(ctx, proposal, S.rejected, reason)
    ctx.reply(ctx.t("proposal.rejected_reply", **await notice_params(ctx, proposal, reason)))


@registry.awaiting("proposal_supplement")
async def supplement_answered(ctx: Context, text: str, pending: Any) -> None:
    """The note typed after the supplement button."""
    proposal = await load_proposal(ctx, str(pending.ref_id or 0))
    if text.strip().lower() in CANCEL_WORDS:
        ctx.reply(ctx.t("proposal.ask_cancelled", number=proposal.id))
        return
    await _request_supplement(ctx, proposal, text)


async def supplement_command(ctx: Context, command: ParsedCommand) -> None:
    """`/proposal supplement <n> <note>`: the head asks the proposers to supplement the proposal."""
    proposal = await load_proposal(ctx, command.word(1), "proposal.supplement_usage")
    await require_head_or_organizer(ctx, proposal, "proposal.supplement")
    await _request_supplement(ctx, proposal, command.rest_after(2))


async def _request_supplement(ctx: Context, proposal: Proposal, text: str) -> None:
    note = clean_reason(text, "proposal.supplement_note_required", number=proposal.id)
    await request_supplement(ctx, proposal, note)
    ctx.reply(
        ctx.t(
            "proposal.supplement_requested_reply",
            **await notice_params(ctx, proposal, note),
            days=days_left_when_paused(proposal, ctx.settings.tz),
        )
    )


async def answer_command(ctx: Context, command: ParsedCommand) -> None:
    """`/proposal answer <n> <text>`: the proposers' supplement; the review clock runs again."""
    proposal = await load_proposal(ctx, command.word(1), "proposal.answer_usage")
    answer = clean_reason(command.rest_after(2), "proposal.answer_required", number=proposal.id)
    await answer_supplement(ctx, proposal, answer)
    ctx.reply(ctx.t("proposal.supplement_answered_reply", **await notice_params(ctx, proposal)))


async def reject_command(ctx: Context, command: ParsedCommand) -> None:
    proposal = await load_proposal(ctx, command.word(1), "proposal.reject_usage")
    await require_head_or_organizer(ctx, proposal, "proposal.reject")
    reason = clean_reason(command.rest_after(2), "proposal.reason_required", number=proposal.id)
    await decide(ctx, proposal, S.rejected, reason)
    ctx.reply(ctx.t("proposal.rejected_reply", **await notice_params(ctx, proposal, reason)))


async def assign_command(ctx: Context, command: ParsedCommand) -> None:
    proposal = await load_proposal(ctx, command.word(1), "proposal.assign_usage")
    await require_head_or_organizer(ctx, proposal, "proposal.assign")
    reference = command.rest_after(2)
    if not reference:
        raise UserError("proposal.assign_usage")
    implementer = await ctx.find_person(reference)
    if implementer is None:
        raise UserError("error.person_not_found", name=reference[:50])
    await move(ctx, proposal, S.implementing, reason=implementer.name, implementer_id=implementer.id)
    params = await notice_params(ctx, proposal)
    told = await ctx.tell(implementer, ctx.translator(implementer)("proposal.implementer_told", **params))
    ctx.reply(ctx.t("proposal.notice.implementing", **params))
    if told is None:
        ctx.reply(ctx.t("proposal.implementer_unreachable", implementer=ctx.called(implementer)))


async def done_command(ctx: Context, command: ParsedCommand) -> None:
    proposal = await load_proposal(ctx, command.word(1), "proposal.done_usage")
    allowed = ctx.is_organizer() or proposal.implementer_id == ctx.person.id or await is_head_of(ctx, proposal)
    if not allowed:
        raise NotAllowed(action="proposal.done", key="proposal.done_not_allowed", number=proposal.id)
    await move(ctx, proposal, S.implemented, implemented_at=ctx.now())
    ctx.reply(ctx.t("proposal.notice.implemented", **await notice_params(ctx, proposal)))


async def withdraw_command(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("proposal.withdraw")
    proposal = await load_proposal(ctx, command.word(1), "proposal.withdraw_usage")
    reason = clean_optional(command.rest_after(2), MAX_REASON)
    await move(ctx, proposal, S.withdrawn, reason=reason)
    await cancel(ctx.session, review_key(proposal))
    ctx.reply(ctx.t("proposal.notice.withdrawn", **await notice_params(ctx, proposal, reason)))


async def addidea_command(ctx: Context, command: ParsedCommand) -> None:
    """Anyone may add ideas to a maturing proposal; organizers also to a draft."""
    proposal = await load_proposal(ctx, command.word(1), "proposal.addidea_usage")
    open_to_all = proposal.state == S.maturing
    if not open_to_all and not (proposal.state == S.draft and ctx.is_organizer()):
        raise UserError("proposal.addidea_closed", number=proposal.id, state=ctx.t(state_key(proposal.state)))
    numbers, _ = idea_numbers(command.args.split()[2:])
    if not numbers:
        raise UserError("proposal.addidea_usage")
    ideas = await load_ideas(ctx, numbers)
    before = {id_of(p) for p in await proposers(ctx.session, id_of(proposal))}
    existing = set(
        (await ctx.session.exec(select(ProposalIdea.idea_id).where(ProposalIdea.proposal_id == proposal.id))).all()
    )
    added = [i for i in ideas if i.id not in existing]
    if not added:
        raise UserError("proposal.ideas_already_in", number=proposal.id)
    for idea in added:
        ctx.session.add(ProposalIdea(proposal_id=id_of(proposal), idea_id=id_of(idea), added_at=ctx.now()))
    await ctx.session.flush()
    ctx.audit("proposal.ideas_added", "proposal", proposal.id, ideas=[i.id for i in added])
    for person in await proposers(ctx.session, id_of(proposal)):
        if person.id not in before:
            await ctx.tell(
                person,
                ctx.translator(person)(
                    "proposal.notice.created", name=ctx.called(person, person), number=proposal.id, title=proposal.title
                ),
            )
    ctx.reply(ctx.t("proposal.ideas_added", number=proposal.id, ideas=", ".join(f"#{i.id}" for i in added)))


async def support_command(ctx: Context, command: ParsedCommand) -> None:
    """Supporting a proposal supports each of its ideas (not your own, once): idea supports are what count."""
    proposal = await load_proposal(ctx, command.word(1), "proposal.support_usage")
    if proposal.state == S.withdrawn:
        raise UserError("proposal.support_closed", number=proposal.id, state=ctx.t(state_key(proposal.state)))
    supported = []
    for idea in await ideas_of(ctx.session, id_of(proposal)):
        try:
            await support_idea(ctx, id_of(idea))
        except UserError:
            continue  # own idea or already supported: nothing was written
        supported.append(idea.id)
    if not supported:
        raise UserError("proposal.support_nothing", number=proposal.id)
    ctx.reply(ctx.t("proposal.supported", number=proposal.id, ideas=", ".join(f"#{n}" for n in supported)))


async def revive_command(ctx: Context, command: ParsedCommand) -> None:
    proposal = await load_proposal(ctx, command.word(1), "proposal.revive_usage")
    organizer = ctx.is_organizer()
    if not (organizer or await is_committee_member(ctx)):
        raise NotAllowed(action="proposal.revive", key="proposal.revive_not_allowed", number=proposal.id)
    if not organizer and id_of(ctx.person) in {id_of(p) for p in await proposers(ctx.session, id_of(proposal))}:
        raise NotAllowed(action="proposal.revive", key="proposal.revive_own", number=proposal.id)
    if not organizer and (await recused(ctx.session, id_of(proposal))).get(id_of(ctx.person)) == DECIDER:
        raise NotAllowed(action="proposal.revive", key="proposal.revive_decided", number=proposal.id)
    # Revival points reward the committee's quarterly vote, not one member's command.
    await revive_proposal(ctx, proposal, by_committee=False, reason=clean_optional(command.rest_after(2), MAX_REASON))
    ctx.reply(ctx.t("proposal.notice.revived", **await notice_params(ctx, proposal)))


async def undo_command(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("proposal.undo")
    proposal = await load_proposal(ctx, command.word(1), "proposal.undo_usage")
    last = await undo_last(ctx, proposal)
    ctx.reply(
        ctx.t(
            "proposal.undone_reply",
            number=proposal.id,
            undone=ctx.t(state_key(last.to_state)),
            state=ctx.t(state_key(proposal.state)),
        )
    )


SUBCOMMANDS = {
    "new": new,
    "submit": submit_command,
    "adopt": adopt_command,
    "reject": reject_command,
    "assign": assign_command,
    "done": done_command,
    "withdraw": withdraw_command,
    "addidea": addidea_command,
    "support": support_command,
    "revive": revive_command,
    "undo": undo_command,
    "supplement": supplement_command,
    "answer": answer_command,
}


async def _usage(ctx: Context, command: ParsedCommand) -> None:
    raise UserError("proposal.usage")


async def _show_numbered(ctx: Context, command: ParsedCommand) -> None:
    await show(ctx, await load_proposal(ctx, command.word(0)))


# `/proposal <n>` shows one; the first word otherwise names what to do.
PROPOSAL = Subcommands("proposal", SUBCOMMANDS, bare=_usage, numbered=_show_numbered)
registry.command(
    "proposal",
    help=("help.proposal", "help.proposal_mature"),
    role_help=(
        (HEAD, "help.proposal_review"),
        (HEAD, "help.proposal_done"),
        (IMPLEMENTER, "help.proposal_done"),
        (COMMITTEE, "help.proposal_revive"),
    ),
    organizer_help=("help.proposal_organizer",),
    order=30,
)(PROPOSAL)


# --- showing ------------------------------------------------------------------------------------


async def show(ctx: Context, proposal: Proposal) -> None:
    """One proposal: what it is, where it stands, who is behind it, and its history."""
    params = await notice_params(ctx, proposal, proposal.rejection_reason)
    lines = [ctx.t("proposal.show_title", number=proposal.id, title=proposal.title)]
    state = ctx.t(state_key(proposal.state))
    if proposal.department_id is None:  # not "담당 부서: 담당 부서 미정"
        lines.append(ctx.t("proposal.show_state_no_department", state=state))
    else:
        lines.append(ctx.t("proposal.show_state", state=state, department=params["department"]))
    lines.append(
        ctx.t(
            "proposal.show_proposers",
            names=", ".join(p.name for p in await proposers(ctx.session, id_of(proposal)))
            or ctx.t("value.no_proposers"),
        )
    )
    lines.append(ctx.t("proposal.show_ideas"))
    for idea in await ideas_of(ctx.session, id_of(proposal)):
        lines.append(ctx.t("proposal.idea_line", number=idea.id, text=clip(idea.text, 60), supports=idea.support_count))
        lines += await comment_lines(ctx.session, ctx.t, id_of(idea))
    if proposal.state == S.submitted and proposal.review_due_at:
        days = max(0, (proposal.review_due_at - ctx.now()).days)
        lines.append(ctx.t("proposal.show_under_review", department=params["department"], due=params["due"], days=days))
    if proposal.state == S.supplement:
        lines.append(
            ctx.t(
                "proposal.show_supplement",
                note=await _supplement_note(ctx, proposal),
                days=days_left_when_paused(proposal, ctx.settings.tz),
                number=proposal.id,
            )
        )
    if proposal.rejection_reason and proposal.state == S.maturing:
        lines.append(ctx.t("proposal.show_rejection", reason=proposal.rejection_reason))
    if proposal.implementer_id:
        lines.append(ctx.t("proposal.show_implementer", name=params["implementer"]))
    if proposal.revived_count:
        lines.append(ctx.t("proposal.show_revived", count=proposal.revived_count))
    transitions = (
        await ctx.session.exec(
            select(ProposalTransition, Person.name)
            .join(Person, col(Person.id) == col(ProposalTransition.actor_id), isouter=True)
            .where(ProposalTransition.proposal_id == proposal.id)
            .order_by(col(ProposalTransition.id))
        )
    ).all()
    bot_person = (
        await ctx.session.exec(
            select(Identity.person_id).where(Identity.platform == "system", Identity.external_id == "system")
        )
    ).first()
    if transitions:
        lines.append(ctx.t("proposal.show_history"))
        for transition, actor in transitions:
            key = "proposal.history_undone" if transition.undone else "proposal.history_line"
            lines.append(
                ctx.t(
                    key,
                    at=ctx.when(transition.at),
                    from_state=ctx.t(state_key(transition.from_state)),
                    to_state=ctx.t(state_key(transition.to_state)),
                    actor=_actor(ctx, transition, actor, bot_person),
                    reason=f" — {transition.reason}" if transition.reason else "",
                )
            )
    ctx.reply("\n".join(lines))


async def _supplement_note(ctx: Context, proposal: Proposal) -> str:
    """The note of the supplement request the proposal waits on."""
    note = (
        await ctx.session.exec(
            select(ProposalTransition.reason)
            .where(ProposalTransition.proposal_id == proposal.id, ProposalTransition.to_state == S.supplement)
            .order_by(col(ProposalTransition.id).desc())
        )
    ).first()
    return note or ctx.t("value.no_reason")


def _actor(ctx: Context, transition: ProposalTransition, name: str | None, bot_person: int | None) -> str:
    """Who made a change; a change the bot carried out names what decided it, never the bot."""
    if transition.actor_id is not None and transition.actor_id == bot_person:
        return ctx.t(bot_actor_key(transition.from_state, transition.to_state))
    return name or ctx.t("proposal.actor_automatic")


@registry.command("proposals", help=("help.proposals",), order=31)
async def list_proposals(ctx: Context, command: ParsedCommand) -> None:
    """Every proposal grouped by state, with counts."""
    counts = dict((await ctx.session.exec(select(Proposal.state, func.count()).group_by(Proposal.state))).all())
    if not counts:
        ctx.reply(ctx.t("proposals.none"))
        return
    lines = [ctx.t("proposals.header", count=sum(counts.values()))]
    names = {d.id: d.name for d in (await ctx.session.exec(select(Department))).all()}
    for state in LISTING_ORDER:
        if not counts.get(state):
            continue
        lines.append(ctx.t("proposals.state_header", state=ctx.t(state_key(state)), count=counts[state]))
        rows = (
            await ctx.session.exec(
                select(Proposal)
                .where(col(Proposal.state) == state)
                .order_by(col(Proposal.id).desc())
                .limit(SHOWN_PER_STATE)
            )
        ).all()
        for proposal in rows:
            department = names.get(proposal.department_id) if proposal.department_id else None
            department = department or ctx.t("value.no_department")
            lines.append(
                ctx.t("proposals.line", number=proposal.id, title=clip(proposal.title, 50), department=department)
            )
        if counts[state] > SHOWN_PER_STATE:
            lines.append(ctx.t("proposals.more", count=counts[state] - SHOWN_PER_STATE))
    ctx.reply("\n".join(lines))


# --- reminders ----------------------------------------------------------------------------------


async def _still_in_review(ctx: Context, reminder: Any) -> Proposal | None:
    """The proposal a review reminder is about, if that same review is still open."""
    payload = reminder.payload or {}
    proposal = await ctx.session.get(Proposal, payload.get("proposal_id"))
    if proposal is None or proposal.state != S.submitted or payload.get("round", 0) != proposal.revived_count:
        return None
    # A reminder of a clock a supplement request stopped (its due date has moved since) is stale.
    due = payload.get("due")
    if (
        isinstance(due, str)
        and proposal.review_due_at is not None
        and datetime.fromisoformat(due) != proposal.review_due_at
    ):
        return None
    return proposal


@registry.reminder("proposal.review_due")
async def review_due(ctx: Context, reminder: Any) -> None:
    """Nudge the department head a week and a day before the review is due."""
    proposal = await _still_in_review(ctx, reminder)
    department = await department_of(ctx, proposal) if proposal else None
    if proposal is None or department is None or department.head_person_id is None:
        return
    head = await ctx.session.get(Person, department.head_person_id)
    if head is None:
        return
    params = await notice_params(ctx, proposal)
    text = ctx.translator(head)("proposal.review_reminder", days=reminder.payload.get("days_left", 1), **params)
    await ctx.tell(head, text, review_buttons(ctx.translator(head), id_of(proposal)))


@registry.reminder("proposal.review_overdue")
async def review_overdue(ctx: Context, reminder: Any) -> None:
    """Tell the organizers a review is overdue."""
    proposal = await _still_in_review(ctx, reminder)
    if proposal is None:
        return
    await ctx.tell_organizers("proposal.review_overdue", **await notice_params(ctx, proposal))
