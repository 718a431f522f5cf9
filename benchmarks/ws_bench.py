#!/usr/bin/env python3
"""WebSocket echo benchmark: crlf vs uvicorn + websockets and uvicorn + wsproto.

Every server runs the same ASGI echo app (ws_echo_app.py, no dependencies) pinned to CPU 0 with
taskset; the load generator runs in this process pinned to CPU 1.  The load generator is cheap on
purpose, so that the server is the bottleneck: it speaks raw sockets, sends pre-masked frames
built once, and counts reply bytes instead of parsing them (the size of each echo is known).
No permessage-deflate is offered (every server would negotiate it; it measures zlib).

  echo-1      one connection, a 16-byte text message, round trips back to back
  echo-16     16 connections doing the same at once (asyncio, one process)
  1mib        one connection, a 1 MiB binary message echoed, back to back: MiB/s of echoed payload

The "ceiling (no WebSocket)" row is ws_ceiling.py: a uvloop protocol that answers every request
frame with a fixed reply frame without parsing or unmasking it. It is no server, but shows what
this machine allows: a 1-connection echo is bound by loopback latency and wakeups more than by
any server's work (ws_cost.py counts the servers' own instructions).

Each (server, workload) cell is measured --runs times for --duration seconds after a --warmup,
in passes over the whole matrix (every server once per pass, on a freshly started process), and
the median is reported.  A run during which other processes used more than --max-foreign % of a
core is re-run (up to --retries times) after waiting for a quiet machine.

    python3 benchmarks/ws_bench.py                     # ~5 min
    python3 benchmarks/ws_bench.py --servers crlf -d 1 --runs 1 --no-benchmarks-md   # smoke test

Results: benchmarks/results/ws_bench.json and a section of BENCHMARKS.md (report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
from noise import Window, wait_for_quiet  # noqa: E402

SERVERS = {
    # name: command template ({python}, {port}); cwd is benchmarks/ (ws_echo_app.py lives here)
    "crlf": "{python} -m crlf run ws_echo_app:app --port {port} --no-access-log --log-level warning",
    "uvicorn+websockets": "{python} -m uvicorn ws_echo_app:app --port {port} --ws websockets"
    " --no-access-log --log-level warning",
    "uvicorn+wsproto": "{python} -m uvicorn ws_echo_app:app --port {port} --ws wsproto"
    " --no-access-log --log-level warning",
    # Not a WebSocket server: what the machine allows (ws_ceiling.py), as nginx is http_bench's.
    "ceiling (no WebSocket)": "{python} ws_ceiling.py {port} {size}",
}
CEILING = "ceiling (no WebSocket)"
WORKLOADS = {
    # name: (connections, payload, opcode, unit)
    "echo-1": (1, b"0123456789abcdef", 0x1, "round trips/s"),
    "echo-16": (16, b"0123456789abcdef", 0x1, "round trips/s"),
    "1mib": (1, bytes(range(256)) * 4096, 0x2, "MiB/s"),
}
MASK = b"\x5a\xa5\x3c\xc3"


def frame(opcode: int, payload: bytes, mask: bytes | None) -> bytes:
    """One RFC 6455 frame (FIN set), masked when ``mask`` is given."""
    n = len(payload)
    b1 = 0x80 if mask else 0
    if n < 126:
        head = bytes((0x80 | opcode, b1 | n))
    elif n < 65536:
        head = bytes((0x80 | opcode, b1 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, b1 | 127)) + n.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    body = (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big") if n else b""
    return head + mask + body


def upgrade_request() -> bytes:
    """The opening handshake request (RFC 6455 §4.1), with a fresh key."""
    key = base64.b64encode(os.urandom(16))
    return (
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )


class EchoClient(asyncio.Protocol):
    """Sends ``request`` whenever the previous reply (``reply_size`` bytes) has come back."""

    def __init__(self, request: bytes, reply_size: int, ready: asyncio.Future[None]) -> None:
        self.request = request
        self.reply_size = reply_size
        self.ready = ready
        self.handshake = b""
        self.open = False
        self.pending = 0
        self.count = 0
        self.running = True
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(upgrade_request())

    def data_received(self, data: bytes) -> None:
        if not self.open:
            self.handshake += data
            if b"\r\n\r\n" not in self.handshake:
                return
            head, rest = self.handshake.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(head.decode("latin-1")))
                return
            self.open = True
            self.ready.set_result(None)
            data = rest
            self.send()
        self.pending -= len(data)
        while self.pending <= 0 and self.running:
            self.count += 1
            self.send()

    def send(self) -> None:
        assert self.transport is not None
        self.pending += self.reply_size
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed during the handshake"))
        self.running = False


async def measure(port: int, workload: str, seconds: float, warmup: float) -> float:
    """Run one workload for ``seconds`` (after ``warmup``); returns its rate."""
    conns, payload, opcode, unit = WORKLOADS[workload]
    request = frame(opcode, payload, MASK)
    reply_size = len(frame(opcode, payload, None))
    loop = asyncio.get_running_loop()
    clients: list[EchoClient] = []
    for _ in range(conns):
        ready = loop.create_future()
        _, client = await loop.create_connection(
            lambda ready=ready: EchoClient(request, reply_size, ready), "127.0.0.1", port
        )
        clients.append(client)
        await ready
    await asyncio.sleep(warmup)
    start_counts = sum(c.count for c in clients)
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    done = sum(c.count for c in clients) - start_counts
    elapsed = time.perf_counter() - t0
    for c in clients:
        c.running = False
        if c.transport is not None:
            c.transport.abort()
    rate = done / elapsed
    return rate * len(payload) / (1024 * 1024) if unit == "MiB/s" else rate


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start listening")


def start_server(name: str, python: str, port: int, size: int = 0) -> subprocess.Popen[bytes]:
    command = SERVERS[name].format(python=python, port=port, size=size).split()
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    env = {**os.environ, "PYTHONPATH": str(BENCH)}
    proc = subprocess.Popen(command, cwd=BENCH, env=env, stdout=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc


def run_once(args: argparse.Namespace, name: str, workload: str, port: int) -> tuple[float, float]:
    """One run of a cell on a freshly started server: (rate, % of a core others used)."""
    proc = start_server(name, args.python, port, len(WORKLOADS[workload][1]))
    try:
        for attempt in range(args.retries + 1):
            with Window({proc.pid}) as window:
                rate = asyncio.run(measure(port, workload, args.duration, args.warmup))
            if window.pct <= args.max_foreign or attempt == args.retries:
                break
            wait_for_quiet(args.max_foreign, args.quiet_wait, {proc.pid})
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return rate, window.pct


def per_pass(results: dict[str, dict[str, dict[str, object]]], workload: str, server: str, peers: list[str]) -> str:
    """``server``'s rate over each peer's, run by run (the runs of one pass paired): "peer r1, r2; ..."."""
    ours = results.get(server, {}).get(workload, {}).get("runs")
    out = []
    for peer in peers:
        theirs = results[peer].get(workload, {}).get("runs")
        if ours and theirs and len(ours) == len(theirs):
            out.append(f"{peer} " + ", ".join(f"{a / b:.2f}" for a, b in zip(ours, theirs)))
    return "; ".join(out)


def write_report(results: dict[str, dict[str, dict[str, object]]], meta: dict[str, object], md: Path | None) -> None:
    parts = [
        "## WebSocket echo (ws_bench.py)",
        "",
        f"Command: `{report.command_line(meta.get('argv'))}`  ",
        f"Date: {meta['date']}; server pinned to CPU 0, load generator to CPU 1; "
        f"{meta['duration']} s per run, median of {meta['runs']} passes over the matrix (every "
        "server once per pass); no permessage-deflate.",
        "",
    ]
    rows = [s for s in SERVERS if s in results]
    for workload, (conns, payload, _opcode, unit) in WORKLOADS.items():
        values = {s: {workload: results[s][workload]["median"]} for s in rows if workload in results[s]}
        if not values:
            continue
        parts.append(f"**{workload}**: {conns} connection(s), {len(payload):,}-byte messages\n")
        parts.append(report.ratio_table(values, rows, [workload], "crlf", unit=unit))
        # The spread behind each median ratio: crlf's run over the peer's run of the same pass.
        spread = per_pass(results, workload, "crlf", [p for p in rows if p != "crlf"])
        if spread:
            parts.append(f"Per pass, crlf's rate over the peer's: {spread}.\n")
        # What any server could show against each peer on this machine: the blind echo (which
        # parses and unmasks nothing) over the peer, pass by pass. A goal above it is out of
        # reach here whatever the server does.
        bound = per_pass(results, workload, CEILING, [p for p in rows if p not in ("crlf", CEILING)])
        if bound:
            parts.append(f"Per pass, the ceiling's rate over the peer's (the most a server can show"
                         f" here): {bound}.\n")
    if md is not None:
        report.update_section("ws_bench", "\n".join(parts), md)
    print("\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--servers", default=",".join(SERVERS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("-d", "--duration", type=float, default=5.0, help="seconds per run (5)")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before each run (1)")
    p.add_argument("--runs", type=int, default=3, help="runs per cell; the median is reported (3)")
    p.add_argument("--python", default=sys.executable, help="python with crlf, uvicorn, websockets, wsproto")
    p.add_argument("--port", type=int, default=21900)
    p.add_argument("--max-foreign", type=float, default=5.0, help="%% of a core others may use")
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--quiet-wait", type=float, default=60)
    p.add_argument("--json", type=Path, default=BENCH / "results" / "ws_bench.json")
    p.add_argument("--benchmarks-md", type=Path, default=report.BENCHMARKS_MD)
    p.add_argument("--no-benchmarks-md", dest="benchmarks_md", action="store_const", const=None)
    args = p.parse_args(argv)
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    results: dict[str, dict[str, dict[str, object]]] = {}
    cells = [(n, w) for n in args.servers.split(",") for w in args.workloads.split(",")]
    runs: dict[tuple[str, str], list[tuple[float, float]]] = {cell: [] for cell in cells}
    failed: dict[tuple[str, str], str] = {}
    port = args.port
    # Passes over the whole matrix, as http_bench does: each pass measures every server once,
    # so a machine that drifts over minutes moves all of a pass alike and the ratios hold
    # (one server's runs back to back, then the next's, let the drift fall between them).
    for run in range(args.runs):
        for name, workload in cells:
            if (name, workload) in failed:
                continue
            port += 1
            print(f"-- pass {run + 1}: {name} {workload}", file=sys.stderr, flush=True)
            try:
                runs[name, workload].append(run_once(args, name, workload, port))
            except Exception as exc:  # a server that fails is reported, the others still run
                print(f"   failed: {exc}", file=sys.stderr)
                failed[name, workload] = str(exc)
                continue
            print(f"   {runs[name, workload][-1][0]:,.1f}", file=sys.stderr, flush=True)
    for name, workload in cells:
        if (name, workload) in failed:
            results.setdefault(name, {})[workload] = {"median": "FAIL", "error": failed[name, workload]}
            continue
        rates = [rate for rate, _ in runs[name, workload]]
        results.setdefault(name, {})[workload] = {
            "median": statistics.median(rates),
            "runs": rates,
            "foreign_pct": [pct for _, pct in runs[name, workload]],
        }
    meta = {
        "argv": sys.argv if argv is None else [sys.argv[0], *argv],
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "duration": args.duration,
        "runs": args.runs,
        "python": platform.python_version(),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    write_report(results, meta, args.benchmarks_md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
