"""Inviting department heads into a topic's room, and their answers: accept, decline or a field visit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot import reminders
from bot.context import NOTICE, Context
from bot.errors import NotAllowed, UserError
from bot.features import routing
from bot.features.common import active_topic, change_state
from bot.messages import Button, Destination, FollowUp, MessagePayload, Outgoing, Wording
from bot.outbox import enqueue
from bot.parsing import ParsedCommand
from bot.registry import registry
from bot.text import is_number
from storage.tables import (
    Department,
    FieldVisit,
    Identity,
    Invitation,
    InvitationState,
    Person,
    Reminder,
    Room,
    Topic,
    TopicState,
)

ANSWER_DAYS = 7
FOLLOW_UP_DAYS = 3
SUGGESTIONS = 3
ANSWERS = ("accept", "decline", "visit")
STATE_KEYS = {
    InvitationState.pending: "invitation.state_pending",
    InvitationState.accepted: "invitation.state_accepted",
    InvitationState.declined: "invitation.state_declined",
    InvitationState.expired: "invitation.state_expired",
}


@dataclass
class Parties:
    """Everything an invitation's messages name: who, which department, which topic and room."""

    invitation: Invitation
    head: Person
    inviter: Person
    department: Department
    topic: Topic | None
    room: Room

    @property
    def room_title(self) -> str:
        return self.room.title or self.room.external_id

    @property
    def topic_title(self) -> str:
        return self.topic.title if self.topic else ""


async def parties_of(ctx: Context, invitation: Invitation) -> Parties:
    get = ctx.session.get
    head, inviter = await get(Person, invitation.head_person_id), await get(Person, invitation.invited_by)
    department, room = await get(Department, invitation.department_id), await get(Room, invitation.room_id)
    topic = await get(Topic, invitation.topic_id) if invitation.topic_id else None
    assert head and inviter and department and room
    return Parties(invitation, head, inviter, department, topic, room)


def state_label(ctx: Context, state: str) -> str:
    return ctx.t(STATE_KEYS[InvitationState(state)])


# --- which departments ---------------------------------------------------------------------


async def ranked_departments(ctx: Context, topic: Topic) -> list[Department]:
    """The departments in charge of the topic, best first, raised by organizers' earlier choices."""
    past = await routing.past_choices(ctx, except_topic=topic.id)
    return await routing.rank(ctx, f"{topic.title} {topic.description}", SUGGESTIONS, past)


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
        buttons.append([Button(ctx.t("invite.button", department=department.name), f"invite:{topic.id}:{department.id}")])
    lines.append(ctx.t("invite.suggestions_footer"))
    return "\n".join(lines), buttons


@registry.on("topic.picked")
async def suggest_departments(ctx: Context, topic: Topic) -> None:
    """Right after a pick, show the room which department heads to invite."""
    room = await ctx.session.get(Room, topic.room_id)
    assert room is not None
    text, buttons = await suggestions(ctx, topic)
    ctx.post(room, text, buttons)


async def find_department(ctx: Context, topic: Topic, reference: str) -> Department:
    """A department by its number in the suggestions, its name, a unique part of it, or its head."""
    cleaned = reference.strip().lstrip("#")
    if is_number(cleaned):
        ranked = await ranked_departments(ctx, topic)
        number = int(cleaned)
        if not 1 <= number <= len(ranked):
            raise UserError("invite.no_such_suggestion", number=number, count=len(ranked))
        return ranked[number - 1]
    departments = (await ctx.session.exec(select(Department).order_by(Department.id))).all()
    exact = [d for d in departments if d.name == cleaned]
    if exact:
        return exact[0]
    partial = [d for d in departments if cleaned and cleaned in d.name]
    if len(partial) == 1:
        return partial[0]
    if len(partial) > 1:
        raise UserError("invite.ambiguous", name=cleaned[:40], names=", ".join(d.name for d in partial))
    person = await ctx.find_person(cleaned)
    headed = [d for d in departments if person is not None and d.head_person_id == person.id]
    if headed:
        return headed[0]
    raise UserError("invite.department_not_found", name=cleaned[:40])


# --- inviting -------------------------------------------------------------------------------


@registry.command("invite", organizer_help=("help.invite",), order=25, in_direct_chat=False)
async def invite_command(ctx: Context, command: ParsedCommand) -> None:
    """`/invite` shows the suggested departments; `/invite <department>` invites its head."""
    await ctx.require_organizer("invitation.send")
    topic = await active_topic(ctx.session, ctx.room.id)
    if topic is None:
        raise UserError("invite.no_topic")
    if not command.args:
        text, buttons = await suggestions(ctx, topic)
        ctx.reply(text, buttons)
        return
    await invite_head(ctx, topic, await find_department(ctx, topic, command.args))


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
    parties = await parties_of(ctx, invitation)
    return ctx.t("invite.sent_toast", head=parties.head.name, department=department.name)


async def invite_head(ctx: Context, topic: Topic, department: Department) -> Invitation:
    """Store a pending invitation, message the head (or tell the organizer what to forward)."""
    if department.head_person_id is None:
        raise UserError("invite.no_head_registered", department=department.name)
    head = await ctx.session.get(Person, department.head_person_id)
    assert head is not None
    existing = (
        await ctx.session.exec(
            select(Invitation).where(
                Invitation.topic_id == topic.id,
                Invitation.head_person_id == head.id,
                Invitation.state.in_([InvitationState.pending, InvitationState.accepted]),  # type: ignore[attr-defined]
            )
        )
    ).first()
    if existing is not None:
        raise UserError("invite.already_invited", head=head.name, state=state_label(ctx, existing.state))
    invitation = Invitation(
        topic_id=topic.id,
        room_id=topic.room_id,
        department_id=department.id,  # type: ignore[arg-type]
        head_person_id=head.id,  # type: ignore[arg-type]
        invited_by=ctx.person.id,  # type: ignore[arg-type]
        state=InvitationState.pending,
        created_at=ctx.now(),
        expires_at=ctx.now() + timedelta(days=ANSWER_DAYS),
    )
    ctx.session.add(invitation)
    await ctx.session.flush()
    assert invitation.id is not None
    ctx.audit("invitation.sent", "invitation", invitation.id, department=department.name, head_id=head.id)
    parties = await parties_of(ctx, invitation)
    text, buttons = invitation_message(ctx, parties)
    # Should the head be unreachable, the inviter gets the letter to pass on, with the link that opens it.
    forward = Wording("invitation.forward", ctx.translator(head).locale, {"text": text})
    on_failed = FollowUp(
        Destination(ctx.identity.platform, "user", ctx.identity.external_id),
        Wording("invite.undeliverable", ctx.translator(ctx.person).locale, {"head": head.name, "forward": forward}),
    )
    payload: MessagePayload = {"start_payload": f"inv_{invitation.id}", "on_failed": on_failed}
    if await ctx.tell(head, text, buttons, payload=payload) is None:
        by_command = ctx.translator(head)("invitation.forward_no_account", text=text, number=invitation.id)
        ctx.reply(ctx.t("invite.no_account", head=head.name, forward=by_command))
    else:
        due = ctx.date(invitation.expires_at)  # type: ignore[arg-type]
        ctx.reply(ctx.t("invite.sent", head=head.name, department=department.name, number=invitation.id, date=due))
    await _schedule_answer_reminders(ctx, invitation)
    return invitation


def invitation_message(ctx: Context, parties: Parties, reminder: bool = False) -> tuple[str, list[list[Button]]]:
    """The direct message to the head, in their language, with the three answer buttons."""
    tr = ctx.translator(parties.head)
    invitation = parties.invitation
    lines = [tr("invitation.follow_up_head")] if reminder else []
    lines.append(
        tr(
            "invitation.message",
            head=parties.head.name,
            organizer=parties.inviter.name,
            department=parties.department.name,
            room=parties.room_title,
            topic=parties.topic_title,
        )
    )
    if parties.topic and parties.topic.description:
        lines.append(tr("invitation.message_description", description=parties.topic.description))
    assert invitation.expires_at is not None
    lines.append(tr("invitation.message_answer", date=ctx.date(invitation.expires_at, parties.head), number=invitation.id))
    buttons = [
        [
            Button(tr("invitation.accept_button"), f"inv:{invitation.id}:accept"),
            Button(tr("invitation.decline_button"), f"inv:{invitation.id}:decline"),
        ],
        [Button(tr("invitation.visit_button"), f"inv:{invitation.id}:visit")],
    ]
    return "\n".join(lines), buttons


async def _schedule_answer_reminders(ctx: Context, invitation: Invitation) -> None:
    for kind, days, key in (("invitation.follow_up", FOLLOW_UP_DAYS, "follow_up"), ("invitation.expire", ANSWER_DAYS, "expire")):
        await reminders.schedule(
            ctx.session,
            kind=kind,
            due_at=invitation.created_at + timedelta(days=days),
            audience=f"person:{invitation.head_person_id}",
            dedupe_key=f"invitation:{invitation.id}:{key}",
            payload={"invitation_id": invitation.id},
            now=ctx.now(),
        )


# --- answering ----------------------------------------------------------------------------


async def answerable_invitation(ctx: Context, invitation_id: int, *, for_visit: bool = False) -> Invitation:
    """The invitation, if this person is its head and it still waits for an answer.

    `for_visit`: a head who already accepted may still propose a field visit with it.
    """
    invitation = await ctx.session.get(Invitation, invitation_id)
    if invitation is None:
        raise UserError("invitation.not_found", number=invitation_id)
    if invitation.head_person_id != ctx.person.id:
        head = await ctx.session.get(Person, invitation.head_person_id)
        raise NotAllowed(action="invitation.answer", key="invitation.not_yours", head=head.name if head else "")
    if for_visit and invitation.state == InvitationState.accepted:
        return invitation
    if invitation.state == InvitationState.expired:
        # Never answered: the deadline passed (or the topic closed), it was not "already answered".
        deadline = min(filter(None, (invitation.expires_at, ctx.now())))
        raise UserError("invitation.too_late", date=ctx.date(deadline))
    if invitation.state != InvitationState.pending:
        raise UserError("invitation.already_answered", state=state_label(ctx, invitation.state))
    if invitation.expires_at is not None and ctx.now() >= invitation.expires_at:
        raise UserError("invitation.too_late", date=ctx.date(invitation.expires_at))
    return invitation


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


async def accept_invitation(ctx: Context, invitation: Invitation, visit: FieldVisit | None = None) -> None:
    """Accept (with or without a field visit): tell the room and the organizer, bring the head in."""
    if not await change_state(ctx.session, invitation, InvitationState.accepted, answered_at=ctx.now()):
        raise UserError("invitation.already_answered", state=state_label(ctx, invitation.state))
    await reminders.cancel(ctx.session, f"invitation:{invitation.id}:")
    ctx.audit("invitation.accepted", "invitation", invitation.id, field_visit_id=visit.id if visit else None)
    parties = await parties_of(ctx, invitation)
    names: dict[str, object] = dict(head=parties.head.name, department=parties.department.name, topic=parties.topic_title)
    if visit is None:
        ctx.post(parties.room, ctx.t("invitation.accepted_room", **names))
        await ctx.tell(parties.inviter, ctx.translator(parties.inviter)("invitation.accepted_organizer", **names))
    else:
        await announce_visit(ctx, parties, visit)
    await bring_into_room(ctx, parties)
    await ctx.publish("invitation.accepted", invitation=invitation)


async def announce_visit(ctx: Context, parties: Parties, visit: FieldVisit) -> None:
    """Tell the room and the inviting organizer when and where the head's field visit is."""
    names: dict[str, object] = dict(head=parties.head.name, department=parties.department.name, topic=parties.topic_title)
    when = dict(date=ctx.when(visit.visit_at), place=visit.place)
    ctx.post(parties.room, _with_note(ctx.t("visit.announced_room", **names, **when), ctx.t, visit.note))
    organizer_t = ctx.translator(parties.inviter)
    told = organizer_t("visit.announced_organizer", **names, **when)
    await ctx.tell(parties.inviter, _with_note(told, organizer_t, visit.note))


def _with_note(text: str, t: Any, note: str) -> str:
    return f"{text}\n{t('visit.note', note=note)}" if note else text


async def bring_into_room(ctx: Context, parties: Parties) -> None:
    """An outbox invite on the room's platform; a link it returns is passed on to the head."""
    identity = (
        await ctx.session.exec(
            select(Identity).where(Identity.person_id == parties.head.id, Identity.platform == parties.room.platform)
        )
    ).first()
    if identity is None:
        await ctx.tell(
            parties.inviter,
            ctx.translator(parties.inviter)("invitation.add_manually", head=parties.head.name, room=parties.room_title),
        )
        return
    on_sent = FollowUp(
        Destination(identity.platform, "user", identity.external_id),
        Wording("invitation.join_link", ctx.translator(parties.head).locale, {"room": parties.room_title}),
    )
    enqueue(
        ctx.session,
        Destination(parties.room.platform, "user", identity.external_id),
        Outgoing("", kind="invite", payload={"room_id": parties.room.external_id, "on_sent": on_sent}),
        priority=NOTICE,
        now=ctx.now(),
    )


async def decline_invitation(ctx: Context, invitation: Invitation) -> None:
    if not await change_state(ctx.session, invitation, InvitationState.declined, answered_at=ctx.now()):
        raise UserError("invitation.already_answered", state=state_label(ctx, invitation.state))
    await reminders.cancel(ctx.session, f"invitation:{invitation.id}:")
    ctx.audit("invitation.declined", "invitation", invitation.id)
    parties = await parties_of(ctx, invitation)
    names = dict(head=parties.head.name, department=parties.department.name, topic=parties.topic_title)
    ctx.post(parties.room, ctx.t("invitation.declined_room", **names))
    await ctx.tell(parties.inviter, ctx.translator(parties.inviter)("invitation.declined_organizer", **names))
    await ctx.publish("invitation.declined", invitation=invitation)


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
    parties = await parties_of(ctx, invitation)
    if invitation.head_person_id != ctx.person.id:
        ctx.reply(ctx.t("invitation.not_yours", head=parties.head.name))
    elif invitation.state != InvitationState.pending:
        ctx.reply(ctx.t("invitation.already_answered", state=state_label(ctx, invitation.state)))
    else:
        text, buttons = invitation_message(ctx, parties)
        ctx.reply(text, buttons)


# --- when no answer comes -------------------------------------------------------------------


async def _reminded_invitation(ctx: Context, reminder: Reminder) -> Invitation | None:
    invitation_id = (reminder.payload or {}).get("invitation_id")
    invitation = await ctx.session.get(Invitation, invitation_id) if isinstance(invitation_id, int) else None
    return invitation if invitation is not None and invitation.state == InvitationState.pending else None


@registry.reminder("invitation.follow_up")
async def follow_up(ctx: Context, reminder: Reminder) -> None:
    """Three days without an answer: message the head again and tell the organizer."""
    invitation = await _reminded_invitation(ctx, reminder)
    if invitation is None:
        return
    parties = await parties_of(ctx, invitation)
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
    invitation = await _reminded_invitation(ctx, reminder)
    if invitation is None or not await _expire(ctx, invitation):
        return
    parties = await parties_of(ctx, invitation)
    organizer_t = ctx.translator(parties.inviter)
    await ctx.tell(
        parties.inviter,
        organizer_t("invitation.expired_organizer", head=parties.head.name, department=parties.department.name),
    )


async def _expire(ctx: Context, invitation: Invitation) -> bool:
    """Expire a pending invitation; False when it was answered in the meantime."""
    if not await change_state(ctx.session, invitation, InvitationState.expired):
        return False
    await reminders.cancel(ctx.session, f"invitation:{invitation.id}:")
    ctx.audit("invitation.expired", "invitation", invitation.id)
    return True


@registry.on("topic.closed")
async def expire_with_topic(ctx: Context, topic: Topic) -> None:
    """Invitations still unanswered when their topic closes can no longer be accepted."""
    pending = (
        await ctx.session.exec(
            select(Invitation).where(Invitation.topic_id == topic.id, Invitation.state == InvitationState.pending)
        )
    ).all()
    for invitation in pending:
        await _expire(ctx, invitation)

