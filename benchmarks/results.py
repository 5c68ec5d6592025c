"""`make bench`: runs every benchmark and writes benchmarks/RESULTS.md.

RESULTS.md records the machine (CPUs, memory, CPU model), the date, the versions, and every figure
each benchmark prints, verbatim: the core (bench_core.py), the app's script (bench_app.py), the
browser (bench_browser.py, where present) and the load test (load_test.py, whose tables are also
put in as Markdown). Every ratio in them is measured side by side in one run by the benchmark
itself. The benchmarks that start a server or a browser run under the shared lock
(/tmp/optviz-browser.lock, through `flock`) so that they do not measure each other; set
OPTVIZ_NO_LOCK=1 when the caller already holds it.

The benchmarks record their ratios (benchmarks/budget.py); at the end each is judged against its ceiling in
benchmarks/budget.toml: printed last, loudly, and put at the top of RESULTS.md. A figure over its ceiling
makes the run exit non-zero (after RESULTS.md is written).

Usage: .venv/bin/python benchmarks/results.py [--only core,app,browser,profile,load] [--out FILE]
       [--load-sessions 5,15,30,60] [--load-args "--replica-sessions 45 ..."]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks import budget  # noqa: E402

LOCK = "/tmp/optviz-browser.lock"
# Comparisons of a change's before and after (each side by side in one sitting), kept by hand and copied
# verbatim to the end of RESULTS.md: a run of the benchmarks measures only the code as it is.
BEFORE_AFTER = HERE / "BEFORE_AFTER.md"


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
        memory = f"{mem_kb / 2**20:.1f} GiB"
    except (OSError, StopIteration):
        memory = "unknown"
    versions = []
    for name in ("numpy", "plotly", "streamlit"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            pass
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return [
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; load average (1, 5, 15 min) at the "
        f"start: {load} (the machine is shared: a load above its CPUs slows every figure)",
        f"- machine: {os.cpu_count()} CPUs (nproc), {memory} memory, {model}; {platform.system()} "
        f"{platform.release()}",
        f"- Python {platform.python_version()}; {', '.join(versions)}",
    ]


def _command(script: str, *args: str, locked: bool) -> list[str]:
    cmd = [sys.executable, str(HERE / script), *args]
    if locked and not os.environ.get("OPTVIZ_NO_LOCK") and shutil.which("flock"):
        cmd = ["flock", LOCK, *cmd]
    return cmd


def run(title: str, cmd: list[str]) -> tuple[str, float, int]:
    """Runs one benchmark, echoing its output as it comes; returns (output, seconds, exit code)."""
    print(f"\n=== {title}: {' '.join(cmd[-3:])}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    code = proc.wait()
    return "".join(lines), time.perf_counter() - started, code


def _noise_free(output: str) -> str:
    """Drops Streamlit's bare-mode warnings (AppTest without a server), which are not figures."""
    skip = ("missing ScriptRunContext", "No runtime found", "to view a Streamlit app on a browser", "Warning: to view")
    return "\n".join(line for line in output.splitlines() if not any(s in line for s in skip)).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="core,app,analysis,export,browser,profile,load")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--load-sessions", default="5,15,30,60")
    parser.add_argument("--load-args", default="", help="more arguments for load_test.py, e.g. '--replicas 1,2'")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    header = machine()  # the date and the load when the run starts
    ceilings = budget.load_budget()  # a broken budget file fails before an hour of benchmarks, not after
    figures_file = Path(tempfile.mkdtemp(prefix="optviz-figures-")) / "figures.jsonl"
    os.environ[budget.FIGURES_ENV] = str(figures_file)  # the benchmarks inherit it and record their figures

    sections = []
    failed = []
    plan = [
        ("core", "Core: simulate() against the reference loop and torch.optim", "bench_core.py", (), False),
        ("app", "App: the script's rerun times and figure sizes (AppTest, no browser)", "bench_app.py", (), False),
        ("analysis", "Analysis tools: basin maps and learning-rate sensitivity", "bench_analysis.py", (), False),
        ("export", "Export: the standalone HTML against the live view's payload", "bench_export.py", (), False),
        ("browser", "Browser: headless Chromium, page settled, bytes, animation", "bench_browser.py", (), True),
        ("profile", "Rerun profile: the page's sections, the libraries under them, against the trivial app",
         "profile_rerun.py", ("--server",), True),
    ]
    for key, title, script, extra, locked in plan:
        if key not in wanted:
            continue
        if not (HERE / script).exists():
            sections.append(f"## {title}\n\nNot measured: benchmarks/{script} is not in this checkout.\n")
            continue
        output, seconds, code = run(title, _command(script, *extra, locked=locked))
        if code:
            failed.append(script)
        status = "" if code == 0 else f" **(exited with code {code})**"
        sections.append(f"## {title}\n\n`benchmarks/{script}`, {seconds:.0f} s{status}:\n\n```\n"
                        f"{_noise_free(output)}\n```\n")

    if "load" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            table_path = Path(tmp) / "load.md"
            output, seconds, code = run("Load test", _command("load_test.py", "--sessions", args.load_sessions,
                                                              *shlex.split(args.load_args), "--markdown",
                                                              str(table_path), locked=True))
            table = table_path.read_text() if table_path.exists() else "(no table: the load test failed)"
        if code:
            failed.append("load_test.py")
        progress = "\n".join(line for line in output.splitlines() if line.startswith("  "))
        sections.append(
            "## Load test: a class opening a link on one server\n\n"
            f"`benchmarks/load_test.py --sessions {args.load_sessions} {args.load_args}`, {seconds:.0f} s"
            f"{'' if code == 0 else f' **(exited with code {code})**'}. Each size on a fresh server; the sessions "
            "of a size ask for their first run at the same instant (two thirds on the teacher's link, one third on "
            "links that differ by Adam's learning rate), then all move Adam's learning-rate slider at once; the last "
            "row has the sessions arrive one after the other instead. Times "
            "are from the request to the finished script, measured by a websocket client on the same machine. "
            "'RSS growth ÷ sessions' includes the one-off imports and warm-up and the shared caches; the memory one "
            f"session keeps is the last line.\n\n{table}\n\nAs it ran:\n\n```\n{progress}\n```\n"
        )

    verdicts = budget.judge(budget.read_figures(figures_file), ceilings)
    shutil.rmtree(figures_file.parent, ignore_errors=True)
    over = [v for v in verdicts if v.over]
    end_load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    text = "\n".join([
        "# Benchmark results",
        "",
        "Written by `make bench` (benchmarks/results.py); rerun it to refresh. Figures move by ±30% between runs on",
        "a shared machine; ratios are measured side by side in one run, so they move less.",
        "",
        *header,
        "",
        "## Budget",
        "",
        "Each figure against its ceiling in `benchmarks/budget.toml` (over it: a regression; the aim is the target). "
        + (f"**{len(over)} over budget.**" if over else "None over budget."),
        "",
        budget.table(verdicts),
        "",
        *sections,
        f"Load average (1, 5, 15 min) at the end: {end_load}.",
        "",
        *([BEFORE_AFTER.read_text().replace("# ", "## ", 1)] if BEFORE_AFTER.exists() else []),
    ])
    args.out.write_text(text)
    print(f"\nwrote {args.out}")
    print("\n=== Budget (benchmarks/budget.toml): each figure against its ceiling\n" + budget.loud(verdicts))
    if over:
        print("\n" + "!" * 72 + f"\n!!! OVER BUDGET: {', '.join(v.name for v in over)}\n" + "!" * 72)
    if failed or over:
        sys.exit(f"failed: {', '.join(failed)}" if failed else f"{len(over)} figure(s) over budget")


if __name__ == "__main__":
    main()
