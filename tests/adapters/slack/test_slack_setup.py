"""Starting the Slack adapter: Socket Mode, configuration errors, and the app manifest."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from adapters.slack import SlackAdapter, SlackConfigError
from adapters.slack.manifest import build_manifest
from bot.registry import registry
from idearoom.cli import main
from idearoom.wiring import build_app
from storage.tables import Idea
from tests.adapters.slack.stand import ROOM, add_demo_users, start_stand
from tests.fakes.slack_api import FakeSlackAPI, message_event
from tests.harness import test_settings


async def test_socket_mode_receives_events_and_acknowledges_them(sqlite_url: str) -> None:
    async with FakeSlackAPI() as fake:
        add_demo_users(fake)
        stand = await start_stand(sqlite_url, fake, SLACK_APP_TOKEN="xapp-test", SLACK_SIGNING_SECRET="")
        try:
            assert not stand.app.http.has_routes  # nothing listens for HTTP in Socket Mode
            envelope = await fake.push_event(message_event(ROOM, "UMINJI", "#아이디어 소켓으로 온 아이디어"))
            await fake.wait_for_ack(envelope)
            await stand.settle()
            async with stand.app.db.session() as session:
                assert [i.text for i in (await session.exec(select(Idea))).all()] == ["소켓으로 온 아이디어"]
            assert "#1번" in stand.posted_texts()[0]
        finally:
            await stand.close()


async def test_http_mode_without_a_signing_secret_is_a_clear_startup_error(sqlite_url: str) -> None:
    app = build_app(test_settings(sqlite_url, SLACK_BOT_TOKEN="xoxb-x", SLACK_SIGNING_SECRET=""))
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        SlackAdapter(app)
    await app.close()


def test_manifest_for_http_points_every_request_at_the_events_url() -> None:
    manifest = build_manifest(registry.commands, base_url="https://bot.example.org/")
    url = "https://bot.example.org/slack/events"
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == url and settings["interactivity"]["request_url"] == url
    assert settings["socket_mode_enabled"] is False
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels",
        "message.groups",
        "message.im",
        "reaction_added",
        "reaction_removed",
        "app_home_opened",
    }
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert {"/idea", "/ideas", "/support", "/todo", "/help"} <= set(commands)
    assert "/start" not in commands
    assert commands["/idea"]["description"] == "아이디어 올리기" and commands["/idea"]["url"] == url
    assert {"chat:write", "commands", "reactions:write", "channels:manage", "im:write", "files:write"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_manifest_for_socket_mode_has_no_urls() -> None:
    manifest = build_manifest(["idea", "brand_new_command"], socket_mode=True)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert all("url" not in c for c in commands.values())
    assert commands["/brand_new_command"]["description"] == "아이디어방 /brand_new_command 명령"


def test_the_cli_prints_the_manifest(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(str(__import__("tempfile").mkdtemp()))
    assert main(["slack", "manifest", "--url", "https://bot.example.org"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["settings"]["interactivity"]["request_url"] == "https://bot.example.org/slack/events"
    assert main(["slack", "manifest", "--socket-mode"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["socket_mode_enabled"] is True
    assert main(["slack", "manifest"]) == 2
    assert "--url" in capsys.readouterr().err
