"""`make serve`: N Streamlit replicas of the app on loopback ports behind nginx, with sticky sessions.

A Streamlit session lives in one process: its widgets' state, its uploaded file and the files behind
its download buttons are in the replica that drew the page, which the page reaches over one websocket
(`/_stcore/stream`) and a few HTTP requests (uploads, media, host config). So every request of a
browser must reach the same replica. nginx gives each browser a cookie (its userid module) and hashes
that cookie to a replica (`hash ... consistent`); `ip_hash` would not do, since it cannot tell apart the
browsers behind one address (a school's NAT, or every client of a test on loopback).

    python scripts/serve.py [--replicas N] [--port 8501] [--address 0.0.0.0] [--run-dir DIR]

starts N replicas (default: one per core), waits until each answers on /_stcore/health, writes the
nginx config into the run dir (a temporary one unless --run-dir; its access.log names the replica
that served each request), checks it with `nginx -t`, runs nginx in the foreground and stops all of
them cleanly on Ctrl-C or SIGTERM, or as soon as one of them exits. nginx is Debian's package
(scripts/ensure-nginx.sh installs it); no system nginx service is needed or touched.

    python scripts/serve.py --print-config --upstream app1:8501 --upstream app2:8501 > deploy/nginx.conf

prints the same config for containers (logs to stdout/stderr, default paths), as docker compose uses it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "optviz_replica"
READY = "optviz: ready"  # the line the proxy test waits for


def nginx_binary() -> str:
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    found = os.environ.get("OPTVIZ_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(found, os.X_OK):
        sys.exit(f"nginx is not installed ({found}): run `bash scripts/ensure-nginx.sh` (Debian: apt-get install "
                 "nginx), or start one server without a proxy with `make run`.")
    return found


def nginx_config(upstreams: list[str], listen: str, run_dir: Path | None = None) -> str:
    """The proxy's whole nginx.conf. With `run_dir`, every file nginx writes (pid, logs, temp files) goes
    there, so it runs without touching /var or /run; without, it logs to stdout/stderr as in a container."""
    if not upstreams:
        raise ValueError("nginx needs at least one upstream replica")
    if run_dir is None:
        files = ["pid /tmp/nginx.pid;", "error_log stderr notice;"]
        temp, access = [], "access_log /dev/stdout optviz;"
    else:
        files = [f"pid {run_dir}/nginx.pid;", f"error_log {run_dir}/error.log notice;"]
        temp = [f"{kind}_temp_path {run_dir}/{kind}_temp;" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi")]
        access = f"access_log {run_dir}/access.log optviz;"
    servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=10s;" for u in upstreams)
    temp_lines = "".join(f"    {t}\n" for t in temp)
    return f"""# Written by scripts/serve.py. deploy/nginx.conf (docker compose) is its `--print-config
# --upstream app1:8501 --upstream app2:8501`: regenerate it, don't edit it (tests/install/test_deploy.py compares).
worker_processes 1;
{files[0]}
{files[1]}

events {{
    worker_connections 4096;  # an open tab holds two: its websocket, in and out
}}

http {{
{temp_lines}    default_type application/octet-stream;
    # Which replica served each request, and for which browser (its cookie, got or just set).
    log_format optviz '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                      'got="$uid_got" set="$uid_set" upstream=$upstream_addr time=$request_time';
    {access}

    # Sticky sessions: every browser gets a cookie from nginx on its first request, and all its
    # requests (the page, its websocket, uploads, media) go to the replica that cookie hashes to.
    userid on;
    userid_name {COOKIE};
    userid_path /;
    userid_flags httponly samesite=lax;
    map $uid_got $optviz_client {{
        ""      $uid_set;  # the first request: the cookie nginx sets on its answer
        default $uid_got;
    }}

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      "";  # plain requests keep the upstream connection alive
    }}

    upstream optviz {{
        # consistent: a replica added or gone moves only its own browsers.
        hash $optviz_client consistent;
{servers}
        keepalive 16;
    }}

    server {{
        listen {listen};
        # Streamlit leaves the compression of its static files (several MB per first visit) to the proxy;
        # it compresses the websocket's messages itself.
        gzip on;
        gzip_types text/css application/javascript text/javascript application/json image/svg+xml text/plain;
        gzip_min_length 1024;
        client_max_body_size 2m;  # uploads: the app refuses more than 1 MB itself

        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;

        # A tab's session: one websocket, open as long as the tab.
        location ~ /_stcore/stream$ {{
            proxy_pass http://optviz;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1d;
            proxy_send_timeout 1d;
            proxy_buffering off;
        }}

        # The page, Streamlit's and the app's static files, /_stcore/health and the rest.
        location / {{
            proxy_pass http://optviz;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_replicas() -> int:
    """One per core this process may run on (what `nproc` says)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path


def start_replica(i: int, port: int, run_dir: Path, env: dict) -> Child:
    log = run_dir / f"replica-{i}.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    return Child(f"replica {i} (127.0.0.1:{port})", proc, log)


def wait_healthy(url: str, child: Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with code {child.proc.returncode}:\n{tail(child.log)}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{child.name} did not answer on {url} within {timeout:g} s:\n{tail(child.log)}")
        time.sleep(0.2)


def tail(path: Path, chars: int = 3000) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-chars:]
    return ""


def stop(children: list[Child]) -> None:
    """nginx first (no new requests reach a replica that is going), then the replicas; each gets 10 s."""
    for child in children:
        if child.proc.poll() is None:
            child.proc.terminate()
    for child in children:
        try:
            child.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()


def check_config(nginx: str, conf: Path, run_dir: Path) -> None:
    out = subprocess.run([nginx, "-t", "-q", "-p", str(run_dir), "-e", str(run_dir / "error.log"), "-c", str(conf)],
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"nginx -t rejected {conf}:\n{out.stderr}{tail(run_dir / 'error.log')}")


def serve(replicas: int, address: str, port: int, run_dir: Path, health_timeout: float) -> int:
    nginx = nginx_binary()
    # nginx's workers drop root for `nobody` when started as root: they must reach their temp files here.
    run_dir.chmod(0o755)
    # One secret for all replicas: a cookie Streamlit signs (its XSRF token) stays valid should a browser
    # move to another replica, e.g. when its own one has stopped.
    env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
           or secrets.token_hex(32)}
    children: list[Child] = []

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    # Ctrl-C reaches every process of the terminal's group at once; SIGINT is set here too because a shell
    # that starts this in the background leaves it ignored.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    try:
        ports = [free_port() for _ in range(replicas)]
        for i, p in enumerate(ports, start=1):
            children.append(start_replica(i, p, run_dir, env))
        for child, p in zip(children, ports, strict=True):
            wait_healthy(f"http://127.0.0.1:{p}/_stcore/health", child, health_timeout)
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config([f"127.0.0.1:{p}" for p in ports], f"{address}:{port}", run_dir))
        check_config(nginx, conf, run_dir)
        with open(run_dir / "nginx.out", "w") as out:
            proxy = subprocess.Popen([nginx, "-p", str(run_dir), "-e", str(run_dir / "error.log"), "-c", str(conf),
                                      "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
        children.insert(0, Child(f"nginx ({address}:{port})", proxy, run_dir / "error.log"))
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", children[0], health_timeout)
        shown = "localhost" if address in ("0.0.0.0", "127.0.0.1") else address
        print(f"{READY}: http://{shown}:{port} through nginx, {replicas} replica(s) on 127.0.0.1:"
              f"{', '.join(map(str, ports))}; files in {run_dir}. Ctrl-C stops them all.", flush=True)
        while True:
            for child in children:
                if child.proc.poll() is not None:
                    print(f"{child.name} exited with code {child.proc.returncode}; stopping the others.\n"
                          f"{tail(child.log)}", file=sys.stderr, flush=True)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    except RuntimeError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        stop(children)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=default_replicas(), help="default: one per core (nproc)")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    parser.add_argument("--address", default="0.0.0.0", help="the proxy's address (default: every interface)")
    parser.add_argument("--run-dir", type=Path, help="where the config, logs and pid go (kept); default: a temp dir")
    parser.add_argument("--health-timeout", type=float, default=90, help="seconds for each replica to start")
    parser.add_argument("--print-config", action="store_true", help="print the container config and exit")
    parser.add_argument("--upstream", action="append", default=[], help="with --print-config: host:port, repeated")
    parser.add_argument("--listen", default="80", help="with --print-config: nginx's listen (default 80)")
    args = parser.parse_args()
    if args.print_config:
        print(nginx_config(args.upstream, args.listen), end="")
        return
    if args.replicas < 1:
        sys.exit(f"--replicas must be at least 1, got {args.replicas}")
    if args.run_dir:
        args.run_dir.mkdir(parents=True, exist_ok=True)
        sys.exit(serve(args.replicas, args.address, args.port, args.run_dir.resolve(), args.health_timeout))
    with tempfile.TemporaryDirectory(prefix="optviz-serve-") as tmp:
        code = serve(args.replicas, args.address, args.port, Path(tmp), args.health_timeout)
    sys.exit(code)


if __name__ == "__main__":
    main()
