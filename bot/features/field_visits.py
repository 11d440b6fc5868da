"""Field visits (현장 방문) a head proposes: the date and place, their reminders, and confirming they took place."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from sqlmodel import col, delete

from bot import reminders
from bot.business_days import previous_business_day
from bot.context import Context
from bot.errors import NotAllowed, UserError
from bot.features.common import parse_number
from bot.invitations.queries import parties_of
from bot.invitations.workflow import accept_invitation, announce_visit, answerable_invitation
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.registry import HEAD, registry
from bot.subcommands import Subcommands
from bot.text import clean_text, is_number
from bot.transitions import change_state
from storage.tables import FieldVisit, Invitation, InvitationState, PendingInput, Person, Reminder, Room, id_of

PLACE_LIMIT = 200
NOTE_LIMIT = 500
REMINDER_HOUR = time(9, 0)
CANCEL_WORDS = ("취소", "cancel")
_WHEN_AND_WHERE = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})\s+(\d{1,2}:\d{2})(?:\s+(.*))?$", re.DOTALL)
_TRAILING_NOTE = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$", re.DOTALL)


def parse_visit(ctx: Context, text: str) -> tuple[datetime, str, str]:
    """`YYYY-MM-DD HH:MM 장소 (메모)` → (aware UTC time, place, note); refuses the past."""
    match = _WHEN_AND_WHERE.match(text)
    if not match:
        raise UserError("visit.bad_format")
    day, clock, rest = match.group(1), match.group(2), (match.group(3) or "").strip()
    try:
        local = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise UserError("visit.bad_date", value=f"{day} {clock}") from None
    place, note = rest, ""
    noted = _TRAILING_NOTE.match(rest)
    if noted and noted.group(1).strip():
        place, note = noted.group(1), noted.group(2)
    place = clean_text(place, max_length=PLACE_LIMIT, empty_key="visit.no_place", too_long_key="visit.place_too_long")
    place = " ".join(place.split())
    if note.strip():
        note = clean_text(note, max_length=NOTE_LIMIT, empty_key="visit.no_place", too_long_key="visit.note_too_long")
    try:
        visit_at = local.replace(tzinfo=ctx.settings.tz).astimezone(UTC)
    except OverflowError:  # 0001-01-01 00:00 in Seoul is before the first day UTC can name
        raise UserError("visit.in_past", date=f"{day} {clock}") from None
    if visit_at <= ctx.now():
        raise UserError("visit.in_past", date=f"{day} {clock}")
    return visit_at, place, note.strip()


async def plan_visit(ctx: Context, invitation: Invitation, text: str) -> FieldVisit:
    """Store the visit, accept the invitation with it, and schedule its reminders."""
    visit_at, place, note = parse_visit(ctx, text)
    visit = FieldVisit(
        invitation_id=id_of(invitation),
        topic_id=invitation.topic_id,
        room_id=invitation.room_id,
        visit_at=visit_at,
        place=place,
        note=note,
        state="planned",
        created_at=ctx.now(),
    )
    ctx.session.add(visit)
    await ctx.session.flush()
    assert visit.id is not None
    ctx.audit("field_visit.planned", "field_visit", visit.id, invitation_id=invitation.id)
    if invitation.state == InvitationState.accepted:
        await announce_visit(ctx, await parties_of(ctx.session, invitation), visit)
    else:
        await accept_invitation(ctx, invitation, visit)
    await ctx.publish("field_visit.planned", visit=visit)
    await _schedule(ctx, visit)
    ctx.reply(ctx.t("visit.recorded", date=ctx.when(visit.visit_at), place=visit.place))
    return visit


async def _schedule(ctx: Context, visit: FieldVisit) -> None:
    local_day = visit.visit_at.astimezone(ctx.settings.tz).date()
    # The business day before: a Monday visit is announced on Friday morning.
    day_before = datetime.combine(previous_business_day(local_day), REMINDER_HOUR, tzinfo=ctx.settings.tz)
    due = [("field_visit.held", visit.visit_at, "held")]
    if day_before > ctx.now():
        due.insert(0, ("field_visit.tomorrow", day_before.astimezone(UTC), "tomorrow"))
    for kind, due_at, key in due:
        await reminders.schedule(
            ctx.session,
            kind=kind,
            due_at=due_at,
            audience=f"room:{visit.room_id}",
            dedupe_key=f"field_visit:{visit.id}:{key}",
            payload={"visit_id": visit.id},
            now=ctx.now(),
        )


@registry.awaiting("field_visit")
async def visit_answered(ctx: Context, text: str, pending: PendingInput) -> None:
    """The head's answer to 'when and where?'; a bad one is refused and asked again."""
    if text.strip().lower() in CANCEL_WORDS:
        ctx.reply(ctx.t("visit.cancelled"))
        return
    try:
        invitation = await answerable_invitation(ctx, pending.ref_id or 0, for_visit=True)
    except UserError as error:
        # Nothing left to answer (already answered, expired): stop waiting, say why.
        ctx.reply(ctx.t(error.key, **error.params))
        return
    # A UserError from here on rolls back, so the question stays open for another try.
    await plan_visit(ctx, invitation, text)


async def confirm_command(ctx: Context, command: ParsedCommand, *, held: bool) -> None:
    """`/visit held|cancel <visit#>` after the day: whether the visit took place."""
    ctx.reply(await confirm_visit(ctx, parse_number(command.word(1), "visit.confirm_usage"), held=held))


async def plan_command(ctx: Context, command: ParsedCommand) -> None:
    """`/visit <invitation#> <YYYY-MM-DD HH:MM> <place>`."""
    number = parse_number(command.word(0), "visit.usage")
    invitation = await answerable_invitation(ctx, number, for_visit=True)
    if not command.rest_after(1):
        raise UserError("visit.usage")
    await plan_visit(ctx, invitation, command.rest_after(1))
    await ctx.session.exec(
        delete(PendingInput).where(
            col(PendingInput.person_id) == ctx.person.id, col(PendingInput.kind) == "field_visit"
        )
    )


VISIT = Subcommands(
    "visit",
    {
        "held": lambda ctx, command: confirm_command(ctx, command, held=True),
        "cancel": lambda ctx, command: confirm_command(ctx, command, held=False),
    },
    otherwise=plan_command,
)
registry.command("visit", role_help=((HEAD, "help.visit"),), order=26)(VISIT)


async def _reminded_visit(ctx: Context, reminder: Reminder) -> FieldVisit | None:
    visit_id = (reminder.payload or {}).get("visit_id")
    visit = await ctx.session.get(FieldVisit, visit_id) if isinstance(visit_id, int) else None
    return visit if visit is not None and visit.state == "planned" else None


@registry.reminder("field_visit.tomorrow")
async def remind_day_before(ctx: Context, reminder: Reminder) -> None:
    """At 09:00 the day before: the room and the head are reminded of the visit."""
    visit = await _reminded_visit(ctx, reminder)
    if visit is None:
        return
    invitation = await ctx.session.get(Invitation, visit.invitation_id)
    room = await ctx.session.get(Room, visit.room_id)
    assert invitation is not None and room is not None
    head = await ctx.session.get(Person, invitation.head_person_id)
    assert head is not None
    when = dict(date=ctx.when(visit.visit_at), place=visit.place)
    tz = ctx.settings.tz
    tomorrow = (visit.visit_at.astimezone(tz).date() - ctx.now().astimezone(tz).date()).days == 1
    prefix = "visit.tomorrow" if tomorrow else "visit.upcoming"
    ctx.post(room, ctx.t(f"{prefix}_room", head=head.name, **when))
    head_when = {**when, "date": ctx.when(visit.visit_at, head)}
    await ctx.tell(head, ctx.translator(head)(f"{prefix}_head", room=room.title or room.external_id, **head_when))


@registry.reminder("field_visit.held", exact=True)
async def ask_whether_held(ctx: Context, reminder: Reminder) -> None:
    """At the visit's time, the head and the inviting organizer are asked whether it took place.

    Nothing is paid until one of them confirms: a scheduled time is no proof of a visit.
    """
    visit = await _reminded_visit(ctx, reminder)
    if visit is None:
        return
    invitation = await ctx.session.get(Invitation, visit.invitation_id)
    assert invitation is not None
    parties = await parties_of(ctx.session, invitation)
    for person in {parties.head.id: parties.head, parties.inviter.id: parties.inviter}.values():
        t = ctx.translator(person)
        buttons = [
            [
                Button(t("visit.held_button"), f"visit:{visit.id}:held"),
                Button(t("visit.not_held_button"), f"visit:{visit.id}:cancel"),
            ]
        ]
        await ctx.tell(
            person,
            t("visit.confirm_ask", number=visit.id, date=ctx.when(visit.visit_at, person), place=visit.place),
            buttons,
        )


@registry.button("visit")
async def visit_pressed(ctx: Context, args: list[str]) -> str:
    """`visit:<id>:held` or `visit:<id>:cancel` under the question whether the visit took place."""
    if len(args) != 2 or not is_number(args[0]) or args[1] not in ("held", "cancel"):
        return ctx.t("error.unknown_button")
    return await confirm_visit(ctx, int(args[0]), held=args[1] == "held")


async def confirm_visit(ctx: Context, visit_id: int, *, held: bool) -> str:
    """The head or an organizer says the visit took place (its points are paid) or did not."""
    visit = await ctx.session.get(FieldVisit, visit_id)
    invitation = await ctx.session.get(Invitation, visit.invitation_id) if visit else None
    if visit is None or invitation is None:
        raise UserError("visit.not_found", number=visit_id)
    if not (ctx.is_organizer() or invitation.head_person_id == ctx.person.id):
        raise NotAllowed(action="field_visit.confirm", key="visit.confirm_not_allowed", number=visit_id)
    if visit.state != "planned":
        raise UserError("visit.already_confirmed", number=visit_id, state=ctx.t(f"visit.state.{visit.state}"))
    if held and ctx.now() < visit.visit_at:
        raise UserError("visit.not_yet", number=visit_id, date=ctx.when(visit.visit_at))
    new_state = "held" if held else "cancelled"
    if not await change_state(ctx.session, visit, new_state, confirmed_by=ctx.person.id, confirmed_at=ctx.now()):
        raise UserError("visit.already_confirmed", number=visit_id, state=ctx.t(f"visit.state.{visit.state}"))
    await reminders.cancel(ctx.session, f"field_visit:{visit.id}:")
    ctx.audit(f"field_visit.{new_state}", "field_visit", visit.id)
    room = await ctx.session.get(Room, visit.room_id)
    assert room is not None
    when = dict(date=ctx.when(visit.visit_at), place=visit.place)
    ctx.post(room, ctx.t("visit.held_room" if held else "visit.not_held_room", **when))
    if held:
        await ctx.publish("field_visit.held", visit=visit)
    return ctx.t("visit.held_done" if held else "visit.not_held_done", number=visit_id, **when)
