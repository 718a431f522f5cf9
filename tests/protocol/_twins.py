"""A C helper's function and its pure-Python twin, as the parameters of one test."""

from __future__ import annotations

import pytest


def twins(python: object, name: str) -> list[object]:
    """``python`` (the twin in _readers.py), and ``_speedups.<name>`` when the helper was built."""
    found: list[object] = [pytest.param(python, id="python")]
    try:
        from crlf.protocol import _speedups
    except ImportError:  # pragma: no cover - built by the test setup (scripts/setup-test.sh)
        return found
    found.append(pytest.param(getattr(_speedups, name), id="c"))
    return found
