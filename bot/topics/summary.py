"""What a topic's room reads about it: the heads who joined, the field visits, the closing summary."""

from __future__ import annotations

from bot.context import Context
from bot.text import clip
from bot.topics import queries
from storage.tables import Topic

TOP_IDEAS = 3


async def joined_heads(ctx: Context, topic: Topic) -> list[str]:
    """'교통정책과 김도현' for every head who accepted an invitation to the topic."""
    assert topic.id is not None
    rows = await queries.joined_heads(ctx.session, topic.id)
    return [ctx.t("topic.head", department=department, head=head) for department, head in rows]


async def visit_lines(ctx: Context, topic: Topic) -> list[str]:
    """One line per planned or held field visit of the topic, soonest first."""
    assert topic.id is not None
    rows = await queries.visits(ctx.session, topic.id)
    if not rows:
        return []
    lines = [ctx.t("topic.visits_header")]
    for visit, department, head in rows:
        key = "topic.visit_held" if visit.state == "held" else "topic.visit_planned"
        lines.append(ctx.t(key, date=ctx.when(visit.visit_at), place=visit.place, department=department, head=head))
    return lines


async def closing_summary(ctx: Context, topic: Topic) -> str:
    """Ideas, participants, the top ideas, the heads who joined and the field visits."""
    assert topic.id is not None
    ideas = await queries.idea_count(ctx.session, topic.id)
    lines = [
        ctx.t("topic.closed", title=topic.title),
        ctx.t("topic.closed_counts", ideas=ideas, people=await queries.participants(ctx.session, topic.id)),
    ]
    top = await queries.top_ideas(ctx.session, topic.id, TOP_IDEAS)
    if top:
        lines.append(ctx.t("topic.closed_top_header"))
        for rank, (idea, author) in enumerate(top, start=1):
            text = clip(idea.text, 60)
            lines.append(
                ctx.t("ideas.line", rank=rank, number=idea.id, text=text, author=author, supports=idea.support_count)
            )
    heads = await joined_heads(ctx, topic)
    lines.append(ctx.t("topic.closed_heads", heads=", ".join(heads)) if heads else ctx.t("topic.no_heads_joined"))
    lines.extend(await visit_lines(ctx, topic))
    lines.append(ctx.t("topic.closed_thanks"))
    return "\n".join(lines)
