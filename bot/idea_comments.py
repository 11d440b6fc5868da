"""The comments of an idea as lines, for the places an idea is shown (its page, its proposal, the review)."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.text import clip
from storage.tables import IdeaComment, Person


async def comment_lines(session: AsyncSession, t: Callable[..., str], idea_id: int, limit: int = 5) -> list[str]:
    """The idea's latest comments, oldest first: '  💬 최준호: 반납은 어떻게 하나요?'."""
    rows = (
        await session.exec(
            select(IdeaComment, Person.name)
            .join(Person, col(Person.id) == col(IdeaComment.person_id))
            .where(IdeaComment.idea_id == idea_id)
            .order_by(col(IdeaComment.id).desc())
            .limit(limit)
        )
    ).all()
    return [t("proposal.idea_comment", name=name, text=clip(comment.text, 120)) for comment, name in reversed(rows)]
