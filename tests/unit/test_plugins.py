"""A platform is a plug-in: one entry point registers it, its settings and pace come with it."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from bot.messages import Actor, IncomingMessage, Place
from bot.outbox.pacing import limits_for
from bot.ports import AdapterPlugin, Window
from idearoom.plugins import GROUP, discover
from idearoom.runtime import platform_adapters
from idearoom.settings import compose
from idearoom.wiring import build_app

# A whole platform as a newcomer would write it against bot/ports.py, nothing else touched.
DOORAY = """
from pydantic import Field
from pydantic_settings import BaseSettings

from bot.messages import SendResult
from bot.ports import DEFAULT_ACK_REACTION, AdapterPlugin, PlatformLimits, Window


class DooraySettings(BaseSettings):
    dooray_bot_token: str = Field("", alias="DOORAY_BOT_TOKEN")


class DoorayGateway:
    platform = "dooray"
    limits = PlatformLimits(per_chat=Window(2, 1.0))
    ack_reaction = DEFAULT_ACK_REACTION

    def __init__(self):
        self.sent = []

    async def send(self, destination, message):
        self.sent.append((destination.id, message.text))
        return SendResult(message_id=str(len(self.sent)))

    async def invite(self, user_id, room_id):
        return SendResult(detail="added")

    async def react(self, room_id, message_id, emoji):
        return SendResult(message_id=message_id)

    def start_link(self, payload):
        return None


class DoorayAdapter:
    def __init__(self, host):
        self.host = host
        self.gateway = DoorayGateway()

    async def start(self):
        pass

    async def stop(self):
        pass


plugin = AdapterPlugin(
    name="dooray",
    create=DoorayAdapter,
    configured=lambda settings: bool(getattr(settings, "dooray_bot_token", "")),
    settings=DooraySettings,
)
"""


@pytest.fixture
def dooray_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install idearoom-dooray` as importlib.metadata sees it: a module and a dist-info with one entry point."""
    (tmp_path / "idearoom_dooray.py").write_text(textwrap.dedent(DOORAY), encoding="utf-8")
    info = tmp_path / "idearoom_dooray-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: idearoom-dooray\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\ndooray = idearoom_dooray:plugin\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield
    sys.modules.pop("idearoom_dooray", None)


def test_the_three_platforms_of_this_checkout_are_registered() -> None:
    plugins = {plugin.name: plugin for plugin in discover()}
    assert {"console", "telegram", "slack"} <= set(plugins)
    assert all(isinstance(plugin, AdapterPlugin) for plugin in plugins.values())
    assert [name for name, plugin in plugins.items() if plugin.fallback] == ["console"]


async def test_an_installed_platform_is_found_configured_and_answers_through_the_core(
    dooray_installed: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plugins = discover()
    assert "dooray" in [plugin.name for plugin in plugins]
    monkeypatch.setenv("DOORAY_BOT_TOKEN", "secret")
    settings = compose(plugins)(
        _env_file=None, IDEAROOM_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", IDEAROOM_DEMO_DATA="true"
    )
    assert settings.dooray_bot_token == "secret"  # type: ignore[attr-defined]

    app = build_app(settings)
    await app.prepare(migrate=False)
    try:
        [adapter] = [a for a in platform_adapters(app, plugins) if a.gateway.platform == "dooray"]
        app.add_gateway(adapter.gateway)
        assert limits_for(adapter.gateway, settings).per_chat == Window(2, 1.0)
        actor = Actor("dooray", "u-1", display_name="이두레")
        await app.core.handle(
            IncomingMessage("e1", actor, Place("dooray", "room-1", title="아이디어방"), "/idea 두레이에서도 됩니다")
        )
        await app.sender.drain()
    finally:
        await app.close()
    [(room, text)] = adapter.gateway.sent
    assert room == "room-1" and "아이디어 #1번을 등록했습니다" in text
