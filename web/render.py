"""Jinja2 pages with autoescape, in the reader's language, dates as 공문 write them."""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.dates import official_date, official_datetime, official_period
from bot.i18n import Translator

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


class Pages:
    """One template environment; each page is rendered with the reader's translator and time zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    @cached_property
    def env(self) -> Environment:
        """Made on the first page shown: a bot nobody opens the dashboard of never imports Jinja2."""
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        return Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, name: str, locale: str, **values: Any) -> str:
        t = Translator(locale)
        tz = self.tz

        def day(when: datetime | date | None) -> str:
            if when is None:
                return t("web.none")
            value = when.astimezone(tz).date() if isinstance(when, datetime) else when
            return official_date(value, t.locale)

        def moment(when: datetime | None) -> str:
            return official_datetime(when.astimezone(tz), t.locale) if when else t("web.none")

        helpers = dict(
            t=t,
            lang=t.locale,
            day=day,
            moment=moment,
            period=lambda label: official_period(label, t.locale),
            state=lambda s: t(f"proposal.state.{s}"),
            iso=lambda when: when.astimezone(tz).isoformat(timespec="minutes") if when else "",
        )
        return self.env.get_template(name).render(**helpers, **values)
