"""People on the test homeserver, as their Matrix client would act: rooms, messages, reactions, invites."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

BUTTONS_FIELD = "org.idearoom.buttons"
_txn = itertools.count(1)


def text_of(event: dict[str, Any]) -> str:
    return str((event.get("content") or {}).get("body") or "")


class MatrixUser:
    """One account's client-server API calls, the way Element would make them."""

    def __init__(self, url: str, user_id: str, access_token: str) -> None:
        self.user_id = user_id
        self.http = httpx.AsyncClient(
            base_url=f"{url}/_matrix/client/v3", headers={"Authorization": f"Bearer {access_token}"}, timeout=30
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        for _ in range(20):
            answer = await self.http.request(method, path, **kwargs)
            if answer.status_code == 429:  # people's own clients wait too
                await asyncio.sleep(answer.json().get("retry_after_ms", 500) / 1000)
                continue
            answer.raise_for_status()
            return dict(answer.json())
        raise AssertionError(f"{self.user_id}: {path} kept answering 429")

    async def create_room(self, name: str, invite: list[str], *, encrypted: bool = False) -> str:
        body: dict[str, Any] = {"name": name, "preset": "private_chat", "invite": invite}
        if encrypted:
            body["initial_state"] = [
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
            ]
        return str((await self._call("POST", "/createRoom", json=body))["room_id"])

    async def invite(self, room_id: str, user_id: str) -> None:
        await self._call("POST", f"/rooms/{quote(room_id)}/invite", json={"user_id": user_id})

    async def join(self, room_id: str) -> None:
        await self._call("POST", f"/join/{quote(room_id)}", json={})

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        content = {"msgtype": "m.text", "body": text, **extra}
        path = f"/rooms/{quote(room_id)}/send/m.room.message/t{next(_txn)}-{time.time_ns()}"
        return str((await self._call("PUT", path, json=content))["event_id"])

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        path = f"/rooms/{quote(room_id)}/send/m.reaction/t{next(_txn)}-{time.time_ns()}"
        return str((await self._call("PUT", path, json=content))["event_id"])

    async def edit(self, room_id: str, event_id: str, text: str) -> str:
        """Replace the text of message `event_id` (an `m.replace` edit, as Element sends it)."""
        content = {
            "msgtype": "m.text",
            "body": f"* {text}",
            "m.new_content": {"msgtype": "m.text", "body": text},
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
        }
        path = f"/rooms/{quote(room_id)}/send/m.room.message/t{next(_txn)}-{time.time_ns()}"
        return str((await self._call("PUT", path, json=content))["event_id"])

    async def redact(self, room_id: str, event_id: str) -> str:
        """Take back an event (un-reacting is redacting the reaction)."""
        path = f"/rooms/{quote(room_id)}/redact/{quote(event_id)}/t{next(_txn)}-{time.time_ns()}"
        return str((await self._call("PUT", path, json={}))["event_id"])

    async def timeline(self, room_id: str) -> list[dict[str, Any]]:
        """Every event of the room the account may see, oldest first."""
        events: list[dict[str, Any]] = []
        params: dict[str, Any] = {"dir": "b", "limit": 1000}
        while True:
            page = await self._call("GET", f"/rooms/{quote(room_id)}/messages", params=params)
            events.extend(page.get("chunk") or [])
            if not page.get("chunk") or not page.get("end"):
                break
            params["from"] = page["end"]
        return list(reversed(events))

    async def messages_from(self, room_id: str, sender: str) -> list[dict[str, Any]]:
        return [
            e for e in await self.timeline(room_id) if e.get("sender") == sender and e.get("type") == "m.room.message"
        ]

    async def wait_for_message(
        self, room_id: str, sender: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in await self.messages_from(room_id, sender) if predicate(e)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                seen = [text_of(e)[:80] for e in await self.messages_from(room_id, sender)]
                raise AssertionError(f"{self.user_id} saw no such message from {sender} in {room_id}; saw {seen}")
            await asyncio.sleep(0.2)

    async def wait_for_text(self, room_id: str, sender: str, part: str, timeout: float = 20.0) -> dict[str, Any]:
        return await self.wait_for_message(room_id, sender, lambda e: part in text_of(e), timeout)

    async def invited_rooms(self) -> dict[str, list[dict[str, Any]]]:
        sync = await self._call("GET", "/sync", params={"timeout": 0, "filter": '{"room":{"timeline":{"limit":0}}}'})
        invites = (sync.get("rooms") or {}).get("invite") or {}
        return {room: (data.get("invite_state") or {}).get("events") or [] for room, data in invites.items()}

    async def wait_invited(self, room_id: str | None = None, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rooms = await self.invited_rooms()
            for room in rooms:
                if room_id is None or room == room_id:
                    return room
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.user_id} was not invited to {room_id or 'any room'}")

    async def joined_rooms(self) -> list[str]:
        return list((await self._call("GET", "/joined_rooms"))["joined_rooms"])

    async def account_data(self, kind: str) -> dict[str, Any]:
        return await self._call("GET", f"/user/{quote(self.user_id)}/account_data/{kind}")


def button_key(event: dict[str, Any], action: str) -> str:
    """The reaction that presses the button `action` under a bot message."""
    for item in (event.get("content") or {}).get(BUTTONS_FIELD) or []:
        if item["action"] == action:
            return str(item["key"])
    raise AssertionError(f"no button {action!r} under {text_of(event)[:80]!r}")
