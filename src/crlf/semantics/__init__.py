"""Pure RFC 9110 semantics: status codes, dates, field values, conditional requests, ranges,
content negotiation, media types and forms.

Everything here is a pure function or an immutable value: no I/O, no clock (callers pass
timestamps in), no logging, no module state. The server, the client and the static files build
their decisions on it.
"""

from __future__ import annotations

from ._etag import ETag as ETag
from .dates import format_http_date as format_http_date
from .dates import format_http_date_bytes as format_http_date_bytes
from .dates import parse_http_date as parse_http_date
from .fields import is_token as is_token
from .fields import parse_etag_list as parse_etag_list
from .fields import parse_media_type as parse_media_type
from .fields import parse_parameters as parse_parameters
from .fields import parse_weighted as parse_weighted
from .fields import quote_string as quote_string
from .fields import split_list as split_list
from .fields import unquote_string as unquote_string
from .status import REASON_PHRASES as REASON_PHRASES
from .status import STATUS_LINES as STATUS_LINES
from .status import StatusClass as StatusClass
from .status import reason_phrase as reason_phrase
from .status import status_class as status_class
from .status import status_line as status_line

__all__ = [
    "REASON_PHRASES",
    "STATUS_LINES",
    "ETag",
    "StatusClass",
    "format_http_date",
    "format_http_date_bytes",
    "is_token",
    "parse_etag_list",
    "parse_http_date",
    "parse_media_type",
    "parse_parameters",
    "parse_weighted",
    "quote_string",
    "reason_phrase",
    "split_list",
    "status_class",
    "status_line",
    "unquote_string",
]
