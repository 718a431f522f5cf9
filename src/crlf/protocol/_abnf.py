"""RFC 9110 / RFC 9112 grammar as compiled regular expressions.

Each pattern quotes the ABNF rule it implements. The parser validates a whole header block with a
single ``fullmatch`` (C speed) and only then splits it, so no byte is looked at in a Python loop.
"""

from __future__ import annotations

import re

# RFC 9110 §5.6.2: token = 1*tchar
#   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
#           / DIGIT / ALPHA
TCHAR = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]"
TOKEN = TCHAR + rb"+"
TOKEN_RE = re.compile(TOKEN)

# RFC 9110 §5.5: field-value = *field-content; field-vchar = VCHAR / obs-text; SP and HTAB inside.
# Everything but CTLs (HTAB excepted) and DEL. CR, LF and NUL are therefore excluded (§5.5: a
# recipient MUST reject or replace them; we reject).
FIELD_VALUE_CHARS = rb"[\t\x20-\x7e\x80-\xff]*"

# A field section as the parser slices it: it starts at the CRLF that ends the start line, so
# every field line is ``CRLF field-name ":" OWS field-value OWS`` (RFC 9112 §5), and it ends with
# the CRLF CRLF that closes the head. No whitespace may come between name and colon (§5.1: MUST
# reject with 400), and a line starting with whitespace (obs-fold, §5.2) cannot match TOKEN.
HEADER_BLOCK_RE = re.compile(rb"(?:\r\n" + TOKEN + rb":" + FIELD_VALUE_CHARS + rb")*\r\n\r\n")

# In a validated section LF only ever starts a line and a name runs to the first colon, so one
# findall() splits it into (name, value) pairs, leading OWS dropped (RFC 9112 §5.1). The
# possessive quantifiers keep the regex engine from backtracking over long values; trailing OWS
# is rare and trimmed separately.
FIELD_RE = re.compile(rb"\n([^:]*):[ \t]*+([^\r]*+)")

# Outgoing field lines ``name ": " value`` joined by CRLF: names are tokens, values hold no CR,
# LF or NUL.
OUTGOING_FIELD = TOKEN + rb": [^\r\n\x00]*"
OUTGOING_FIELDS_RE = re.compile(OUTGOING_FIELD + rb"(?:\r\n" + OUTGOING_FIELD + rb")*")

# RFC 9112 §3: request-line = method SP request-target SP HTTP-version
# The target admits printable ASCII except "#" (a fragment is never part of a request-target,
# RFC 9112 §3.2) and never obs-text; RFC 3986 is stricter still, but browsers send "|", "{", "^"
# unescaped in queries and nginx takes them, so we do too (docs/conformance.md).
REQUEST_LINE_RE = re.compile(rb"(" + TOKEN + rb") ([!-\"$-~]+) HTTP/([0-9])\.([0-9])")

# A whole request head whose version is 1.0 or 1.1, validated by one fullmatch: the request
# line as above, then the field section as HEADER_BLOCK_RE. Groups: method, target, minor
# version digit, field section. Heads it refuses go through the step-by-step parser, which
# says precisely what is wrong.
REQUEST_HEAD_RE = re.compile(
    rb"(" + TOKEN + rb") ([!-\"$-~]+) HTTP/1\.([01])("
    rb"(?:\r\n" + TOKEN + rb":" + FIELD_VALUE_CHARS + rb")*\r\n\r\n)"
)

# RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
# reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ). Some servers omit the SP before an empty
# reason; RFC 9112 §4 says a client SHOULD accept that, so the trailing " reason" is optional.
STATUS_LINE_RE = re.compile(rb"HTTP/([0-9])\.([0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?")

# A whole 1.0/1.1 response head in one fullmatch (as REQUEST_HEAD_RE for requests). Groups:
# minor version digit, status code, reason (or None), field section.
RESPONSE_HEAD_RE = re.compile(
    rb"HTTP/1\.([01]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?("
    rb"(?:\r\n" + TOKEN + rb":" + FIELD_VALUE_CHARS + rb")*\r\n\r\n)"
)

# RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT -- used to tell 505 from 400.
HTTP_VERSION_PREFIX_RE = re.compile(rb"HTTP/[0-9]\.[0-9]")

# RFC 9110 §8.6: Content-Length = 1*DIGIT. ``int()`` alone would take "+1", " 1" and "1_0".
CONTENT_LENGTH_RE = re.compile(rb"[0-9]{1,18}")

# RFC 9112 §7.1: chunk-size = 1*HEXDIG; chunk-ext = *( BWS ";" BWS chunk-ext-name
#   [ BWS "=" BWS chunk-ext-val ] ); chunk-ext-val = token / quoted-string
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
QUOTED_STRING = rb'"(?:[\t\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t\x20-\x7e\x80-\xff])*"'
CHUNK_EXT = (
    rb"(?:[ \t]*;[ \t]*"
    + TOKEN
    + rb"(?:[ \t]*=[ \t]*(?:"
    + TOKEN
    + rb"|"
    + QUOTED_STRING
    + rb"))?)*"
)
# Size is capped at 16 hex digits here; the body limit caps the value itself.
CHUNK_LINE_RE = re.compile(rb"([0-9A-Fa-f]{1,16})(" + CHUNK_EXT + rb")")

# RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ]; uri-host = IP-literal / IPv4 / reg-name
# reg-name = *( unreserved / pct-encoded / sub-delims ). The empty value is allowed (§7.2: when
# the target URI has no authority).
HOST_RE = re.compile(rb"(?:\[[0-9A-Fa-f:.vV]+\]|[-A-Za-z0-9._~!$&'()*+,;=%]*)(?::[0-9]*)?")

# RFC 9112 §3.2.2: absolute-form = absolute-URI; scheme ":" hier-part [ "?" query ].
ABSOLUTE_FORM_RE = re.compile(rb"([A-Za-z][-A-Za-z0-9+.]*)://([^/?#]*)(.*)")

# RFC 9112 §3.2.3: authority-form = uri-host ":" port (CONNECT only).
AUTHORITY_FORM_RE = re.compile(rb"(?:\[[0-9A-Fa-f:.vV]+\]|[-A-Za-z0-9._~!$&'()*+,;=%]+):[0-9]{1,5}")

# CR, LF or NUL anywhere in an outgoing name or value (RFC 9110 §5.5 forbids them).
FORBIDDEN_IN_FIELD_RE = re.compile(rb"[\x00\r\n]")
