"""The `idearoom` command: run the bot, migrate the database, manage organizers and the directory."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.ports import Clock, ManualClock, SystemClock

if TYPE_CHECKING:
    from bot.config import Settings

# The settings (every platform's plug-in), SQLAlchemy and the rest are imported when a command
# runs, not with this module: the ranker's child process imports the program's main module again
# (multiprocessing's spawn), and needs none of them.

log = logging.getLogger("idearoom")


def _parse_clock(value: str, settings: Settings) -> datetime:
    """`--clock 2026-03-31T08:00` in the office's time zone (or with an explicit offset)."""
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=settings.tz)


async def run_bot(settings: Settings, args: argparse.Namespace) -> int:
    """Start every configured adapter (the console when no platform is configured)."""
    from storage.migrate import early_upgrade

    # A SQLite file behind the migrations is migrated by a child process from now on, while this
    # one imports the rest of the bot (most of its start), instead of after it.
    upgrading = await early_upgrade(settings.database_url)
    from idearoom.runtime import Worker

    clock: Clock = ManualClock(_parse_clock(args.clock, settings)) if args.clock else SystemClock()
    try:
        worker = Worker(settings, clock, role=args.role, with_console=args.console)
    except BaseException:
        if upgrading is not None:
            await upgrading.finish()
        raise
    return await worker.run(upgrading)


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    print(f"database is up to date: {shown}")
    return 0


async def admin_grant(settings: Settings, args: argparse.Namespace) -> int:
    """Give (or take back) the organizer role of `platform:user-id`."""
    from bot.people import set_organizer
    from idearoom.settings import handle_platforms
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


async def people_link(settings: Settings, args: argparse.Namespace) -> int:
    """Link an account to a person (a directory handle or another account), or unlink it."""
    from sqlmodel import select

    from bot import linking, people
    from bot.errors import UserError
    from bot.i18n import Translator
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.tables import Identity, Person

    platform, sep, external_id = args.account.partition(":")
    if not sep or not platform or not external_id:
        print("expected <platform>:<user-id>, e.g. telegram:123456789", file=sys.stderr)
        return 2
    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    now = SystemClock().now()
    try:
        async with db.session() as session:
            identity = await people.account(session, platform, external_id)
            if args.people_command == "unlink":
                if identity is None:
                    print(f"no such account: {args.account}", file=sys.stderr)
                    return 2
                await linking.unlink(session, identity, now=now, actor_id=None)
                print(f"{args.account} is no longer linked to its other accounts")
                return 0
            ref_platform, ref_sep, ref_id = args.person.partition(":")
            target = await people.person_of_account(session, ref_platform, ref_id) if ref_sep else None
            if target is None:
                target = (await session.exec(select(Person).where(Person.handle == args.person))).first()
            if target is None:
                print(f"no such person: {args.person}", file=sys.stderr)
                return 2
            other = await session.get(Person, identity.person_id) if identity else None
            if other is None:
                # An account the bot has not seen yet: it is simply given to the person.
                other = Person(name=external_id, created_at=now)
                session.add(other)
                await session.flush()
                assert other.id is not None
                session.add(Identity(person_id=other.id, platform=platform, external_id=external_id, created_at=now))
                await session.flush()
            await linking.check_linkable(session, target, other)
            keep, gone = linking.survivor_of(target, other)
            await linking.merge(session, keep, gone, now=now, actor_id=None)
            print(f"{args.account} now belongs to {keep.name}")
    except UserError as error:
        print(Translator("en")(error.key, **error.params), file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    return 0


async def people_erase(settings: Settings, args: argparse.Namespace) -> int:
    """Erase a person (a directory handle or platform:user-id): a pseudonym, no accounts, the sums kept."""
    from sqlmodel import select

    from bot import people
    from bot.erasure import erase
    from storage.db import Database
    from storage.migrate import upgrade
    from storage.tables import Person

    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            platform, sep, external_id = args.person.partition(":")
            person = await people.person_of_account(session, platform, external_id) if sep else None
            if person is None:
                person = (await session.exec(select(Person).where(Person.handle == args.person))).first()
            if person is None:
                print(f"no such person: {args.person}", file=sys.stderr)
                return 2
            if not args.yes:
                print(f"this erases {person.name} for good; run again with --yes to do it", file=sys.stderr)
                return 2
            pseudonym = await erase(
                session,
                person,
                remove_ideas=settings.erasure_ideas == "remove",
                locale=settings.locale,
                now=SystemClock().now(),
                actor_id=None,
            )
            print(f"{args.person} is now {pseudonym}")
    finally:
        await db.dispose()
    return 0


async def directory_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory import DirectoryError, import_directory
    from bot.i18n import Translator
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
        for line, message in error.messages(Translator("en")):  # the command line speaks English
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
    from bot.committee.minutes import export_minutes_file
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    try:
        path, count = await export_minutes_file(settings, args.quarter, args.format, args.output)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {count} proposals to {path}")
    return 0


async def web_link(settings: Settings, args: argparse.Namespace) -> int:
    """Print a one-time log-in link to the web dashboard for a person (for operators)."""
    from bot.dashboard.access import link_for_handle
    from storage.db import Database
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database(settings.database_url)
    try:
        url = await link_for_handle(db, settings, args.person, SystemClock().now())
    finally:
        await db.dispose()
    if url is None:
        print(f"no such person: {args.person}", file=sys.stderr)
        return 2
    print(url)
    print(f"(works once, for {settings.web_link_minutes} minutes)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from idearoom.settings import PLUGINS

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

    people_commands = commands.add_parser("people", help="people's accounts").add_subparsers(
        dest="people_command", required=True
    )
    link = people_commands.add_parser("link", help="make an account one more account of a person")
    link.add_argument("person", help="a directory handle or <platform>:<user-id> of the person")
    link.add_argument("account", help="<platform>:<user-id> of the account to link, e.g. telegram:123456789")
    link.set_defaults(handler=people_link)
    unlink = people_commands.add_parser("unlink", help="give an account a person of its own again")
    unlink.add_argument("account", help="<platform>:<user-id>")
    unlink.set_defaults(handler=people_link)
    erase_command = people_commands.add_parser("erase", help="erase a person: a pseudonym, no accounts, sums kept")
    erase_command.add_argument("person", help="a directory handle or <platform>:<user-id>")
    erase_command.add_argument("--yes", action="store_true", help="confirm: the erasure cannot be undone")
    erase_command.set_defaults(handler=people_erase)

    web_commands = commands.add_parser("web", help="the web dashboard").add_subparsers(
        dest="web_command", required=True
    )
    web_link_command = web_commands.add_parser("link", help="print a one-time log-in link for a person")
    web_link_command.add_argument("person", help="a directory handle or <platform>:<user-id>")
    web_link_command.set_defaults(handler=web_link)

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
    from idearoom.settings import AppSettings, configured_platforms

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
    try:
        return asyncio.run(args.handler(settings, args))
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        # Imported only now: `run` starts its migrations before it imports the runtime (see run_bot).
        from idearoom.runtime import SetupError

        if not isinstance(error, SetupError):
            raise
        print(f"cannot start: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
