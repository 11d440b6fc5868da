"""Settings read from the environment and a `.env` file."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import locales


def _split_csv(value: object) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Iterable):
        return [str(part) for part in value]
    raise ValueError(f"expected comma-separated text, got {type(value).__name__}")


# Where every settings class reads from: the environment, then `.env`; what belongs to another class is left to it.
FROM_ENVIRONMENT = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class PlatformSettings(BaseSettings):
    """The base of a platform's own settings (adapters/*/settings.py), merged into the app's Settings.

    Merged by inheritance, so each field and property is named after its platform
    (`slack_bot_token`, `slack_limits`): two platforms never shadow each other.
    """

    model_config = FROM_ENVIRONMENT

    @classmethod
    def of(cls, settings: object) -> Self:
        """These settings within the app's (which include them), or read afresh when they do not."""
        return settings if isinstance(settings, cls) else cls()


class Settings(BaseSettings):
    """Every setting of the bot; names match `.env.example`."""

    model_config = FROM_ENVIRONMENT

    # Core
    database_url: str = Field("sqlite+aiosqlite:///./idearoom.db", alias="IDEAROOM_DATABASE_URL")
    locale: str = Field("ko", alias="IDEAROOM_LOCALE")
    # Folders of further locales (`<folder>/<locale>/*.po`), a language added outside the package.
    catalogs: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="IDEAROOM_CATALOGS")
    timezone: str = Field("Asia/Seoul", alias="IDEAROOM_TIMEZONE")
    organizers: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="IDEAROOM_ORGANIZERS")
    # None: the demo organisation fills an empty database only when no platform is configured.
    demo_data: bool | None = Field(None, alias="IDEAROOM_DEMO_DATA")
    log_level: str = Field("INFO", alias="IDEAROOM_LOG_LEVEL")
    max_idea_length: int = Field(2000, alias="IDEAROOM_MAX_IDEA_LENGTH")
    review_due_days: int = Field(30, alias="IDEAROOM_REVIEW_DUE_DAYS")
    points_rules_file: str = Field("", alias="IDEAROOM_POINTS_RULES")
    points_allow_negative: bool = Field(False, alias="IDEAROOM_POINTS_ALLOW_NEGATIVE")
    points_count_outside_supports: bool = Field(False, alias="IDEAROOM_POINTS_COUNT_OUTSIDE_SUPPORTS")
    report_dir: str = Field("./reports", alias="IDEAROOM_REPORT_DIR")
    office_name: str = Field("혁신담당관실", alias="IDEAROOM_OFFICE_NAME")

    # Scheduler
    reminder_grace_hours: int = Field(12, alias="IDEAROOM_REMINDER_GRACE_HOURS")
    auto_pick_topic: bool = Field(False, alias="IDEAROOM_AUTO_PICK_TOPIC")
    committee_meeting_day: int = Field(15, alias="IDEAROOM_COMMITTEE_MEETING_DAY")
    committee_meeting_month_of_quarter: int = Field(3, alias="IDEAROOM_COMMITTEE_MEETING_MONTH")
    # Empty: a majority of the members who may vote on a proposal; a number: at least that many votes.
    committee_quorum: str = Field("", alias="IDEAROOM_COMMITTEE_QUORUM")
    office_opens: str = Field("09:00", alias="IDEAROOM_OFFICE_OPENS")
    office_closes: str = Field("18:00", alias="IDEAROOM_OFFICE_CLOSES")

    # Sending
    send_rate_limits: str = Field("on", alias="IDEAROOM_SEND_RATE_LIMITS")
    send_max_attempts: int = Field(6, alias="IDEAROOM_SEND_MAX_ATTEMPTS")
    send_lease_seconds: float = Field(60.0, alias="IDEAROOM_SEND_LEASE_SECONDS")
    ack_coalesce_seconds: float = Field(5.0, alias="IDEAROOM_ACK_COALESCE_SECONDS")
    # Each platform's own settings (tokens, its sending pace) live with its adapter: adapters/*/settings.py.

    # allow: anyone who writes in a room may post, support and earn points (as before);
    # staff: only people in the directory, organizers and committee members.
    strangers: str = Field("allow", alias="IDEAROOM_STRANGERS")
    # Erasure (`idearoom people erase`): keep: an erased person's ideas stay, anonymised; remove: their text goes too.
    erasure_ideas: str = Field("keep", alias="IDEAROOM_ERASURE_IDEAS")
    # Retention (days; 0 keeps forever): purged every night at 03:00 in batches of IDEAROOM_RETENTION_BATCH rows.
    retain_events_days: int = Field(30, alias="IDEAROOM_RETAIN_EVENTS_DAYS")
    retain_outbox_days: int = Field(90, alias="IDEAROOM_RETAIN_OUTBOX_DAYS")
    retain_audit_days: int = Field(1095, alias="IDEAROOM_RETAIN_AUDIT_DAYS")
    # Inbox rows normally go once handled; these are the ones given up or left unhandled (raw payloads).
    retain_inbox_days: int = Field(7, alias="IDEAROOM_RETAIN_INBOX_DAYS")
    # Charts and /mydata files are removed once sent; what a failure or the console left goes after this.
    retain_files_days: int = Field(1, alias="IDEAROOM_RETAIN_FILES_DAYS")
    retention_batch: int = Field(500, alias="IDEAROOM_RETENTION_BATCH")
    # Linking one person's accounts across platforms (/link)
    link_code_minutes: int = Field(10, alias="IDEAROOM_LINK_CODE_MINUTES")
    link_max_attempts: int = Field(5, alias="IDEAROOM_LINK_MAX_ATTEMPTS")
    # Intake: requests are committed to the inbox before the platform is answered
    inbox_lease_seconds: float = Field(30.0, alias="IDEAROOM_INBOX_LEASE_SECONDS")
    drain_seconds: float = Field(10.0, alias="IDEAROOM_DRAIN_SECONDS")

    # HTTP (webhooks, health, metrics)
    http_host: str = Field("0.0.0.0", alias="IDEAROOM_HTTP_HOST")
    http_port: int = Field(8080, alias="IDEAROOM_HTTP_PORT")
    # Set: /healthz and /metrics answer only on this port of IDEAROOM_OPS_HOST, not on the webhooks' port.
    ops_port: int | None = Field(None, alias="IDEAROOM_OPS_PORT")
    ops_host: str = Field("127.0.0.1", alias="IDEAROOM_OPS_HOST")
    # Set: GET /metrics needs "Authorization: Bearer <token>".
    metrics_token: str = Field("", alias="IDEAROOM_METRICS_TOKEN")

    # Web dashboard (served on IDEAROOM_HTTP_PORT under /web; README "Web dashboard")
    web_enabled: bool = Field(True, alias="IDEAROOM_WEB")
    # The address people open, as the log-in links name it; https:// makes the session cookie Secure.
    web_base_url: str = Field("", alias="IDEAROOM_WEB_BASE_URL")
    web_link_minutes: int = Field(10, alias="IDEAROOM_WEB_LINK_MINUTES")
    web_session_hours: int = Field(8, alias="IDEAROOM_WEB_SESSION_HOURS")
    # The public page of adopted and implemented proposals (/public), and whether it names proposers.
    web_public: bool = Field(False, alias="IDEAROOM_WEB_PUBLIC")
    web_public_names: bool = Field(False, alias="IDEAROOM_WEB_PUBLIC_NAMES")

    @field_validator("strangers")
    @classmethod
    def _strangers(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("allow", "staff"):
            raise ValueError("IDEAROOM_STRANGERS is allow or staff")
        return value

    @field_validator("erasure_ideas")
    @classmethod
    def _erasure_ideas(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("keep", "remove"):
            raise ValueError("IDEAROOM_ERASURE_IDEAS is keep or remove")
        return value

    @field_validator("ops_port", mode="before")
    @classmethod
    def _no_ops_port(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("organizers", "catalogs", mode="before")
    @classmethod
    def _organizers_csv(cls, value: object) -> list[str]:
        return _split_csv(value)

    @model_validator(mode="after")
    def _known_locale(self) -> Settings:
        known = locales(self.catalogs)
        value = self.locale.strip().lower()
        value = value if value in known else value[:2]
        if value not in known:
            raise ValueError(f"IDEAROOM_LOCALE must be one of the catalogs' locales: {', '.join(known)}")
        self.locale = value
        return self

    @field_validator("office_opens", "office_closes")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        hours, _, minutes = value.strip().partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("office hours are HH:MM, e.g. 09:00")
        return f"{int(hours):02d}:{int(minutes):02d}"

    @model_validator(mode="after")
    def _office_opens_before_it_closes(self) -> Settings:
        if self.office_opens >= self.office_closes:
            raise ValueError("IDEAROOM_OFFICE_OPENS must be earlier than IDEAROOM_OFFICE_CLOSES")
        return self

    @field_validator("committee_quorum")
    @classmethod
    def _quorum(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("", "majority") and not (value.isdigit() and int(value) > 0):
            raise ValueError("IDEAROOM_COMMITTEE_QUORUM is empty (a majority) or a number of votes")
        return "" if value == "majority" else value

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def rate_limits_enabled(self) -> bool:
        return self.send_rate_limits.strip().lower() not in ("off", "0", "false", "no")

    @property
    def web_url(self) -> str:
        """Where the dashboard is reached: IDEAROOM_WEB_BASE_URL, else this host's HTTP port."""
        if self.web_base_url.strip():
            return self.web_base_url.strip().rstrip("/")
        host = "127.0.0.1" if self.http_host in ("", "0.0.0.0", "::") else self.http_host
        return f"http://{host}:{self.http_port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
