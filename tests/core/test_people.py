"""Who a person is, decided in bot/people.py: organizers, the accounts that reach someone, references."""

from __future__ import annotations

from bot import people
from tests.harness import Story, link_accounts, test_settings


async def test_organizers_come_from_the_directory_and_the_setting_each_once(sqlite_url: str) -> None:
    settings = test_settings(sqlite_url, IDEAROOM_ORGANIZERS="test:minji,test:sujin,slack:UNKNOWN")
    story = await Story.start(settings)
    try:
        await story.say("minji", "/help")  # minji's test account exists now
        await story.say("sujin", "/help")
        async with story.app.db.session() as session:
            names = sorted(p.name for p in await people.organizers(session, settings))
            reached = sorted((p.name, i.platform) for p, i in await people.organizer_accounts(session, settings))
        # sujin is the directory's organizer and also named in the setting: listed once.
        assert names == ["박민지", "이수진"]
        assert reached == [("박민지", "test"), ("이수진", "test")]
    finally:
        await story.close()


async def test_a_person_is_reached_on_the_platform_asked_for_first(story: Story) -> None:
    await story.say("junho", "/help")
    await link_accounts(story.app, "slack", {"junho": "UJUNHO"})
    async with story.app.db.session() as session:
        junho = await people.find_by_reference(session, "test", "@junho")
        assert junho is not None
        assert (await people.reachable_account(session, junho, prefer="slack")).external_id == "UJUNHO"  # type: ignore[union-attr]
        assert (await people.reachable_account(session, junho, prefer="test")).external_id == "junho"  # type: ignore[union-attr]


async def test_references_name_a_person_by_mention_handle_or_full_name(story: Story) -> None:
    await link_accounts(story.app, "slack", {"seoyeon": "USEOYEON"})
    async with story.app.db.session() as session:
        by_mention = await people.find_by_reference(session, "slack", "<@USEOYEON|seoyeon>")
        by_handle = await people.find_by_reference(session, "slack", "seoyeon")
        by_name = await people.find_by_reference(session, "slack", by_handle.name if by_handle else "")
        nobody = await people.find_by_reference(session, "slack", "@nobody")
    assert by_mention is not None and by_mention.id == by_handle.id == by_name.id  # type: ignore[union-attr]
    assert nobody is None
