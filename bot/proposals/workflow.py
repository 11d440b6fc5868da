"""Changing a proposal's state, and what follows: points, notices to proposers and head, review reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from bot.business_days import previous_business_day
from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.idea_comments import comment_lines
from bot.messages import Button
from bot.office_hours import OfficeHours, day_after, due_day, end_of_day
from bot.people import system_person
from bot.points import ledger
from bot.proposals.queries import (
    department_of,
    ideas_of,
    is_head_of,
    notice_params,
    proposers,
)
from bot.proposals.states import can_move, resting_state, state_key
from bot.reminders import cancel, schedule
from bot.text import clip
from storage.tables import (
    Department,
    Person,
    Proposal,
    ProposalState,
    ProposalTransition,
    Reminder,
    ReminderState,
    Room,
    id_of,
)

S = ProposalState

# Decisions the room and the organizers hear about, not only the proposers.
DECISIONS = frozenset({S.adopted, S.rejected, S.implemented})

# Points a transition into a state paid, so that undoing it can take them back.
STAGES_PAID: dict[str, set[str]] = {
    S.adopted: {"proposal_adopted"},
    S.implemented: {"proposal_implemented_proposers", "proposal_implemented_implementer"},
}


async def require_head_or_organizer(ctx: Context, proposal: Proposal, action: str) -> None:
    """Only the head of the proposal's department, or an organizer, may decide on it."""
    if not (ctx.is_organizer() or await is_head_of(ctx, proposal)):
        raise NotAllowed(action, key="proposal.head_only", number=proposal.id)


async def tell_proposers(ctx: Context, proposal: Proposal, key: str, **params: Any) -> None:
    """A direct message to every proposer, each in their own language (the one acting has their answer)."""
    for person in await proposers(ctx.session, id_of(proposal)):
        if person.id == ctx.person.id:
            continue
        await ctx.tell(person, ctx.translator(person)(key, **{"name": ctx.called(person, person), **params}))


def review_buttons(t: Any, proposal_id: int) -> list[list[Button]]:
    """Adopt; reject and request a supplement each ask for their text next."""
    return [
        [
            Button(t("proposal.adopt_button"), f"prop:{proposal_id}:adopt"),
            Button(t("proposal.reject_button"), f"prop:{proposal_id}:reject"),
        ],
        [Button(t("proposal.supplement_button"), f"prop:{proposal_id}:supplement")],
    ]


async def tell_head(
    ctx: Context, proposal: Proposal, params: dict[str, Any], first_key: str = "proposal.review_request", **extra: Any
) -> None:
    """Ask the department head to review, with buttons to adopt, reject or request a supplement."""
    department = await department_of(ctx, proposal)
    head = (
        await ctx.session.get(Person, department.head_person_id) if department and department.head_person_id else None
    )
    if head is None:
        return
    t = ctx.translator(head)
    ideas = await ideas_of(ctx.session, id_of(proposal))
    lines = [t(first_key, **params, **extra)]
    for idea in ideas:
        # The discussion in the room goes with each idea, so the reviewing head sees it too.
        lines.append(t("proposal.idea_line", number=idea.id, text=clip(idea.text, 60), supports=idea.support_count))
        lines += await comment_lines(ctx.session, t, id_of(idea))
    lines.append(t("proposal.review_how", number=proposal.id))
    if await ctx.tell(head, "\n".join(lines), review_buttons(t, id_of(proposal))) is None:
        await ctx.tell_organizers("proposal.head_unreachable", number=proposal.id, head=head.name)


async def home_room(ctx: Context, proposal: Proposal) -> Room | None:
    """The room a proposal belongs to: where it was made, else where its first idea was posted."""
    if proposal.room_id is not None:
        return await ctx.session.get(Room, proposal.room_id)
    ideas = await ideas_of(ctx.session, id_of(proposal))
    return await ctx.session.get(Room, ideas[0].room_id) if ideas else None


async def announce_decision(ctx: Context, proposal: Proposal, key: str, params: dict[str, Any]) -> None:
    """A decision reaches the proposal's room and the organizers, wherever it was made (a direct chat too)."""
    room = await home_room(ctx, proposal)
    if room is not None and (ctx.place.is_direct or ctx.room.id != room.id):
        ctx.post(room, ctx.translator()(key, **params))
    told = {id_of(p) for p in await proposers(ctx.session, id_of(proposal))} | {id_of(ctx.person)}
    for organizer in await ctx.organizers():
        if organizer.id not in told:
            await ctx.tell(organizer, ctx.translator(organizer)(key, **params))


async def _set_state(ctx: Context, proposal: Proposal, expected: str, new: str, **fields: Any) -> None:
    """Change the state only if nobody changed it meanwhile (two reviewers at once)."""
    result = await ctx.session.exec(
        sa.update(Proposal)
        .where(col(Proposal.id) == proposal.id, col(Proposal.state) == expected)
        .values(state=new, updated_at=ctx.now(), **fields)
    )
    if not result.rowcount:
        raise UserError("proposal.changed_meanwhile", number=proposal.id)
    await ctx.session.refresh(proposal)


async def move(
    ctx: Context,
    proposal: Proposal,
    to_state: str,
    *,
    reason: str = "",
    action_key: str | None = None,
    notice_key: str | None = None,
    actor: Person | None = None,
    **fields: Any,
) -> ProposalTransition:
    """One change of state: checked, recorded, audited, published, and told to every proposer.

    `actor` is who the history names when it is not the person acting (the committee, for its chair)."""
    from_state = proposal.state
    if not can_move(from_state, to_state):
        raise UserError(
            "proposal.not_now",
            number=proposal.id,
            state=ctx.t(state_key(from_state)),
            action=ctx.t(action_key or f"proposal.action.{to_state}"),
        )
    await _set_state(ctx, proposal, from_state, resting_state(to_state), **fields)
    transition = ProposalTransition(
        proposal_id=id_of(proposal),
        from_state=from_state,
        to_state=to_state,
        actor_id=(actor or ctx.person).id,
        reason=reason,
        at=ctx.now(),
    )
    ctx.session.add(transition)
    await ctx.session.flush()
    ctx.audit(f"proposal.{to_state}", "proposal", proposal.id, from_state=from_state, to_state=to_state, reason=reason)
    await ctx.publish(
        "proposal.state_changed", proposal=proposal, from_state=from_state, to_state=to_state, reason=reason
    )
    params = await notice_params(ctx, proposal, reason)
    await tell_proposers(ctx, proposal, notice_key or f"proposal.notice.{to_state}", **params)
    if to_state in DECISIONS:
        await announce_decision(ctx, proposal, f"proposal.notice.{to_state}", params)
    return transition


def review_key(proposal: Proposal) -> str:
    return f"proposal:{proposal.id}:review"


async def schedule_review(ctx: Context, proposal: Proposal, head_id: int, resumed: int = 0) -> None:
    """Remind the head on the business days a week and a day before the due day, and the
    organizers once the due day has ended (the next business morning).

    `resumed` counts the supplements answered: each resumed clock has reminders of its own.
    """
    assert proposal.review_due_at is not None
    tz = ctx.settings.tz
    hours = OfficeHours.of(ctx.settings)
    last_day = proposal.review_due_at.astimezone(tz).date()
    suffix = f":r{proposal.revived_count}" if proposal.revived_count else ""
    suffix += f":s{resumed}" if resumed else ""
    # The due date in the payload tells a reminder of an earlier clock from the current one.
    payload = {"proposal_id": proposal.id, "round": proposal.revived_count, "due": proposal.review_due_at.isoformat()}
    for label, days in (("7d", 7), ("1d", 1)):
        day = previous_business_day(last_day - timedelta(days=days - 1))
        due_at = hours.opening(day)
        if due_at > ctx.now():
            await schedule(
                ctx.session,
                kind="proposal.review_due",
                due_at=due_at,
                audience=f"person:{head_id}",
                dedupe_key=f"{review_key(proposal)}:{label}{suffix}",
                payload={**payload, "days_left": (last_day - day).days},
                now=ctx.now(),
            )
    await schedule(
        ctx.session,
        kind="proposal.review_overdue",
        due_at=day_after(last_day, tz),
        audience="organizers",
        dedupe_key=f"{review_key(proposal)}:overdue{suffix}",
        payload=payload,
        now=ctx.now(),
    )


def review_deadline(ctx: Context, start) -> Any:
    """The end of the due day: `review_due_days` after `start`, on a business day."""
    tz = ctx.settings.tz
    return end_of_day(due_day(start, ctx.settings.review_due_days, tz), tz)


async def reopen_review_reminders(ctx: Context, proposal: Proposal) -> None:
    """An undone decision puts the review back: its cancelled reminders still to come are pending again."""
    await ctx.session.exec(
        sa.update(Reminder)
        .where(
            col(Reminder.dedupe_key).startswith(review_key(proposal) + ":"),
            col(Reminder.state) == ReminderState.cancelled,
            col(Reminder.due_at) > ctx.now(),
        )
        .values(state=ReminderState.pending)
    )


async def submit(
    ctx: Context,
    proposal: Proposal,
    department: Department,
    *,
    reason: str = "",
    revival: bool = False,
    actor: Person | None = None,
) -> None:
    """Send the proposal to a department's head with a review due date and its reminders."""
    if department.head_person_id is None:
        raise UserError("proposal.no_head", department=department.name)
    now = ctx.now()
    fields: dict[str, Any] = dict(
        department_id=department.id,
        submitted_at=now,
        review_due_at=review_deadline(ctx, now),
        decided_at=None,
    )
    if revival:
        fields["revived_count"] = proposal.revived_count + 1
    await move(
        ctx,
        proposal,
        S.submitted,
        reason=reason,
        action_key="proposal.action.revive" if revival else None,
        notice_key="proposal.notice.revived" if revival else None,
        actor=actor,
        **fields,
    )
    await schedule_review(ctx, proposal, department.head_person_id)
    await tell_head(ctx, proposal, await notice_params(ctx, proposal))


async def revive_proposal(
    ctx: Context, proposal: Proposal, *, by_committee: bool, reason: str = "", department: Department | None = None
) -> None:
    """Submit a maturing proposal again, to its department or another (the committee's tally calls this too)."""
    if proposal.state != S.maturing:
        raise UserError(
            "proposal.not_now",
            number=proposal.id,
            state=ctx.t(state_key(proposal.state)),
            action=ctx.t("proposal.action.revive"),
        )
    department = department or await department_of(ctx, proposal)
    if department is None:
        raise UserError("proposal.department_needed", number=proposal.id)
    # The committee's decision is the committee's, whether its chair closed the vote or the clock did:
    # the history names it ("자문단 의결"), not the chair who pressed close.
    committee = (await system_person(ctx.session, ctx.now()))[0] if by_committee else None
    await submit(ctx, proposal, department, reason=reason, revival=True, actor=committee)
    await ctx.publish("proposal.revived", proposal=proposal, by_committee=by_committee)


async def decide(ctx: Context, proposal: Proposal, to_state: str, reason: str = "") -> None:
    """Adopt or reject: the review is over, so its reminders are cancelled."""
    await require_head_or_organizer(ctx, proposal, f"proposal.{'adopt' if to_state == S.adopted else 'reject'}")
    fields: dict[str, Any] = {"decided_at": ctx.now()}
    if to_state == S.rejected:
        fields["rejection_reason"] = reason
    await move(ctx, proposal, to_state, reason=reason, **fields)
    await cancel(ctx.session, review_key(proposal))


async def request_supplement(ctx: Context, proposal: Proposal, note: str) -> None:
    """The head asks the proposers for a supplement (보완): the review clock stops until they answer."""
    await require_head_or_organizer(ctx, proposal, "proposal.supplement")
    await move(ctx, proposal, S.supplement, reason=note, review_paused_at=ctx.now())
    await cancel(ctx.session, review_key(proposal))


def days_left_when_paused(proposal: Proposal, tz: Any) -> int:
    """Whole days from the day the review clock stopped to its due day (0 when it is not stopped)."""
    if proposal.review_due_at is None or proposal.review_paused_at is None:
        return 0
    return max(0, (proposal.review_due_at.astimezone(tz).date() - proposal.review_paused_at.astimezone(tz).date()).days)


async def answer_supplement(ctx: Context, proposal: Proposal, answer: str) -> None:
    """The proposers' answer puts the review back, with the days that were left when it stopped."""
    is_proposer = id_of(ctx.person) in {id_of(p) for p in await proposers(ctx.session, id_of(proposal))}
    if not (is_proposer or ctx.is_organizer()):
        raise NotAllowed(action="proposal.answer", key="proposal.answer_not_allowed", number=proposal.id)
    if proposal.state != S.supplement or proposal.review_paused_at is None or proposal.review_due_at is None:
        raise UserError(
            "proposal.not_now",
            number=proposal.id,
            state=ctx.t(state_key(proposal.state)),
            action=ctx.t("proposal.action.answer"),
        )
    # The days that were left, counted as the office counts them: due day minus the day it stopped.
    left = days_left_when_paused(proposal, ctx.settings.tz)
    await move(
        ctx,
        proposal,
        S.submitted,
        reason=answer,
        action_key="proposal.action.answer",
        notice_key="proposal.notice.supplement_answered",
        review_due_at=end_of_day(due_day(ctx.now(), left, ctx.settings.tz), ctx.settings.tz),
        review_paused_at=None,
    )
    resumed = (
        await ctx.session.exec(
            select(func.count())
            .select_from(ProposalTransition)
            .where(ProposalTransition.proposal_id == proposal.id, ProposalTransition.from_state == S.supplement)
        )
    ).one()
    department = await department_of(ctx, proposal)
    if department is not None and department.head_person_id is not None:
        await schedule_review(ctx, proposal, department.head_person_id, resumed=resumed)
    await tell_head(
        ctx, proposal, await notice_params(ctx, proposal), "proposal.supplement_answered_head", answer=answer
    )


async def undo_last(ctx: Context, proposal: Proposal) -> ProposalTransition:
    """Revert the last change of state that is not undone yet, with the points it paid."""
    last = (
        await ctx.session.exec(
            select(ProposalTransition)
            .where(ProposalTransition.proposal_id == proposal.id, ProposalTransition.undone == False)  # noqa: E712
            .order_by(col(ProposalTransition.id).desc())
        )
    ).first()
    if last is None:
        raise UserError("proposal.nothing_to_undo", number=proposal.id)
    fields: dict[str, Any] = {}
    stages = set(STAGES_PAID.get(last.to_state, set()))
    key_contains = ""
    if last.to_state == S.supplement:
        fields["review_paused_at"] = None
    elif last.to_state == S.submitted and last.from_state == S.supplement:
        stages = set()
        fields["review_paused_at"] = ctx.now()  # the clock stands still again, with the days it had left
    elif last.to_state == S.submitted:
        if last.from_state == S.maturing:
            stages, key_contains = {"proposal_revived"}, f"proposal_revived:round:{proposal.revived_count}:"
            fields["revived_count"] = proposal.revived_count - 1
        else:
            stages = {"proposal_submitted"}
            fields.update(submitted_at=None, review_due_at=None)
    elif last.to_state in (S.adopted, S.rejected):
        fields.update(decided_at=None, rejection_reason="")
    elif last.to_state == S.implementing:
        fields["implementer_id"] = None
    elif last.to_state == S.implemented:
        fields["implemented_at"] = None
    await _set_state(ctx, proposal, resting_state(last.to_state), last.from_state, **fields)
    last.undone = True
    ctx.session.add(last)
    if last.from_state == S.submitted:
        await reopen_review_reminders(ctx, proposal)
    elif last.to_state == S.submitted:
        await cancel(ctx.session, review_key(proposal))
    reversed_count = await ledger.reverse_live(
        ctx.session,
        ref_kind="proposal",
        ref_id=id_of(proposal),
        stages=stages,
        key_contains=key_contains,
        reason=f"undo {last.from_state}->{last.to_state}",
        awarded_by=ctx.person.id,
        now=ctx.now(),
        floor_at_zero=not ctx.settings.points_allow_negative,
    )
    ctx.audit(
        "proposal.undo",
        "proposal",
        proposal.id,
        transition_id=last.id,
        from_state=last.to_state,
        to_state=last.from_state,
        points_reversed=reversed_count,
    )
    for person in await proposers(ctx.session, id_of(proposal)):
        t = ctx.translator(person)
        await ctx.tell(
            person,
            t(
                "proposal.notice.undone",
                number=proposal.id,
                title=proposal.title,
                undone=t(state_key(last.to_state)),
                state=t(state_key(proposal.state)),
            ),
        )
    return last
