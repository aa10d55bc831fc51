"""The Telegram bot under load, as a lead feels it: the real aiogram polling loop in the app
process (uvicorn, PostgreSQL) against a fake Bot API server in a process of its own.

    .venv/bin/python -m bench.bot [--rate 200] [--updates 20000] [--leads 1000]

1,000 simulated leads send updates (80 % text messages, 20 % voice notes) at a steady rate;
the first 1,000 are each lead's first contact, for which the app creates the lead. The fake
server (`bench/fake_bot_api.py`) makes each update itself and stamps, on its own clock, when
getUpdates could first return it and when the bot's answer for that chat (its sendMessage;
sendDocument or answerCallbackQuery count too) arrived back. That interval is what a lead
waits for. It reports:

- answered updates/s and p50/p99 of update available -> answer arrived, split into the wait at
  the Bot API (available -> first returned by getUpdates) and the time in the bot (returned ->
  answered), and into first contacts and the rest; target: p99 <= 50 ms at 200 updates/s,
  none lost;
- every update answered once and recorded once (`lead_event` rows with source 'telegram',
  keyed `tg:<bot id>:<update id>`), and available -> `received_at` (the app's clock, stamped
  when the handler starts recording, before its transaction commits and before the answer);
- a baseline in the same run: the same harness and the same aiogram polling loop answering
  at once, with no database and no lead logic (`bench/echo_bot.py`), and the ratio to it;
- CPU seconds during the run, from /proc: the fake Bot API, the bot (also per update), this
  run's PostgreSQL backends, this process, and everything else on the machine (other work on
  a shared machine takes CPU from the app: the summary says when it did).

Nothing time-critical runs in this process: it starts the others, waits for the bot's first
poll, starts the updates, and polls a status URL twice a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.domain.bots.service import BotTokenService
from bench.common import (
    ROOT,
    fresh_database,
    machine,
    median,
    percentile,
    postgres_dsn,
    seed_tenant,
    served_app,
)
from bench.fake_bot_api import FIRST_UPDATE_ID

SECRET = "bench-bot-secret"
TOKEN = "444444444:" + "D" * 35
BASELINE_TOKEN = "555555555:" + "E" * 35
TARGET_MS = 50.0
TARGET_RATE = 200.0
TICKS = os.sysconf("SC_CLK_TCK")
OUR_BACKENDS = "PostgreSQL, this run's database"
MACHINE = "machine, all processes"


async def connect_bot(url: str, tenant_id) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db import create_engine

    engine = create_engine(url)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await BotTokenService(session, SECRET).set_token(tenant_id, TOKEN)
        await session.commit()
    await engine.dispose()


async def recorded(url: str, bot_id: int) -> tuple[Counter[int], dict[int, float]]:
    """How many `lead_event` rows each update id has (source 'telegram', keyed by update), and
    each one's `received_at` (epoch seconds)."""
    conn = await asyncpg.connect(postgres_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT idempotency_key, received_at FROM lead_event "
            "WHERE source = 'telegram' AND idempotency_key LIKE $1",
            f"tg:{bot_id}:%",
        )
    finally:
        await conn.close()
    counts: Counter[int] = Counter()
    stamps: dict[int, float] = {}
    for row in rows:
        update_id = int(row["idempotency_key"].rsplit(":", 1)[1])
        counts[update_id] += 1
        stamps[update_id] = row["received_at"].timestamp()
    return counts, stamps


# ---- CPU seconds from /proc ------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds; 0 once it has gone."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


class Backends:
    """CPU seconds of the PostgreSQL backends serving one database, sampled from /proc (a
    backend that exits between two samples loses its last half second)."""

    def __init__(self, database: str) -> None:
        self.tag = f" {database} ".encode()
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.others: set[int] = set()  # processes that are not PostgreSQL's: not read again
        self.started = False

    def sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) in self.others:
                continue
            pid = int(entry.name)
            if pid not in self.first:
                try:
                    command = Path(entry.path, "cmdline").read_bytes()
                except OSError:
                    continue
                if self.tag not in command:
                    if b"postgres" not in command:  # a new backend may not have its title yet
                        self.others.add(pid)
                    continue
            seconds = cpu_seconds(pid)
            if seconds == 0.0 and pid in self.last:
                continue  # exited just now
            self.first.setdefault(pid, seconds if not self.started else 0.0)
            self.last[pid] = seconds
        self.started = True

    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


def child_pid(command_part: str) -> int | None:
    """A child of this process whose command line holds `command_part` (the app's uvicorn)."""
    me = str(os.getpid())
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None or fields[1] != me:
            continue
        with contextlib.suppress(OSError):
            if command_part in Path(entry.path, "cmdline").read_bytes().decode(errors="replace"):
                return int(entry.name)
    return None


@dataclass
class Cpu:
    wall: float
    parts: dict[str, float]


def cpu_snapshot(pids: dict[str, int]) -> Cpu:
    parts = {name: cpu_seconds(pid) for name, pid in pids.items()}
    times = os.times()
    parts["this benchmark process"] = times.user + times.system
    parts[MACHINE] = machine_busy_seconds()
    return Cpu(time.monotonic(), parts)


# ---- the fake Bot API process ------------------------------------------------------------------


@dataclass
class FakeApi:
    url: str
    process: subprocess.Popen[bytes]
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def status(self) -> dict:
        return self.http.get(f"{self.url}/bench/status").json()

    def start(self) -> None:
        self.http.post(f"{self.url}/bench/start").raise_for_status()

    def results(self) -> dict:
        return self.http.get(f"{self.url}/bench/results").json()


@contextlib.contextmanager
def fake_api(token: str, leads: int, updates: int, rate: float) -> Iterator[FakeApi]:
    command = [sys.executable, "-m", "bench.fake_bot_api", "--token", token, "--leads", str(leads)]
    command += ["--updates", str(updates), "--rate", str(rate)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Bot API server did not start")
        api = FakeApi(json.loads(line)["url"], process)
        try:
            yield api
        finally:
            api.http.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def echo_bot(api_url: str, token: str) -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.echo_bot", api_url, token], cwd=ROOT, start_new_session=True
    )
    try:
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---- one run -------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    updates: int
    rate: float
    results: dict
    cpu: dict[str, float]  # CPU seconds from the first update to the end of the phase
    wall: float
    timed_out: bool
    leads: int
    bot_cpu: list[tuple[int, float]]  # (updates answered, the bot's CPU seconds) twice a second
    recorded: Counter[int] | None = None
    received_at: dict[int, float] | None = None

    @property
    def rows(self) -> list[list]:
        return self.results["updates"]

    @property
    def answered(self) -> list[list]:
        return [r for r in self.rows if r[7] is not None]

    def latencies(self, start: int, end: int, rows: list[list] | None = None) -> list[float]:
        return [
            (r[end] - r[start]) * 1000
            for r in (self.rows if rows is None else rows)
            if r[start] is not None and r[end] is not None
        ]

    def cpu_per_update(self, first: int, last: int) -> float | None:
        """The bot's CPU ms per update while answers `first`..`last` came in (from the samples)."""
        at_first = next((s for s in self.bot_cpu if s[0] >= first), None)
        at_last = next((s for s in self.bot_cpu if s[0] >= last), None)
        if at_first is None or at_last is None or at_last[0] == at_first[0]:
            return None
        return (at_last[1] - at_first[1]) / (at_last[0] - at_first[0]) * 1000

    @property
    def throughput(self) -> float:
        answered = self.answered
        if not answered:
            return 0.0
        return len(answered) / (max(r[7] for r in answered) - self.results["started_at"])

    @property
    def sent_rate(self) -> float:
        r = self.results
        return self.updates / (r["sent_at"] - r["started_at"]) if r["sent_at"] else 0.0


def drive(
    api: FakeApi,
    pids: dict[str, int],
    backends: Backends | None,
    bot: str,
    name: str,
    updates: int,
    leads: int,
    rate: float,
    grace: float,
) -> Phase:
    deadline = time.monotonic() + 60
    while api.status()["polls"] == 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: the bot never polled the fake Bot API")
        time.sleep(0.1)
    time.sleep(1.0)  # let start-up work settle before the clock starts
    if backends is not None:
        backends.sample()
    before = cpu_snapshot(pids)
    api.start()
    deadline = time.monotonic() + updates / rate + grace
    timed_out = True
    bot_cpu = [(0, cpu_seconds(pids[bot]))]
    while time.monotonic() < deadline:
        time.sleep(0.5)
        answered = api.status()["answered"]
        bot_cpu.append((answered, cpu_seconds(pids[bot])))
        if backends is not None:
            backends.sample()
        if answered >= updates:
            timed_out = False
            break
    if backends is not None:
        backends.sample()
    after = cpu_snapshot(pids)
    results = api.results()
    cpu = {k: after.parts[k] - before.parts.get(k, 0.0) for k in after.parts}
    if backends is not None:
        cpu[OUR_BACKENDS] = backends.seconds()
    return Phase(name, updates, rate, results, cpu, after.wall - before.wall, timed_out, leads, bot_cpu)


# ---- report --------------------------------------------------------------------------------------


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"p50 {median(values):.1f} ms, p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms"


def report(phase: Phase, bot_process: str) -> None:
    r = phase.results
    rows = phase.rows
    answered = phase.answered
    lost = phase.updates - len(answered)
    redelivered = sum(1 for row in rows if row[6] > 1)
    print(f"\n== {phase.name}: {phase.updates} updates at {phase.rate:.0f}/s ==")
    print(
        f"made {len(rows)} updates at {phase.sent_rate:.0f}/s (schedule lag {_ms(phase.latencies(3, 4))}); "
        f"answered {len(answered)}, lost {lost}, delivered more than once {redelivered}, "
        f"answers matching no update {r['unmatched_count']}"
        + (" (stopped waiting: not all answered in time)" if phase.timed_out else "")
    )
    print(f"throughput: {phase.throughput:.0f} updates answered/s")
    print(f"update available -> answer arrived: {_ms(phase.latencies(4, 7))}")
    print(f"  waiting at the Bot API (available -> getUpdates returned it): {_ms(phase.latencies(4, 5))}")
    print(f"  in the bot (getUpdates returned it -> answer arrived): {_ms(phase.latencies(5, 7))}")
    first = [row for row in rows if row[0] - FIRST_UPDATE_ID < phase.leads]
    later = [row for row in rows if row[0] - FIRST_UPDATE_ID >= phase.leads]
    print(f"  first update of each lead ({len(first)}, creates it): {_ms(phase.latencies(4, 7, first))}")
    print(f"  the other updates ({len(later)}): {_ms(phase.latencies(4, 7, later))}")
    print(f"getUpdates calls {r['polls']}, largest reply {r['largest_reply']} updates; calls {r['calls']}")
    if phase.recorded is not None:
        ids = [row[0] for row in rows]
        missing = sum(1 for n in ids if phase.recorded[n] == 0)
        twice = sum(1 for n in ids if phase.recorded[n] > 1)
        print(f"lead_event rows (source 'telegram', per update): missing {missing}, more than one {twice}")
        stamps = phase.received_at or {}
        shift = r["wall_minus_monotonic"]
        to_stamp = [(stamps[row[0]] - (row[4] + shift)) * 1000 for row in rows if row[0] in stamps]
        print(f"update available -> received_at (handler starts recording, app clock): {_ms(to_stamp)}")
    print(f"CPU seconds over {phase.wall:.1f} s (first update to last answer), cores = seconds / wall:")
    for name, seconds in phase.cpu.items():
        extra = ""
        if name == bot_process and answered:
            extra = f", {seconds / len(answered) * 1000:.2f} ms per answered update"
            early = phase.cpu_per_update(0, min(phase.leads, len(answered)))
            late = phase.cpu_per_update(phase.leads, len(answered))
            if early is not None and late is not None:
                extra += f" (first {phase.leads} answers {early:.2f} ms each, the rest {late:.2f} ms)"
        print(f"  {name:32s} {seconds:7.2f} s  {seconds / phase.wall:5.2f} cores{extra}")
    ours = sum(v for k, v in phase.cpu.items() if k != MACHINE)
    other = phase.cpu.get(MACHINE, 0.0) - ours
    print(f"  {'everything else on the machine':32s} {other:7.2f} s  {other / phase.wall:5.2f} cores")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=200.0, help="updates per second made")
    parser.add_argument(
        "--baseline-updates",
        type=int,
        default=None,
        help="for the echo-bot baseline (default: min(updates, 3000); 0: none)",
    )
    parser.add_argument(
        "--grace", type=float, default=120.0, help="seconds to wait for answers after the last update"
    )
    args = parser.parse_args()
    baseline_updates = min(args.updates, 3000) if args.baseline_updates is None else args.baseline_updates
    print(f"machine: {machine()}; load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    baseline: Phase | None = None
    if baseline_updates:
        with (
            fake_api(BASELINE_TOKEN, args.leads, baseline_updates, args.rate) as api,
            echo_bot(api.url, BASELINE_TOKEN) as pid,
        ):
            baseline = drive(
                api,
                {"fake Bot API": api.process.pid, "echo bot": pid},
                None,
                "echo bot",
                "baseline: echo bot, no database",
                baseline_updates,
                args.leads,
                args.rate,
                args.grace,
            )
        report(baseline, "echo bot")
    with fresh_database("leadheat_bench_bot") as url:
        tenant_id, _, _ = asyncio.run(seed_tenant(url, "Bot Realty", 10))
        asyncio.run(connect_bot(url, tenant_id))
        with fake_api(TOKEN, args.leads, args.updates, args.rate) as api:
            env = {"SECRET_KEY": SECRET, "TELEGRAM_API_URL": api.url, "BOT_POLLING": "1"}
            with served_app(url, extra_env=env):
                app_pid = child_pid("uvicorn")
                if app_pid is None:
                    raise RuntimeError("the app's uvicorn process was not found")
                pids = {"fake Bot API": api.process.pid, "app (uvicorn)": app_pid}
                phase = drive(
                    api,
                    pids,
                    Backends(make_url(url).database or ""),
                    "app (uvicorn)",
                    "the app, PostgreSQL",
                    args.updates,
                    args.leads,
                    args.rate,
                    args.grace,
                )
        bot_id = int(TOKEN.split(":")[0])
        phase.recorded, phase.received_at = asyncio.run(recorded(url, bot_id))
    report(phase, "app (uvicorn)")

    lat = phase.latencies(4, 7)
    lost = args.updates - len(phase.answered)
    assert phase.recorded is not None
    missing = sum(1 for row in phase.rows if phase.recorded[row[0]] != 1)
    p99 = percentile(lat, 99) if lat else float("inf")
    print("\n== summary ==")
    print(
        f"app: {phase.throughput:.0f} updates/s answered at {args.rate:.0f}/s made; update -> answer "
        f"p50 {median(lat) if lat else float('nan'):.1f} ms, p99 {p99:.1f} ms; lost {lost}; "
        f"not recorded exactly once {missing}"
    )
    if baseline is not None and baseline.answered and lat:
        base = baseline.latencies(4, 7)
        print(
            f"baseline (echo bot, same harness, {baseline.updates} updates): {baseline.throughput:.0f}/s, "
            f"p50 {median(base):.1f} ms, p99 {percentile(base, 99):.1f} ms; "
            f"app / baseline: p50 {median(lat) / median(base):.1f}x, p99 {p99 / percentile(base, 99):.1f}x"
        )
    cores = {k: v / phase.wall for k, v in phase.cpu.items()}
    harness = cores["fake Bot API"] + cores["this benchmark process"]
    others = cores[MACHINE] - sum(v for k, v in cores.items() if k != MACHINE)
    print(
        f"CPU (cores) during the run: app {cores['app (uvicorn)']:.2f}, its PostgreSQL backends "
        f"{cores.get(OUR_BACKENDS, 0.0):.2f}, harness (fake Bot API + this process) {harness:.2f} "
        f"({harness / max(cores['app (uvicorn)'], 1e-9):.0%} of the app's), everything else {others:.2f} "
        f"of {os.cpu_count()}"
    )
    if others > 0.25:
        print("note: other work took CPU during the run; the figures are not this app's capacity alone")
    met = p99 <= TARGET_MS and lost == 0 and missing == 0
    if args.rate >= TARGET_RATE:
        verdict = ("met" if met else "NOT met") + f" (this run: {args.rate:.0f}/s)"
    else:
        verdict = f"not tested (made at {args.rate:.0f}/s, below {TARGET_RATE:.0f}/s)"
    print(f"target p99 <= {TARGET_MS:.0f} ms at {TARGET_RATE:.0f} updates/s, none lost: {verdict}")


if __name__ == "__main__":
    main()
