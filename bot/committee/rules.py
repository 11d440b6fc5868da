"""The committee's rules: who must not vote on a proposal (recusal), how many votes decide, and what they decide."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.proposals.queries import proposers
from storage.tables import ProposalState, ProposalTransition

PROPOSER, DECIDER = "proposer", "decider"
# A member's choice on an agenda item, and what the tally makes of the votes.
REVIVE, KEEP = "revive", "keep"
REVIVED, KEPT, NO_QUORUM = "revived", "kept", "no_quorum"


async def recused(session: AsyncSession, proposal_id: int) -> dict[int, str]:
    """Who does not vote on a proposal, and why: its proposers and the head who rejected it."""
    out: dict[int, str] = {p.id: PROPOSER for p in await proposers(session, proposal_id) if p.id is not None}
    decider = (
        await session.exec(
            select(ProposalTransition.actor_id)
            .where(
                ProposalTransition.proposal_id == proposal_id,
                ProposalTransition.to_state == ProposalState.rejected,
                ProposalTransition.undone == False,  # noqa: E712
            )
            .order_by(col(ProposalTransition.id).desc())
        )
    ).first()
    if decider is not None:
        out.setdefault(decider, DECIDER)
    return out


def quorum_of(settings: Settings, eligible: int) -> int:
    """Votes needed for a decision: the setting's number, or a majority of who may vote."""
    if settings.committee_quorum:
        return int(settings.committee_quorum)
    return eligible // 2 + 1


def outcome_of(revive: int, keep: int, quorum: int, eligible: int) -> str:
    """Revived when a quorum voted and most chose to revive; kept otherwise; no decision without a quorum."""
    if not eligible or revive + keep < quorum:
        return NO_QUORUM
    return REVIVED if revive > keep else KEPT
