"""The dashboard's forms as the chat commands and buttons they stand for: `/proposal adopt 3`, `inv:4:accept`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

NUMBER = re.compile(r"^[0-9]{1,9}$")
NUMBERS = re.compile(r"^[0-9]{1,9}(,[0-9]{1,9})*$")
WORD = re.compile(r"^[^\s]{1,100}$")
BUTTON = re.compile(r"^[a-z_]{1,20}(:[0-9A-Za-z_-]{1,40}){0,4}$")


class BadForm(ValueError):
    """A field missing or not of its kind; `field` names it."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


@dataclass(frozen=True)
class Step:
    """One form: the command typed (or button pressed), its fields and their kinds, and whether it happens in a room."""

    template: str
    fields: tuple[tuple[str, str], ...] = ()  # (name, kind): number, numbers, word, line, text, button
    in_room: bool = False
    press: bool = False


STEPS: dict[str, Step] = {
    "topic_pick": Step("/topic pick {topic}", (("topic", "number"),), in_room=True),
    "topic_close": Step("/topic close", in_room=True),
    "invite": Step("/invite {department}", (("department", "line"),), in_room=True),
    "proposal_new": Step("/proposal new {ideas} {title}", (("ideas", "numbers"), ("title", "line"))),
    "proposal_submit": Step("/proposal submit {number} {department}", (("number", "number"), ("department", "line"))),
    "proposal_adopt": Step("/proposal adopt {number}", (("number", "number"),)),
    "proposal_reject": Step("/proposal reject {number} {reason}", (("number", "number"), ("reason", "text"))),
    "proposal_supplement": Step("/proposal supplement {number} {reason}", (("number", "number"), ("reason", "text"))),
    "proposal_withdraw": Step("/proposal withdraw {number} {reason}", (("number", "number"), ("reason", "optional"))),
    "proposal_done": Step("/proposal done {number}", (("number", "number"),)),
    "points_award": Step(
        "/points award {person} {points} {reason}", (("person", "word"), ("points", "number"), ("reason", "line"))
    ),
    "points_deduct": Step(
        "/points deduct {person} {points} {reason}", (("person", "word"), ("points", "number"), ("reason", "line"))
    ),
    "committee_agenda": Step("/committee agenda"),
    "invitation_accept": Step("inv:{invitation}:accept", (("invitation", "number"),), press=True),
    "invitation_decline": Step("inv:{invitation}:decline", (("invitation", "number"),), press=True),
    "visit": Step(
        "/visit {invitation} {when} {place}", (("invitation", "number"), ("when", "line"), ("place", "line"))
    ),
    "press": Step("{button}", (("button", "button"),), press=True),
}


def _value(form: Mapping[str, str], name: str, kind: str) -> str:
    raw = str(form.get(name, "")).strip()
    if kind == "optional":
        return " ".join(raw.split())
    if not raw:
        raise BadForm(name)
    if kind == "number" and not NUMBER.match(raw):
        raise BadForm(name)
    if kind == "numbers":
        raw = ",".join(part for part in re.split(r"[\s,]+", raw) if part)
        if not NUMBERS.match(raw):
            raise BadForm(name)
    if kind == "word" and not WORD.match(raw):
        raise BadForm(name)
    if kind == "button" and not BUTTON.match(raw):
        raise BadForm(name)
    if kind in ("line", "text"):
        # One line, as a chat message of the command would hold it: the command reads words from it.
        raw = " ".join(raw.split())
    return raw


def command_of(action: str, form: Mapping[str, str]) -> tuple[Step, str]:
    """The step and the text (command or button action) a submitted form stands for."""
    step = STEPS.get(action)
    if step is None:
        raise BadForm("action")
    values = {name: _value(form, name, kind) for name, kind in step.fields}
    return step, step.template.format(**values).strip()
