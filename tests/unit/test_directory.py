"""`idearoom directory import`: a good file is stored, a bad row is named and nothing is stored."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import func, select

from idearoom.cli import main
from storage.db import Database
from storage.tables import Department, Identity, Person
from tests.commands import IDEAROOM, command_env

GOOD = """\ufeffhandle,name,department,role,duties,telegram_id,slack_id
kimbus,김버스,교통정책과,head,"버스 노선과 정류장, 신호등을 관리합니다.",111,
leeroad,이도로,도로과,head,도로 포장과 보수를 담당합니다.,,U222
parkstaff,박직원,교통정책과,staff,,,
choiorg,최담당,혁신담당관,organizer,,333,U333
"""


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str


Cli = Callable[..., Awaitable[Finished]]


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """`idearoom <args>` through the command's entry point, in this process, in tmp_path, on tmp_path/dir.db
    (the installed command itself is run once below, by `idearoom run`)."""
    monkeypatch.setenv("IDEAROOM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'dir.db'}")
    monkeypatch.chdir(tmp_path)

    async def run(*args: str) -> Finished:
        capsys.readouterr()
        try:
            code = await asyncio.to_thread(main, list(args))  # main runs its own event loop
        except SystemExit as exit:  # argparse refuses the arguments
            code = exit.code if isinstance(exit.code, int) else 2
        out, err = capsys.readouterr()
        return Finished(code, out, err)

    return run


async def counts(tmp_path: Path) -> tuple[int, int, int]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'dir.db'}")
    try:
        async with db.session() as session:
            return (
                (await session.exec(select(func.count()).select_from(Department))).one(),
                (await session.exec(select(func.count()).select_from(Person))).one(),
                (await session.exec(select(func.count()).select_from(Identity))).one(),
            )
    finally:
        await db.dispose()


async def test_a_good_file_is_imported(tmp_path: Path, run_cli: Cli) -> None:
    (tmp_path / "org.csv").write_text(GOOD, encoding="utf-8")
    result = await run_cli("directory", "import", "org.csv")
    assert result.returncode == 0, result.stderr
    assert "imported 4 people in 3 departments" in result.stdout
    assert await counts(tmp_path) == (3, 4, 4)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'dir.db'}")
    async with db.session() as session:
        transport = (await session.exec(select(Department).where(Department.name == "교통정책과"))).one()
        head = await session.get(Person, transport.head_person_id)
        organizer = (await session.exec(select(Person).where(Person.handle == "choiorg"))).one()
    await db.dispose()
    assert transport.duties == "버스 노선과 정류장, 신호등을 관리합니다."
    assert head is not None and head.handle == "kimbus"
    assert organizer.is_organizer


async def test_importing_again_updates_instead_of_duplicating(tmp_path: Path, run_cli: Cli) -> None:
    (tmp_path / "org.csv").write_text(GOOD, encoding="utf-8")
    assert (await run_cli("directory", "import", "org.csv")).returncode == 0
    assert (await run_cli("directory", "import", "org.csv")).returncode == 0
    assert await counts(tmp_path) == (3, 4, 4)


async def test_a_bad_row_is_reported_with_its_line_and_nothing_is_stored(tmp_path: Path, run_cli: Cli) -> None:
    bad = GOOD + "kimbus,김중복,도로과,staff,,,\nnobody,,교통정책과,chief,,,\n"
    (tmp_path / "org.csv").write_text(bad, encoding="utf-8")
    result = await run_cli("directory", "import", "org.csv")
    assert result.returncode == 1
    assert "org.csv:6: handle 'kimbus' already on line 2" in result.stderr
    assert "org.csv:7: name is empty" in result.stderr
    assert "org.csv:7: role must be one of staff, head, organizer: 'chief'" in result.stderr
    assert "nothing was imported" in result.stderr
    departments, people, _ = await counts(tmp_path)
    assert (departments, people) == (0, 0)


async def test_missing_columns_and_missing_files_are_explained(tmp_path: Path, run_cli: Cli) -> None:
    (tmp_path / "org.csv").write_text("name,department\n김,과\n", encoding="utf-8")
    result = await run_cli("directory", "import", "org.csv")
    assert result.returncode == 1 and "missing columns: handle, role" in result.stderr
    result = await run_cli("directory", "import", "nope.csv")
    assert result.returncode == 2 and "no such file" in result.stderr
    (tmp_path / "excel.csv").write_bytes(
        GOOD.lstrip("\ufeff").encode("cp949")
    )  # Excel's plain "CSV" on a Korean Windows
    result = await run_cli("directory", "import", "excel.csv")
    assert result.returncode == 1 and "excel.csv:1: not UTF-8 text: save it from Excel as 'CSV UTF-8'" in result.stderr


async def test_admin_grant_makes_an_organizer_who_sees_organizer_help(tmp_path: Path, run_cli: Cli) -> None:
    result = await run_cli("admin", "grant", "organizer", "console:minji")
    assert result.returncode == 0, result.stderr
    assert "console:minji" in result.stdout and "is now an organizer" in result.stdout
    env_result = subprocess.run(
        [*IDEAROOM, "run"],
        input="/as minji\n/help\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=command_env({**os.environ, "IDEAROOM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dir.db'}"}),
        timeout=120,
    )
    assert "담당자 전용" in env_result.stdout
    assert (await run_cli("admin", "grant", "organizer", "nocolon")).returncode == 2


async def test_an_optional_rank_column_is_stored_with_each_person(tmp_path: Path, run_cli: Cli) -> None:
    ranked = "handle,name,department,role,duties,telegram_id,slack_id,rank\nkimbus,김버스,교통정책과,head,버스,,,과장\nparkstaff,박직원,교통정책과,staff,,,,\n"
    (tmp_path / "org.csv").write_text(ranked, encoding="utf-8")
    result = await run_cli("directory", "import", "org.csv")
    assert result.returncode == 0, result.stderr
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'dir.db'}")
    async with db.session() as session:
        ranks = {p.handle: p.rank for p in (await session.exec(select(Person))).all()}
    await db.dispose()
    assert ranks == {"kimbus": "과장", "parkstaff": None}
