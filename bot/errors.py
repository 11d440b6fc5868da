"""Errors a handler raises to answer the user instead of changing anything."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused request: the user gets the catalog message `key`, nothing is stored."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class NotAllowed(UserError):
    """The person lacks the role for `action`; the attempt is written to the audit log."""

    def __init__(self, action: str, key: str = "error.organizer_only", **params: object) -> None:
        super().__init__(key, **params)
        self.action = action
