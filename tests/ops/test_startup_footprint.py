"""What the bot's own process loads at start: the migrations and the holidays run in children, plug-ins bring no SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage.migrate import early_upgrade, head_revisions, sqlite_is_current, upgrade_in_child

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, cwd: Path) -> dict[str, object]:
    """Run `code` in a fresh interpreter (nothing imported by other tests) and return the JSON it prints."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("IDEAROOM_", "TELEGRAM_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_fresh_database_is_migrated_without_alembic_in_the_bots_process(tmp_path: Path) -> None:
    found = run_python(
        f"""
        import asyncio, json, sqlite3, sys
        from idearoom.settings import AppSettings
        from idearoom.wiring import build_app

        url = "sqlite+aiosqlite:///{tmp_path / "fresh.db"}"
        built = []

        async def main():
            settings = AppSettings(_env_file=None, IDEAROOM_DATABASE_URL=url, IDEAROOM_DEMO_DATA="false")
            app = build_app(settings)
            try:
                await app.prepare(meanwhile=lambda: built.append(True))
            finally:
                await app.db.dispose()

        asyncio.run(main())
        with sqlite3.connect("{tmp_path / "fresh.db"}") as db:
            versions = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        loaded = sorted(name for name in ("alembic", "mako", "pygments") if name in sys.modules)
        print(json.dumps({{"versions": versions, "tables": tables, "loaded": loaded, "built": built}}))
        """,
        tmp_path,
    )
    assert set(found["versions"]) == head_revisions()  # type: ignore[arg-type]
    assert {"idea", "person", "outboxmessage"} <= set(found["tables"])  # type: ignore[arg-type]
    assert found["loaded"] == []
    assert found["built"] == [True]  # the caller's own work ran while the child migrated


async def test_migrations_that_fail_in_the_child_say_why(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="the migrations failed: .*unable to open database file"):
        await upgrade_in_child(f"sqlite+aiosqlite:///{tmp_path / 'no such folder' / 'idearoom.db'}")


def test_korean_holidays_come_from_the_package_without_it_in_the_process(tmp_path: Path) -> None:
    found = run_python(
        """
        import json, sys
        from datetime import date
        from bot.business_days import add_business_days, is_holiday

        answers = {
            "chuseok": is_holiday(date(2026, 9, 25)),
            "substitute": is_holiday(date(2026, 3, 2)),  # 삼일절 on a Sunday: Monday off
            "ordinary": is_holiday(date(2026, 9, 22)),
            "after_chuseok": add_business_days(date(2026, 9, 23), 1).isoformat(),
            "loaded": "holidays" in sys.modules,
        }
        print(json.dumps(answers))
        """,
        tmp_path,
    )
    import holidays

    korean = holidays.country_holidays("KR", years=2026)
    assert found == {
        "chuseok": True,
        "substitute": True,
        "ordinary": False,
        "after_chuseok": "2026-09-28",
        "loaded": False,
    }
    assert "2026-09-25" in korean and "2026-03-02" in korean and "2026-09-22" not in korean


def test_finding_the_platforms_loads_none_of_their_sdks(tmp_path: Path) -> None:
    found = run_python(
        """
        import json, sys
        from idearoom.settings import PLUGINS, AppSettings

        settings = AppSettings(_env_file=None, TELEGRAM_BOT_TOKEN="", SLACK_BOT_TOKEN="")
        sdks = sorted(name for name in ("telegram", "slack_sdk", "slack_bolt", "mautrix") if name in sys.modules)
        print(json.dumps({"plugins": sorted(p.name for p in PLUGINS), "sdks": sdks}))
        """,
        tmp_path,
    )
    assert {"console", "telegram", "slack"} <= set(found["plugins"])  # type: ignore[arg-type]
    assert found["sdks"] == []


async def test_a_sqlite_file_behind_is_migrated_early_and_one_at_the_heads_is_not(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'early.db'}"
    upgrading = await early_upgrade(url)
    assert upgrading is not None
    await upgrading.finish()
    assert sqlite_is_current(tmp_path / "early.db")
    assert await early_upgrade(url) is None
    assert await early_upgrade("postgresql+asyncpg://postgres@127.0.0.1:5432/test") is None  # in turn, later
