"""What crosses the network between a browser and a Streamlit server, counted two ways.

- `WireCounter`: a loopback TCP proxy. The browser connects to it instead of the server; it
  forwards every byte both ways and counts them. These are the bytes a network carries (HTTP
  headers and bodies as sent, websocket frames after permessage-deflate, framing included),
  minus TCP/IP headers. It also reads the server's websocket handshake answer, so a run can
  show whether permessage-deflate was negotiated and with which parameters.
- `forward_messages()` / `describe()`: the websocket's messages as the page receives them
  (Playwright's `framereceived` gives the payload after the browser has inflated it), decoded
  as Streamlit ForwardMsgs, so the bytes of a change can be put down to the element that sent
  them.

Used by benchmarks/bench_browser.py (the proxy). `breakdown()`, with `Deflater` for the deflated
sizes, lists the bytes of a list of received messages by element (what a change resends).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class WireCounter:
    """A TCP proxy from 127.0.0.1:<port> to `target` ("host", port), counting bytes per direction."""

    target: tuple[str, int]
    down: int = 0  # server -> browser
    up: int = 0  # browser -> server
    extensions: list[str] = field(default_factory=list)  # Sec-WebSocket-Extensions of each handshake
    port: int = 0

    def __post_init__(self):
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WireCounter:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.down, self.up

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
            server.close()

    async def _client(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer, "up"), self._pipe(up_reader, writer, "down"),
                             return_exceptions=True)

    async def _pipe(self, reader, writer, direction: str) -> None:
        head = b""
        try:
            while data := await reader.read(65536):
                with self._lock:
                    setattr(self, direction, getattr(self, direction) + len(data))
                if direction == "down" and len(head) < 4096:
                    head += data
                    if head.startswith(b"HTTP/1.1 101") and b"\r\n\r\n" in head:
                        match = re.search(rb"(?im)^sec-websocket-extensions:\s*(.*?)\r$", head.split(b"\r\n\r\n")[0])
                        self.extensions.append(match.group(1).decode() if match else "")
                        head = b"x" * 4096  # read once per connection
                    elif b"\r\n\r\n" in head:
                        head = b""  # a plain HTTP answer: the next one may be the upgrade
                writer.write(data)
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()


class Deflater:
    """The server's permessage-deflate, replayed: what each message of one websocket costs after
    compression. uvicorn's websockets-sansio server compresses with a 4 KB window
    (server_max_window_bits=12), memLevel 5, zlib's default level, keeping its context between
    messages; feed it every message of the connection, in order. An estimate (framing excluded),
    checked against the proxy's count: the deflated sizes of a change's messages sum to within a
    few percent of what `WireCounter` saw."""

    def __init__(self, window_bits: int = 12, mem_level: int = 5):
        self._z = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -window_bits, mem_level)

    def size(self, data: bytes) -> int:
        out = self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)
        return len(out) - 4  # permessage-deflate drops the sync flush's 00 00 ff ff


def forward_messages(payloads: list[bytes]) -> list[ForwardMsg]:
    out = []
    for data in payloads:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        out.append(msg)
    return out


def describe(msg: ForwardMsg) -> str:
    """A short name for what a ForwardMsg carries: the element type and its key or first words."""
    kind = msg.WhichOneof("type")
    if kind == "ref_hash":
        return "ref_hash (an element the page already holds)"
    if kind != "delta":
        return kind
    delta = msg.delta
    dkind = delta.WhichOneof("type")
    if dkind == "add_block":
        block = delta.add_block
        return f"block:{block.WhichOneof('type')} {block.id[-40:] if block.id else ''}".strip()
    if dkind != "new_element":
        return f"delta:{dkind}"
    element = delta.new_element
    etype = element.WhichOneof("type")
    proto = getattr(element, etype)
    label = ""
    if etype == "bidi_component":
        label = proto.id.rsplit("-", 1)[-1] if proto.id else proto.component_name
    elif hasattr(proto, "id") and isinstance(proto.id, str) and proto.id:
        label = proto.id.rsplit("-", 1)[-1]
    elif hasattr(proto, "body"):
        label = proto.body[:40].replace("\n", " ")
    return f"{etype} {label}".strip()


def breakdown(payloads: list[bytes], deflated: list[int] | None = None, top: int = 25) -> str:
    """Bytes per kind of message, largest first: as received (inflated) and, given each message's
    deflated size (`Deflater`), as sent."""
    sizes: Counter[str] = Counter()
    wire: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    deflated = deflated if deflated is not None else [0] * len(payloads)
    for data, packed, msg in zip(payloads, deflated, forward_messages(payloads), strict=True):
        group = re.sub(r"r\d+\.", "r#.", describe(msg))
        sizes[group] += len(data)
        wire[group] += packed
        counts[group] += 1
    lines = [f"  {len(payloads)} messages: {sum(sizes.values())} bytes inflated, {sum(wire.values())} deflated",
             f"  {'inflated':>9} {'deflated':>9} {'count':>5}  what"]
    for name, size in sizes.most_common(top):
        lines.append(f"  {size:>9} {wire[name]:>9} {counts[name]:>5}  {name}")
    return "\n".join(lines)
