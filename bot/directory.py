"""The organisation: the demo data on first start, and `idearoom directory import FILE.csv`.

CSV columns (header row required, UTF-8, a BOM is fine):
handle,name,department,role,duties,telegram_id,slack_id[,rank]
- role: staff, head or organizer (head makes the person the department's head)
- duties: the department's duties text; give it on one row of the department (or repeat it)
- <platform>_id (telegram_id, slack_id, ...): optional user ids on that platform, so the bot recognizes
  the person there; any column named after a platform with `_id` works, no code names the platforms
- rank: optional 직급 (주무관, 팀장, 과장, ...), used to address the person and in the points payout
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.demo_org import DEMO_DEPARTMENTS, DEMO_ORGANIZER, DEMO_STAFF
from bot.i18n import Translator
from storage.tables import Department, Identity, Person, id_of

COLUMNS = ("handle", "name", "department", "role", "duties", "rank")
ACCOUNT_SUFFIX = "_id"  # a `<platform>_id` column holds the person's user id on that platform
ROLES = ("staff", "head", "organizer")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one line, as a catalog key and its values: read in the reader's language."""

    line: int
    key: str
    params: dict[str, object] = field(default_factory=dict)


class DirectoryError(Exception):
    """A CSV file that cannot be imported; `problems` names each bad line."""

    def __init__(self, problems: list[Problem]) -> None:
        english = Translator("en")
        super().__init__("; ".join(f"line {p.line}: {english(p.key, **p.params)}" for p in problems))
        self.problems = problems

    def messages(self, t: Translator) -> list[tuple[int, str]]:
        """`(line, message)` pairs in the language of `t`."""
        return [(p.line, t(p.key, **p.params)) for p in self.problems]


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    handle: str
    name: str
    department: str
    role: str
    duties: str
    rank: str = ""
    accounts: tuple[tuple[str, str], ...] = ()  # (platform, user id) pairs


def parse_directory(text: str) -> list[DirectoryRow]:
    """Every row of the CSV, or a DirectoryError naming each bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("handle", "name", "department", "role") if c not in (reader.fieldnames or [])]
    if missing:
        raise DirectoryError([Problem(1, "directory.missing_columns", {"columns": ", ".join(missing)})])
    rows: list[DirectoryRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    duties: dict[str, tuple[int, str]] = {}
    heads: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        values = {c: (record.get(c) or "").strip() for c in COLUMNS}
        accounts = tuple(
            (column.removesuffix(ACCOUNT_SUFFIX), value.strip())
            for column, value in record.items()
            if column and column.endswith(ACCOUNT_SUFFIX) and column != ACCOUNT_SUFFIX and (value or "").strip()
        )
        row = DirectoryRow(line=line, accounts=accounts, **values)
        if None in record:
            problems.append(Problem(line, "directory.extra_fields"))
        if not row.handle or not row.handle.replace("_", "").replace(".", "").replace("-", "").isalnum():
            problems.append(Problem(line, "directory.bad_handle", {"handle": row.handle}))
        if not row.name:
            problems.append(Problem(line, "directory.no_name"))
        if row.role not in ROLES:
            problems.append(Problem(line, "directory.bad_role", {"roles": ", ".join(ROLES), "role": row.role}))
        if row.role == "head" and not row.department:
            problems.append(Problem(line, "directory.head_without_department"))
        if row.handle in seen:
            problems.append(Problem(line, "directory.handle_twice", {"handle": row.handle, "first": seen[row.handle]}))
        seen.setdefault(row.handle, line)
        if row.role == "head":
            if row.department in heads:
                problems.append(
                    Problem(line, "directory.two_heads", {"department": row.department, "first": heads[row.department]})
                )
            heads.setdefault(row.department, line)
        if row.duties and row.department:
            earlier = duties.get(row.department)
            if earlier and earlier[1] != row.duties:
                problems.append(
                    Problem(line, "directory.duties_differ", {"department": row.department, "first": earlier[0]})
                )
            duties.setdefault(row.department, (line, row.duties))
        rows.append(row)
    if problems:
        raise DirectoryError(problems)
    if not rows:
        raise DirectoryError([Problem(1, "directory.no_rows")])
    return rows


async def _department(session: AsyncSession, name: str) -> Department:
    department = (await session.exec(select(Department).where(Department.name == name))).first()
    if department is None:
        department = Department(name=name)
        session.add(department)
        await session.flush()
    return department


async def link_account(session: AsyncSession, person: Person, platform: str, external_id: str) -> None:
    """Make `platform:external_id` this person's account there (a directory's `<platform>_id` column)."""
    identity = (
        await session.exec(select(Identity).where(Identity.platform == platform, Identity.external_id == external_id))
    ).first()
    if identity is None:
        session.add(Identity(person_id=id_of(person), platform=platform, external_id=external_id))
    elif identity.person_id != person.id:
        identity.person_id = id_of(person)
        session.add(identity)


async def store_directory(session: AsyncSession, rows: list[DirectoryRow]) -> tuple[int, int]:
    """Create or update departments and people; returns (departments, people) touched."""
    departments: dict[str, Department] = {}
    for row in rows:
        if row.department and row.department not in departments:
            departments[row.department] = await _department(session, row.department)
        if row.duties:
            departments[row.department].duties = row.duties
    for row in rows:
        person = (await session.exec(select(Person).where(Person.handle == row.handle))).first()
        if person is None:
            person = Person(handle=row.handle, name=row.name)
        person.name = row.name
        person.rank = row.rank or None
        person.department_id = departments[row.department].id if row.department else None
        person.is_organizer = person.is_organizer or row.role == "organizer"
        session.add(person)
        await session.flush()
        if row.role == "head":
            departments[row.department].head_person_id = person.id
        for platform, external_id in row.accounts:
            await link_account(session, person, platform, external_id)
    for department in departments.values():
        session.add(department)
    return len(departments), len(rows)


async def import_directory(session: AsyncSession, path: Path) -> tuple[int, int]:
    """Parse and store a CSV file in the caller's transaction; nothing is stored on error."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DirectoryError([Problem(1, "directory.not_utf8")]) from error
    return await store_directory(session, parse_directory(text))


def demo_rows() -> list[DirectoryRow]:
    """The demo organisation as directory rows."""
    rows = [DirectoryRow(0, d.head_handle, d.head_name, d.name, "head", d.duties, "과장") for d in DEMO_DEPARTMENTS]
    name, handle = DEMO_ORGANIZER
    rows.append(DirectoryRow(0, handle, name, "혁신담당관", "organizer", "", "주무관"))
    for index, (name, handle) in enumerate(DEMO_STAFF):
        department = DEMO_DEPARTMENTS[index % len(DEMO_DEPARTMENTS)].name
        rows.append(DirectoryRow(0, handle, name, department, "staff", "", "주무관"))
    return rows


async def load_demo_if_empty(session: AsyncSession) -> bool:
    """Load the demo organisation into an empty database; True when it did."""
    if (await session.exec(select(func.count()).select_from(Department))).one():
        return False
    await store_directory(session, demo_rows())
    return True
