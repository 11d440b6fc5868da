"""`/erase <person>` ★: an organizer erases a person's data after confirming with a button."""

from __future__ import annotations

from bot.context import Context
from bot.erasure import erase
from bot.errors import UserError
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.registry import registry
from storage.tables import Person


@registry.command("erase", organizer_help=("help.erase",), order=93)
async def erase_command(ctx: Context, command: ParsedCommand) -> None:
    await ctx.require_organizer("person.erase")
    if not command.args:
        raise UserError("erasure.usage")
    person = await ctx.find_person(command.args)
    if person is None or person.merged_into_id is not None:
        raise UserError("erasure.no_such_person", who=command.args[:60])
    ctx.reply(
        ctx.t("erasure.confirm", name=ctx.called(person)),
        [[Button(ctx.t("erasure.confirm_button"), f"erase:{person.id}")]],
    )


@registry.button("erase")
async def erase_pressed(ctx: Context, args: list[str]) -> str:
    await ctx.require_organizer("person.erase")
    person = await ctx.session.get(Person, int(args[0])) if args and args[0].isdigit() else None
    if person is None:
        return ctx.t("error.unknown_button")
    if person.id == ctx.person.id:
        raise UserError("erasure.not_yourself")
    pseudonym = await erase(
        ctx.session,
        person,
        remove_ideas=ctx.settings.erasure_ideas == "remove",
        locale=ctx.settings.locale,
        now=ctx.now(),
        actor_id=ctx.person.id,
    )
    answer = ctx.t("erasure.done", pseudonym=pseudonym)
    ctx.reply(answer)
    return answer
