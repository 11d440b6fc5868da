"""Escaping for Slack's mrkdwn, so user text can never become a mention or a link."""

from __future__ import annotations


def escape(text: str) -> str:
    """Text shown literally: `<!channel>`, `<@U…>` and `<http://…|…>` lose their meaning.

    Slack only asks for these three characters to be escaped; `&` goes first so that
    the entities written for `<` and `>` are not escaped twice.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
