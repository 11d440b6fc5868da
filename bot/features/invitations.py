"""/invite and the heads' answers: the suggested departments, the invite and answer buttons, reminders and expiry."""

from __future__ import annotations

from datetime import timedelta

from bot import routing
from bot.context import Context
from bot.errors import UserError
from bot.features.common import active_topic
from bot.invitations.queries import parties_of, pending_of_topic, ranked_departments, reminded_invitation
from bot.invitations.rules import ANSWERS
from bot.invitations.workflow import (
    accept_invitation,
    answerable_invitation,
    decline_invitation,
    expire_invitation,
    invitation_message,
    invite_head,
    state_label,
)
from bot.messages import Button
from bot.parsing import ParsedCommand
from bot.registry import registry
from bot.text import is_number
from storage.tables import Department, Invitation, InvitationState, Person, Reminder, Room, Topic, TopicState


async def suggestions(ctx: Context, topic: Topic) -> tuple[str, list[list[Button]]]:
    """The ranked departments with their heads, and an invite button for each."""
    departments = await ranked_departments(ctx, topic)
    if not departments:
        return ctx.t("invite.no_suggestions", title=topic.title), []
    lines = [ctx.t("invite.suggestions_header", title=topic.title)]
    buttons = []
    for rank, department in enumerate(departments, start=1):
        head = await ctx.session.get(Person, department.head_person_id) if department.head_person_id else None
        head_name = head.name if head else ctx.t("invite.no_head")
        lines.append(ctx.t("invite.suggestion_line", rank=rank, department=department.name, head=head_name))
        buttons.append(
            [Button(ctx.t("invite.button", department=department.name), f"invite:{topic.id}:{department.id}")]
        )
    lines.append(ctx.t("invite.suggestions_footer"))
    return "\n".join(lines), buttons


@registry.on("topic.picked")
async def suggest_departments(ctx: Context, topic: Topic) -> None:
    """Right after a pick, show the room which department heads to invite."""
    room = await ctx.session.get(Room, topic.room_id)
    assert room is not None
    text, buttons = await suggestions(ctx, topic)
    ctx.post(room, text, buttons)


# --- inviting -------------------------------------------------------------------------------


@registry.command("invite", organizer_help=("help.invite",), order=25, in_direct_chat=False)
async def invite_command(ctx: Context, command: ParsedCommand) -> None:
    """`/invite` shows the suggested departments; `/invite <department>` invites its head."""
    await ctx.require_organizer("invitation.send")
    assert ctx.room.id is not None
    topic = await active_topic(ctx.session, ctx.room.id)
    if topic is None:
        raise UserError("invite.no_topic")
    if not command.args:
        text, buttons = await suggestions(ctx, topic)
        ctx.reply(text, buttons)
        return
    suggested = await ranked_departments(ctx, topic) if is_number(command.args.strip().lstrip("#")) else []
    department = await routing.choose_department(ctx, command.args, error_prefix="invite", suggested=suggested)
    await invite_head(ctx, topic, department)


@registry.button("invite")
async def invite_pressed(ctx: Context, args: list[str]) -> str:
    await ctx.require_organizer("invitation.send")
    if len(args) != 2 or not all(is_number(a) for a in args):
        return ctx.t("error.unknown_button")
    topic = await ctx.session.get(Topic, int(args[0]))
    department = await ctx.session.get(Department, int(args[1]))
    if topic is None or department is None:
        return ctx.t("error.unknown_button")
    if topic.state != TopicState.active:
        raise UserError("invite.topic_not_active", title=topic.title)
    invitation = await invite_head(ctx, topic, department)
    parties = await parties_of(ctx.session, invitation)
    return ctx.t("invite.sent_toast", head=parties.head.name, department=department.name)


# --- answering ----------------------------------------------------------------------------


@registry.button("inv")
async def answer_pressed(ctx: Context, args: list[str]) -> str:
    if len(args) != 2 or not is_number(args[0]) or args[1] not in ANSWERS:
        return ctx.t("error.unknown_button")
    invitation = await answerable_invitation(ctx, int(args[0]), for_visit=args[1] == "visit")
    if args[1] == "accept":
        await accept_invitation(ctx, invitation)
        return ctx.t("invitation.accepted_toast")
    if args[1] == "decline":
        await decline_invitation(ctx, invitation)
        return ctx.t("invitation.declined_toast")
    await ctx.ask("field_visit", invitation.id)
    example = (ctx.now() + timedelta(days=7)).astimezone(ctx.settings.tz).strftime("%Y-%m-%d")
    await ctx.tell(ctx.person, ctx.t("visit.ask", example=example, number=invitation.id))
    return ctx.t("visit.ask_toast")


@registry.on("start.payload")
async def show_invitation_again(ctx: Context, payload: str, answered: list[str]) -> None:
    """`/start inv_<id>` from a forwarded link: the head sees the invitation and its buttons."""
    if not payload.startswith("inv_") or not is_number(payload[4:]):
        return
    answered.append("invitation")
    invitation = await ctx.session.get(Invitation, int(payload[4:]))
    if invitation is None:
        ctx.reply(ctx.t("invitation.not_found", number=payload[4:]))
        return
    parties = await parties_of(ctx.session, invitation)
    if invitation.head_person_id != ctx.person.id:
        ctx.reply(ctx.t("invitation.not_yours", head=parties.head.name))
    elif invitation.state != InvitationState.pending:
        ctx.reply(ctx.t("invitation.already_answered", state=state_label(ctx, invitation.state)))
    else:
        text, buttons = invitation_message(ctx, parties)
        ctx.reply(text, buttons)


# --- when no answer comes -------------------------------------------------------------------


@registry.reminder("invitation.follow_up")
async def follow_up(ctx: Context, reminder: Reminder) -> None:
    """Three days without an answer: message the head again and tell the organizer."""
    invitation = await reminded_invitation(ctx.session, reminder)
    if invitation is None:
        return
    parties = await parties_of(ctx.session, invitation)
    text, buttons = invitation_message(ctx, parties, reminder=True)
    await ctx.tell(parties.head, text, buttons, payload={"start_payload": f"inv_{invitation.id}"})
    invitation.followed_up_at = ctx.now()
    ctx.session.add(invitation)
    ctx.audit("invitation.followed_up", "invitation", invitation.id)
    assert invitation.expires_at is not None
    await ctx.tell(
        parties.inviter,
        ctx.translator(parties.inviter)(
            "invitation.follow_up_organizer",
            head=parties.head.name,
            department=parties.department.name,
            date=ctx.date(invitation.expires_at, parties.inviter),
        ),
    )


@registry.reminder("invitation.expire", exact=True)
async def expire(ctx: Context, reminder: Reminder) -> None:
    """No answer by the deadline: the invitation expires and the organizer is told."""
    invitation = await reminded_invitation(ctx.session, reminder)
    if invitation is None or not await expire_invitation(ctx, invitation):
        return
    parties = await parties_of(ctx.session, invitation)
    organizer_t = ctx.translator(parties.inviter)
    await ctx.tell(
        parties.inviter,
        organizer_t("invitation.expired_organizer", head=parties.head.name, department=parties.department.name),
    )


@registry.on("topic.closed")
async def expire_with_topic(ctx: Context, topic: Topic) -> None:
    """Invitations still unanswered when their topic closes can no longer be accepted."""
    assert topic.id is not None
    for invitation in await pending_of_topic(ctx.session, topic.id):
        await expire_invitation(ctx, invitation)
