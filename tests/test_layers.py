"""The layer rules of docs/design.md, checked on the source itself (AST, no import side effects).

- protocol/, semantics/ and websocket/ are sans-I/O: they never import asyncio, socket, ssl, time or
  logging (style.md §1), so they run the same under any event loop, in a fuzzer, or in a thread.
- Imports point down only: cli -> server | client | files | wsclient -> websocket -> semantics ->
  protocol -> errors. server, client, files and wsclient are siblings that never import each other.
- crlf.testing may import anything but cli, and library code never imports crlf.testing.

import-linter (`lint-imports`, contract in pyproject.toml) checks the same layers on the import graph,
indirect chains included; this test names the offending line and also covers the stdlib ban.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "crlf"

SANS_IO = ("protocol", "semantics", "websocket")
FORBIDDEN_IN_SANS_IO = frozenset({"asyncio", "socket", "ssl", "time", "logging"})

# Rank of each layer: a module may import crlf modules of a strictly lower rank, or its own package.
RANK = {
    "errors": 0,
    "protocol": 1,
    "semantics": 2,
    "websocket": 3,
    "server": 4,
    "client": 4,
    "files": 4,
    "wsclient": 4,  # the asyncio WebSocket client module, beside client/ (websocket/ is sans-I/O)
    "cli": 5,
}


@dataclass(frozen=True, slots=True)
class Import:
    """One imported module name, absolute, with the line that imports it."""

    module: str
    line: int


def module_name(path: Path) -> str:
    """Dotted module name of a file under src/ (`crlf.server._http11`, `crlf.protocol`)."""
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[Import]:
    """Every module a file imports (see imports_in)."""
    return imports_in(path.read_bytes(), path)


def imports_in(source: str | bytes, path: Path) -> list[Import]:
    """Every module the source of the file at path imports, relative imports made absolute.

    For `from pkg import name` both `pkg` and `pkg.name` are listed: `name` may be a submodule.
    Imports anywhere count, under `if TYPE_CHECKING:` too (as for import-linter).
    """
    tree = ast.parse(source, filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append(Import(target, node.lineno))
            found.extend(Import(f"{target}.{alias.name}", node.lineno) for alias in node.names)
    return found


def layer_of(module: str) -> str | None:
    """The layer (`server`, `errors`...) of a crlf module name, None for the package root files."""
    parts = module.split(".")
    if parts[0] != "crlf" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in RANK else None


SOURCES = sorted(SRC.rglob("*.py"))
IDS = [str(p.relative_to(SRC)) for p in SOURCES]


def test_source_tree_is_found() -> None:
    assert (SRC / "errors.py").is_file()
    assert SOURCES


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_sans_io_layers_import_no_io(path: Path) -> None:
    layer = layer_of(module_name(path))
    if layer not in SANS_IO:
        return
    bad = [
        f"line {imp.line}: {imp.module}"
        for imp in imports_of(path)
        if imp.module.split(".")[0] in FORBIDDEN_IN_SANS_IO
    ]
    assert not bad, f"{path.relative_to(SRC)} is sans-I/O ({layer}/) but imports {bad}"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_imports_point_down(path: Path) -> None:
    me = module_name(path)
    my_layer = layer_of(me)
    bad: list[str] = []
    for imp in imports_of(path):
        if imp.module.split(".")[0] != "crlf":
            continue
        their_layer = layer_of(imp.module)
        if imp.module == "crlf.testing" or imp.module.startswith("crlf.testing."):
            if my_layer is not None or me == "crlf":
                bad.append(f"line {imp.line}: {imp.module} (library code never imports testing)")
            continue
        if me == "crlf.testing":
            if their_layer == "cli":
                bad.append(f"line {imp.line}: {imp.module} (testing may import anything but cli)")
            continue
        if my_layer is None or their_layer is None or their_layer == my_layer:
            continue  # the package root re-exports; a layer imports itself freely
        if RANK[their_layer] >= RANK[my_layer]:
            why = (
                "siblings never import each other" if RANK[their_layer] == RANK[my_layer] else "up"
            )
            bad.append(f"line {imp.line}: {imp.module} ({my_layer} -> {their_layer}: {why})")
    assert not bad, f"{path.relative_to(SRC)} breaks the layers: {bad}"


def test_layer_model_checks_itself() -> None:
    # The checker above relies on these facts of RANK; keep them true if layers change.
    assert RANK["server"] == RANK["client"] == RANK["files"] == RANK["wsclient"]
    assert RANK["errors"] < RANK["protocol"] < RANK["semantics"] < RANK["websocket"]
    assert RANK["websocket"] < RANK["server"] < RANK["cli"]


def test_relative_imports_are_resolved() -> None:
    # As if the file were crlf/server/_probe.py (it need not exist).
    source = "from ..protocol import Connection\nfrom . import _http11\nimport crlf.errors\n"
    found = imports_in(source, SRC / "server" / "_probe.py")
    assert [i.module for i in found] == [
        "crlf.protocol",
        "crlf.protocol.Connection",
        "crlf.server",
        "crlf.server._http11",
        "crlf.errors",
    ]
    init = imports_in("from .events import Data\n", SRC / "protocol" / "__init__.py")
    assert [i.module for i in init] == ["crlf.protocol.events", "crlf.protocol.events.Data"]


def test_violations_are_seen() -> None:
    source = "import asyncio\nfrom ..client import Client\n"
    found = {i.module for i in imports_in(source, SRC / "server" / "_probe.py")}
    assert "asyncio" in found
    assert layer_of("crlf.client.Client") == "client"
    assert RANK[layer_of("crlf.client") or ""] == RANK["server"]
