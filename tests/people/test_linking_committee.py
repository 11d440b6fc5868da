"""Linking merges committee seats and votes exactly once."""

from __future__ import annotations

from sqlmodel import select

from storage.tables import CommitteeMeeting, Person
from tests.core.test_committee import add_members, maturing_proposal
from tests.scheduler.clocked import ClockedStory


async def test_a_merge_keeps_one_committee_seat_and_one_vote_per_item(sqlite_url: str) -> None:
    """Votes merged exactly once: two accounts that both voted on an item leave the staying person's vote."""
    from bot import linking
    from storage.tables import CommitteeMember, CommitteeVote

    clocked = await ClockedStory.start(sqlite_url)
    story = clocked.story
    try:
        for person in ("sujin", "dohyun", "jiwoo", "seoyeon", "junho"):
            await story.dm(person, "/help")
        await add_members(story)
        proposal = await maturing_proposal(story, "버스정류장에 온열의자를 설치", "버스정류장 온열의자", "예산 부족")
        other = await maturing_proposal(story, "공원 야간 조명 확대", "공원 야간 조명", "타 부서 소관")
        await clocked.move_to("2026-06-08T09:00")
        async with story.app.db.session() as session:
            meeting = (await session.exec(select(CommitteeMeeting))).one()
        await story.press("junho", f"vote:{meeting.id}:{proposal}:keep", room="dm:junho")
        await story.press("jiwoo", f"vote:{meeting.id}:{proposal}:revive", room="dm:jiwoo")
        await story.press("jiwoo", f"vote:{meeting.id}:{other}:revive", room="dm:jiwoo")
        async with story.app.db.session() as session:
            junho = (await session.exec(select(Person).where(Person.handle == "junho"))).one()
            jiwoo = (await session.exec(select(Person).where(Person.handle == "jiwoo"))).one()
            await linking.merge(session, junho, jiwoo, now=clocked.clock.now(), actor_id=None)
        async with story.app.db.session() as session:
            votes = (
                await session.exec(
                    select(CommitteeVote.proposal_id, CommitteeVote.choice, CommitteeVote.person_id).order_by(
                        CommitteeVote.proposal_id
                    )
                )
            ).all()
            seats = (
                await session.exec(select(CommitteeMember).where(CommitteeMember.person_id.in_([junho.id, jiwoo.id])))
            ).all()  # type: ignore[union-attr]
    finally:
        await clocked.close()
    assert [tuple(v) for v in votes] == [(proposal, "keep", junho.id), (other, "revive", junho.id)]
    assert len(seats) == 1
