"""`idearoom run` processes forked from one that imported the bot once, instead of each importing it again."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

# What `idearoom run` imports before it serves (4-5 CPU-seconds a process on this machine): the forkserver
# imports it once; each worker is a fork of it that runs `idearoom.cli.main`, a process of its own that a
# SIGKILL stops as it stops the installed command. A module missing here is imported by the worker itself.
PRELOAD = [
    "idearoom.cli",
    "idearoom.settings",
    "idearoom.runtime",
    "storage.migrate",
    "storage.db",
    "scheduler.runner",
    "adapters.telegram.adapter",
    "adapters.slack.adapter",
    "adapters.matrix.adapter",
    "asyncpg",
    "aiosqlite",
]
# Set IDEAROOM_TEST_WORKERS_EXEC=1 to start every worker as the installed command, a new interpreter each.
EXEC = os.environ.get("IDEAROOM_TEST_WORKERS_EXEC", "") == "1"

_context: multiprocessing.context.ForkServerContext | None = None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context = context
    return _context


def _serve(args: Sequence[str], env: Mapping[str, str], cwd: str, log_path: str) -> None:
    """In the forked process: the worker's environment, directory and output, then the command."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    from idearoom.cli import main

    sys.exit(main(list(args)))


class ForkedProcess:
    """The part of `subprocess.Popen` the tests use, over a forked worker."""

    def __init__(self, process: BaseProcess) -> None:
        self._process = process

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired("idearoom run", timeout or 0)
        return self._process.exitcode

    def send_signal(self, signal: int) -> None:
        if self._process.exitcode is None and self._process.pid is not None:
            os.kill(self._process.pid, signal)

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


def stop() -> None:
    """End the forkserver and wait for it, so its CPU time counts in this process's children's (time -v)."""
    global _context
    if _context is not None:
        from multiprocessing import forkserver

        forkserver._forkserver._stop()  # type: ignore[attr-defined]
        _context = None


def start(args: Sequence[str], env: Mapping[str, str], cwd: Path, log_path: Path) -> ForkedProcess:
    """Start `idearoom <args>` with `env` as its whole environment, in `cwd`, its output appended to `log_path`."""
    process = _forkserver().Process(
        target=_serve, args=(list(args), dict(env), str(cwd), str(log_path)), name=f"idearoom-{log_path.stem}"
    )
    process.start()
    return ForkedProcess(process)
