"""Who a Slack user id is: their handle and display name from users.info, remembered per process."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.convert import actor
from bot.messages import Actor

log = logging.getLogger(__name__)


class SlackPeople:
    """Looks users up once; the handle lets the core match them to directory people."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._known: dict[str, Actor] = {}

    async def actor(self, user_id: str, username: str | None = None) -> Actor:
        """The actor for `user_id`; a failed lookup still gives a usable (bare) actor."""
        if user_id in self._known:
            return self._known[user_id]
        try:
            answer = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning(
                "users.info for %s failed: %s", user_id, error.response.get("error") if error.response else error
            )
            return actor(user_id, username)
        except Exception:  # a lookup is a nicety; the event is handled without it
            log.exception("users.info for %s failed", user_id)
            return actor(user_id, username)
        user = answer.get("user") or {}
        profile = user.get("profile") or {}
        display_name = profile.get("real_name") or user.get("real_name") or profile.get("display_name") or ""
        found = actor(user_id, user.get("name") or username, display_name)
        self._known[user_id] = found
        return found
