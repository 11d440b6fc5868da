"""The App Home tab: a person's points, their rooms' topics and what waits for them, as Block Kit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from adapters.slack.mrkdwn import escape
from bot.features.home import HomeSummary, Waiting, waiting_line
from bot.honorifics import called
from bot.i18n import Translator

Local = Callable[[datetime, str], str]
DATE = "%Y-%m-%d"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _waiting_line(item: Waiting, t: Translator, local: Local) -> str:
    return waiting_line(item, t, local, escape)


def home_view(summary: HomeSummary | None, t: Translator, local: Local, now: datetime) -> dict[str, Any]:
    """The `home` view for views.publish; a person the bot does not know yet gets a welcome."""
    blocks: list[dict[str, Any]] = []
    if summary is None:
        blocks.append(_section(t("home.unknown")))
    else:
        blocks.append(
            {
                "type": "header",
                "text": {"type": "plain_text", "text": t("home.title", name=called(summary.person, t.locale))[:150]},
            }
        )
        blocks.append(_section(t("home.points", points=summary.points)))
        blocks.append({"type": "divider"})
        blocks.append(_section(f"*{t('home.topics_header')}*"))
        if summary.topics:
            lines = []
            for topic in summary.topics:
                room, title = escape(topic.room_title), escape(topic.topic_title)
                if topic.closes_at:
                    lines.append(
                        t("home.topic_line_closes", room=room, topic=title, closes=local(topic.closes_at, DATE))
                    )
                else:
                    lines.append(t("home.topic_line", room=room, topic=title))
            blocks.append(_section("\n".join(lines)))
        else:
            blocks.append(_section(t("home.topics_none")))
        blocks.append({"type": "divider"})
        blocks.append(_section(f"*{t('home.waiting_header')}*"))
        if summary.waiting:
            blocks.append(_section("\n".join(_waiting_line(item, t, local) for item in summary.waiting)))
        else:
            blocks.append(_section(t("home.waiting_none")))
    blocks.append({"type": "divider"})
    hint = f"{t('slack.home.hint')}  ·  {t('slack.home.updated', time=local(now, '%Y-%m-%d %H:%M'))}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": hint}]})
    return {"type": "home", "blocks": blocks}
