"""The mautrix client the adapter uses, made to keep the homeserver's `retry_after_ms` on rate-limit errors.

mautrix (0.21) is used rather than matrix-nio: its low-level ClientAPI is a thin, typed layer over
the client-server API that never retries a 429 by itself (nio retries forever by default), so the
outbox decides how long to wait, and the sync loop is ours, which is what storing the sync token
only after the batch is committed needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from json import JSONDecodeError
from typing import Any

from aiohttp import ClientResponse, ClientTimeout, ContentTypeError
from mautrix.api import HTTPAPI
from mautrix.client.api import ClientAPI
from mautrix.errors import MatrixConnectionError, make_request_error
from mautrix.types import UserID

# No call to the homeserver waits longer than this (plus a sync's own long-poll time): a bot must never hang.
REQUEST_SECONDS = 30.0
CONNECT_SECONDS = 10.0


def request_timeout(query_params: Mapping[str, str] | None) -> ClientTimeout:
    """The whole request's deadline; a long poll (`/sync?timeout=ms`) gets its poll time on top."""
    poll_ms = str((query_params or {}).get("timeout") or "0")
    poll = int(poll_ms) / 1000.0 if poll_ms.isdigit() else 0.0
    return ClientTimeout(total=REQUEST_SECONDS + poll, sock_connect=CONNECT_SECONDS)


class PatientHTTPAPI(HTTPAPI):
    """HTTPAPI whose errors carry `retry_after_ms` (from the body or a Retry-After header) when given."""

    async def _send(self, method, url, content, query_params, headers) -> tuple[Any, ClientResponse]:
        timeout = request_timeout(query_params)
        try:
            return await self._exchange(method, url, content, query_params, headers, timeout)
        except TimeoutError as error:  # aiohttp's deadline: as unreachable as a refused connection
            raise MatrixConnectionError(f"no answer from the homeserver within {timeout.total:.0f}s") from error

    async def _exchange(self, method, url, content, query_params, headers, timeout) -> tuple[Any, ClientResponse]:
        request = self.session.request(
            str(method), url, data=content, params=query_params, headers=headers, timeout=timeout
        )
        async with request as response:
            if 200 <= response.status < 300:
                return await response.json(), response
            data: dict[str, Any] = {}
            try:
                data = await response.json()
            except (JSONDecodeError, ContentTypeError):
                pass
            error = make_request_error(
                http_status=response.status,
                text=await response.text(),
                errcode=data.get("errcode") if isinstance(data, dict) else None,
                message=data.get("error") if isinstance(data, dict) else None,
            )
            retry_ms = data.get("retry_after_ms") if isinstance(data, dict) else None
            header = response.headers.get("Retry-After")
            if retry_ms is None and header and header.isdigit():
                retry_ms = int(header) * 1000
            error.retry_after_ms = retry_ms  # type: ignore[attr-defined]
            raise error


def make_client(homeserver_url: str, user_id: str, access_token: str) -> ClientAPI:
    api = PatientHTTPAPI(base_url=homeserver_url.rstrip("/"), token=access_token or "")
    return ClientAPI(mxid=UserID(user_id), api=api)


def retry_after_seconds(error: Exception) -> float | None:
    """How long the homeserver asked to wait, for an M_LIMIT_EXCEEDED error (1 s when it did not say)."""
    if getattr(error, "errcode", None) != "M_LIMIT_EXCEEDED" and getattr(error, "http_status", 0) != 429:
        return None
    ms = getattr(error, "retry_after_ms", None)
    return max(0.0, float(ms) / 1000.0) if ms is not None else 1.0
