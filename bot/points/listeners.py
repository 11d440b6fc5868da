"""Award smile points when the domain events happen; every award key names what is rewarded."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from bot.context import Context
from bot.people import may_take_part
from bot.points import ledger
from bot.points.periods import local_day
from bot.points.rules import PointsRules, load_rules
from bot.proposals.queries import ideas_by_proposer, proposers
from bot.registry import registry
from storage.tables import FieldVisit, Idea, Invitation, Person, Proposal, ProposalState, Support, id_of


def rules(ctx: Context) -> PointsRules:
    return load_rules(ctx.settings.points_rules_file)


async def _give(
    ctx: Context,
    person_id: int,
    points: int,
    stage: str,
    ref: tuple[str, int],
    base_key: str,
    cap: ledger.Cap | None = None,
) -> bool:
    if points <= 0:
        return False
    person = await ctx.session.get(Person, person_id)
    if person is None or not await may_take_part(ctx.session, person, ctx.settings):
        return False  # IDEAROOM_STRANGERS=staff: no points outside the directory
    key = await ledger.next_key(ctx.session, base_key)
    return await ledger.award(ctx.session, person_id, points, stage, ref[0], ref[1], key, "", None, ctx.now(), cap)


async def _give_proposers(
    ctx: Context, proposal: Proposal, stage: str, points: int, key_stage: str | None = None
) -> None:
    """Each proposer once, keyed by the first of their ideas in it that this stage has not paid yet.

    The key names the idea and the person, not the proposal: an idea bundled into a second
    proposal pays its author nothing again for a stage it already paid.
    """
    assert proposal.id is not None
    for person, idea_ids in await ideas_by_proposer(ctx.session, proposal.id):
        for idea_id in idea_ids:
            base = f"{key_stage or stage}:idea:{idea_id}:person:{person.id}"
            if await _give(ctx, id_of(person), points, stage, ("proposal", proposal.id), base):
                break


async def _give_revival(ctx: Context, proposal: Proposal, points: int) -> None:
    """A committee revival is an event of the proposal itself: each round pays each proposer once."""
    assert proposal.id is not None
    for person in await proposers(ctx.session, proposal.id):
        base = f"proposal_revived:round:{proposal.revived_count}:proposal:{proposal.id}:person:{person.id}"
        await _give(ctx, id_of(person), points, "proposal_revived", ("proposal", proposal.id), base)


async def ideas_posted_today(ctx: Context, person_id: int) -> int:
    day = local_day(ctx.now(), ctx.settings.tz)
    return await ledger.count_stage(ctx.session, person_id, "idea_posted", day.start, day.end)


_AUTHOR_TURN = (
    select(Person.id).where(Person.id == sa.bindparam("author_id")).with_for_update(key_share=True)
)  # FOR NO KEY UPDATE


@registry.on("idea.posted")
async def on_idea_posted(ctx: Context, idea: Idea) -> None:
    """A point for an idea, up to the daily cap (beyond it no entry is written; the award counts it)."""
    assert idea.id is not None
    # Workers handling one person's ideas at once would each count below the cap: they take
    # turns on the author's row. NO KEY UPDATE conflicts with itself but not with the KEY SHARE
    # lock the idea's foreign key already holds, so it cannot deadlock against it.
    # (SQLite serializes writers anyway: the statement is not sent there.)
    if (
        ctx.session.bind is not None and ctx.session.bind.dialect.name == "postgresql"
    ):  # one statement less per idea elsewhere
        await ctx.session.exec(_AUTHOR_TURN, params={"author_id": idea.author_id})
    day = local_day(ctx.now(), ctx.settings.tz)
    cap = ledger.Cap("idea_posted", day.start, day.end, rules(ctx).idea_posted_daily_cap)
    await _give(
        ctx,
        idea.author_id,
        rules(ctx).idea_posted,
        "idea_posted",
        ("idea", idea.id),
        f"idea_posted:idea:{idea.id}",
        cap,
    )


async def directory_supports(ctx: Context, idea_id: int) -> int:
    """Supports from directory people: anyone can open accounts outside it, so those do not pay."""
    return (
        await ctx.session.exec(
            select(func.count())
            .select_from(Support)
            .join(Person, col(Person.id) == col(Support.person_id))
            .where(Support.idea_id == idea_id, col(Person.handle).is_not(None))
        )
    ).one()


@registry.on("idea.supported")
async def on_idea_supported(ctx: Context, idea: Idea, supporter: Any) -> None:
    """The author's bonus once the idea reaches the support threshold (own supports are refused upstream)."""
    await _pay_threshold(ctx, idea)


@registry.on("idea.merged")
async def on_idea_merged(ctx: Context, source: Idea, target: Idea) -> None:
    """The merged-away idea's support bonus is taken back once; the idea it joined earns its own if the moved supports reach it.

    Otherwise posting a duplicate, gathering supports on it and merging it would pay the bonus twice.
    """
    assert source.id is not None
    await ledger.reverse_live(
        ctx.session,
        ref_kind="idea",
        ref_id=source.id,
        stages={"idea_supported_threshold"},
        reason=ctx.t("idea.merged_points_reason", number=source.id, into=target.id),
        awarded_by=ctx.person.id,
        now=ctx.now(),
    )
    await _pay_threshold(ctx, target)


async def _pay_threshold(ctx: Context, idea: Idea) -> None:
    threshold = rules(ctx).idea_supported_threshold
    if idea.id is None or idea.support_count < threshold.supports:
        return
    if not ctx.settings.points_count_outside_supports and await directory_supports(ctx, idea.id) < threshold.supports:
        return
    await _give(
        ctx,
        idea.author_id,
        threshold.points,
        "idea_supported_threshold",
        ("idea", idea.id),
        f"idea_threshold:idea:{idea.id}",
    )


@registry.on("idea.support_withdrawn")
async def on_support_withdrawn(ctx: Context, idea: Idea) -> None:
    """Below the support threshold again: the author's bonus is reversed once; reaching it again earns it anew."""
    assert idea.id is not None
    threshold = rules(ctx).idea_supported_threshold
    if idea.support_count >= threshold.supports and (
        ctx.settings.points_count_outside_supports or await directory_supports(ctx, idea.id) >= threshold.supports
    ):
        return
    await ledger.reverse_live(
        ctx.session,
        ref_kind="idea",
        ref_id=idea.id,
        stages={"idea_supported_threshold"},
        reason=ctx.t("support.withdrawn_points_reason", number=idea.id),
        awarded_by=ctx.person.id,
        now=ctx.now(),
    )


@registry.on("proposal.created")
async def on_proposal_created(ctx: Context, proposal: Proposal) -> None:
    await _give_proposers(ctx, proposal, "proposal_created", rules(ctx).proposal_created)


@registry.on("proposal.state_changed")
async def on_proposal_state_changed(
    ctx: Context, proposal: Proposal, from_state: str, to_state: str, reason: str = ""
) -> None:
    """Submitted (the first time), adopted and implemented pay their stages."""
    r = rules(ctx)
    if to_state == ProposalState.submitted and from_state == ProposalState.draft:
        await _give_proposers(ctx, proposal, "proposal_submitted", r.proposal_submitted)
    elif to_state == ProposalState.adopted:
        await _give_proposers(ctx, proposal, "proposal_adopted", r.proposal_adopted)
    elif to_state == ProposalState.implemented:
        await _give_proposers(
            ctx, proposal, "proposal_implemented_proposers", r.proposal_implemented_proposers, "proposal_implemented"
        )
        if proposal.implementer_id is not None:
            assert proposal.id is not None
            await _give(
                ctx,
                proposal.implementer_id,
                r.proposal_implemented_implementer,
                "proposal_implemented_implementer",
                ("proposal", proposal.id),
                f"proposal_implemented_implementer:proposal:{proposal.id}:person:{proposal.implementer_id}",
            )


@registry.on("proposal.revived")
async def on_proposal_revived(ctx: Context, proposal: Proposal, by_committee: bool) -> None:
    """Only a revival by the advisory committee pays; each revival round is its own award."""
    if not by_committee:
        return
    await _give_revival(ctx, proposal, rules(ctx).proposal_revived)


@registry.on("invitation.accepted")
async def on_invitation_accepted(ctx: Context, invitation: Invitation) -> None:
    assert invitation.id is not None
    await _give(
        ctx,
        invitation.head_person_id,
        rules(ctx).invitation_accepted,
        "invitation_accepted",
        ("invitation", invitation.id),
        f"invitation_accepted:invitation:{invitation.id}",
    )


@registry.on("field_visit.held")
async def on_field_visit_held(ctx: Context, visit: FieldVisit) -> None:
    """The head who offered the visit (through their invitation) earns the field visit points."""
    invitation = await ctx.session.get(Invitation, visit.invitation_id)
    if invitation is None or visit.id is None:
        return
    await _give(
        ctx,
        invitation.head_person_id,
        rules(ctx).field_visit_held,
        "field_visit_held",
        ("field_visit", visit.id),
        f"field_visit_held:field_visit:{visit.id}",
    )


@registry.on("idea.withdrawn")
async def on_idea_withdrawn(ctx: Context, idea: Idea) -> None:
    """A withdrawn idea's points (posting, the support bonus) are taken back, once: the reversal has its own key."""
    assert idea.id is not None
    await ledger.reverse_live(
        ctx.session,
        ref_kind="idea",
        ref_id=idea.id,
        stages={"idea_posted", "idea_supported_threshold"},
        reason=ctx.t("idea.withdrawn_points_reason", number=idea.id),
        awarded_by=ctx.person.id,
        now=ctx.now(),
    )
