"""Load test: a class opening a shared link on one server, through Streamlit's own websocket protocol.

Not part of the default test run. It starts `streamlit run app.py` on a loopback port (a fresh
server for every size, so each starts cold as after a deploy) and, with benchmarks/ws_client.py:

1. **first load**: N sessions open at the same instant (the worst case of "the class clicks the
   link"): two thirds on the teacher's link, one third on links that differ by one learning rate;
2. **widget change**: every open session moves the same learning-rate slider at the same instant
   (a class following "now set Adam's learning rate to ..."), to one of four values, as the
   browser sends it (the widget's new state, plus the hashes of the messages it holds);

and reports sessions finished, exceptions (must be 0), median and 95th percentile of the time to
the finished script, bytes per session, the server's RSS before and after and its CPU time, for
5, 15, 30 and 60 sessions, and how the time grows with N; then once more for 30 sessions that
arrive one after the other over 15 s, as a class in a room does. Then, on one server:

3. **new session vs rerun, side by side**: a new session of an already-computed link against a
   rerun of the same view in an open session that tells the server which messages it already
   holds (as a browser does), alternating, median of 12 each; the ratio is the aim of issue 8
   (≤ 1.5; it was 2.5 when plotly.js went through every session's websocket);
4. **memory per session**: 30 more sessions of a computed link, kept open: RSS growth per session.

The client runs on the same machine and competes with the server for its CPUs; its time
includes the websocket connect. Bytes are the ForwardMsgs as received (after permessage-deflate).

Run (starts servers, so under the shared lock):
    flock /tmp/optviz-browser.lock .venv/bin/python benchmarks/load_test.py [--sessions 5,15,30,60]
`--markdown FILE` also writes the tables as Markdown (make bench puts them in RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.budget import record
from benchmarks.ws_client import ROOT, RunResult, Session, open_and_run, proxy_server, rss_bytes, streamlit_server
from optviz.app.share import parse_query, to_query
from optviz.core.registry import DEFAULT_SELECTION, OPTIMIZERS

MB = 2**20
TRIVIAL_APP = Path(__file__).resolve().parent / "trivial_app.py"
TRIVIAL_KEY = "lr"  # its one slider
VARIED = "adam"  # the optimizer whose learning rate the links and the widget changes vary
VARIED_LR = f"r{DEFAULT_SELECTION.index(VARIED)}.lr"  # its run's learning rate: link parameter and widget key
VARIED_EDITOR = f"run.{DEFAULT_SELECTION.index(VARIED)}"  # its run's editor, which draws the slider while open
TIMEOUT = 300


def teacher_query() -> dict[str, str]:
    return to_query(parse_query({"surface": "beale"}))


def lr_options(current: float, count: int) -> list[float]:
    """`count` learning rates on the slider's grid next to `current` (the slider's own values)."""
    grid = list(OPTIMIZERS[VARIED].hparam("lr").grid())
    i = min(range(len(grid)), key=lambda j: abs(grid[j] - current))
    near = [g for g in grid[max(0, i - count): i + count + 1] if g != grid[i]]
    return near[:count]


def class_links(n: int) -> list[str]:
    """Two thirds the teacher's link, one third the same with another learning rate (four variants)."""
    base = teacher_query()
    variants = lr_options(float(base[VARIED_LR]), 4)
    links = []
    for i in range(n):
        q = dict(base)
        if i % 3 == 2:
            q[VARIED_LR] = f"{variants[(i // 3) % len(variants)]:g}"
        links.append(urlencode(q))
    return links


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


@dataclass
class Phase:
    results: list[RunResult] = field(default_factory=list)
    applied: int = 0  # widget changes that reached the view (the new value is in the page's URL)
    cpu: float = 0.0

    @property
    def finished(self) -> int:
        return sum(r.status == "finished" for r in self.results)

    @property
    def exceptions(self) -> int:
        return sum(len(r.exceptions) for r in self.results) + sum(r.status != "finished" for r in self.results)

    def times(self) -> list[float]:
        return [r.seconds for r in self.results if r.status == "finished"]

    def median(self) -> float:
        return statistics.median(self.times()) if self.times() else float("nan")

    def p95(self) -> float:
        return pct(self.times(), 0.95)

    def bytes_each(self) -> float:
        return statistics.mean(r.bytes for r in self.results) if self.results else 0.0


@dataclass
class Round:
    n: int
    spread: float
    rss_idle: int
    rss_loaded: int
    rss_changed: int
    first: Phase
    change: Phase

    def per_session_mb(self) -> float:
        return (self.rss_changed - self.rss_idle) / self.n / MB


async def _first_load(base: str, links: list[str], spread: float = 0.0) -> tuple[list[Session], Phase]:
    """Every tab connects, then asks for its first run: all at the same instant (spread 0), or one
    after the other, evenly over `spread` seconds. Each run is timed from its request to its finished script."""
    sessions = await asyncio.gather(*(Session.open(base, link, open_timeout=TIMEOUT) for link in links))

    async def first_run(i: int, s: Session) -> RunResult:
        await asyncio.sleep(spread * i / max(1, len(sessions) - 1))
        return await s.rerun(timeout=TIMEOUT)

    results = await asyncio.gather(*(first_run(i, s) for i, s in enumerate(sessions)))
    return list(sessions), Phase(list(results))


async def _widget_change(sessions: list[Session]) -> Phase:
    key = VARIED_LR
    # Each student first opens the run's editor (not timed): its slider is drawn only then.
    await asyncio.gather(*(s.open_expander(VARIED_EDITOR, timeout=TIMEOUT) for s in sessions))
    usable = [s for s in sessions if key in s.widgets]
    if not usable:
        print(f"  (no widget '{key}' in the page: widget changes skipped)")
        return Phase()
    def lr_shown(s: Session) -> float:
        return parse_query(parse_qs(s.shown_query or s.query_string)).hparams[VARIED]["lr"]

    choices = lr_options(lr_shown(usable[0]), 4)
    wanted, requests = [], []
    for i, s in enumerate(usable):
        # Every session really changes its value (a student on a variant link may already be at a choice).
        value = next(c for k in range(len(choices)) if (c := choices[(i + k) % len(choices)]) != lr_shown(s))
        wanted.append(value)
        requests.append(s.rerun(widgets=[s.widget_value(key, f"{value:g}")], timeout=TIMEOUT))
    results = await asyncio.gather(*requests)
    applied = sum(math.isclose(lr_shown(s), value, rel_tol=1e-12) for s, value in zip(usable, wanted, strict=True))
    return Phase(list(results), applied)


async def _class_round(server, n: int, spread: float = 0.0, *, change: bool = True) -> Round:
    """`server`: one Streamlit process (streamlit_server) or replicas behind nginx (proxy_server); CPU and
    RSS are summed over its Streamlit processes."""
    pids = server.pids()

    def rss() -> int:
        return sum(map(rss_bytes, pids))

    def cpu() -> float:
        return sum(map(cpu_seconds, pids))

    rss_idle = rss()
    cpu0 = cpu()
    sessions, first = await _first_load(server.base, class_links(n), spread)
    first.cpu = cpu() - cpu0
    rss_loaded = rss()
    cpu0 = cpu()
    changed = await _widget_change(sessions) if change else Phase()
    changed.cpu = cpu() - cpu0
    rss_changed = rss()
    await asyncio.gather(*(s.close() for s in sessions))
    return Round(n, spread, rss_idle, rss_loaded, rss_changed, first, changed)


async def _new_vs_rerun(base: str, rounds: int, link: str | None = None, key: str = VARIED_LR) -> dict:
    """New sessions of an already-computed link, reruns of the same view in an open session, and reruns after
    the select slider `key` moved one notch further each time (so optviz computes a run it had not), alternating."""
    link = urlencode(teacher_query()) if link is None else link
    keeper, warm = await open_and_run(base, link, timeout=TIMEOUT)  # computes the view: now it is cached
    assert warm.ok, warm
    await keeper.rerun(timeout=TIMEOUT)  # the keeper now holds every cacheable message, as a browser tab does
    await keeper.open_expander(VARIED_EDITOR, timeout=TIMEOUT)  # the slider's editor, open as a person opens it
    widget = keeper.widgets[key].proto
    options = list(widget.options)  # st.select_slider's, as formatted; the current one at index default[0]
    new, rerun, change = [], [], []
    for i in range(rounds):
        s, r = await open_and_run(base, link, timeout=TIMEOUT)
        await s.close()
        new.append(r)
        rerun.append(await keeper.rerun(timeout=TIMEOUT))
        value = options[(int(widget.default[0]) + 1 + i) % len(options)]
        change.append(await keeper.rerun(widgets=[keeper.widget_value(key, value)], timeout=TIMEOUT))
    await keeper.close()
    bad = [r for r in new + rerun + change if not r.ok]
    t_new = statistics.median(r.seconds for r in new)
    t_rerun = statistics.median(r.seconds for r in rerun)
    return {"rounds": rounds, "new_s": t_new, "rerun_s": t_rerun, "ratio": t_new / t_rerun,
            "change_s": statistics.median(r.seconds for r in change),
            "new_bytes": statistics.median(r.bytes for r in new),
            "rerun_bytes": statistics.median(r.bytes for r in rerun),
            "failed": len(bad)}


async def _memory_per_session(server, count: int) -> dict:
    link = urlencode(teacher_query())
    pid = server.proc.pid
    first, r = await open_and_run(server.base, link, timeout=TIMEOUT)
    assert r.ok, r
    await asyncio.sleep(0.5)
    before = rss_bytes(pid)
    sessions = [first]
    for _ in range(count):
        s, r = await open_and_run(server.base, link, timeout=TIMEOUT)
        assert r.ok, r
        sessions.append(s)
    await asyncio.sleep(0.5)
    after = rss_bytes(pid)
    await asyncio.gather(*(s.close() for s in sessions))
    await asyncio.sleep(1.0)
    closed = rss_bytes(pid)
    return {"count": count, "before": before, "after": after, "closed": closed,
            "per_session_mb": (after - before) / count / MB}


def _fmt_s(v: float) -> str:
    return f"{v:.2f}"


def report(rounds: list[Round], side: dict | None, memory: dict | None) -> str:
    lines = []
    base = rounds[0].first.median() if rounds else float("nan")
    lines += [
        "| sessions | arriving | finished (load + change) | exceptions | first load median / p95 (s) | "
        "growth of the median | widget change median / p95 (s) | changes applied | "
        "bytes per session (first load / change) | server CPU per session, first load / change (s) | "
        "server RSS idle → loaded → after changes (MB) | RSS growth ÷ sessions (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rounds:
        f, c = r.first, r.change
        arriving = "at once" if not r.spread else f"over {r.spread:g} s"
        growth = f"{f.median() / base:.1f}×" if not r.spread else "–"
        lines.append(
            f"| {r.n} | {arriving} | {f.finished}/{r.n} + {c.finished}/{len(c.results)} | "
            f"{f.exceptions + c.exceptions} | {_fmt_s(f.median())} / {_fmt_s(f.p95())} | {growth} | "
            f"{_fmt_s(c.median())} / {_fmt_s(c.p95())} | {c.applied}/{len(c.results)} | "
            f"{f.bytes_each() / 1e6:.2f} MB / {c.bytes_each() / 1e3:.0f} KB | "
            f"{f.cpu / r.n:.2f} / {c.cpu / max(1, len(c.results)):.2f} | "
            f"{r.rss_idle / MB:.0f} → {r.rss_loaded / MB:.0f} → {r.rss_changed / MB:.0f} | {r.per_session_mb():.1f} |"
        )
    if side:
        lines += [
            "",
            f"New session of an already-computed link vs a rerun of the same view in an open session "
            f"(which tells the server the messages it holds), alternating, median of {side['rounds']} each:",
            "",
            "| new session | rerun in an open session | new / rerun | bytes: new session | bytes: rerun |",
            "|---|---|---|---|---|",
            f"| {side['new_s'] * 1e3:.0f} ms | {side['rerun_s'] * 1e3:.0f} ms | **{side['ratio']:.2f}×** "
            f"(aim ≤ 1.5: {'met' if side['ratio'] <= 1.5 else 'not met'}) | {side['new_bytes'] / 1e6:.2f} MB | "
            f"{side['rerun_bytes'] / 1e3:.0f} KB |",
        ]
        if side["failed"]:
            lines.append(f"\n**{side['failed']} of these runs failed or showed an exception.**")
    if memory:
        lines += [
            "",
            f"Memory per session: {memory['count']} more sessions of a computed link, kept open: server RSS "
            f"{memory['before'] / MB:.0f} → {memory['after'] / MB:.0f} MB, **{memory['per_session_mb']:.2f} MB per "
            f"session**; {memory['closed'] / MB:.0f} MB a second after they closed (Streamlit keeps a closed "
            f"session's state for server.disconnectedSessionTTL in case the tab reconnects).",
        ]
    return "\n".join(lines)


def _progress(label: str, r: Round, log: str) -> None:
    when = "at once" if not r.spread else f"over {r.spread:g} s"
    print(f"  {label}{r.n:3d} sessions {when}: first load median {r.first.median():.2f} s, p95 {r.first.p95():.2f} s, "
          f"exceptions {r.first.exceptions + r.change.exceptions}; change median {r.change.median():.2f} s; "
          f"RSS {r.rss_idle / MB:.0f} → {r.rss_changed / MB:.0f} MB", flush=True)
    for res in r.first.results + r.change.results:
        for e in res.exceptions[:1]:
            print("    exception:", e)
    if "Traceback" in log:
        print("    the server logged a traceback:\n" + log[-3000:])


@dataclass
class ReplicaRow:
    app: str  # "trivial app" or "optviz"
    replicas: int
    round: Round
    per_replica: list[int]  # websocket sessions each replica served (nginx's access log); one process: [n]


def _sessions_per_replica(server) -> list[int]:
    log = getattr(server, "run_dir", None)
    if log is None:
        return []
    counts: dict[str, int] = {}
    for line in (log / "access.log").read_text().splitlines():
        if "/_stcore/stream " in line and " 101 " in line:
            upstream = line.rsplit("upstream=", 1)[1].split()[0]
            counts[upstream] = counts.get(upstream, 0) + 1
    return sorted(counts.values(), reverse=True)


@contextlib.contextmanager
def _served(replicas: int, app: Path | None = None):
    """One Streamlit process (`app`, default optviz), or optviz's replicas behind nginx (scripts/serve.py)."""
    if replicas == 1:
        with streamlit_server(app or ROOT / "app.py") as server:
            yield server
    else:
        with tempfile.TemporaryDirectory(prefix="optviz-load-") as tmp, proxy_server(replicas, Path(tmp)) as proxy:
            yield proxy


async def _replica_rounds(replicas: list[int], at_once: int, spread: tuple[int, float]) -> list[ReplicaRow]:
    """The class of the issue on the trivial app (one process), then on optviz with each number of replicas:
    `at_once` sessions at the same instant, then `spread[0]` arriving over `spread[1]` s; each on fresh servers."""
    rows = []
    with _served(1, TRIVIAL_APP) as server:
        r = await _class_round(server, at_once, change=False)
        _progress("trivial app, 1 process: ", r, server.log())
    rows.append(ReplicaRow("trivial app", 1, r, [at_once]))
    plan = [(k, at_once, 0.0) for k in replicas] + ([(k, *spread) for k in replicas] if spread[0] and spread[1] else [])
    for k, n, arrival in plan:
        with _served(k) as server:
            r = await _class_round(server, n, arrival)
            log = server.log()
            per = _sessions_per_replica(server) or [n]
        _progress(f"optviz, {k} replica{'s' if k > 1 else ''}: ", r, log)
        rows.append(ReplicaRow("optviz", k, r, per))
    return rows


def replica_report(rows: list[ReplicaRow], side: dict | None, trivial_side: dict | None) -> str:
    trivial = next((row.round for row in rows if row.app == "trivial app"), None)
    lines = [
        "| app | replicas | sessions | arriving | finished (load + change) | exceptions | "
        "first load median / p95 (s) | p95 ÷ the trivial app's | widget change median / p95 (s) | "
        "sessions per replica | server CPU per session, first load (s) | RSS of all replicas, idle → loaded (MB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        r, f, c = row.round, row.round.first, row.round.change
        arriving = "at once" if not r.spread else f"over {r.spread:g} s"
        vs = f"{f.p95() / trivial.first.p95():.2f}×" if trivial and not r.spread else "–"
        how = "1 process" if row.replicas == 1 else f"{row.replicas}, behind nginx"
        lines.append(
            f"| {row.app} | {how} | {r.n} | {arriving} | {f.finished}/{r.n} + {c.finished}/{len(c.results)} | "
            f"{f.exceptions + c.exceptions} | {_fmt_s(f.median())} / {_fmt_s(f.p95())} | {vs} | "
            f"{_fmt_s(c.median()) if c.results else '–'} / {_fmt_s(c.p95()) if c.results else '–'} | "
            f"{' + '.join(map(str, row.per_replica))} | {f.cpu / r.n:.2f} | "
            f"{r.rss_idle / MB:.0f} → {r.rss_loaded / MB:.0f} |")
    if side and trivial_side:
        lines += [
            "",
            f"One process each, alternating, median of {side['rounds']}: a new session of an already-computed link, "
            "a rerun of the same view in an open session, and a rerun after the slider moved one notch (optviz: "
            "Adam's learning rate, a run it had not computed; the trivial app: its one slider):",
            "",
            "| app | new session | rerun | rerun after a slider change |",
            "|---|---|---|---|",
            f"| optviz | {side['new_s'] * 1e3:.0f} ms | {side['rerun_s'] * 1e3:.0f} ms | "
            f"{side['change_s'] * 1e3:.0f} ms |",
            f"| trivial app | {trivial_side['new_s'] * 1e3:.0f} ms | {trivial_side['rerun_s'] * 1e3:.0f} ms | "
            f"{trivial_side['change_s'] * 1e3:.0f} ms |",
            f"| optviz ÷ trivial | **{side['new_s'] / trivial_side['new_s']:.2f}×** | "
            f"{side['rerun_s'] / trivial_side['rerun_s']:.2f}× | "
            f"**{side['change_s'] / trivial_side['change_s']:.2f}×** |",
        ]
        if trivial_side["failed"]:
            lines.append(f"\n**{trivial_side['failed']} of the trivial app's runs failed or showed an exception.**")
    return "\n".join(lines)


def record_figures(rows: list[ReplicaRow], side: dict | None, trivial_side: dict | None,
                   rounds: list[Round] = ()) -> None:
    """The budget's figures (benchmarks/budget.toml), each a ratio to what it is compared with in this run."""
    at_once = {row.replicas: row.round.first.p95() for row in rows if row.app == "optviz" and not row.round.spread}
    spread = {row.replicas: row.round.first.p95() for row in rows if row.app == "optviz" and row.round.spread}
    trivial = next((row.round.first.p95() for row in rows if row.app == "trivial app"), None)
    if trivial and 1 in at_once:
        record("load.at_once.p95.1_replica_vs_trivial", at_once[1] / trivial)
    if trivial and 2 in at_once:
        record("load.at_once.p95.2_replicas_vs_trivial", at_once[2] / trivial)
    if {1, 2} <= set(at_once):
        record("load.at_once.p95.2_replicas_vs_1_replica", at_once[2] / at_once[1])
    if {1, 2} <= set(spread):
        record("load.arriving.p95.2_replicas_vs_1_replica", spread[2] / spread[1])
    if 2 in spread:
        record("load.arriving.p95.2_replicas", spread[2])
    if side:
        record("load.new_session_vs_rerun", side["ratio"])
    if side and trivial_side:
        record("load.new_session_vs_trivial", side["new_s"] / trivial_side["new_s"])
        record("load.change_rerun_vs_trivial", side["change_s"] / trivial_side["change_s"])
    failed = sum(r.first.exceptions + r.change.exceptions for r in [*rounds, *(row.round for row in rows)])
    failed += sum(s["failed"] for s in (side, trivial_side) if s)
    if rows or side or rounds:
        record("load.failed_runs", failed)


async def main_async(sizes: list[int], side_rounds: int, memory_sessions: int, spread: tuple[int, float],
                     replicas: list[int] = (), replica_sessions: int = 45,
                     replica_spread: tuple[int, float] = (30, 15.0)) -> str:
    rounds = []
    plan = [(n, 0.0) for n in sizes] + ([spread] if spread[0] and spread[1] else [])
    for n, arrival in plan:
        with streamlit_server() as server:
            r = await _class_round(server, n, arrival)
            log = server.log()
        rounds.append(r)
        _progress("", r, log)
    side = memory = trivial_side = None
    with streamlit_server() as server:
        if side_rounds:
            side = await _new_vs_rerun(server.base, side_rounds)
        if memory_sessions:
            memory = await _memory_per_session(server, memory_sessions)
    if side_rounds and replicas:
        with streamlit_server(TRIVIAL_APP) as server:
            trivial_side = await _new_vs_rerun(server.base, side_rounds, link="", key=TRIVIAL_KEY)
    rows = await _replica_rounds(list(replicas), replica_sessions, replica_spread) if replicas else []
    record_figures(rows, side, trivial_side, rounds)
    out = report(rounds, side, memory) if rounds or memory else ""
    if rows:
        out += ("\n\n" if out else "") + REPLICAS_HEADING + "\n\n" + replica_report(rows, side, trivial_side)
    return out


REPLICAS_HEADING = "### One replica per core: 1 and 2 replicas, against the trivial app on one process"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="5,15,30,60", help="comma-separated numbers of simultaneous sessions")
    parser.add_argument("--side-rounds", type=int, default=12, help="rounds of new session vs rerun (0: skip)")
    parser.add_argument("--memory-sessions", type=int, default=30, help="sessions for memory per session (0: skip)")
    parser.add_argument("--spread-sessions", type=int, default=30, help="then this many sessions arriving ...")
    parser.add_argument("--spread", type=float, default=15.0, help="... evenly over this many seconds (0: skip)")
    parser.add_argument("--replicas", default="1,2", help="then optviz on these numbers of replicas, more than one "
                        "behind nginx (scripts/serve.py), against the trivial app on one process ('' skips)")
    parser.add_argument("--replica-sessions", type=int, default=45, help="sessions at once against the replicas")
    parser.add_argument("--replica-spread-sessions", type=int, default=30, help="then this many arriving ...")
    parser.add_argument("--replica-spread", type=float, default=15.0, help="... over this many seconds (0: skip)")
    parser.add_argument("--markdown", type=Path, help="also write the tables to this file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sessions.split(",") if s.strip()]
    replicas = [int(s) for s in args.replicas.split(",") if s.strip()]
    print(f"load test: fresh servers, sessions at once: {sizes}; then {args.spread_sessions} over {args.spread:g} s; "
          f"replicas {replicas}: {args.replica_sessions} at once, {args.replica_spread_sessions} over "
          f"{args.replica_spread:g} s", flush=True)
    spread = (args.spread_sessions, args.spread)
    table = asyncio.run(main_async(sizes, args.side_rounds, args.memory_sessions, spread, replicas,
                                   args.replica_sessions, (args.replica_spread_sessions, args.replica_spread)))
    print()
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
