"""Files the bot writes only to send them (report charts, /mydata exports): removed once sent, or when old."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

# Where the bot writes what it sends, inside IDEAROOM_REPORT_DIR (what an organizer puts there is left alone).
MYDATA = "mydata"
PATTERNS = ("report-*.png", f"{MYDATA}/mydata-*.json")


def _ours(path: Path, directory: str) -> bool:
    try:
        relative = path.resolve().relative_to(Path(directory).resolve())
    except ValueError:
        return False
    return any(relative.match(pattern) for pattern in PATTERNS)


def remove(path: object, directory: str) -> bool:
    """Delete a sent file if the bot wrote it in `directory`; True when it was deleted.

    `path` is what a message payload holds under "path": nothing, or a file name.
    """
    if not isinstance(path, (str, Path)) or not path:
        return False
    target = Path(path)
    if not _ours(target, directory):
        return False
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:  # left for the nightly purge
        log.warning("could not remove %s: %s", target, error)
        return False
    return True


def purge(directory: str, now: datetime, days: int) -> int:
    """Delete the bot's files in `directory` last written more than `days` ago; returns how many."""
    root = Path(directory)
    if days <= 0 or not root.is_dir():
        return 0
    cutoff = (now - timedelta(days=days)).timestamp()
    removed = 0
    for pattern in PATTERNS:
        for path in root.glob(pattern):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except OSError as error:
                log.warning("could not remove %s: %s", path, error)
    return removed
