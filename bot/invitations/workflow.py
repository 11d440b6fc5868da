"""Inviting a head and their answers: the invitation stored and sent, accepted, declined or expired, and what follows."""

from __future__ import annotations

from typing import Any

from bot import reminders
from bot.context import NOTICE, Context
from bot.errors import NotAllowed, UserError
from bot.invitations.queries import Parties, account_on, open_invitation, parties_of
from bot.invitations.rules import expires_at, reminders_of, state_key
from bot.messages import Button, Destination, FollowUp, MessagePayload, Outgoing, Wording
from bot.outbox import enqueue
from bot.transitions import change_state
from storage.tables import Department, FieldVisit, Invitation, InvitationState, Person, Topic


def state_label(ctx: Context, state: str) -> str:
    return ctx.t(state_key(state))


async def invite_head(ctx: Context, topic: Topic, department: Department) -> Invitation:
    """Store a pending invitation, message the head (or tell the organizer what to forward)."""
    if department.head_person_id is None:
        raise UserError("invite.no_head_registered", department=department.name)
    head = await ctx.session.get(Person, department.head_person_id)
    assert head is not None and head.id is not None and topic.id is not None
    existing = await open_invitation(ctx.session, topic.id, head.id)
    if existing is not None:
        raise UserError("invite.already_invited", head=head.name, state=state_label(ctx, existing.state))
    assert department.id is not None and ctx.person.id is not None
    invitation = Invitation(
        topic_id=topic.id,
        room_id=topic.room_id,
        department_id=department.id,
        head_person_id=head.id,
        invited_by=ctx.person.id,
        state=InvitationState.pending,
        created_at=ctx.now(),
        expires_at=expires_at(ctx.now(), ctx.settings.tz, topic.closes_at),
    )
    ctx.session.add(invitation)
    await ctx.session.flush()
    assert invitation.id is not None and invitation.expires_at is not None
    ctx.audit("invitation.sent", "invitation", invitation.id, department=department.name, head_id=head.id)
    parties = await parties_of(ctx.session, invitation)
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
        due = ctx.date(invitation.expires_at)
        ctx.reply(ctx.t("invite.sent", head=head.name, department=department.name, number=invitation.id, date=due))
    await schedule_answer_reminders(ctx, invitation)
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
    lines.append(
        tr("invitation.message_answer", date=ctx.date(invitation.expires_at, parties.head), number=invitation.id)
    )
    buttons = [
        [
            Button(tr("invitation.accept_button"), f"inv:{invitation.id}:accept"),
            Button(tr("invitation.decline_button"), f"inv:{invitation.id}:decline"),
        ],
        [Button(tr("invitation.visit_button"), f"inv:{invitation.id}:visit")],
    ]
    return "\n".join(lines), buttons


async def schedule_answer_reminders(ctx: Context, invitation: Invitation) -> None:
    assert invitation.expires_at is not None
    for kind, due_at, key in reminders_of(invitation.created_at, invitation.expires_at):
        await reminders.schedule(
            ctx.session,
            kind=kind,
            due_at=due_at,
            audience=f"person:{invitation.head_person_id}",
            dedupe_key=f"invitation:{invitation.id}:{key}",
            payload={"invitation_id": invitation.id},
            now=ctx.now(),
        )


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
    if invitation.expires_at is not None and ctx.now() > invitation.expires_at:
        raise UserError("invitation.too_late", date=ctx.date(invitation.expires_at))
    return invitation


async def _answer(ctx: Context, invitation: Invitation, state: str, event: str, **audit: Any) -> Parties:
    """Record the head's answer unless it was answered meanwhile, and stop the reminders."""
    if not await change_state(ctx.session, invitation, state, answered_at=ctx.now()):
        raise UserError("invitation.already_answered", state=state_label(ctx, invitation.state))
    await reminders.cancel(ctx.session, f"invitation:{invitation.id}:")
    ctx.audit(event, "invitation", invitation.id, **audit)
    return await parties_of(ctx.session, invitation)


async def accept_invitation(ctx: Context, invitation: Invitation, visit: FieldVisit | None = None) -> None:
    """Accept (with or without a field visit): tell the room and the organizer, bring the head in."""
    parties = await _answer(
        ctx, invitation, InvitationState.accepted, "invitation.accepted", field_visit_id=visit.id if visit else None
    )
    if visit is None:
        ctx.post(parties.room, ctx.t("invitation.accepted_room", **parties.names()))
        await ctx.tell(
            parties.inviter, ctx.translator(parties.inviter)("invitation.accepted_organizer", **parties.names())
        )
    else:
        await announce_visit(ctx, parties, visit)
    await bring_into_room(ctx, parties)
    await ctx.publish("invitation.accepted", invitation=invitation)


async def decline_invitation(ctx: Context, invitation: Invitation) -> None:
    parties = await _answer(ctx, invitation, InvitationState.declined, "invitation.declined")
    ctx.post(parties.room, ctx.t("invitation.declined_room", **parties.names()))
    await ctx.tell(parties.inviter, ctx.translator(parties.inviter)("invitation.declined_organizer", **parties.names()))
    await ctx.publish("invitation.declined", invitation=invitation)


async def announce_visit(ctx: Context, parties: Parties, visit: FieldVisit) -> None:
    """Tell the room and the inviting organizer when and where the head's field visit is."""
    when = dict(date=ctx.when(visit.visit_at), place=visit.place)
    ctx.post(parties.room, _with_note(ctx.t("visit.announced_room", **parties.names(), **when), ctx.t, visit.note))
    organizer_t = ctx.translator(parties.inviter)
    told = organizer_t("visit.announced_organizer", **parties.names(), **when)
    await ctx.tell(parties.inviter, _with_note(told, organizer_t, visit.note))


def _with_note(text: str, t: Any, note: str) -> str:
    return f"{text}\n{t('visit.note', note=note)}" if note else text


async def bring_into_room(ctx: Context, parties: Parties) -> None:
    """An outbox invite on the room's platform; a link it returns is passed on to the head."""
    assert parties.head.id is not None
    identity = await account_on(ctx.session, parties.head.id, parties.room.platform)
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


async def expire_invitation(ctx: Context, invitation: Invitation) -> bool:
    """Expire a pending invitation; False when it was answered in the meantime."""
    if not await change_state(ctx.session, invitation, InvitationState.expired):
        return False
    await reminders.cancel(ctx.session, f"invitation:{invitation.id}:")
    ctx.audit("invitation.expired", "invitation", invitation.id)
    return True
