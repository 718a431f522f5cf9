"""The _redirects file: parsing and matching."""

from __future__ import annotations

import pytest

from crlf.files._redirects import Rule, match_redirect, parse_redirects

TEXT = """\
# comment line
/moved            /                    301

/old.html         /new.html            # status defaults to 301
/temp             /elsewhere           302
/see              /other               303
/keep-method      /there               307
/perm             /there-for-good      308
/blog/*           /news/:splat         302
/ext              https://example.org/path?x=1  308
"""


def test_parse_redirects() -> None:
    rules = parse_redirects(TEXT)
    assert rules[0] == Rule("/moved", "/", 301, False, 2)
    assert rules[1] == Rule("/old.html", "/new.html", 301, False, 4)
    assert [r.status for r in rules] == [301, 301, 302, 303, 307, 308, 302, 308]
    assert rules[6] == Rule("/blog/", "/news/:splat", 302, True, 9)


MATCH_CASES: list[tuple[str, str, tuple[int, str] | None]] = [
    ("/moved", "", (301, "/")),
    ("/moved", "a=1", (301, "/?a=1")),
    ("/moved/", "", None),
    ("/old.html", "", (301, "/new.html")),
    ("/see", "", (303, "/other")),
    ("/keep-method", "", (307, "/there")),
    ("/perm", "", (308, "/there-for-good")),
    ("/blog/2024/post.html", "", (302, "/news/2024/post.html")),
    ("/blog/a b", "", (302, "/news/a%20b")),
    ("/blog/", "", (302, "/news/")),
    ("/blog", "", (302, "/news/")),
    ("/blogger", "", None),
    ("/ext", "q=2", (308, "https://example.org/path?x=1")),  # TO's own query wins
    ("/nothing", "", None),
]


@pytest.mark.parametrize(("path", "query", "expected"), MATCH_CASES)
def test_match_redirect(path: str, query: str, expected: tuple[int, str] | None) -> None:
    assert match_redirect(parse_redirects(TEXT), path, query) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/a", "expected 'FROM TO [STATUS]'"),
        ("/a /b 301 extra", "expected 'FROM TO [STATUS]'"),
        ("/a /b 200", "status must be one of"),
        ("/a /b 304", "status must be one of"),
        ("/a /b abc", "status must be one of"),
        ("a /b", "FROM must start with '/'"),
        ("/a b", "TO must be a path or an http(s) URL"),
        ("/a javascript:alert(1)", "TO must be a path or an http(s) URL"),
        ("/a //evil.example/", "TO must be a percent-encoded URL"),
        ('/a /b"<script>', "TO must be a percent-encoded URL"),
    ],
)
def test_parse_redirects_errors(line: str, message: str) -> None:
    with pytest.raises(ValueError, match="line 2") as info:
        parse_redirects("# header\n" + line + "\n")
    assert message in str(info.value)
