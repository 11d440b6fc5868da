"""The command menu Telegram shows (setMyCommands), in Korean and English, from the catalog."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import Translator, locales
from bot.registry import CommandSpec, Registry

log = logging.getLogger(__name__)

# Telegram accepts only these command names in menus (Korean aliases still work when typed).
_MENU_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_DESCRIPTION = 256
MAX_COMMANDS = 100
ORGANIZER_MARK = "★ "


def describe(spec: CommandSpec, t: Translator, *, organizer: bool = False) -> str | None:
    """A short description: `telegram.command.<name>` if the catalog has one, else the help line's text."""
    dedicated = f"telegram.command.{spec.name}"
    if t(dedicated) != dedicated:
        return t(dedicated)[:MAX_DESCRIPTION]
    lines = [line for line in spec.help if organizer or not line.organizer_only]
    if not lines:
        return None
    text = t(lines[0].key)
    usage, dash, explanation = text.partition(" — ")
    if dash and "/" in usage:  # "/idea <내용> — 아이디어 올리기" → "아이디어 올리기"
        text = explanation
    text = text.strip()
    if lines[0].organizer_only and not text.startswith(ORGANIZER_MARK.strip()):
        text = ORGANIZER_MARK + text
    return text[:MAX_DESCRIPTION] or None


def menu(registry: Registry, t: Translator, *, organizer: bool = False) -> list[BotCommand]:
    """The commands a person may use, in /help order; organizer commands only in an organizer's menu."""
    commands = []
    for spec in sorted(registry.commands.values(), key=lambda s: (s.order, s.name)):
        description = describe(spec, t, organizer=organizer)
        if description and _MENU_NAME.match(spec.name):
            commands.append(BotCommand(spec.name, description))
    return commands[:MAX_COMMANDS]


async def register_menus(
    bot: Bot, registry: Registry, default_locale: str, organizer_chats: Iterable[tuple[int, str]] = ()
) -> None:
    """Everyone's menu (default in the office's language, plus ko and en), and the organizers' fuller one."""
    try:
        await bot.set_my_commands(menu(registry, Translator(default_locale)))
        for locale in locales():
            await bot.set_my_commands(menu(registry, Translator(locale)), language_code=locale)
        for chat_id, locale in organizer_chats:
            full = menu(registry, Translator(locale), organizer=True)
            await bot.set_my_commands(full, scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:  # a missing menu is no reason not to run
        log.warning("could not register the Telegram command menu: %s", error)
