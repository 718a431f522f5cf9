"""The public API surface: `crlf.__all__` is the sorted list of names that really exist (HX, TR)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import crlf


def public_names() -> list[str]:
    """crlf.__all__ (read through vars() so this file type-checks before __init__ declares it)."""
    declared = vars(crlf).get("__all__")
    assert declared is not None, "crlf/__init__.py must declare __all__"
    assert isinstance(declared, list | tuple)
    assert all(isinstance(name, str) for name in declared)
    return list(declared)


def test_all_is_declared() -> None:
    assert public_names(), "crlf.__all__ is empty"


def test_all_is_sorted_and_unique() -> None:
    names = public_names()
    assert names == sorted(names), "keep crlf.__all__ sorted"
    assert len(names) == len(set(names)), "crlf.__all__ lists a name twice"


def test_every_name_in_all_resolves() -> None:
    missing = [name for name in public_names() if not hasattr(crlf, name)]
    assert not missing, f"crlf.__all__ names that crlf does not define: {missing}"


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from crlf import *", namespace)
    namespace.pop("__builtins__", None)
    assert sorted(namespace) == sorted(public_names())


def test_public_names_are_not_private() -> None:
    assert not [name for name in public_names() if name.startswith("_")]


def test_package_is_typed() -> None:
    # PEP 561: py.typed ships in the package so users' type checkers read crlf's annotations.
    spec = importlib.util.find_spec("crlf")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    locations = list(spec.submodule_search_locations)
    assert any((Path(p) / "py.typed").is_file() for p in locations)
