"""Read-only lookups about proposals: who proposed, which ideas, which department, who may act."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import Context
from storage.tables import CommitteeMember, Department, Idea, IdeaCoauthor, Person, Proposal, ProposalIdea, id_of


async def proposers(session: AsyncSession, proposal_id: int) -> list[Person]:
    """The distinct authors of a proposal's ideas, in the order their ideas were added."""
    rows = (
        await session.exec(
            select(Person)
            .join(Idea, col(Idea.author_id) == col(Person.id))
            .join(ProposalIdea, col(ProposalIdea.idea_id) == col(Idea.id))
            .where(ProposalIdea.proposal_id == proposal_id)
            .order_by(col(ProposalIdea.id))
        )
    ).all()
    # Authors of ideas merged into these ideas are co-authors, and proposers too.
    coauthors = (
        await session.exec(
            select(Person)
            .join(IdeaCoauthor, col(IdeaCoauthor.person_id) == col(Person.id))
            .join(ProposalIdea, col(ProposalIdea.idea_id) == col(IdeaCoauthor.idea_id))
            .where(ProposalIdea.proposal_id == proposal_id)
            .order_by(col(ProposalIdea.id), col(IdeaCoauthor.id))
        )
    ).all()
    seen: dict[int, Person] = {}
    for person in [*rows, *coauthors]:
        seen.setdefault(id_of(person), person)
    return list(seen.values())


async def ideas_by_proposer(session: AsyncSession, proposal_id: int) -> list[tuple[Person, list[int]]]:
    """Each proposer with the ids of their ideas in the proposal, in the order they were added."""
    rows = (
        await session.exec(
            select(Person, ProposalIdea.idea_id)
            .join(Idea, col(Idea.author_id) == col(Person.id))
            .join(ProposalIdea, col(ProposalIdea.idea_id) == col(Idea.id))
            .where(ProposalIdea.proposal_id == proposal_id)
            .order_by(col(ProposalIdea.id))
        )
    ).all()
    grouped: dict[int, tuple[Person, list[int]]] = {}
    for person, idea_id in rows:
        grouped.setdefault(id_of(person), (person, []))[1].append(idea_id)
    return list(grouped.values())


async def ideas_of(session: AsyncSession, proposal_id: int) -> list[Idea]:
    return list(
        (
            await session.exec(
                select(Idea)
                .join(ProposalIdea, col(ProposalIdea.idea_id) == col(Idea.id))
                .where(ProposalIdea.proposal_id == proposal_id)
                .order_by(col(ProposalIdea.id))
            )
        ).all()
    )


async def department_of(ctx: Context, proposal: Proposal) -> Department | None:
    return await ctx.session.get(Department, proposal.department_id) if proposal.department_id else None


async def is_committee_member(ctx: Context) -> bool:
    member = (
        await ctx.session.exec(
            select(CommitteeMember).where(CommitteeMember.person_id == ctx.person.id, CommitteeMember.active == True)  # noqa: E712
        )
    ).first()
    return member is not None


async def is_head_of(ctx: Context, proposal: Proposal) -> bool:
    department = await department_of(ctx, proposal)
    return department is not None and department.head_person_id == ctx.person.id


async def notice_params(ctx: Context, proposal: Proposal, reason: str = "") -> dict[str, Any]:
    department = await department_of(ctx, proposal)
    implementer = await ctx.session.get(Person, proposal.implementer_id) if proposal.implementer_id else None
    return dict(
        number=proposal.id,
        title=proposal.title,
        department=department.name if department else ctx.t("value.no_department"),
        due=ctx.date(proposal.review_due_at) if proposal.review_due_at else ctx.t("value.no_date"),
        reason=reason or ctx.t("value.no_reason"),
        implementer=ctx.called(implementer) if implementer else ctx.t("value.no_implementer"),
    )
