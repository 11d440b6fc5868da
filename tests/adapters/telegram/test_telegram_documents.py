"""A file the bot sends (the /mydata export) goes out with sendDocument under its own name."""

from __future__ import annotations

from telegram_stand import MINJI, Bot

from bot.messages import Destination, Outgoing


async def test_a_document_is_uploaded_to_the_persons_direct_chat(bot: Bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "mydata-3.json"
    export.write_text('{"person": {"name": "박민지"}}', encoding="utf-8")
    message = Outgoing(
        "📄 박민지 주무관님에 관해 봇이 보관하는 정보입니다", kind="document", payload={"path": str(export)}
    )
    await bot.adapter.gateway.send(Destination("telegram", "user", str(MINJI)), message)

    [call] = bot.sends(MINJI, "sendDocument")
    assert call.params["document"].data == export.read_bytes()
    assert call.params["document"].filename == "mydata-3.json"
    assert call.params["caption"].startswith("📄 박민지")
