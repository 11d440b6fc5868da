"""Ranking: how often the departments suggested for a topic are the ones in charge, and its cost.

Three topic sets over the 64-department directory of `bench/ranking_data/metro_city.csv`:
`topics_dev.jsonl` (the 20 topics of issue 15), `topics_extra.jsonl` (32 more, written from the
duties as a check against tuning to the first set: other wording, title-only topics, homonyms) and
`topics_late.jsonl` (16 written after the ranking was finished and never tuned on).
For each: top-1 (the first suggestion is in charge), hit@3 (one of the suggestions is), precision
of what is shown (the share of the shown departments that are in charge, per topic) and "none
found". Then the time per ranking, the analyser's build time and resident memory, and the worst
delay of other events on the event loop while the first ranking loads the analyser in a thread.

Run: `python -m bench.ranking [--verbose]`. Prints tables; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

DATA = Path(__file__).parent / "ranking_data"
TARGETS = {"top-1": 0.93, "hit@3": 0.975, "precision": 0.75}


@dataclass(frozen=True)
class Topic:
    title: str
    description: str
    expected: tuple[str, ...]


def load_departments():
    from bot.ranking import DepartmentDoc

    rows = list(csv.DictReader((DATA / "metro_city.csv").open(encoding="utf-8-sig")))
    organizers = {r["department"] for r in rows if r["role"] == "organizer"}
    duties = {r["department"]: r["duties"] for r in rows if r["duties"]}
    return [DepartmentDoc(i, name, text, name in organizers) for i, (name, text) in enumerate(duties.items(), 1)]


def load_topics(name: str) -> list[Topic]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [
        Topic(d["title"], d.get("description", ""), tuple(d["expected"]))
        for d in (json.loads(line) for line in lines if line.strip())
    ]


def evaluate(topics: list[Topic], departments, verbose: bool) -> dict[str, float]:
    from bot.ranking import rank_departments

    top1 = hit3 = none = 0
    precisions = []
    for topic in topics:
        shown = [r.name for r in rank_departments(f"{topic.title} {topic.description}", departments)]
        right = [name for name in shown if name in topic.expected]
        top1 += bool(shown) and shown[0] in topic.expected
        hit3 += bool(right)
        none += not shown
        precisions.append(len(right) / len(shown) if shown else 0.0)
        if verbose:
            mark = "ok " if shown and shown[0] in topic.expected else "MISS"
            print(f"  {mark} {topic.title[:24]:<24} shown={shown} expected={list(topic.expected)}")
    n = len(topics)
    return {"top-1": top1 / n, "hit@3": hit3 / n, "precision": statistics.fmean(precisions), "none": none, "n": n}


async def worst_loop_delay(work) -> tuple[float, float]:
    """Worst lateness of a 10 ms ticker on the event loop while `work` is awaited, and its time."""
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - before - 0.01)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    await work
    elapsed = time.perf_counter() - started
    done.set()
    await task
    return worst, elapsed


async def first_ranking_in_the_child(departments) -> tuple[float, float, int]:
    """The first ranking through the bot's ranker (a child process), as the first /topic pick does."""
    from bot.ranker import Ranker

    ranker = Ranker()
    ranker.start()
    worst, elapsed = await worst_loop_delay(ranker.rank("원도심 주택가 주차 전쟁", departments))
    rss = sum(psutil.Process(pid).memory_info().rss for pid in ranker.process_ids)
    ranker.stop()
    return worst, elapsed, rss


async def first_ranking_in_a_thread(departments) -> tuple[float, float]:
    """The same in a thread of this process (asyncio.to_thread), for comparison."""
    from bot.ranking import rank_departments

    return await worst_loop_delay(asyncio.to_thread(rank_departments, "원도심 주택가 주차 전쟁", departments))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true", help="one line per topic")
    args = parser.parse_args()
    process = psutil.Process()
    baseline = process.memory_info().rss
    departments = load_departments()

    child_worst, child_first, child_rss = asyncio.run(first_ranking_in_the_child(departments))
    thread_worst, thread_first = asyncio.run(first_ranking_in_a_thread(departments))
    from bot.ranking import rank_departments

    analyser_rss = process.memory_info().rss - baseline

    print(f"{'topics':<22}{'n':>4}{'top-1':>8}{'hit@3':>8}{'precision':>11}{'none found':>12}")
    results = {}
    for name in ("topics_dev.jsonl", "topics_extra.jsonl", "topics_late.jsonl"):
        if args.verbose:
            print(name)
        results[name] = r = evaluate(load_topics(name), departments, args.verbose)
        print(f"{name:<22}{r['n']:>4}{r['top-1']:>8.2f}{r['hit@3']:>8.2f}{r['precision']:>11.2f}{r['none']:>12}")
    print(f"{'target':<22}{'':>4}{TARGETS['top-1']:>8.2f}{TARGETS['hit@3']:>8.3f}{TARGETS['precision']:>11.2f}{0:>12}")

    topics = load_topics("topics_dev.jsonl") + load_topics("topics_extra.jsonl")
    started = time.perf_counter()
    for topic in topics:
        rank_departments(f"{topic.title} {topic.description}", departments)
    warm = (time.perf_counter() - started) / len(topics)
    fresh = []
    for topic in topics[:10]:
        text = f"{topic.title} {topic.description} 변형"  # a text not analysed before
        started = time.perf_counter()
        rank_departments(text, departments)
        fresh.append(time.perf_counter() - started)
    print()
    print(
        f"first ranking, in the ranker's child process (builds the analyser there): {child_first:.2f} s;"
        f" worst delay of a 10 ms ticker on the event loop meanwhile: {child_worst * 1000:.0f} ms"
    )
    print(
        f"first ranking, in a thread of the bot's process (asyncio.to_thread): {thread_first:.2f} s;"
        f" worst delay of the ticker meanwhile: {thread_worst * 1000:.0f} ms"
    )
    print(
        f"ranking a topic seen before: {warm * 1000:.2f} ms; a new topic: median {statistics.median(fresh) * 1000:.0f} ms, max {max(fresh) * 1000:.0f} ms"
    )
    print(
        f"resident memory of the ranker's child process: {child_rss / 2**20:.0f} MiB;"
        f" of the analyser and index loaded in-process: {analyser_rss / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
