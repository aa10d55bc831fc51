"""The extractor's speed on one core: messages per second and the time it adds to a message event.

    .venv/bin/python -m bench.extract [--messages 100000]

Runs the labelled messages of tests/extraction (four languages, chit-chat included) over and
over through `app.domain.extraction.extract`, as the app would for each message event (the
agency's areas and region given), pinned to one CPU. In the same run, the baseline is a plain
`text.lower().split()` over the same messages.

Prints messages per second (target >= 5,000/s on one core) and the time per message, p50 and
p99 (target <= 0.5 ms added per message event), each measured twice: as CPU time of this
process (what one core spends, unaffected by other processes on a shared machine) and as wall
time (which includes waiting for the CPU when the machine is busy: the load average is
printed). Also the one-time costs: loading the word lists and gazetteer, a new agency's areas.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import machine, median, percentile

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "extraction"
AREAS = ("Dubai Marina", "Downtown Dubai", "Palm Jumeirah", "Business Bay", "JVC", "Dubai Hills Estate")
REGION = "AE"
TARGET_RATE = 5_000  # messages per second
TARGET_MS = 0.5  # added per message event
TIMED_ONE_BY_ONE = 20_000


def messages() -> list[str]:
    texts = []
    for path in sorted(LABELLED.glob("labelled_*.jsonl")):
        lines = path.read_text("utf-8").splitlines()
        texts += [json.loads(line)["text"] for line in lines if line.strip()]
    return texts


def pin_to_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def timed(run: list[str], work: Callable[[str], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of `work` over every message."""
    cpu, wall = time.process_time(), time.perf_counter()
    for text in run:
        work(text)
    return time.process_time() - cpu, time.perf_counter() - wall


def one_by_one(run: list[str], work: Callable[[str], object]) -> tuple[list[float], list[float]]:
    """Each message's CPU and wall time, in ms."""
    cpu_ms, wall_ms = [], []
    thread_time, perf_counter = time.thread_time, time.perf_counter
    for text in run:
        c, w = thread_time(), perf_counter()
        work(text)
        cpu_ms.append((thread_time() - c) * 1000)
        wall_ms.append((perf_counter() - w) * 1000)
    return cpu_ms, wall_ms


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {machine()}; {pin_to_one_core()}; load average {os.getloadavg()[0]:.1f}")

    started = time.perf_counter()
    from app.domain.extraction import extract

    extract("warm up: 2BR in Dubai Marina up to 2M", default_region=REGION)
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    extract("hello", known_areas=AREAS, default_region=REGION)
    areas_ms = (time.perf_counter() - started) * 1000
    print(
        f"one-time: word lists and gazetteer loaded in {load_ms:.0f} ms; "
        f"a new agency's areas {areas_ms:.1f} ms"
    )

    texts = messages()
    run = (texts * (args.messages // len(texts) + 1))[: args.messages]
    chars = sum(map(len, run)) / len(run)
    print(
        f"{len(texts)} distinct labelled messages, {len(run):,} in the run, {chars:.0f} characters on average"
    )

    def read(text: str) -> object:
        return extract(text, known_areas=AREAS, default_region=REGION)

    base_cpu, base_wall = timed(run, lambda text: text.lower().split())
    cpu, wall = timed(run, read)
    each_cpu, each_wall = one_by_one(run[:TIMED_ONE_BY_ONE], read)

    n = len(run)
    rate_cpu, rate_wall = n / cpu, n / wall
    print(
        f"extract: {rate_cpu:,.0f} messages/s per core of CPU time "
        f"(target >= {TARGET_RATE:,}/s: {verdict(rate_cpu >= TARGET_RATE)}); "
        f"{rate_wall:,.0f} messages/s of wall time"
    )
    p50, p99 = median(each_cpu), percentile(each_cpu, 99)
    print(
        f"time added per message event, CPU: mean {cpu * 1000 / n:.3f} ms, p50 {p50:.3f} ms, "
        f"p99 {p99:.3f} ms (target <= {TARGET_MS} ms: {verdict(p99 <= TARGET_MS)} at p99)"
    )
    print(
        f"time added per message event, wall: mean {wall * 1000 / n:.3f} ms, "
        f"p50 {median(each_wall):.3f} ms, p99 {percentile(each_wall, 99):.3f} ms"
    )
    print(
        f"baseline, text.lower().split(): {n / base_cpu:,.0f} messages/s of CPU time "
        f"({base_cpu * 1e6 / n:.2f} us a message); extract costs {cpu / base_cpu:.0f}x the baseline"
    )


if __name__ == "__main__":
    main()
