"""Slack requests checked and read before anything else: the signature first, then the body, then its shape."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

EVENT, COMMAND, ACTION = "event", "command", "action"
# Interactive payloads the bot answers; the others (modals, shortcuts) are acknowledged and dropped.
ACTION_TYPES = {"block_actions"}
SIGNATURE_MAX_AGE = 5 * 60  # seconds, as Slack's own verifier allows


class Malformed(ValueError):
    """A signed request whose body is not one Slack sends; answered 400."""


@dataclass(frozen=True)
class Request:
    """What a Slack request asks, before any of it is handled."""

    kind: str  # event, command, action, or "" when there is nothing to handle (a challenge, an ignored type)
    payload: dict[str, Any]
    delivery_id: str = ""
    challenge: str | None = None


def is_signed(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """The body carries a valid, fresh (five minutes) signature; never raises on odd headers or bytes."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signature:
        return False
    if abs(verifier.clock.now() - int(timestamp)) > SIGNATURE_MAX_AGE:
        return False
    # Over the bytes as they came, as Slack signs them: a signed body that is not UTF-8 is malformed (400), not forged.
    expected = hmac.new(verifier.signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    # As bytes: compare_digest refuses str with characters beyond ASCII (a header may hold any).
    return hmac.compare_digest(("v0=" + expected.hexdigest()).encode(), signature.encode("utf-8", "replace"))


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: thousands of nested brackets
        raise Malformed(f"not JSON: {type(error).__name__}") from None
    if not isinstance(value, dict):
        raise Malformed("not a JSON object")
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not an object")
    return value


def _digest(*parts: Any) -> str:
    return "h:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:32]


def read_http(body: bytes, content_type: str) -> Request:
    """The request a signed HTTP body carries (events as JSON, commands and buttons as a form)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8") from None
    if content_type.startswith("application/json"):
        return read_envelope("events_api", _json_object(text))
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            form = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True, strict_parsing=bool(text)).items()}
        except ValueError:
            raise Malformed("not a form") from None
        if "payload" in form:
            return read_envelope("interactive", _json_object(form["payload"]))
        if "command" in form:
            return read_envelope("slash_commands", form)
        if form.get("ssl_check"):
            return Request("", form)
        raise Malformed("a form with neither a command nor a payload")
    raise Malformed(f"content type {content_type!r}")


def read_envelope(envelope_type: str, payload: dict[str, Any]) -> Request:
    """The same for a Socket Mode envelope's type and payload (and for the HTTP bodies above)."""
    payload = _dict(payload, "the payload")
    if envelope_type == "events_api":
        if payload.get("type") == "url_verification":
            return Request("", payload, challenge=str(payload.get("challenge", "")))
        if payload.get("type") != "event_callback":
            return Request("", payload)
        event = _dict(payload.get("event"), "event")
        if not isinstance(event.get("type"), str):
            raise Malformed("an event without a type")
        delivery = payload.get("event_id")
        return Request(EVENT, payload, str(delivery) if delivery else _digest(json.dumps(payload, sort_keys=True)))
    if envelope_type == "slash_commands":
        if not isinstance(payload.get("command"), str) or not isinstance(payload.get("text", ""), str):
            raise Malformed("a command without a name")
        trigger = payload.get("trigger_id")
        return Request(COMMAND, payload, f"cmd:{trigger}" if trigger else _digest(json.dumps(payload, sort_keys=True)))
    if envelope_type == "interactive":
        if payload.get("type") not in ACTION_TYPES:
            return Request("", payload)
        _dict(payload.get("user"), "user")
        actions = payload.get("actions")
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            raise Malformed("actions are not a list of objects")
        stamps = ",".join(str(a.get("action_ts", "")) for a in actions)
        return Request(
            ACTION, payload, f"act:{payload.get('trigger_id') or _digest(json.dumps(payload, sort_keys=True))}:{stamps}"
        )
    return Request("", payload)
