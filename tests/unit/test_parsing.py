"""Commands are parsed once, the same way for every platform."""

from __future__ import annotations

from bot.parsing import closest_command, parse


def test_plain_chat_is_not_a_command() -> None:
    assert parse("안녕하세요 여러분") is None
    assert parse("") is None
    assert parse("http://example.org/a") is None


def test_command_with_arguments() -> None:
    command = parse("/support 12")
    assert command is not None and (command.name, command.args, command.argv) == ("support", "12", ["12"])


def test_bot_name_suffix_is_accepted_only_for_this_bot() -> None:
    assert parse("/ideas@idearoom_bot", "idearoom_bot").name == "ideas"  # type: ignore[union-attr]
    assert parse("/ideas@IdeaRoom_Bot", "idearoom_bot").name == "ideas"  # type: ignore[union-attr]
    assert parse("/ideas@other_bot", "idearoom_bot") is None


def test_korean_aliases_and_case() -> None:
    assert parse("/아이디어 버스 노선").name == "idea"  # type: ignore[union-attr]
    assert parse("/IDEA x").name == "idea"  # type: ignore[union-attr]
    assert parse("/도움말").name == "help"  # type: ignore[union-attr]


def test_idea_tags_capture_the_rest_of_the_message() -> None:
    command = parse("#아이디어: 공원에 그늘막\n두 번째 줄")
    assert command is not None and command.name == "idea"
    assert command.args == "공원에 그늘막\n두 번째 줄"
    assert parse("#IDEA shade").args == "shade"  # type: ignore[union-attr]
    assert parse("#아이디어들 토론") is None
    assert parse("#ideas") is None


def test_quoted_words_and_unbalanced_quotes() -> None:
    command = parse('/remind add "0 9 * * 1" here 회의 준비')
    assert command is not None and command.argv[:3] == ["add", "0 9 * * 1", "here"]
    assert parse('/idea 따옴표 "하나만').argv == ["따옴표", '"하나만']  # type: ignore[union-attr]


def test_rest_after_keeps_the_text_as_typed() -> None:
    command = parse("/proposal reject 3 예산이  부족합니다")
    assert command is not None and command.rest_after(2) == "예산이  부족합니다"


def test_compatibility_forms_are_read_as_plain_ones_and_the_command_is_kept_as_typed() -> None:
    command = parse("／support ２")
    assert command is not None and command.name == "support" and command.argv == ["2"]
    korean = parse("/주제 추천 공원")
    assert korean is not None and korean.name == "topic" and korean.shown == "주제"
    assert parse("/idea ①번 정류장").args == "①번 정류장"  # type: ignore[union-attr]  # free text stays as typed


def test_the_closest_command_is_suggested_in_the_language_typed() -> None:
    commands = ["idea", "ideas", "support", "topic", "proposal", "points", "leaderboard", "help"]
    assert closest_command("ideaa", commands) == "idea"
    assert closest_command("suport", commands) == "support"
    assert closest_command("아이디여", commands) == "아이디어"
    assert closest_command("xyzzy", commands) is None
