"""Thirty students answer one class board at the same instant through the real app: `scripts/serve.py`
(what `make serve` runs) with two replicas behind nginx, both sharing one SQLite file (OPTVIZ_BOARD_DB).
Each student is a browser tab of its own (its own nginx cookie, so the class spreads over both
replicas) that opens the board's link, sees the question, picks a choice in the page's answer form
and submits it. Every run must finish without an exception, the board's counts must equal the
answers sent (each counted once, none lost) and both replicas must have served students.

A hostile tab in the same class sends choices that are not among the form's options (Streamlit puts
such a radio back to no choice, so the form asks again), answers again once counted, and opens a board
code that does not exist: it shows no traceback and adds nothing but its one valid answer.

It starts servers, so it is marked like tests/install/test_proxy.py (run alone, under the shared lock).
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections import Counter
from urllib.parse import urlencode

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.ws_client import Session, proxy_server
from optviz.analysis import goals
from optviz.app.share import default_state
from optviz.classroom import Limits, SqliteStore
from optviz.core.runs import labels
from scripts.serve import COOKIE, nginx_binary
from surfaces import SURFACES
from tests.install.test_proxy import access_log

STUDENTS = 30
SURFACE = "bowl"
ASK = "first"
PICK = "class_pick"  # the answer form's radio (optviz/app/classroom_ui.py, question_box)


class Tab(Session):
    """A browser tab that also keeps what the page said and where its answer form's submit button is."""

    submit_id: str | None = None
    # What the last run sent: markdown and alerts, widget keys. Streamlit leaves out of a rerun the
    # elements it would send unchanged, so these are what is new or changed since the run before.
    texts: list[str]
    drawn: set[str]

    def _read(self, fwd, result) -> bool:
        if fwd.WhichOneof("type") == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            kind = element.WhichOneof("type")
            if kind == "button" and element.button.is_form_submitter:
                self.submit_id = element.button.id
            elif kind in ("markdown", "alert"):
                self.texts.append(getattr(element, kind).body)
            if isinstance(getattr(getattr(element, kind), "id", None), str):
                self.drawn.add(getattr(element, kind).id.rsplit("-", 1)[-1])
        return super()._read(fwd, result)

    async def run(self, widgets=(), timeout: float = 60):
        self.texts, self.drawn = [], set()
        return await self.rerun(widgets=list(widgets), timeout=timeout)

    def options(self) -> list[str]:
        return list(self.widgets[PICK].proto.options)

    def submit(self, value: str) -> list[WidgetState]:
        """What a browser sends when the form is submitted with the radio on `value` (any string: a
        hostile client is not held to the options)."""
        return [WidgetState(id=self.widgets[PICK].id, string_value=value),
                WidgetState(id=self.submit_id, trigger_value=True)]


def said_prediction(tab: Tab) -> str | None:
    """The page's "Your prediction: ..." in the tab's last run (None: not sent in it)."""
    return next((t for t in tab.texts if t.startswith("Your prediction")), None)


def get_cookie(base: str) -> str:
    """A new browser's first page: the cookie nginx sets with it."""
    with urllib.request.urlopen(base + "/", timeout=30) as r:
        r.read()
        return r.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]


async def open_tab(base: str, cookie: str, link: str) -> tuple[Tab, object]:
    tab = await Tab.open(base, link, headers={"Cookie": f"{COOKIE}={cookie}"}, open_timeout=60)
    tab.texts = []
    return tab, await tab.run()


async def student(base: str, cookie: str, link: str, pick: int, go: asyncio.Barrier) -> dict:
    try:
        tab, first = await open_tab(base, cookie, link)
    finally:
        await go.wait()  # every student has the question (or failed to): all answer at the same instant
    try:
        asked = PICK in tab.drawn and tab.submit_id is not None
        if not asked:
            return {"first": first, "asked": False}
        option = tab.options()[pick]
        answered = await tab.run(tab.submit(option))
        said = option in (said_prediction(tab) or "")
        return {"first": first, "asked": True, "answered": answered, "said": said}
    finally:
        await tab.close()


async def hostile(base: str, cookie: str, link: str, unknown_link: str, go: asyncio.Barrier) -> dict:
    try:
        tab, first = await open_tab(base, cookie, link)
    finally:
        await go.wait()
    runs = [first]
    try:
        options = tab.options()
        for value in ("99", "-1", "not a number", "x" * 100_000):  # not one of the form's options
            runs.append(await tab.run(tab.submit(value)))
            if said_prediction(tab):  # the value was taken as an answer
                return {"runs": runs, "refused": False, "value": value}
        runs.append(await tab.run(tab.submit(options[1])))  # its one valid answer
        said = [said_prediction(tab)]
        for value in (options[0], options[2], "99"):  # and again, once counted
            runs.append(await tab.run(tab.submit(value)))
            said.append(said_prediction(tab))
        runs.append(await tab.run())
        said.append(said_prediction(tab))
    finally:
        await tab.close()
    other, unknown_run = await open_tab(base, cookie, unknown_link)
    try:
        runs.append(unknown_run)
        unknown_said = list(other.texts)
        if PICK in other.drawn and other.submit_id is not None:
            runs.append(await other.run(other.submit(other.options()[0])))
    finally:
        await other.close()
    return {"runs": runs, "refused": True, "said": said, "option": options[1], "unknown_said": unknown_said}


async def the_class(base: str, cookies: list[str], link: str, unknown_link: str, picks: list[int]):
    go = asyncio.Barrier(len(picks) + 1)
    *class_cookies, pest_cookie = cookies
    return await asyncio.gather(*(student(base, c, link, p, go) for c, p in zip(class_cookies, picks, strict=True)),
                                hostile(base, pest_cookie, link, unknown_link, go))


@pytest.mark.concurrency
@pytest.mark.timeout(180)
def test_thirty_students_answer_one_board_through_two_replicas(tmp_path):
    nginx_binary()  # a missing nginx fails here with what to run (scripts/ensure-nginx.sh)
    db = tmp_path / "boards.sqlite3"
    store = SqliteStore(db, Limits(answers=400))
    # The teacher's side, as make_exercise() does it: the board of the view's own question.
    state = default_state(SURFACE)
    names = labels(state.runs)
    question = goals.parse_question(ASK)
    choices = question.choices(SURFACES[SURFACE], names)
    code, secret = store.create_board(question.text(names), choices)
    other, other_secret = store.create_board("Another class's question?", ["yes", "no"])
    link = urlencode({"surface": SURFACE, "ask": ASK, "board": code})
    unknown = "".join(reversed(code)) if "".join(reversed(code)) not in (code, other) else code[1:] + code[0]
    unknown_link = urlencode({"surface": SURFACE, "ask": ASK, "board": unknown})
    picks = [i % len(choices) for i in range(STUDENTS)]

    with proxy_server(2, tmp_path / "run", env={"OPTVIZ_BOARD_DB": str(db)}) as served:
        cookies = [get_cookie(served.base) for _ in range(STUDENTS + 1)]
        started = time.perf_counter()
        *students, pest = asyncio.run(the_class(served.base, cookies, link, unknown_link, picks))
        seconds = time.perf_counter() - started
        time.sleep(0.5)  # nginx logs a websocket when it closes
        log = access_log(served.run_dir)
        replica_logs = {p.name: p.read_text(errors="replace") for p in served.run_dir.glob("replica-*.log")}

    # Every student saw the question, answered through the form, and every run finished cleanly.
    failed = [(i, s["first"].status, s["first"].exceptions) for i, s in enumerate(students) if not s["first"].ok]
    assert not failed, failed
    assert all(s["asked"] for s in students), [i for i, s in enumerate(students) if not s["asked"]]
    failed = [(i, s["answered"].status, s["answered"].exceptions) for i, s in enumerate(students)
              if not s["answered"].ok]
    assert not failed, failed
    assert all(s["said"] for s in students), [i for i, s in enumerate(students) if not s["said"]]

    # The hostile tab: no traceback, its bad choices refused (the form still asks), then one answer.
    assert pest["refused"], ("a choice out of the form's options was taken as an answer", pest)
    bad = [(r.status, r.exceptions) for r in pest["runs"] if not r.ok]
    assert not bad, bad
    # Its valid answer shown, and no other afterwards (a rerun leaves out the elements it would send unchanged).
    first, *later = pest["said"]
    assert first and pest["option"] in first, pest["said"]
    assert all(s in (None, first) for s in later), pest["said"]
    assert any(unknown in t and "unknown or has expired" in t for t in pest["unknown_said"]), pest["unknown_said"]

    # The board's counts are the answers sent, each once: the class's and the hostile tab's one valid answer.
    sent = Counter(picks) + Counter([1])
    counts = store.counts(code, secret)
    assert counts.total == STUDENTS + 1
    assert counts.per_choice == tuple(sent[i] for i in range(len(choices)))
    assert store.counts(other, other_secret).total == 0  # another board: untouched
    assert store.board(unknown) is None  # an unknown code made no board

    # Both replicas served students: nginx's access log names the replica of every websocket.
    streams = Counter(e["upstream"] for e in log if e["path"].endswith("/_stcore/stream") and e["status"] == "101")
    assert len(streams) == 2, streams
    assert sum(streams.values()) == STUDENTS + 2, streams  # each student's tab, the hostile tab's two
    for name, text in replica_logs.items():
        assert "Traceback" not in text, (name, text[-3000:])
    assert served.proc.returncode == 0, (served.run_dir / "serve.out").read_text()[-3000:]
    print(f"{STUDENTS} students and a hostile tab answered in {seconds:.1f} s; websockets per replica: "
          f"{dict(streams)}")

