"""A small client for Streamlit's own websocket protocol, and a server to point it at.

It does what a browser tab does, minus the drawing: it connects to `/_stcore/stream` (subprotocol
"streamlit"), sends a BackMsg `rerun_script` carrying the link's query string (and, on later
reruns, the widget states that changed and the hashes of the cacheable messages it already holds,
as the browser's ForwardMsg cache does), and reads ForwardMsgs until `script_finished`. Each rerun
gives a `RunResult`: time to the finished script, bytes received, and every exception element the
script showed. Used by tests/app/test_concurrency.py and benchmarks/load_test.py.

Bytes are the ForwardMsgs' payload size as the client sees them after the websocket's
permessage-deflate (which .streamlit/config.toml turns on) has been undone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parent.parent
FINISHED_FOR_GOOD = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                     ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass
class Widget:
    """What the client learnt about one widget from the element that drew it."""

    id: str
    kind: str  # the element's oneof name: "slider" (st.select_slider too), "number_input", "radio", ...
    proto: object


@dataclass
class RunResult:
    seconds: float = 0.0
    bytes: int = 0
    messages: int = 0
    status: str = "timeout"  # "finished", "compile error", "closed" or "timeout"
    exceptions: list[str] = field(default_factory=list)
    query_string: str | None = None  # the last query string the server put in the page's URL

    @property
    def ok(self) -> bool:
        return self.status == "finished" and not self.exceptions


class Session:
    """One browser tab's connection. `rerun()` is one script run as the browser would ask for it."""

    def __init__(self, ws, query_string: str):
        self.ws = ws
        self.query_string = query_string
        self.widgets: dict[str, Widget] = {}  # by user key (the part after the last '-' of the id)
        self.expanders: dict[str, str] = {}  # a stateful expander's id, by user key
        self.cached_hashes: set[str] = set()
        self.shown_query: str | None = None  # the query string the server last put in the page's URL

    @classmethod
    async def open(cls, base: str, query: dict | str = "", *, open_timeout: float = 30,
                   headers: dict[str, str] | None = None) -> Session:
        """`headers`: sent with the websocket's upgrade request (e.g. the Cookie a proxy's stickiness reads)."""
        url = base.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        ws = await websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=open_timeout,
                                      additional_headers=headers)
        return cls(ws, query if isinstance(query, str) else urlencode(query))

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()

    async def rerun(self, *, widgets: list[WidgetState] = (), query_string: str | None = None,
                    use_cache: bool = True, timeout: float = 120, fragment_id: str = "") -> RunResult:
        """Ask for a script run and read until it has finished.

        `use_cache=True` sends the hashes of the cacheable messages received so far (as a browser
        does), so the server replaces those messages by short references. `fragment_id`: the run of
        that fragment alone, as the browser asks when a widget inside an `st.fragment` changes (it
        has finished when the fragment has, or when the whole script it asked for has)."""
        if query_string is not None:
            self.query_string = query_string
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query_string
        rerun.page_script_hash = ""
        rerun.widget_states.widgets.extend(widgets)
        rerun.fragment_id = fragment_id
        if use_cache:
            rerun.cached_message_hashes.extend(sorted(self.cached_hashes))
        result = RunResult()
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            async with asyncio.timeout(timeout):
                while True:
                    data = await self.ws.recv()
                    result.bytes += len(data)
                    result.messages += 1
                    fwd = ForwardMsg()
                    fwd.ParseFromString(data)
                    if self._read(fwd, result):
                        break
        except TimeoutError:
            result.status = "timeout"
        except websockets.ConnectionClosed:
            result.status = "closed"
        result.seconds = time.perf_counter() - started
        return result

    def _read(self, fwd: ForwardMsg, result: RunResult) -> bool:
        """Records one ForwardMsg; True once the script has finished."""
        kind = fwd.WhichOneof("type")
        if fwd.metadata.cacheable and fwd.hash:
            self.cached_hashes.add(fwd.hash)
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            element = fwd.delta.new_element
            etype = element.WhichOneof("type")
            if etype == "exception":
                result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
            else:
                proto = getattr(element, etype)
                widget_id = getattr(proto, "id", "") if hasattr(proto, "id") else ""
                if isinstance(widget_id, str) and widget_id.startswith("$$ID"):
                    self.widgets[widget_id.rsplit("-", 1)[-1]] = Widget(widget_id, etype, proto)
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "add_block" and fwd.delta.add_block.expandable.id:
            block_id = fwd.delta.add_block.expandable.id
            self.expanders[block_id.rsplit("-", 1)[-1]] = block_id
        elif kind == "page_info_changed":
            result.query_string = self.shown_query = fwd.page_info_changed.query_string
        elif kind == "session_event" and fwd.session_event.WhichOneof("type") == "script_compilation_exception":
            exc = fwd.session_event.script_compilation_exception
            result.exceptions.append(f"{exc.type}: {exc.message}")
        elif kind == "script_finished":
            if fwd.script_finished in FINISHED_FOR_GOOD:
                result.status = ("finished" if fwd.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                                                         ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
                                 else "compile error")
                return True
        return False

    async def open_expander(self, key: str, *, timeout: float = 120) -> RunResult | None:
        """Open the stateful expander with this key as a click on its title does (a rerun that draws
        what it holds: optviz's run editors draw their widgets only while open); None if the page has
        no such expander."""
        if key not in self.expanders:
            return None
        return await self.rerun(widgets=[WidgetState(id=self.expanders[key], bool_value=True)], timeout=timeout)

    def widget_value(self, key: str, value) -> WidgetState:
        """The WidgetState a browser sends when the widget with this key is set to `value`."""
        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        if widget.kind == "slider" and len(widget.proto.options):  # st.select_slider: by formatted option
            if str(value) not in widget.proto.options:
                raise ValueError(f"{value!r} is not an option of {key}: {list(widget.proto.options)}")
            state.string_array_value.data.extend([str(value)])
        elif widget.kind == "slider":
            state.double_array_value.data.extend([float(value)])
        elif widget.kind == "number_input":
            state.double_value = float(value)
        elif widget.kind in ("radio", "selectbox"):
            state.string_value = str(value)
        else:
            raise ValueError(f"the client does not know how to set a {widget.kind} ({key})")
        return state


async def open_and_run(base: str, query: dict | str, *, timeout: float = 120) -> tuple[Session, RunResult]:
    """A new tab opening a link: connect, first run. The connection time counts."""
    started = time.perf_counter()
    session = await Session.open(base, query, open_timeout=timeout)
    result = await session.rerun(timeout=timeout)
    result.seconds = time.perf_counter() - started
    return session, result


# --- the server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (Linux /proc)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def healthy(base: str) -> bool:
    """Whether Streamlit (or the proxy in front of it) answers "ok" on its health endpoint."""
    try:
        with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def wait_until_healthy(base: str, proc: subprocess.Popen, timeout: float, log: Callable[[], str],
                       what: str = "streamlit") -> None:
    """Returns once `base` is healthy; RuntimeError with the end of the server's log if `proc` exits
    first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while not healthy(base):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}:\n{log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer on {base}/_stcore/health within {timeout} s:\n{log()}")
        time.sleep(0.1)


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM, as Ctrl-C would; SIGKILL if it has not stopped within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    log_path: str

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def pids(self) -> list[int]:
        """The Streamlit processes that serve the sessions."""
        return [self.proc.pid]


@dataclass
class Proxy:
    """`scripts/serve.py`: replicas behind nginx. Its run dir holds nginx.conf, access.log and each replica's log."""

    base: str
    proc: subprocess.Popen
    run_dir: Path

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.run_dir.glob("replica-*.log")))

    def pids(self) -> list[int]:
        children = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*/children"):
            children += [int(c) for c in task.read_text().split()]
        return [c for c in children if b"streamlit" in Path(f"/proc/{c}/cmdline").read_bytes()]


@contextlib.contextmanager
def proxy_server(replicas: int, run_dir: Path, *, timeout: float = 120, env: dict | None = None) -> Iterator[Proxy]:
    """`make serve`'s script with `replicas` replicas, nginx on a free loopback port; waits until nginx answers on
    /_stcore/health (the script starts it once every replica does); stopped at the end by SIGTERM, as Ctrl-C.
    `env`: added to this environment, which the script passes on to every replica (OPTVIZ_BOARD_DB, say)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with open(run_dir / "serve.out", "w") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--replicas", str(replicas),
                                 "--port", str(port), "--address", "127.0.0.1", "--run-dir", str(run_dir)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    proxy = Proxy(f"http://127.0.0.1:{port}", proc, run_dir)
    try:
        wait_until_healthy(proxy.base, proc, timeout, lambda: (run_dir / "serve.out").read_text()[-3000:],
                           what="scripts/serve.py")
        yield proxy
    finally:
        stop(proc, timeout=40)


@contextlib.contextmanager
def streamlit_server(app: str | Path = ROOT / "app.py", *, timeout: float = 60, env: dict | None = None
                     ) -> Iterator[Server]:
    """`streamlit run app` on a free loopback port, headless; waits for /_stcore/health; stopped at the end.

    The server is a fresh process, so nothing is imported or cached when the first session arrives."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="optviz-server-", suffix=".log", delete=False)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    server = Server(f"http://127.0.0.1:{port}", proc, log.name)
    try:
        wait_until_healthy(server.base, proc, timeout, server.log)
        yield server
    finally:
        stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)
