"""Which departments are in charge of a topic or a proposal: the ranking, fed with what organizers chose before."""

from __future__ import annotations

from sqlmodel import col, select

from bot.context import Context
from bot.messages import ButtonPress, Incoming, IncomingMessage
from bot.parsing import parse
from bot.ranker import ranker
from bot.ranking import DepartmentDoc, PastChoice
from bot.registry import registry
from storage.tables import Department, Invitation, Person, Proposal, Topic

# Organizers' earlier choices the ranking learns from, newest first.
PAST_CHOICES = 500
# Commands (with the subcommands that rank, or None for all) and buttons that may rank
# departments (see wait_for_analyser).
RANKING_COMMANDS: dict[str, frozenset[str] | None] = {
    "topic": frozenset({"pick", "선정"}),
    "invite": None,
    "proposal": frozenset({"submit", "제출"}),
}
RANKING_BUTTONS = frozenset({"invite"})


async def department_docs(ctx: Context) -> dict[int, tuple[Department, DepartmentDoc]]:
    """Every department with what the ranking needs to know of it."""
    departments = (await ctx.session.exec(select(Department).order_by(Department.id))).all()
    offices = set(
        (await ctx.session.exec(select(Person.department_id).where(Person.is_organizer == True))).all()  # noqa: E712
    )
    return {
        d.id: (d, DepartmentDoc(d.id, d.name, d.duties, d.id in offices))
        for d in departments
        if d.id is not None
    }


async def past_choices(ctx: Context, *, except_topic: int | None = None, except_proposal: int | None = None) -> list[PastChoice]:
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


def may_rank(event: Incoming) -> bool:
    if isinstance(event, IncomingMessage):
        command = parse(event.text)
        if command is None or command.name not in RANKING_COMMANDS:
            return False
        subcommands = RANKING_COMMANDS[command.name]
        return subcommands is None or command.word(0) in subcommands
    if isinstance(event, ButtonPress):
        return event.action.split(":", 1)[0] in RANKING_BUTTONS
    return False


@registry.before_transaction
async def wait_for_analyser(event: Incoming) -> None:
    """A command that may rank waits for the analyser before its transaction, never inside it.

    On SQLite a transaction holds the one write lock of the process: waiting inside it for the
    analyser (seconds after start-up) would hold up every other event too.
    """
    if not ranker.ready and may_rank(event):
        await ranker.wait_ready()
