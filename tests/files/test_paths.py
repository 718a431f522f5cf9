"""Path resolution safety: the raw request path to segments, and segments to a file under the root."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crlf.files._paths import CleanPath, inside, locate, split_path

if TYPE_CHECKING:
    from pathlib import Path

# (raw path, allow_dotfiles, expected segments or None, trailing slash)
SPLIT_CASES: list[tuple[bytes, bool, tuple[str, ...] | None, bool]] = [
    (b"/", False, (), True),
    (b"/index.html", False, ("index.html",), False),
    (b"/a/b/c.txt", False, ("a", "b", "c.txt"), False),
    (b"/a/b/", False, ("a", "b"), True),
    (b"/a//b", False, ("a", "b"), False),  # empty segments dropped, never absolute
    (b"//etc/passwd", False, ("etc", "passwd"), False),
    (b"/a%20b.html", False, ("a b.html",), False),
    (b"/caf%C3%A9.html", False, ("café.html",), False),
    (b"/x.html?q=1", False, ("x.html",), False),
    (b"/x.html?q=/../..", False, ("x.html",), False),
    # climbing out, plain and encoded
    (b"/..", False, None, False),
    (b"/../etc/passwd", False, None, False),
    (b"/a/../../etc/passwd", False, None, False),
    (b"/%2e%2e/etc/passwd", False, None, False),
    (b"/%2E%2E/etc/passwd", False, None, False),
    (b"/.%2e/etc/passwd", False, None, False),
    (b"/a/./b", False, None, False),
    (b"/a/%2e/b", False, None, False),
    # encoded separators and other bytes that never name a file we serve
    (b"/a%2fb", False, None, False),
    (b"/a%2Fb", False, None, False),
    (b"/..%2fetc%2fpasswd", False, None, False),
    (b"/a%5cb", False, None, False),
    (b"/..%5c..%5cwindows", False, None, False),
    (b"/a\\b", False, None, False),
    (b"/a%00.html", False, None, False),
    (b"/a%0a.html", False, None, False),
    (b"/a%7f", False, None, False),
    (b"/%ff%fe", False, None, False),  # not UTF-8
    (b"/%c0%ae%c0%ae/etc", False, None, False),  # overlong UTF-8 dots
    # targets that are not an origin-form path
    (b"", False, None, False),
    (b"*", False, None, False),
    (b"etc/passwd", False, None, False),
    (b"http://example.org/x", False, None, False),
    (b"/" + b"a" * 5000, False, None, False),
    # dotfiles
    (b"/.env", False, None, False),
    (b"/.git/config", False, None, False),
    (b"/a/.htaccess", False, None, False),
    (b"/%2eenv", False, None, False),
    (b"/.well-known/x", True, (".well-known", "x"), False),
    (b"/..", True, None, False),
    (b"/a/%2e%2e", True, None, False),
]


@pytest.mark.parametrize(("raw", "dotfiles", "segments", "slash"), SPLIT_CASES)
def test_split_path(
    raw: bytes, dotfiles: bool, segments: tuple[str, ...] | None, slash: bool
) -> None:
    result = split_path(raw, allow_dotfiles=dotfiles)
    if segments is None:
        assert result is None
    else:
        assert result == CleanPath(segments, slash)


@pytest.mark.parametrize(
    ("clean", "url_path"),
    [
        (CleanPath((), True), "/"),
        (CleanPath(("a",), False), "/a"),
        (CleanPath(("a", "b"), True), "/a/b/"),
    ],
)
def test_url_path(clean: CleanPath, url_path: str) -> None:
    assert clean.url_path == url_path


@pytest.mark.parametrize(
    ("root", "path", "expected"),
    [
        ("/srv/site", "/srv/site", True),
        ("/srv/site", "/srv/site/a", True),
        ("/srv/site", "/srv/site-other/a", False),
        ("/srv/site", "/srv", False),
        ("/", "/etc", True),
    ],
)
def test_inside(root: str, path: str, expected: bool) -> None:
    assert inside(root, path) is expected


@pytest.fixture
def tree(tmp_path: Path) -> tuple[str, str]:
    """A root with a file, a subdirectory, and symlinks pointing inside and outside."""
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")
    (outside / "secret.txt").write_text("secret")
    (root / "in-link").symlink_to(root / "a.txt")
    (root / "out-link").symlink_to(outside / "secret.txt")
    (root / "out-dir").symlink_to(outside)
    return os.path.realpath(root), os.path.realpath(outside)


def test_locate_inside(tree: tuple[str, str]) -> None:
    root, _ = tree
    assert locate(root, ("a.txt",)) == os.path.join(root, "a.txt")
    assert locate(root, ("sub", "b.txt")) == os.path.join(root, "sub", "b.txt")
    assert locate(root, ()) == root
    assert locate(root, ("in-link",)) == os.path.join(root, "a.txt")
    assert locate(root, ("missing",)) == os.path.join(root, "missing")


def test_locate_refuses_symlinks_outside(tree: tuple[str, str]) -> None:
    root, outside = tree
    assert locate(root, ("out-link",)) is None
    assert locate(root, ("out-dir", "secret.txt")) is None
    assert locate(root, ("out-link",), follow_symlinks_outside=True) == os.path.join(
        outside, "secret.txt"
    )
    assert locate(root, ("out-dir", "secret.txt"), follow_symlinks_outside=True) == os.path.join(
        outside, "secret.txt"
    )


def test_locate_refuses_lexical_escape(tree: tuple[str, str]) -> None:
    # split_path never produces these; locate refuses them anyway.
    root, _ = tree
    assert locate(root, ("..", "outside", "secret.txt")) is None
    assert locate(root, ("/etc", "passwd")) is None


_ALPHABET = st.sampled_from(
    [
        b"/",
        b".",
        b"%",
        b"2",
        b"e",
        b"E",
        b"f",
        b"F",
        b"5",
        b"c",
        b"\\",
        b"\x00",
        b"a",
        b"%2e",
        b"%2f",
        b"%00",
        b"..",
        b"%c0%ae",
    ]
)


@given(st.lists(_ALPHABET, max_size=40).map(b"".join), st.booleans())
@settings(max_examples=1000, deadline=None)
def test_split_path_invariants(raw: bytes, dotfiles: bool) -> None:
    """For any path: refused, or segments that cannot climb, separate or terminate."""
    result = split_path(b"/" + raw, allow_dotfiles=dotfiles)
    if result is None:
        return
    for segment in result.segments:
        assert segment not in ("", ".", "..")
        assert not any(c in segment for c in "/\\\x00")
        assert dotfiles or not segment.startswith(".")
    joined = os.path.normpath(os.path.join("/srv/root", *result.segments))
    assert inside("/srv/root", joined)
