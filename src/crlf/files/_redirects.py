"""The ``_redirects`` file: redirect rules kept beside the site they apply to.

Format (one rule a line, in the manner of Netlify's file of the same name)::

    # comments start with '#'; blank lines are ignored
    /old-page.html     /new-page.html               301
    /blog/*            /news/:splat                 302
    /elsewhere         https://example.org/          308
    /form-done         /thanks.html                 # the status defaults to 301

- ``FROM`` is a path starting with ``/``, compared with the request's percent-decoded, normalised
  path (``//a/./b`` never gets this far: the path checks refuse it first). A ``FROM`` ending in
  ``/*`` matches that prefix and everything below it; ``:splat`` in ``TO`` is replaced by what
  the ``*`` matched (percent-encoded again).
- ``TO`` is a path starting with ``/`` or an absolute ``http://`` / ``https://`` URL, written
  as it goes on the wire (ASCII, percent-encoded). When ``TO`` has no query, the request's query
  string is carried over.
- ``STATUS`` is one of 301, 302, 303, 307, 308 (RFC 9110 §15.4); the default is 301.
- The first matching rule wins. Rules are looked up before the file system, so a rule shadows a
  file of the same path. The ``_redirects`` file itself is never served.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["REDIRECT_STATUSES", "Rule", "match_redirect", "parse_redirects"]

# RFC 9110 §15.4.2-§15.4.9: the redirections that carry a Location to follow.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# What a Location may contain as written in the file: printable ASCII without space, '"', '<',
# '>', '\\', '^', '`', '{', '|', '}' (RFC 3986 §2; those need percent-encoding).
_URI_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of ``_redirects``.

    Attributes:
        source: the path to match (without the trailing ``*`` of a prefix rule).
        target: the Location template (may hold ``:splat``).
        status: the redirect status code.
        prefix: whether ``source`` came with a trailing ``/*``.
        line: the line number in the file, for messages.
    """

    source: str
    target: str
    status: int
    prefix: bool
    line: int


def parse_redirects(text: str) -> list[Rule]:
    """Parse the text of a ``_redirects`` file.

    Args:
        text: the file's content.

    Returns:
        The rules, in file order.

    Raises:
        ValueError: a line is malformed; the message names the line.
    """
    rules: list[Rule] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) not in (2, 3):
            raise ValueError(f"_redirects line {number}: expected 'FROM TO [STATUS]'")
        source, target = fields[0], fields[1]
        status = 301
        if len(fields) == 3:
            if not fields[2].isdigit() or int(fields[2]) not in REDIRECT_STATUSES:
                raise ValueError(
                    f"_redirects line {number}: status must be one of 301 302 303 307 308"
                )
            status = int(fields[2])
        if not source.startswith("/"):
            raise ValueError(f"_redirects line {number}: FROM must start with '/'")
        if not (target.startswith(("/", "http://", "https://"))):
            raise ValueError(f"_redirects line {number}: TO must be a path or an http(s) URL")
        if target.startswith("//") or not _URI_CHARS.fullmatch(target):
            raise ValueError(f"_redirects line {number}: TO must be a percent-encoded URL")
        prefix = source.endswith("/*")
        if prefix:
            source = source[:-1]
        rules.append(Rule(source, target, status, prefix, number))
    return rules


def match_redirect(rules: list[Rule], path: str, query: str = "") -> tuple[int, str] | None:
    """Find the first rule for a request path.

    Args:
        rules: from :func:`parse_redirects`.
        path: the decoded, normalised request path (``CleanPath.url_path``).
        query: the request's raw query string (without ``?``), carried over when ``TO`` has none.

    Returns:
        ``(status, location)`` or None when no rule matches.
    """
    for rule in rules:
        if rule.prefix:
            if not (path.startswith(rule.source) or path + "/" == rule.source):
                continue
            splat = quote(path[len(rule.source) :], safe="/")
        elif path == rule.source:
            splat = ""
        else:
            continue
        location = rule.target.replace(":splat", splat)
        if query and "?" not in location:
            location += "?" + query
        return rule.status, location
    return None
