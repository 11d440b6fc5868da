"""How the bot names a person: "박민지 주무관님" with their rank (직급), "최준호 님" without."""

from __future__ import annotations

from storage.tables import Person


def called(person: Person, locale: str) -> str:
    """The person's name as the bot writes it to others, in `locale` ('ko' adds the honorific)."""
    if locale != "ko":
        return person.name
    rank = (person.rank or "").strip()
    return f"{person.name} {rank}님" if rank else f"{person.name} 님"
