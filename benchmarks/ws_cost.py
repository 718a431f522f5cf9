#!/usr/bin/env python3
"""Machine instructions per WebSocket echo in each server's process (callgrind, user space).

Each server of ws_bench.py runs the same echo app under ``valgrind --tool=callgrind``; a blocking
client (this process) opens one WebSocket and sends the workload's message N times, waiting for
each echo. Two runs, N = A and N = B: the difference of the server's instruction counts divided
by B - A is one echo (receive, unmask, the app's receive and send, frame, write), with startup
and shutdown cancelled out. Deterministic enough to compare servers on a machine whose wall
clock is too noisy, and blind to the kernel (each echo's recv, send and wakeups): ws_bench.py's
wall-clock figures include those, which is why a 1-connection echo there is bound by wakeup
latency more than by the server's own work.

    python3 benchmarks/ws_cost.py                         # every server, echo-1 and 1mib (~6 min)
    python3 benchmarks/ws_cost.py --servers crlf --workloads echo-1 --no-benchmarks-md

Needs valgrind and a python with crlf, uvicorn, websockets and wsproto (--python, as ws_bench.py).
Writes the "ws_cost" section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
from ws_bench import MASK, SERVERS, WORKLOADS, frame, upgrade_request  # noqa: E402

# Echoes per run (A, B) for each workload: enough for B - A to swamp run-to-run jitter.
COUNTS = {"echo-1": (100, 1100), "echo-16": (100, 1100), "1mib": (4, 24)}


def connect(port: int, proc: subprocess.Popen[bytes], timeout: float = 180.0) -> socket.socket:
    """Connect once the server (slow under valgrind) listens."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def instructions(python: str, name: str, workload: str, echoes: int, port: int) -> int:
    """The server's total instructions for a run of ``echoes`` echoes of ``workload``."""
    _, payload, opcode, _ = WORKLOADS[workload]
    request = frame(opcode, payload, MASK)
    reply = len(frame(opcode, payload, None))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = SERVERS[name].format(python=python, port=port, size=len(payload)).split()
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command],
            cwd=BENCH,
            env={**os.environ, "PYTHONPATH": str(BENCH), "PYTHONHASHSEED": "0"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            sock = connect(port, proc)
            sock.sendall(upgrade_request())
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(65536)
            if not head.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(head.decode("latin-1"))
            for _ in range(echoes):
                sock.sendall(request)
                got = 0
                while got < reply:
                    got += len(sock.recv(1 << 20))
            sock.close()
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        text = out.read_text()
    match = re.search(r"^summary: (\d+)", text, re.M) or re.search(r"^totals: (\d+)", text, re.M)
    if match is None:
        raise RuntimeError("no instruction count in callgrind's output")
    return int(match.group(1))


def command_line() -> str:
    """report.command_line, naming the interpreter when it is a venv's (the peers' one)."""
    line = report.command_line()
    if sys.prefix != sys.base_prefix and line.startswith("python3 "):
        line = sys.executable + line[len("python3") :]
    return line


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # The three servers; ws_bench's ceiling row is no WebSocket server (add it by name).
    p.add_argument("--servers", default=",".join(s for s in SERVERS if not s.startswith("ceiling")))
    p.add_argument("--workloads", default="echo-1,1mib")
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--port", type=int, default=8797)
    p.add_argument("--benchmarks-md", type=Path, default=report.BENCHMARKS_MD)
    p.add_argument("--no-benchmarks-md", action="store_true")
    args = p.parse_args()
    servers = args.servers.split(",")
    workloads = args.workloads.split(",")
    values: dict[str, dict[str, float]] = {}
    for workload in workloads:
        a, b = COUNTS[workload]
        for name in servers:
            low = instructions(args.python, name, workload, a, args.port)
            high = instructions(args.python, name, workload, b, args.port)
            per_echo = (high - low) / (b - a)
            values.setdefault(name, {})[workload] = per_echo
            print(f"{name} {workload}: {per_echo:,.0f} instructions per echo", flush=True)
    body = (
        "## WebSocket echo, instructions per echo (ws_cost.py)\n\n"
        f"Command: `{command_line()}`  \n"
        f"Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; callgrind, the server's"
        " process only (user space: no kernel, no wakeups); one echo = the run with more echoes"
        " minus the run with fewer, divided by the difference. Ratios: the peer's count over"
        " crlf's (above 1 = crlf does less work).\n\n"
        + report.ratio_table(
            values, servers, workloads, "crlf", unit="instructions", higher_is_better=False
        )
    )
    print(body)
    if not args.no_benchmarks_md:
        report.update_section("ws_cost", body, args.benchmarks_md)


if __name__ == "__main__":
    main()
