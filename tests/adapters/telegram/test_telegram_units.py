"""The adapter's pure parts: update conversion, escaping and splitting, command menus, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters.telegram.commands import menu
from adapters.telegram.convert import to_event
from adapters.telegram.gateway import delivery_errors
from adapters.telegram.markup import MarkupError, escape, keyboard, reaction_emoji, split_text
from bot.i18n import Translator
from bot.messages import (
    Actor,
    Button,
    ButtonPress,
    IncomingMessage,
    MessageEdited,
    Place,
    ReactionAdded,
    ReactionRemoved,
)
from bot.ports import DeliveryError
from bot.registry import Registry

BOT = Bot("123:abc")
CHAT = {"id": -100, "type": "supergroup", "title": "아이디어방"}
USER = {"id": 7, "is_bot": False, "first_name": "민지", "last_name": "김", "username": "minji"}


def update(**fields: object) -> Update:
    return Update.de_json({"update_id": 41, **fields}, BOT)


def message(**fields: object) -> dict:
    return {"message_id": 5, "date": 1, "chat": CHAT, "from": USER, **fields}


def test_a_text_message_becomes_an_incoming_message() -> None:
    event = to_event(update(message=message(text="/idea 온열의자")))
    assert event == IncomingMessage(
        "41",
        Actor("telegram", "7", "민지 김", "minji"),
        Place("telegram", "-100", "아이디어방", False),
        "/idea 온열의자",
        "5",
    )


def test_a_caption_counts_as_text_and_a_private_chat_is_direct() -> None:
    private = {"id": 7, "type": "private", "first_name": "민지"}
    event = to_event(update(message=message(chat=private, caption="#아이디어 사진 참고", photo=[])))
    assert isinstance(event, IncomingMessage) and event.text == "#아이디어 사진 참고" and event.place.is_direct


@pytest.mark.parametrize(
    "fields",
    [
        {
            "edited_message": message(
                **{"from": {"id": 9, "is_bot": True, "first_name": "bot"}}, text="#아이디어 x", edit_date=2
            )
        },
        {"message": message(new_chat_members=[USER])},
        {"message": message(**{"from": {"id": 9, "is_bot": True, "first_name": "bot"}}, text="/idea x")},
        {"channel_post": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "channel"}, "text": "/idea"}},
    ],
    ids=["edited by a bot", "service", "from a bot", "channel post"],
)
def test_what_the_bot_must_not_act_on_becomes_nothing(fields: dict) -> None:
    assert to_event(update(**fields)) is None


def test_a_button_press_keeps_its_chat_and_message() -> None:
    query = {"id": "q1", "from": USER, "chat_instance": "c", "data": "support:3", "message": message(text="x")}
    assert to_event(update(callback_query=query)) == ButtonPress(
        "41", Actor("telegram", "7", "민지 김", "minji"), Place("telegram", "-100", "아이디어방"), "support:3", "5"
    )


def test_an_edited_message_names_the_message_and_when_it_was_edited() -> None:
    event = to_event(update(edited_message=message(text="#아이디어 고친 글", edit_date=1_800_000_000)))
    assert event == MessageEdited(
        "41",
        Actor("telegram", "7", "민지 김", "minji"),
        Place("telegram", "-100", "아이디어방"),
        "5",
        "#아이디어 고친 글",
        datetime.fromtimestamp(1_800_000_000, UTC),
    )


def test_a_thumbs_up_given_or_taken_back_is_what_a_reaction_update_says() -> None:
    def reaction(new: list[str], old: list[str]) -> Update:
        as_types = lambda emojis: [{"type": "emoji", "emoji": e} for e in emojis]  # noqa: E731
        return update(
            message_reaction={
                "chat": CHAT,
                "message_id": 5,
                "user": USER,
                "date": 1,
                "new_reaction": as_types(new),
                "old_reaction": as_types(old),
            }
        )

    added = to_event(reaction(["🔥", "👍"], ["🔥"]))
    assert isinstance(added, ReactionAdded) and (added.emoji, added.message_id) == ("👍", "5")
    assert to_event(reaction(["👍"], ["👍"])) is None
    assert to_event(reaction([], ["🔥"])) is None  # another emoji taken back
    for taken_back in (reaction([], ["👍"]), reaction(["🔥"], ["👍", "🔥"]), reaction(["❤"], ["👍"])):
        removed = to_event(taken_back)
        assert isinstance(removed, ReactionRemoved) and (removed.emoji, removed.message_id) == ("👍", "5")


def test_escaping_and_splitting_keep_every_character_within_the_limit() -> None:
    assert escape("<b>a & b</b> @everyone") == "&lt;b&gt;a &amp; b&lt;/b&gt; @everyone"
    pieces = split_text("&" * 30, limit=20)
    assert pieces == ["&amp;" * 4] * 7 + ["&amp;" * 2]
    assert split_text("  \n ") == []
    words = split_text("가나다 " * 10, limit=12)
    assert all(len(p) <= 12 for p in words) and "".join(words).replace(" ", "") == "가나다" * 10


def test_keyboards_refuse_callback_data_over_64_bytes() -> None:
    markup = keyboard([[Button("👍 공감", "support:1"), Button("보기", "show:1")], []])
    assert markup is not None and [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["support:1", "show:1"]
    ]
    assert keyboard([]) is None
    with pytest.raises(MarkupError):
        keyboard([[Button("긴 버튼", "x" * 65)]])


def test_reactions_fall_back_to_an_emoji_telegram_allows() -> None:
    assert [reaction_emoji(e) for e in ("👍", "✍️", "white_check_mark", "🦜")] == ["👍", "✍", "👌", "👀"]


@pytest.mark.parametrize(
    ("error", "permanent", "retry_after"),
    [
        (RetryAfter(3), False, 3.0),
        (Forbidden("Forbidden: bot was blocked by the user"), True, None),
        (BadRequest("Bad Request: chat not found"), True, None),
        (TimedOut(), False, None),
        (NetworkError("Internal Server Error"), False, None),
    ],
)
def test_telegram_errors_map_to_what_the_sender_should_do(
    error: Exception, permanent: bool, retry_after: float | None
) -> None:
    with pytest.raises(DeliveryError) as caught, delivery_errors():
        raise error
    assert (caught.value.permanent, caught.value.retry_after) == (permanent, retry_after)


def test_menus_list_public_commands_and_organizer_ones_only_for_organizers() -> None:
    registry = Registry()

    async def handler(ctx, command):  # type: ignore[no-untyped-def]
        return None

    registry.command("idea", help=("help.idea",), order=10)(handler)
    registry.command("pick", organizer_help=("help.idea",), order=20)(handler)
    registry.command("start", order=100)(handler)
    registry.command("아이디어", help=("help.idea",), order=30)(handler)  # Telegram menus take only a-z0-9_
    ko = Translator("ko")

    assert [(c.command, c.description) for c in menu(registry, ko)] == [
        ("idea", "아이디어 올리기 (#아이디어 로 시작하는 글도 됩니다)")
    ]
    assert [c.command for c in menu(registry, ko, organizer=True)] == ["idea", "pick"]
    assert menu(registry, ko, organizer=True)[1].description.startswith("★ ")


def test_the_real_menu_offers_todo_and_help_in_both_languages() -> None:
    import bot.features  # noqa: F401  (registers every command, as the running bot does)
    from bot.registry import registry

    for locale, todo in (("ko", "처리할 일"), ("en", "what waits for you")):
        commands = {c.command: c.description for c in menu(registry, Translator(locale))}
        assert {"todo", "help"} <= set(commands)
        assert todo in commands["todo"]


def test_a_reply_names_the_message_it_answers() -> None:
    replied = message(message_id=3, text="💡 아이디어 #1번을 등록했습니다.")
    event = to_event(update(message=message(text="좋은 생각입니다", reply_to_message=replied)))
    assert isinstance(event, IncomingMessage) and (event.message_id, event.reply_to) == ("5", "3")
