"""What a Matrix client receives from the bot: user text never markup, never a room ping, one reaction per button."""

from __future__ import annotations

from adapters.matrix.adapter import strip_reply_fallback
from adapters.matrix.content import message_content, reaction_keys
from bot.messages import Button


def line(key: str, label: str, command: str) -> str:
    return f"{label} · {command}"


def test_user_text_is_escaped_in_the_html_and_room_mentions_are_defused() -> None:
    content = message_content("💡 '<b>버스</b> & @room 알림' 등록", "", [], line)
    assert content["formatted_body"] == "💡 '&lt;b&gt;버스&lt;/b&gt; &amp; @\u2060room 알림' 등록"
    assert content["body"] == "💡 '<b>버스</b> & @\u2060room 알림' 등록"
    assert content["format"] == "org.matrix.custom.html" and content["m.mentions"] == {}


def test_buttons_become_reactions_and_command_lines() -> None:
    rows = [[Button("✅ 참여하겠습니다", "inv:1:accept"), Button("🙏 이번에는 어렵습니다", "inv:1:decline")]]
    content = message_content("초대장입니다", "반응을 누르시거나 명령어를 입력해 주세요.", rows, line)
    assert content["org.idearoom.buttons"] == [
        {"key": "✅", "action": "inv:1:accept"},
        {"key": "🙏", "action": "inv:1:decline"},
    ]
    assert content["body"].endswith(
        "✅ 참여하겠습니다 · /press inv:1:accept\n🙏 이번에는 어렵습니다 · /press inv:1:decline"
    )


def test_buttons_sharing_an_emoji_get_keycap_digits() -> None:
    rows = [[Button("👍 #1 공감", "topic:1")], [Button("👍 #2 공감", "topic:2")], [Button("참여", "x")]]
    assert [(key, b.action) for key, b in reaction_keys(rows)] == [("1️⃣", "topic:1"), ("2️⃣", "topic:2"), ("3️⃣", "x")]


def test_a_reply_is_read_without_the_quoted_original() -> None:
    body = "> <@minji:example.org> 버스정류장 온열의자\n\n/support 1"
    assert strip_reply_fallback(body, True) == "/support 1"
    assert strip_reply_fallback("> 인용으로 시작하는 아이디어", False) == "> 인용으로 시작하는 아이디어"
