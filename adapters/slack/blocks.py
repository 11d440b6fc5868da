"""Block Kit for an outgoing message: its text as a section, its buttons as actions blocks."""

from __future__ import annotations

from typing import Any

from adapters.slack.mrkdwn import escape
from bot.messages import Button

# Slack's limits: a section's text, a button label, a button value, buttons per actions block.
SECTION_LIMIT = 3000
LABEL_LIMIT = 75
VALUE_LIMIT = 2000
BUTTONS_PER_BLOCK = 25
ACTION_ID_PREFIX = "idearoom"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def action_id(row: int, column: int) -> str:
    """A block-unique action id; the button's meaning travels in its value."""
    return f"{ACTION_ID_PREFIX}-{row}-{column}"


def button_element(button: Button, row: int, column: int) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": _clip(button.label, LABEL_LIMIT), "emoji": True},
        "action_id": action_id(row, column),
        "value": button.action[:VALUE_LIMIT],
    }


def text_sections(text: str) -> list[dict[str, Any]]:
    """The escaped text in as many sections as Slack's length limit needs."""
    escaped = escape(text)
    chunks = [escaped[i : i + SECTION_LIMIT] for i in range(0, len(escaped), SECTION_LIMIT)] or [" "]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}} for chunk in chunks]


def message_blocks(text: str, buttons: list[list[Button]]) -> list[dict[str, Any]]:
    """Blocks for a message with buttons (one actions block per row of buttons)."""
    blocks = text_sections(text)
    for row_index, row in enumerate(buttons):
        elements = [button_element(b, row_index, col) for col, b in enumerate(row[:BUTTONS_PER_BLOCK])]
        if elements:
            blocks.append({"type": "actions", "block_id": f"{ACTION_ID_PREFIX}-row-{row_index}", "elements": elements})
    return blocks
