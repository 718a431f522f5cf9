"""Pure RFC 9110 semantics: status codes, dates, field values, conditional requests, ranges,
content negotiation, media types and forms.

Everything here is a pure function or an immutable value: no I/O, no clock (callers pass
timestamps in), no logging, no module state. The server, the client and the static files build
their decisions on it. Modules:

* :mod:`.status`: reason phrases, the five status classes, pre-built status lines (§15);
* :mod:`.dates`: IMF-fixdate formatting, parsing of all three HTTP-date forms (§5.6.7);
* :mod:`.fields`: lists, tokens, quoted strings, parameters, q-values, entity-tag lists (§5.6);
* :mod:`.conditional`: validators and the precondition evaluation of §13.2.2, If-Range;
* :mod:`.ranges`: Range parsing with DoS limits, Content-Range, multipart/byteranges (§14);
* :mod:`.negotiation`: Accept-Language, Accept-Encoding and Accept (§12);
* :mod:`.mime`: a private extension -> Content-Type table;
* :mod:`.forms`: urlencoded (stdlib) and multipart/form-data (python-multipart) bodies.
"""

from __future__ import annotations

from ._etag import ETag as ETag
from .conditional import HeaderLookup as HeaderLookup
from .conditional import Outcome as Outcome
from .conditional import Validators as Validators
from .conditional import evaluate as evaluate
from .conditional import if_range_allows as if_range_allows
from .conditional import make_etag as make_etag
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
from .forms import FormPart as FormPart
from .forms import parse_multipart as parse_multipart
from .forms import parse_urlencoded as parse_urlencoded
from .mime import DEFAULT_TYPE as DEFAULT_TYPE
from .mime import MEDIA_TYPES as MEDIA_TYPES
from .mime import guess_type as guess_type
from .mime import is_compressible as is_compressible
from .negotiation import negotiate_encoding as negotiate_encoding
from .negotiation import negotiate_language as negotiate_language
from .negotiation import negotiate_media_type as negotiate_media_type
from .ranges import MAX_RANGES as MAX_RANGES
from .ranges import UNSATISFIABLE as UNSATISFIABLE
from .ranges import MultipartByteranges as MultipartByteranges
from .ranges import Unsatisfiable as Unsatisfiable
from .ranges import content_range as content_range
from .ranges import parse_range as parse_range
from .ranges import unsatisfied_range as unsatisfied_range
from .status import REASON_PHRASES as REASON_PHRASES
from .status import STATUS_LINES as STATUS_LINES
from .status import StatusClass as StatusClass
from .status import reason_phrase as reason_phrase
from .status import status_class as status_class
from .status import status_line as status_line

__all__ = [
    "DEFAULT_TYPE",
    "MAX_RANGES",
    "MEDIA_TYPES",
    "REASON_PHRASES",
    "STATUS_LINES",
    "UNSATISFIABLE",
    "ETag",
    "FormPart",
    "HeaderLookup",
    "MultipartByteranges",
    "Outcome",
    "StatusClass",
    "Unsatisfiable",
    "Validators",
    "content_range",
    "evaluate",
    "format_http_date",
    "format_http_date_bytes",
    "guess_type",
    "if_range_allows",
    "is_compressible",
    "is_token",
    "make_etag",
    "negotiate_encoding",
    "negotiate_language",
    "negotiate_media_type",
    "parse_etag_list",
    "parse_http_date",
    "parse_media_type",
    "parse_multipart",
    "parse_parameters",
    "parse_range",
    "parse_urlencoded",
    "parse_weighted",
    "quote_string",
    "reason_phrase",
    "split_list",
    "status_class",
    "status_line",
    "unquote_string",
    "unsatisfied_range",
]
