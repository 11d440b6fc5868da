"""The points rules: shipped defaults from bot/points_rules.toml, overridable by IDEAROOM_POINTS_RULES."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.awards import AwardRules, parse_awards

DEFAULTS_FILE = Path(__file__).resolve().parent.parent / "points_rules.toml"
MAX_POINTS = 10_000


class RulesError(ValueError):
    """A points rules file that cannot be used; the message says which line and why."""


@dataclass(frozen=True)
class Threshold:
    """Points for an idea once it has `supports` supports."""

    points: int
    supports: int


@dataclass(frozen=True)
class PointsRules:
    """How many points each stage earns; proposal stages pay every proposer in full."""

    idea_posted: int
    idea_posted_daily_cap: int
    idea_supported_threshold: Threshold
    proposal_created: int
    proposal_submitted: int
    proposal_adopted: int
    proposal_implemented_proposers: int
    proposal_implemented_implementer: int
    invitation_accepted: int
    field_visit_held: int
    proposal_revived: int
    awards: AwardRules = AwardRules()  # the payout's grades, from the `[awards]` table


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise RulesError(f"points rules file not found: {path}") from error
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"points rules file {path} is not valid TOML: {error}") from error


def _whole_number(path: Path, key: str, value: Any, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_POINTS:
        raise RulesError(f"{path}: '{key}' must be a whole number from {minimum} to {MAX_POINTS}, not {value!r}")
    return value


def _validate(path: Path, data: dict[str, Any]) -> PointsRules:
    data = dict(data)
    try:
        awards = parse_awards(data.pop("awards", None))
    except ValueError as error:
        raise RulesError(f"{path}: {error}") from error
    known = {f.name for f in fields(PointsRules)} - {"awards"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise RulesError(f"{path}: unknown rule(s) {', '.join(unknown)}; known rules: {', '.join(sorted(known))}")
    missing = sorted(known - set(data))
    if missing:
        raise RulesError(f"{path}: missing rule(s) {', '.join(missing)}")
    values: dict[str, Any] = {}
    for key in known:
        if key == "idea_supported_threshold":
            table = data[key]
            if not isinstance(table, dict) or set(table) != {"points", "supports"}:
                raise RulesError(f"{path}: '{key}' must look like {{ points = 3, supports = 5 }}")
            values[key] = Threshold(
                _whole_number(path, f"{key}.points", table["points"]),
                _whole_number(path, f"{key}.supports", table["supports"], minimum=1),
            )
        else:
            values[key] = _whole_number(path, key, data[key])
    return PointsRules(**values, awards=awards)


@lru_cache(maxsize=8)
def load_rules(override_file: str = "") -> PointsRules:
    """The defaults, with every line of `override_file` (if given) replacing its default."""
    data = _read(DEFAULTS_FILE)
    source = DEFAULTS_FILE
    if override_file:
        source = Path(override_file)
        data = {**data, **_read(source)}
    return _validate(source, data)
