"""Award grades (금상/은상/동상/장려상) of the points payout, by points thresholds or by rank, from the rules file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BY = ("points", "rank")
MAX_VALUE = 1_000_000


@dataclass(frozen=True)
class Grade:
    """A grade and what earns it: at least `value` points (by points) or a place among the next `value` people (by rank)."""

    name: str
    value: int


@dataclass(frozen=True)
class AwardRules:
    """The grades, best first; without grades nobody is graded."""

    by: str = "points"
    grades: tuple[Grade, ...] = field(default_factory=tuple)

    def grade_all(self, totals: list[int]) -> list[str | None]:
        """The grade of each total (in any order); only positive totals are graded, equal totals share a grade."""
        ranked = sorted((t for t in totals if t > 0), reverse=True)
        # Competition ranking (1, 2, 2, 4): the first place of a total is one more than the totals above it.
        first_place: dict[int, int] = {}
        for index, total in enumerate(ranked):
            first_place.setdefault(total, index + 1)
        return [self._grade(total, first_place.get(total)) if total > 0 else None for total in totals]

    def _grade(self, total: int, place: int | None) -> str | None:
        if self.by == "points":
            return next((g.name for g in self.grades if total >= g.value), None)
        reach = 0
        for grade in self.grades:
            reach += grade.value
            if place is not None and place <= reach:
                return grade.name
        return None


def _whole(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VALUE:
        raise ValueError(f"'{where}' must be a whole number from 1 to {MAX_VALUE}, not {value!r}")
    return value


def parse_awards(table: Any) -> AwardRules:
    """The `[awards]` table of a points rules file; ValueError saying what is wrong."""
    if not table:
        return AwardRules()
    if not isinstance(table, dict) or set(table) - {"by", "grades"}:
        raise ValueError("'awards' takes 'by' (\"points\" or \"rank\") and 'grades'")
    by = table.get("by", "points")
    if by not in BY:
        raise ValueError(f'\'awards.by\' must be "points" or "rank", not {by!r}')
    key = "at_least" if by == "points" else "top"
    grades = []
    for number, item in enumerate(table.get("grades", []), start=1):
        if (
            not isinstance(item, dict)
            or set(item) != {"name", key}
            or not isinstance(item["name"], str)
            or not item["name"].strip()
        ):
            raise ValueError(f'awards grade {number} must look like {{ name = "금상", {key} = 10 }}')
        grades.append(Grade(item["name"].strip(), _whole(item[key], f"awards.grades[{number}].{key}")))
    if by == "points" and any(a.value <= b.value for a, b in zip(grades, grades[1:])):
        raise ValueError("awards grades by points go from the highest 'at_least' down")
    return AwardRules(by, tuple(grades))
