"""Raw Telegram updates as the Bot API would POST them to a webhook: group messages and button presses."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    username: str

    def as_json(self) -> JSON:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "username": self.username}


@dataclass
class GroupStream:
    """Numbers updates and messages the way Telegram does for one group chat."""

    chat_id: int
    title: str
    bot: JSON
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5000))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    @property
    def chat(self) -> JSON:
        return {"id": self.chat_id, "type": "supergroup", "title": self.title}

    def message(self, user: TelegramUser, text: str) -> JSON:
        """A text message in the group; a leading /command gets its bot_command entity."""
        message: JSON = {
            "message_id": next(self._message_ids),
            "from": user.as_json(),
            "chat": self.chat,
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(self._update_ids), "message": message}

    def press(self, user: TelegramUser, data: str, on_message_id: int) -> JSON:
        """A press of an inline button on one of the bot's messages in the group."""
        update_id = next(self._update_ids)
        bot_message = {
            "message_id": on_message_id,
            "from": self.bot,
            "chat": self.chat,
            "date": int(time.time()),
            "text": "…",
        }
        query = {
            "id": f"cq{update_id}",
            "from": user.as_json(),
            "chat_instance": str(self.chat_id),
            "data": data,
            "message": bot_message,
        }
        return {"update_id": update_id, "callback_query": query}
