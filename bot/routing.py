"""Which departments are in charge of a topic or a proposal: the ranking, fed with what organizers chose before,
and a department chosen by what an organizer typed."""

from __future__ import annotations

from sqlmodel import col, select

from bot.context import Context
from bot.errors import UserError
from bot.ranker import ranker
from bot.ranking import DepartmentDoc, PastChoice
from bot.text import is_number
from storage.tables import Department, Invitation, Person, Proposal, Topic

# Organizers' earlier choices the ranking learns from, newest first.
PAST_CHOICES = 500
NAMES_SHOWN = 8


async def department_docs(ctx: Context) -> dict[int, tuple[Department, DepartmentDoc]]:
    """Every department with what the ranking needs to know of it."""
    departments = (await ctx.session.exec(select(Department).order_by(col(Department.id)))).all()
    offices = set(
        (await ctx.session.exec(select(Person.department_id).where(Person.is_organizer == True))).all()  # noqa: E712
    )
    return {d.id: (d, DepartmentDoc(d.id, d.name, d.duties, d.id in offices)) for d in departments if d.id is not None}


async def past_choices(
    ctx: Context, *, except_topic: int | None = None, except_proposal: int | None = None
) -> list[PastChoice]:
    """Departments organizers invited for a topic or sent a proposal to: corrections to learn from.

    An invitation the ranking did not suggest is exactly the correction worth keeping; one it
    did suggest confirms it, which does no harm.
    """
    invited = await ctx.session.exec(
        select(Topic.title, Topic.description, Invitation.department_id)
        .join(Topic, col(Invitation.topic_id) == Topic.id)
        .where(Invitation.topic_id != except_topic)
        .order_by(col(Invitation.id).desc())
        .limit(PAST_CHOICES)
    )
    sent = await ctx.session.exec(
        select(Proposal.title, Proposal.department_id)
        .where(col(Proposal.department_id).is_not(None), Proposal.id != except_proposal)
        .order_by(col(Proposal.id).desc())
        .limit(PAST_CHOICES)
    )
    choices = [PastChoice(f"{title} {description}", department) for title, description, department in invited.all()]
    choices += [PastChoice(title, department) for title, department in sent.all() if department is not None]
    return choices


async def rank(ctx: Context, text: str, limit: int, past: list[PastChoice]) -> list[Department]:
    """The departments in charge of `text`, best first; only those that fit."""
    docs = await department_docs(ctx)
    ranked = await ranker.rank(text, [doc for _, doc in docs.values()], limit, past)
    return [docs[r.id][0] for r in ranked]


async def choose_department(
    ctx: Context, reference: str, *, error_prefix: str, suggested: list[Department] | None = None
) -> Department:
    """The department an organizer typed: its number among `suggested`, its name, a unique part of
    it (any case), or its head. Errors are `<error_prefix>.department_not_found` and `….department_ambiguous`."""
    cleaned = reference.strip().lstrip("#") if suggested is not None else reference.strip()
    if suggested is not None and is_number(cleaned):
        number = int(cleaned)
        if not 1 <= number <= len(suggested):
            raise UserError(f"{error_prefix}.no_such_suggestion", number=number, count=len(suggested))
        return suggested[number - 1]
    departments = list((await ctx.session.exec(select(Department).order_by(col(Department.id)))).all())
    exact = [d for d in departments if d.name == cleaned]
    matches = exact or [d for d in departments if cleaned and cleaned.lower() in d.name.lower()]
    if len(matches) > 1:
        names = ", ".join(d.name for d in matches[:NAMES_SHOWN])
        raise UserError(f"{error_prefix}.department_ambiguous", name=cleaned[:50], names=names)
    if matches:
        return matches[0]
    person = await ctx.find_person(cleaned) if cleaned else None
    headed = [d for d in departments if person is not None and d.head_person_id == person.id]
    if headed:
        return headed[0]
    raise UserError(f"{error_prefix}.department_not_found", name=cleaned[:50])
