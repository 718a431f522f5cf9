"""benchmarks/report.py and http_bench's BENCHMARKS.md writer, on synthetic results (no benchmark runs).

The benchmark scripts are stdlib-only programs outside the package; these tests load them by path.
"""

from __future__ import annotations

import importlib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("report")


@pytest.fixture
def http_bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    return importlib.import_module("http_bench")


VALUES: dict[str, dict[str, float | str | None]] = {
    "crlf": {"hello": 60000.0, "pipelined": 50000.0},
    "uvicorn-httptools": {"hello": 40000.0, "pipelined": 25000.0},
    "granian": {"hello": 48000.0, "pipelined": "FAIL"},
    "http.server": {"hello": None, "pipelined": None},
}


def test_ratio_table_divides_crlf_by_each_peer(report: ModuleType) -> None:
    table = report.ratio_table(VALUES, list(VALUES), ["hello", "pipelined"], "crlf")
    lines = table.splitlines()
    assert lines[0] == "| req/s | hello | pipelined |"
    assert "| **crlf** | **60,000** | **50,000** |" in lines
    assert "| uvicorn-httptools | 40,000 (1.50x) | 25,000 (2.00x) |" in lines
    assert "| granian | 48,000 (1.25x) | FAIL |" in lines
    assert "| http.server | - | - |" in lines


def test_ratio_table_for_times_inverts(report: ModuleType) -> None:
    values = {"crlf": {"p99": 2.0}, "peer": {"p99": 3.0}}
    table = report.ratio_table(values, ["crlf", "peer"], ["p99"], "crlf", "ms", False)
    assert "| peer | 3.00 (1.50x) |" in table


def test_update_section_replaces_only_its_own(report: ModuleType, tmp_path: Path) -> None:
    md = tmp_path / "BENCHMARKS.md"
    report.update_section("one", "first", md)
    report.update_section("two", "second", md)
    report.update_section("one", "first again", md)
    text = md.read_text()
    assert text.startswith("# crlf benchmarks")
    assert text.count("<!-- bench:one:begin -->") == 1
    assert "first again" in text
    assert "first\n" not in text.replace("first again", "")
    assert text.index("bench:one:begin") < text.index("bench:two:begin")


def test_svg_is_well_formed_and_highlights_crlf(report: ModuleType) -> None:
    svg = report.svg_bars(VALUES, list(VALUES), ["hello", "pipelined"], "Servers <test>")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    # hello: 3 servers with numbers; pipelined: 2 (granian FAILed, http.server absent)
    assert len(bars) == 5
    crlf_bars = [r for r in bars if r.get("fill") == report.CRLF_COLOR]
    assert len(crlf_bars) == 2
    assert "Servers &lt;test&gt;" in svg


def test_command_line_is_relative_to_the_project(report: ModuleType) -> None:
    line = report.command_line([str(BENCH / "http_bench.py"), "--servers", "crlf,nginx"])
    assert line == "python3 benchmarks/http_bench.py --servers crlf,nginx"


def test_http_bench_writes_tables_and_charts(http_bench: ModuleType, tmp_path: Path) -> None:
    def cell(rps: float) -> dict[str, object]:
        return {"runs": [], "summary": {"rps": rps}}

    results = {
        "crlf": {"hello": cell(60000.0)},
        "uvicorn-h11": {"hello": cell(10000.0)},
        "crlf-files": {"static-1k": cell(30000.0)},
        "nginx": {"hello": cell(130000.0), "static-1k": cell(60000.0)},
    }
    meta = {
        "date": "2026-11-26T16:00:00+00:00",
        "cpu_model": "test cpu",
        "nproc": 2,
        "kernel": "6.x",
        "python": "3.11.7",
        "wrk": "wrk 4.1.0",
        "runs": 1,
        "duration_s": 2,
        "argv": [str(BENCH / "http_bench.py"), "-d", "2"],
    }
    json_path = tmp_path / "results" / "http_bench.json"
    json_path.parent.mkdir()
    md = tmp_path / "BENCHMARKS.md"
    http_bench.write_benchmarks_md(
        results, list(results), ["hello", "static-1k"], meta, json_path, md
    )
    text = md.read_text()
    assert "Command: `python3 benchmarks/http_bench.py -d 2`" in text
    assert "| uvicorn-h11 | 10,000 (6.00x) |" in text
    assert "| nginx | 60,000 (0.50x) |" in text  # static: ratio against crlf-files
    assert (json_path.parent / "http_bench-servers.svg").is_file()
    assert (json_path.parent / "http_bench-static.svg").is_file()
    assert "](results/http_bench-static.svg)" in text


def test_http_bench_spread_pairs_runs_of_one_pass(http_bench: ModuleType) -> None:
    # The spread behind a ratio pairs crlf's run with the peer's run of the same pass, skips
    # failed runs, and leaves a cell with fewer than two pairs out ("-").
    def runs(*rps: float | None) -> dict[str, object]:
        return {
            "runs": [
                {"run": n, "rps": r} if r is not None else {"run": n, "error": "boom"}
                for n, r in enumerate(rps, 1)
            ]
        }

    results = {
        "crlf": {"hello": runs(60.0, 50.0, 70.0), "pipelined": runs(90.0)},
        "granian": {"hello": runs(50.0, 50.0, None), "pipelined": runs(45.0)},
    }
    table = http_bench.per_run_ratios(results, ["crlf", "granian"], ["hello", "pipelined"], "crlf")
    assert "| granian | 1.00-1.20x | - |" in table
    assert http_bench.per_run_ratios(results, ["crlf", "granian"], ["pipelined"], "crlf") == ""
