"""The Matrix adapter's settings (MATRIX_*, IDEAROOM_MATRIX_*) and the sending pace they give."""

from __future__ import annotations

from pydantic import Field

from bot.config import PlatformSettings
from bot.ports import PlatformLimits, window


class MatrixSettings(PlatformSettings):
    """Matrix's tokens and sending pace; names match `.env.example`."""

    matrix_homeserver_url: str = Field("", alias="MATRIX_HOMESERVER_URL")
    matrix_user_id: str = Field("", alias="MATRIX_USER_ID")
    matrix_access_token: str = Field("", alias="MATRIX_ACCESS_TOKEN")
    matrix_password: str = Field("", alias="MATRIX_PASSWORD")
    matrix_max_per_second: int = Field(0, alias="IDEAROOM_MATRIX_MAX_PER_SECOND")
    matrix_room_max_per_second: int = Field(1, alias="IDEAROOM_MATRIX_ROOM_MAX_PER_SECOND")
    matrix_sync_timeout_seconds: float = Field(30.0, alias="IDEAROOM_MATRIX_SYNC_TIMEOUT_SECONDS")

    @property
    def matrix_configured(self) -> bool:
        return bool(
            self.matrix_homeserver_url and self.matrix_user_id and (self.matrix_access_token or self.matrix_password)
        )

    @property
    def matrix_limits(self) -> PlatformLimits:
        """Every event the bot sends counts against the homeserver's rc_message; rooms are paced one by one."""
        return PlatformLimits(
            overall=window(self.matrix_max_per_second, 1.0),
            per_chat=window(self.matrix_room_max_per_second, 1.0),
        )
