"""Live dashboards on PostgreSQL: N open SSE streams of one agency while events arrive.

    .venv/bin/python -m bench.live [--agents 1,25] [--rate 10] [--seconds 30] [--leads 1000]

For each N in --agents, a fresh app process (uvicorn, as `make run` serves it) and N agents of
the same agency, each logged in through the real form (its own session cookie) with one
`GET /live` stream open. Events are sent through the JSON API
(`POST /api/tenants/{tid}/leads/{lid}/events`) at --rate per second for --seconds, open loop
(each POST is sent at its scheduled time whether or not the earlier ones have answered).

Every event goes to a lead not used before in the run, with a type chosen so that the score
changes (--types mix rotates qr_scan, catalog_view, message and voice_message, skipping a type
whose cap is reached; --types message sends only messages). The API's answer is the proof:
only events whose answer shows `lead_score != score_before` are expected to produce a card and
are counted; any others are reported apart.

Measured, per N (after 5 warm-up events, not counted):
- card latency: from just before an event's POST to each stream having received the whole
  `event: lead-<uuid>` message for that lead (the card HTML), p50/p99 over all (stream, event)
  pairs; a pair whose card has not arrived --drain seconds after the last POST is missing and
  counts as never in the all-pairs p99. Other SSE messages (reorder, reload) are counted only;
- server CPU per event: utime+stime (plus reaped children's, and any live child processes')
  of the app process from /proc, over the event window (first POST until every expected card
  has arrived, or the drain deadline: then the figure is a lower bound, and the CPU up to the
  last card, waited for up to --drain more seconds, is shown too), divided by the events sent;
  then, once the cards have caught up, the same length of time again with the N streams open
  and no events (idle), and CPU per event minus idle. --agents 0 gives the API's share alone.
  A fixed pure-Python loop is timed before each window, and the whole machine's busy share
  during it is shown: on this shared machine a CPU second buys less work while the host is
  busy, so compare CPU figures across runs with those in view (ratios within a run hold up).
Targets: card p99 <= 100 ms; CPU per event <= 3 ms at N=1; CPU(N=25) / CPU(N=1) <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.db import create_engine
from app.domain.agents.service import invite
from app.domain.leads.models import Lead
from app.domain.scoring import LeadState
from app.domain.tenants.rules import rules_for
from bench.common import free_port, fresh_database, machine, median, percentile, seed_tenant, served_app

PASSWORD = "benchmark-pw"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Which lead counters an event type adds one to (SCORING.md); used only to pick, per lead, a
# type that changes its score. The API's answer (score_before, lead_score) is what counts.
COUNTERS = {
    "qr_scan": ("qr_scan_count",),
    "catalog_view": ("catalog_views",),
    "message": ("messages_count",),
    "voice_message": ("messages_count", "voice_messages_count"),
}
WARMUP_EVENTS = 5


def reference_cpu_ms() -> float:
    """CPU time of a fixed pure-Python loop in this process, best of 3: on a shared machine a
    CPU second buys less work when the host is busy, and this shows how much at the time."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(1_000_000):
            total += i
        best = min(best, time.process_time() - started)
    return best * 1000


# ---- the app process's CPU ------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(_stat_fields(int(entry))[1]) == pid:
                    found.append(int(entry))
    return found


def server_pid(port: int) -> int:
    """The uvicorn process served_app started for this port (a child of this process)."""
    for pid in _children(os.getpid()):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"--port" in argv and argv[argv.index(b"--port") + 1] == str(port).encode():
                return pid
    raise RuntimeError(f"no app process on port {port} among this process's children")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all threads) and its reaped children, plus those of any
    live descendants (uvicorn runs one process here, so normally there are none)."""
    f = _stat_fields(pid)
    ticks = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    for child in _children(pid):
        with contextlib.suppress(OSError):
            ticks += round(cpu_seconds(child) * CLK_TCK)
    return ticks / CLK_TCK


# ---- setup: agents and the events' plan --------------------------------------------------------


async def create_agents(url: str, tenant_id: uuid.UUID, count: int) -> list[str]:
    engine = create_engine(url, pool_size=2)
    emails = []
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            for i in range(count):
                email = f"live-agent-{i}-{uuid.uuid4().hex[:6]}@bench.example"
                agent = await invite(
                    session, tenant_id, email=email, name=f"Agent {i}", role="agent", password=PASSWORD
                )
                agent.must_change_password = False  # as if each had chosen their own already
                await session.commit()
                emails.append(email)
    finally:
        await engine.dispose()
    return emails


async def plan_events(url: str, tenant_id: uuid.UUID, types: str) -> list[tuple[str, str]]:
    """(lead id, event type) pairs, one per lead, each predicted to change that lead's score."""
    kinds = list(COUNTERS) if types == "mix" else ["message"]
    engine = create_engine(url, pool_size=2)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            rules = await rules_for(session, tenant_id)
            leads = list(await session.scalars(sa.select(Lead).where(Lead.tenant_id == tenant_id)))
            await session.commit()
    finally:
        await engine.dispose()
    now = datetime.now(UTC)
    plan = []
    for lead in leads:
        state = LeadState.of(lead)
        before = rules.score(state, now).total
        for k in range(len(kinds)):
            kind = kinds[(len(plan) + k) % len(kinds)]
            grown = replace(
                state,
                **{name: getattr(state, name) + 1 for name in COUNTERS[kind]},
                last_interaction_at=now,
            )
            # Recency only falls as time passes, so a gain now is a gain when the event lands.
            if rules.score(grown, now).total > before:
                plan.append((str(lead.id), kind))
                break
    return plan


# ---- the streams ---------------------------------------------------------------------------------


@dataclass
class Stream:
    """One logged-in agent's `GET /live`, parsed message by message."""

    client: httpx.AsyncClient
    cards: dict[str, list[float]] = field(default_factory=dict)  # lead id -> arrival times
    counts: Counter = field(default_factory=Counter)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: str | None = None

    def _dispatch(self, event: str | None, data: list[str]) -> None:
        now = time.perf_counter()
        if event is None:
            return
        if event.startswith("lead-"):
            lead = event[5:]
            self.counts["card"] += 1
            if f'id="lead-{lead}"' not in "\n".join(data):
                self.counts["card without its id in the HTML"] += 1
            self.cards.setdefault(lead, []).append(now)
        else:
            self.counts[event] += 1  # reorder, reload, anything else: counted, not used

    async def run(self) -> None:
        event: str | None = None
        data: list[str] = []
        try:
            async with self.client.stream("GET", "/live", timeout=httpx.Timeout(30, read=None)) as response:
                if response.status_code != 200:
                    raise RuntimeError(f"GET /live answered {response.status_code}")
                async for line in response.aiter_lines():
                    if line == "":
                        self._dispatch(event, data)
                        event, data = None, []
                    elif line.startswith(":"):
                        self.counts["comment"] += 1
                        self.connected.set()  # the stream sends `: connected` first
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].removeprefix(" "))
            self.ended = "closed by the server"
        except httpx.HTTPError as exc:
            self.ended = f"{type(exc).__name__}: {exc}"
        finally:
            self.connected.set()  # never leave a waiter hanging

    def arrival(self, lead: str, after: float) -> float | None:
        return next((t for t in self.cards.get(lead, ()) if t >= after), None)


async def logged_in(base: str, email: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    (await client.get("/login")).raise_for_status()
    token = client.cookies["leadheat_csrf"]
    response = await client.post("/login", data={"email": email, "password": PASSWORD, "_csrf_token": token})
    if response.status_code != 303 or "session" not in client.cookies:
        raise RuntimeError(f"login of {email} failed: {response.status_code}")
    return client


# ---- one N ----------------------------------------------------------------------------------------


@dataclass
class Sent:
    lead: str
    kind: str
    started: float
    answered: float = 0.0
    status: int = 0
    changed: bool = False
    moved: bool = False


@dataclass
class PhaseResult:
    streams: int
    sent: list[Sent]
    latencies: list[float]
    missing: int
    late: int
    window: float
    cpu_window: float
    cpu_idle: float
    client_cpu: float
    reference_ms: float
    machine_busy: float  # share of all cores busy (any process) during the window
    counts: Counter
    ended: list[str]
    drained: bool  # every expected card arrived within the window
    caught_up: bool  # ... or at least before the idle window began
    catch_up: tuple[float, float]  # (seconds, app CPU seconds) from the first POST to then

    @property
    def changed(self) -> list[Sent]:
        return [s for s in self.sent if s.changed]

    @property
    def p99_all(self) -> float:
        """p99 over every expected (stream, event) pair, a missing card counted as never."""
        pairs = self.latencies + [float("inf")] * self.missing
        return percentile(pairs, 99) if pairs else float("nan")

    @property
    def cpu_per_event_ms(self) -> float:
        return self.cpu_window / len(self.sent) * 1000

    @property
    def cpu_per_event_minus_idle_ms(self) -> float:
        return (self.cpu_window - self.cpu_idle) / len(self.sent) * 1000


async def post_event(api: httpx.AsyncClient, tenant_id: uuid.UUID, lead: str, kind: str) -> Sent:
    sent = Sent(lead, kind, time.perf_counter())
    try:
        response = await api.post(f"/api/tenants/{tenant_id}/leads/{lead}/events", json={"type": kind})
        sent.status = response.status_code
        if response.status_code == 201:
            body = response.json()
            sent.changed = body["lead_score"] != body["score_before"]
    except httpx.HTTPError:
        sent.status = -1
    sent.answered = time.perf_counter()
    return sent


async def wait_for_cards(streams: list[Stream], sent: list[Sent], deadline: float) -> bool:
    """Until every stream has every expected card, or the deadline. Each stream's position in
    the list only moves forward, so the polling stays cheap and leaves the loop to the streams."""
    expected = [s for s in sent if s.changed]
    position = [0] * len(streams)
    while True:
        for i, st in enumerate(streams):
            while position[i] < len(expected):
                s = expected[position[i]]
                if st.arrival(s.lead, s.started) is None:
                    break
                position[i] += 1
        if all(p == len(expected) for p in position):
            return True
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(0.01)


async def run_phase(
    base: str, pid: int, tenant_id: uuid.UUID, token: str, emails: list[str], plan: list, args
) -> PhaseResult:
    clients = [await logged_in(base, email) for email in emails]
    streams = [Stream(c) for c in clients]
    tasks = [asyncio.create_task(st.run()) for st in streams]
    api = httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )
    try:
        await asyncio.wait_for(asyncio.gather(*(st.connected.wait() for st in streams)), 30)
        dead = [st.ended for st in streams if st.ended]
        if dead:
            raise RuntimeError(f"{len(dead)} streams did not open: {dead[0]}")
        # Warm-up, not counted: templates, the connection pool, the first NOTIFY.
        for _ in range(WARMUP_EVENTS):
            s = await post_event(api, tenant_id, *plan.pop())
            await wait_for_cards(streams, [s], time.perf_counter() + 10)
        await asyncio.sleep(1)

        count = round(args.rate * args.seconds)
        if len(plan) < count:
            raise RuntimeError(f"only {len(plan)} unused leads left for {count} events; raise --leads")
        batch = [plan.pop() for _ in range(count)]
        reference_ms = reference_cpu_ms()
        counts_before = sum((st.counts for st in streams), Counter())
        busy0 = machine_busy()
        cpu0, client0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
        posts = []
        for i, (lead, kind) in enumerate(batch):
            delay = t0 + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            posts.append(asyncio.create_task(post_event(api, tenant_id, lead, kind)))
        sent = list(await asyncio.gather(*posts))
        drained = await wait_for_cards(streams, sent, t0 + count / args.rate + args.drain)
        t1, cpu1, client1 = time.perf_counter(), cpu_seconds(pid), time.process_time()
        busy1 = machine_busy()
        window = t1 - t0
        counts = sum((st.counts for st in streams), Counter()) - counts_before

        latencies, missing = [], 0
        for s in sent:
            if not s.changed:
                continue
            for st in streams:
                arrived = st.arrival(s.lead, s.started)
                if arrived is None:
                    missing += 1
                else:
                    latencies.append((arrived - s.started) * 1000)

        # Cards still on their way are let through first (up to --drain more seconds; they
        # stay missing above), so that the idle window measures an idle app.
        caught_up = drained or await wait_for_cards(streams, sent, time.perf_counter() + args.drain)
        t2, cpu2 = time.perf_counter(), cpu_seconds(pid)
        late = sum(
            1
            for s in sent
            if s.changed
            for st in streams
            if (arrived := st.arrival(s.lead, s.started)) is not None and arrived > t1
        )
        # Idle: the same length of time, the same streams open, no events.
        await asyncio.sleep(1)
        idle0 = cpu_seconds(pid)
        await asyncio.sleep(window)
        cpu_idle = cpu_seconds(pid) - idle0
        return PhaseResult(
            streams=len(streams),
            sent=sent,
            latencies=latencies,
            missing=missing,
            late=late,
            window=window,
            cpu_window=cpu1 - cpu0,
            cpu_idle=cpu_idle,
            client_cpu=client1 - client0,
            reference_ms=reference_ms,
            machine_busy=(busy1[0] - busy0[0]) / (busy1[1] - busy0[1]),
            counts=counts,
            ended=[st.ended for st in streams if st.ended],
            drained=drained,
            caught_up=caught_up,
            catch_up=(t2 - t0, cpu2 - cpu0),
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in [*clients, api]:
            await client.aclose()


# ---- report ---------------------------------------------------------------------------------------


def report(r: PhaseResult, args) -> None:
    sent, changed = r.sent, r.changed
    failed = [s for s in sent if s.status != 201]
    kinds = Counter(s.kind for s in sent)
    posts = [(s.answered - s.started) * 1000 for s in sent]
    expected = len(changed) * r.streams
    print(f"\nN = {r.streams} open stream{'s' if r.streams != 1 else ''}")
    print(
        f"  events sent: {len(sent)} in {args.seconds:g} s at {args.rate:g}/s "
        f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); "
        f"{len(failed)} not answered 201; {len(changed)} changed the score (card expected), "
        f"{len(sent) - len(changed)} did not (not counted)"
    )
    print(f"  POST answer time: p50 {median(posts):.1f} ms, p99 {percentile(posts, 99):.1f} ms")
    print(
        f"  cards: {expected} expected ({len(changed)} events x {r.streams} streams), "
        f"{len(r.latencies)} received, {r.missing} missing after the {args.drain:g} s drain"
        + (f"; {r.late} of those arrived later, before the idle window" if r.late else "")
    )
    if r.latencies:
        print(
            f"  card latency (POST sent -> card on a stream), received pairs: "
            f"p50 {median(r.latencies):.1f} ms, p99 {percentile(r.latencies, 99):.1f} ms, "
            f"max {max(r.latencies):.1f} ms"
        )
    if r.missing:
        print(f"  card latency over all pairs, a missing card counted as never: p99 {fmt_ms(r.p99_all)}")
    other = {k: v for k, v in r.counts.items() if k != "card"}
    print(
        f"  SSE messages in the window: {r.counts['card']} cards"
        + "".join(f", {k} {v}" for k, v in sorted(other.items()))
    )
    print(
        f"  event window {r.window:.1f} s (first POST -> "
        f"{'last expected card' if r.drained else 'drain deadline'}): app CPU {r.cpu_window:.2f} s; "
        f"idle, same length, streams open: {r.cpu_idle:.2f} s; this client's CPU {r.client_cpu:.2f} s"
    )
    bound = "" if r.drained else " (lower bound: the app had not caught up at the drain deadline)"
    print(f"  app CPU per event: {r.cpu_per_event_ms:.1f} ms raw{bound}")
    print(f"  app CPU per event minus idle: {fmt_net(r)}{bound if r.caught_up else ''}")
    if not r.drained and r.caught_up:
        seconds, cpu = r.catch_up
        print(
            f"  counting the catch-up too (first POST -> last card, {seconds:.1f} s): app CPU {cpu:.2f} s, "
            f"{cpu / len(r.sent) * 1000:.1f} ms per event raw"
        )
    cores = os.cpu_count() or 1
    print(
        f"  noise: the machine's {cores} cores were {r.machine_busy:.0%} busy in the window (any process), "
        f"the app used {r.cpu_window / r.window:.0%} of one core; a fixed loop took "
        f"{r.reference_ms:.0f} ms CPU just before it (larger = slower CPU second)"
    )
    if r.ended:
        print(f"  WARNING: {len(r.ended)} streams ended early: {r.ended[0]}")


def fmt_ms(value: float) -> str:
    return f"{value:.1f} ms" if value != float("inf") else "never (more than 1% of the cards missing)"


def fmt_net(r: PhaseResult) -> str:
    if not r.caught_up:
        return "n/a (cards were still arriving when the idle window began)"
    return f"{r.cpu_per_event_minus_idle_ms:.1f} ms"


def verdict(value: float | None, target: float, lower_bound: bool = False) -> str:
    """met / NOT met; a lower bound under the target proves nothing either way."""
    if value is None or value != value:  # not measured, or NaN (no cards expected)
        return "n/a"
    if value > target:
        return "NOT met"
    return "unknown (lower bound)" if lower_bound else "met"


def summary(results: list[PhaseResult]) -> None:
    print("\nsummary (targets: card p99 <= 100 ms; CPU per event <= 3 ms at N=1; CPU(N)/CPU(1) <= 1.5)")
    for r in results:
        net = r.cpu_per_event_minus_idle_ms if r.caught_up else None
        print(
            f"  N={r.streams:>3}: {len(r.sent)} events, "
            f"{len(r.latencies)} cards received, {r.missing} missing; "
            f"card p50 {median(r.latencies) if r.latencies else float('nan'):.1f} ms, "
            f"p99 {fmt_ms(r.p99_all)} [{verdict(r.p99_all, 100)}]; "
            f"CPU/event {r.cpu_per_event_ms:.1f} ms raw, "
            + (f"{net:.1f} ms minus idle" if net is not None else "n/a minus idle")
            + ("" if r.drained else " (lower bounds)")
            + (
                f"; {r.catch_up[1] / len(r.sent) * 1000:.1f} ms raw counting the catch-up"
                if not r.drained and r.caught_up
                else ""
            )
        )
    by_n = {r.streams: r for r in results}
    if 1 not in by_n:
        return
    one = by_n[1]
    one_net = one.cpu_per_event_minus_idle_ms if one.caught_up else None
    print(
        f"  CPU per event at N=1: raw {one.cpu_per_event_ms:.1f} ms "
        f"[{verdict(one.cpu_per_event_ms, 3, not one.drained)}], minus idle "
        + (f"{one_net:.1f} ms [{verdict(one_net, 3, not one.drained)}]" if one_net is not None else "n/a")
    )
    for r in results:
        if r.streams <= 1:
            continue
        if not one.drained:
            print(f"  CPU(N={r.streams}) / CPU(N=1): n/a (N=1 did not catch up)")
            continue
        raw = r.cpu_per_event_ms / one.cpu_per_event_ms
        line = f"  CPU(N={r.streams}) / CPU(N=1): raw {raw:.2f} [{verdict(raw, 1.5, not r.drained)}]"
        if r.caught_up and one_net:
            net = r.cpu_per_event_minus_idle_ms / one_net
            line += f", minus idle {net:.2f} [{verdict(net, 1.5, not r.drained)}]"
        else:
            line += ", minus idle n/a"
        print(line + ("" if r.drained else f" (lower bounds: N={r.streams} had not caught up)"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--agents", default="1,25", help="open streams per run, comma-separated (0: the API's CPU alone)"
    )
    parser.add_argument("--rate", type=float, default=10, help="events per second")
    parser.add_argument("--seconds", type=float, default=30, help="how long events are sent, per N")
    parser.add_argument("--leads", type=int, default=1000, help="leads of the agency (each event uses one)")
    parser.add_argument("--types", choices=["mix", "message"], default="mix")
    parser.add_argument(
        "--drain", type=float, default=60, help="seconds after the last POST to wait for every card"
    )
    parser.add_argument("--log", type=Path, help="the app's log file (default: discarded)")
    args = parser.parse_args()
    ns = [int(n) for n in args.agents.split(",")]

    print(f"machine: {machine()}")
    print(
        f"N = {args.agents} streams, {args.rate:g} events/s for {args.seconds:g} s, "
        f"{args.leads} leads, types {args.types}"
    )
    with fresh_database("leadheat_bench_live") as url:
        tenant_id, token, _ = asyncio.run(seed_tenant(url, "Live Agency", args.leads))
        emails = asyncio.run(create_agents(url, tenant_id, max(ns)))
        plan = asyncio.run(plan_events(url, tenant_id, args.types))
        plan.reverse()  # popped from the end, so the first planned goes first
        needed = len(ns) * (WARMUP_EVENTS + round(args.rate * args.seconds))
        if len(plan) < needed:
            raise SystemExit(
                f"{len(plan)} leads can take a score-changing event, {needed} are needed: raise --leads"
            )
        results = []
        for n in ns:
            port = free_port()
            with served_app(url, port=port, log_path=args.log) as base:
                pid = server_pid(port)
                result = asyncio.run(run_phase(base, pid, tenant_id, token, emails[:n], plan, args))
            report(result, args)
            results.append(result)
    summary(results)


if __name__ == "__main__":
    main()
