#!/usr/bin/env python3
"""Machine instructions per request through crlf's server adapter (no sockets, no wrk).

HttpProtocol is fed the same request N times through a stand-in transport on a real event
loop; callgrind counts the instructions of a run with N=1 and one with N=1+R, and the difference
divided by R is the cost of one request: protocol, scope, application step, response, next
cycle. Deterministic (PYTHONHASHSEED=0), so it shows a change of a few hundred instructions on
a machine too noisy for wall-clock figures.

    python3 benchmarks/server_cost.py hello static-1k          # needs valgrind
    python3 benchmarks/server_cost.py --lines hello            # Python lines per function

Workloads: hello (bench_apps:hello), pipelined (16 hellos in one buffer, per request), form
(bench_apps:form, a 63-byte urlencoded body), static-1k (crlf.files.StaticFiles, a cached
1 KiB file: answered from memory), static-1k-asgi (the same app behind a one-line ASGI
function, which hides its crlf_prepared_response: the ASGI call, plus that one coroutine),
browser (bench_apps:hello asked by a browser's 692-byte head, two of them differing in the
path taken in turn, so that no head repeats the one before: a head parsed afresh each time).
"""

import argparse
import asyncio
import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

HELLO = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
FORM = (b"POST /form HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 63\r\n\r\n"
        b"name=Juan%20Garcia&request=Envieme%20uno%20de%20sus%20catalogos")
STATIC = b"GET /static/1k.bin HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
# parser.py's browser head: the one its c-browser-get input parses.
from parser import BROWSER_GET as BROWSER  # noqa: E402

WORKLOADS = ("hello", "pipelined", "form", "static-1k", "static-1k-asgi", "browser")


class Transport:
    """What HttpProtocol uses of an asyncio transport; counts writes."""

    def __init__(self):
        self.writes = 0

    def write(self, data):
        self.writes += 1

    def get_extra_info(self, key, default=None):
        return {"peername": ("127.0.0.1", 5555), "sockname": ("127.0.0.1", 8000)}.get(key, default)

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass

    def close(self):
        pass

    def is_closing(self):
        return False


def setup(workload, www):
    """(app, request bytes, requests per buffer, Config options) for a workload."""
    import bench_apps
    if workload.startswith("static"):
        from crlf.files import StaticFiles
        static = Path(www) / "static"
        static.mkdir(parents=True, exist_ok=True)
        (static / "1k.bin").write_bytes(bytes(range(256)) * 4)
        os.utime(static / "1k.bin", (1_600_000_000, 1_600_000_000))  # old enough to cache
        files = StaticFiles(www)
        if workload == "static-1k":
            return files, STATIC, 1, {}

        async def through_asgi(scope, receive, send):  # no crlf_prepared_response here
            await files(scope, receive, send)

        return through_asgi, STATIC, 1, {}
    app = bench_apps.form if workload == "form" else bench_apps.hello
    if workload == "browser":  # two heads in turn: neither repeats the one before
        return app, [BROWSER, BROWSER.replace(b"/Messages", b"/Session")], 1, {}
    data = {"hello": HELLO, "pipelined": HELLO * 16, "form": FORM}[workload]
    return app, data, 16 if workload == "pipelined" else 1, {}


def serve(workload, n, www, trace_lines=False):
    """Feed the workload's buffer n times to one connection."""
    from crlf.server._http11 import HttpProtocol
    from crlf.server._transport import ServerState
    from crlf.server.config import Config
    app, data, per, options = setup(workload, www)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    options.setdefault("access_log", False)
    state = ServerState(app, Config(**options), loop)
    proto = HttpProtocol(state)
    transport = Transport()
    proto.connection_made(transport)
    received = proto.data_received
    buffers = data if isinstance(data, list) else [data]
    for i in range(n):
        received(buffers[i % len(buffers)])
    counts = None
    if trace_lines:
        counts = collections.Counter()

        def tracer(frame, event, arg):
            if event == "line":
                counts[(Path(frame.f_code.co_filename).name, frame.f_code.co_name)] += 1
            return tracer

        sys.settrace(tracer)
        received(buffers[n % len(buffers)])
        sys.settrace(None)
    assert transport.writes == n + bool(trace_lines), transport.writes
    state.stop()
    if proto.timer:
        proto.timer.cancel()
    return per, counts


def instructions(workload, n, www):
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
           __file__, "--_run", workload, str(n), "--www", www]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "0"}, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    p.add_argument("--repeat", type=int, default=1000, help="R: buffers fed beyond the first")
    p.add_argument("--lines", action="store_true", help="Python lines per function instead")
    p.add_argument("--www", default=None)
    p.add_argument("--_run", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    www = args.www or tempfile.mkdtemp(prefix="crlf-server-cost-")
    if args._run:
        serve(args._run[0], int(args._run[1]), www)
        return
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}")
        if args.lines:
            per, counts = serve(w, 5, www, trace_lines=True)
            print(f"{w}: {sum(counts.values())} Python lines per buffer of {per} request(s)")
            for (name, func), k in counts.most_common(12):
                print(f"  {k:4d}  {name}:{func}")
            continue
        base = instructions(w, 1, www)
        more = instructions(w, 1 + args.repeat, www)
        per = setup(w, www)[2]
        print(f"{w:16s} {(more - base) / args.repeat / per:10,.0f} instructions per request")


if __name__ == "__main__":
    main()
