"""The docs hold: every relative link in README.md and docs/*.md reaches a file (and a heading, for
an `#anchor`), every ```python block runs, and the README's quick start names Makefile targets.

A block that cannot run here (it starts a server or needs a browser) is marked by the line
`<!-- not run: <why> -->` right before it; those are skipped, and counted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
NOT_RUN = re.compile(r"<!--\s*not run:[^>]*-->\s*$")
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
# [text](target) and ![alt](target); the target ends at whitespace or ")" (a title may follow).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
BLOCK_TIMEOUT = 60  # seconds for one block; the whole file runs in well under a minute
MAX_NOT_RUN = 0  # how many blocks may be marked "not run" today: raise it with a reason in the mark


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _prose(text: str) -> str:
    """The text outside fenced code blocks (links inside code are examples, not links)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())  # a link's text only
    text = text.replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _prose(path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path) -> list[str]:
    return LINK.findall(_prose(path.read_text(encoding="utf-8")))


def python_blocks(path: Path) -> list[tuple[int, str, bool]]:
    """(line, code, marked not run) of each ```python block."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) != "python":
            continue
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        out.append((text.count("\n", 0, m.start()) + 1, m.group(2), bool(NOT_RUN.search(before))))
    return out


def test_the_docs_are_found():
    names = {_rel(p) for p in DOCS}
    assert {"README.md", "docs/python.md", "docs/architecture.md", "docs/extending.md", "docs/math.md",
            "docs/deploying.md", "docs/benchmarks.md", "docs/app.md"} <= names


def test_the_slug_is_githubs():
    assert slug("Why a step moved: the step inspector") == "why-a-step-moved-the-step-inspector"
    assert slug("N processes on one machine: `make serve`") == "n-processes-on-one-machine-make-serve"
    assert slug("The engine: many starts, schedules, runs, mini-batches") == (
        "the-engine-many-starts-schedules-runs-mini-batches")
    assert slug('The step inspector: "Why did it move?"') == "the-step-inspector-why-did-it-move"


def test_every_relative_link_resolves():
    checked, broken = 0, []
    for doc in DOCS:
        for target in links(doc):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            dest = (doc.parent / unquote(file_part)).resolve() if file_part else doc
            checked += 1
            if not dest.exists():
                broken.append(f"{_rel(doc)}: {target} (no file {dest})")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{_rel(doc)}: {target} (no heading #{anchor} in {_rel(dest)})")
            elif anchor and dest.suffix != ".md":
                broken.append(f"{_rel(doc)}: {target} (an anchor into a file that is not Markdown)")
    assert checked > 40, checked  # the pictures and the cross-links are found at all
    assert not broken, "\n".join(broken)


def test_a_broken_link_and_a_broken_anchor_are_caught(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("# Title\n\n[ok](#title) [bad](#nothing) ![pic](missing.png)\n\n```md\n[code](nowhere.md)\n```\n")
    found = links(doc)
    assert found == ["#title", "#nothing", "missing.png"]  # not the link inside the code block
    assert anchors(doc) == {"title"}


BLOCKS = [(doc, line, code, skip) for doc in DOCS for line, code, skip in python_blocks(doc)]


def test_the_python_blocks_are_found_and_few_are_skipped():
    assert len(BLOCKS) >= 6, [(_rel(d), line) for d, line, _, _ in BLOCKS]
    skipped = [(_rel(d), line) for d, line, _, skip in BLOCKS if skip]
    assert len(skipped) <= MAX_NOT_RUN, f"blocks marked not run: {skipped}"


@pytest.mark.parametrize(("doc", "line", "code", "skip"), BLOCKS,
                         ids=[f"{_rel(d)}:{line}" for d, line, _, _ in BLOCKS])
def test_the_python_block_runs(doc, line, code, skip, tmp_path):
    if skip:
        pytest.skip("marked <!-- not run: ... --> in the doc")
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg", "OPTVIZ_STRICT_JSON": "1"}
    started = time.perf_counter()
    # In a scratch directory: a block that writes a file writes it there, not into the checkout.
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=BLOCK_TIMEOUT)
    assert proc.returncode == 0, (
        f"{_rel(doc)} line {line}: the ```python block failed after {time.perf_counter() - started:.1f} s\n"
        f"{proc.stderr[-3000:]}")


def test_a_failing_block_fails(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import optviz\noptviz.simulate('no-such-surface', 'adam')"],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=BLOCK_TIMEOUT)
    assert proc.returncode != 0 and "no-such-surface" in proc.stderr


def quick_start_commands() -> list[str]:
    """The commands of the README's first ```bash block (the quick start), comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(m.group(2) for m in FENCE.finditer(text) if m.group(1) == "bash")
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, re.M)}


def test_the_quick_start_runs_makefile_targets():
    commands = quick_start_commands()
    assert commands == ["make run", "make test"], commands  # the README promises these two
    targets = makefile_targets()
    phony = set(re.search(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split())
    for command in commands:
        words = command.split()
        assert words[0] == "make", command
        for word in words[1:]:
            if "=" not in word:  # make run PORT=8502: a variable, not a target
                assert word in targets and word in phony, f"{command}: no Makefile target {word!r}"


def test_the_readmes_other_make_commands_are_targets_too():
    """`make test E2E=0`, `make bench` and the like, wherever the README or the docs name them."""
    targets = makefile_targets()
    for doc in DOCS:
        for m in re.finditer(r"`make ([a-z][\w-]*)", doc.read_text(encoding="utf-8")):
            assert m.group(1) in targets, f"{_rel(doc)}: `make {m.group(1)}` is no Makefile target"


def test_the_link_check_reports_a_missing_file_and_heading(tmp_path, monkeypatch):
    doc = tmp_path / "x.md"
    doc.write_text("# Title\n\n" + "[ok](#title) " * 41 + "[bad](#nothing) ![pic](missing.png)\n")
    monkeypatch.setattr(sys.modules[__name__], "DOCS", [doc])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError) as failure:
        test_every_relative_link_resolves()
    assert "x.md: #nothing (no heading #nothing" in str(failure.value)
    assert "x.md: missing.png (no file" in str(failure.value)
