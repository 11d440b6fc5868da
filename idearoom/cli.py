"""The `idearoom` command: run the bot, migrate the database, manage organizers and the directory."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
from idearoom.settings import PLUGINS, AppSettings, configured_platforms, handle_platforms
from bot.ports import Clock, ManualClock, SystemClock

log = logging.getLogger("idearoom")


def _parse_clock(value: str, settings: Settings) -> datetime:
    """`--clock 2026-03-31T08:00` in the office's time zone (or with an explicit offset)."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


async def run_bot(settings: Settings, args: argparse.Namespace) -> int:
    """Start every configured adapter (the console when no platform is configured)."""
    from idearoom.runtime import Worker

    clock: Clock = ManualClock(_parse_clock(args.clock, settings)) if args.clock else SystemClock()
    return await Worker(settings, clock, role=args.role, with_console=args.console).run()


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"database is up to date: {shown}")
    return 0


async def admin_grant(settings: Settings, args: argparse.Namespace) -> int:
    """Give (or take back) the organizer role of `platform:user-id`."""
    from bot.people import set_organizer
    from storage.db import Database

    platform, sep, external_id = args.who.partition(":")
    if not sep or not platform or not external_id:
        print("expected <platform>:<user-id>, e.g. telegram:123456789 or console:sujin", file=sys.stderr)
        return 2
    db = Database(settings.database_url)
    try:
        from storage.migrate import upgrade

        await asyncio.to_thread(upgrade, settings.database_url)
        async with db.session() as session:
            person = await set_organizer(
                session, platform, external_id, args.action == "grant", handle_platforms=handle_platforms()
            )
        verb = "is now" if args.action == "grant" else "is no longer"
        print(f"{platform}:{external_id} ({person.name}) {verb} an organizer")
    finally:
        await db.dispose()
    return 0


async def directory_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory import DirectoryError, import_directory
    from storage.db import Database
    from storage.migrate import upgrade

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            departments, people = await import_directory(session, path)
    except DirectoryError as error:
        for line, message in error.problems:
            print(f"{path}:{line}: {message}", file=sys.stderr)
        print("nothing was imported", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"imported {people} people in {departments} departments")
    return 0


async def points_export(settings: Settings, args: argparse.Namespace) -> int:
    """Write everyone's points in a period (CSV with BOM or xlsx) for paying out rewards."""
    from bot.exports import export_points_file
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    try:
        path, count = await export_points_file(settings, args.period, args.format, args.output)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:  # a folder that cannot be written, the file open in Excel
        print(f"cannot write the file: {error}", file=sys.stderr)
        return 1
    print(f"wrote {count} people to {path}")
    return 0


async def report_export(settings: Settings, args: argparse.Namespace) -> int:
    """Write the month's report as a spreadsheet."""
    from bot.report_workbook import export_month_file
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    try:
        path = await export_month_file(settings, args.month, args.output)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except OSError as error:
        print(f"cannot write the file: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


async def committee_minutes(settings: Settings, args: argparse.Namespace) -> int:
    """Write the committee's minutes of a quarter (CSV with BOM or xlsx)."""
    from bot.committee_minutes import export_minutes_file
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    try:
        path, count = await export_minutes_file(settings, args.quarter, args.format, args.output)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {count} proposals to {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="idearoom", description="The idea-room bot of the innovation office.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot (console when no platform token is set)")
    run.add_argument("--clock", help="start a movable clock at this local time, e.g. 2026-03-31T08:00")
    run.add_argument("--console", action="store_true", help="also start the console next to other adapters")
    run.add_argument(
        "--role",
        choices=["all", "web", "scheduler"],
        default="all",
        help="web: take requests only; scheduler: run the scheduler (when leader) and the sender; all: both",
    )
    run.set_defaults(handler=run_bot)

    db = commands.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply the migrations").set_defaults(handler=db_upgrade)

    admin = commands.add_parser("admin", help="roles").add_subparsers(dest="admin_command", required=True)
    for action in ("grant", "revoke"):
        sub = admin.add_parser(action, help=f"{action} a role")
        sub.add_argument("role", choices=["organizer"])
        sub.add_argument("who", help="<platform>:<user-id>, e.g. telegram:123456789")
        sub.set_defaults(handler=admin_grant, action=action)

    directory = commands.add_parser("directory", help="departments and people").add_subparsers(
        dest="directory_command", required=True
    )
    imp = directory.add_parser("import", help="import departments and people from a CSV file")
    imp.add_argument("file")
    imp.set_defaults(handler=directory_import)

    for plugin in PLUGINS:  # a platform may bring commands of its own, e.g. `idearoom slack manifest`
        if plugin.add_commands is not None:
            plugin.add_commands(commands)

    points = commands.add_parser("points", help="smile points").add_subparsers(dest="points_command", required=True)
    export = points.add_parser("export", help="everyone's points in a period, for paying out rewards")
    export.add_argument("--period", required=True, help="2026-11, 2026-Q4 or 2026")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("--output", help="file to write (default points-<period>.<format>)")
    export.set_defaults(handler=points_export)

    report = commands.add_parser("report", help="the monthly report as a spreadsheet")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--format", choices=["xlsx"], default="xlsx")
    report.add_argument("--output", help="file to write (default report-<month>.xlsx)")
    report.set_defaults(handler=report_export)

    committee = commands.add_parser("committee", help="the advisory committee").add_subparsers(
        dest="committee_command", required=True
    )
    minutes = committee.add_parser("minutes", help="the minutes (회의록) of a quarter's meeting")
    minutes.add_argument("--quarter", required=True, help="e.g. 2026-Q2")
    minutes.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    minutes.add_argument("--output", help="file to write (default committee-<quarter>.<format>)")
    minutes.set_defaults(handler=committee_minutes)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = AppSettings()
        from bot.points.rules import load_rules

        load_rules(settings.points_rules_file)  # a bad IDEAROOM_POINTS_RULES file stops the start here
    except Exception as error:  # a bad .env value deserves one readable line, not a traceback
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    console_only = args.command == "run" and not configured_platforms(settings)
    logging.basicConfig(
        level=logging.WARNING if console_only else settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Its one warning ("building the font cache") is no advice for the bot's user; bot.charts says when Hangul is missing.
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    from idearoom.runtime import SetupError

    try:
        return asyncio.run(args.handler(settings, args))
    except SetupError as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
