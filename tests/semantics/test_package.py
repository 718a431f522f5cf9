"""The crlf.semantics package surface and its purity rules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import crlf.semantics

SRC = Path(crlf.semantics.__file__).parent
MODULES = sorted(path.stem for path in SRC.glob("*.py") if path.stem != "__init__")
FORBIDDEN = {"asyncio", "socket", "ssl", "time", "logging", "os", "mimetypes", "secrets", "random"}


def test_all_lists_every_reexported_name_once() -> None:
    names = crlf.semantics.__all__
    assert len(names) == len(set(names))
    exported = {
        name
        for name in vars(crlf.semantics)
        if not name.startswith("_") and name != "annotations" and name not in MODULES
    }
    assert set(names) == exported
    for module in MODULES:
        mod = importlib.import_module(f"crlf.semantics.{module}")
        for name in getattr(mod, "__all__", ()):
            assert hasattr(mod, name), f"{module}.__all__ lists missing {name}"


def test_no_io_clock_or_logging_imports() -> None:
    for path in SRC.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.partition(".")[0]}
            else:
                continue
            assert not roots & FORBIDDEN, f"{path.name} imports {roots & FORBIDDEN}"
