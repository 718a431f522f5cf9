/* crlf.protocol._speedups: a request head validated and split in one pass, in C.
 *
 * A request head parsed afresh (not a repeat of the connection's last one, memo.py) costs the
 * pure-Python parser a REQUEST_HEAD_RE fullmatch, a FIELD_RE findall and a list comprehension:
 * about 40 + 47 + 25 machine instructions a byte of a browser's 692-byte head, most of the cost
 * of a request the server has not seen before. This function does the same work in one pass,
 * at about 20 instructions a byte of that head, its objects' allocation included (callgrind).
 * It is optional: setuptools builds it when a C compiler and the Python headers are there
 * (pyproject.toml, optional = true), and _readers.py falls back to the regular expressions
 * when it is absent. Both take exactly the same heads and give the same results
 * (tests/protocol/test_speedups.py compares them on edge cases and generated heads, and every
 * protocol test runs with each).
 *
 * split_request_head(head, max_start_line, max_fields) -> tuple | None
 *     ``head`` is a request head up to and including the CRLF CRLF that ends it. When it is
 *     exactly what _abnf.REQUEST_HEAD_RE fullmatches (RFC 9112 §3 request line, version 1.0 or
 *     1.1, then §5 field lines) and its request line fits ``max_start_line`` and it has at most
 *     ``max_fields`` field lines, returns ``(method, target, version, items, framing)``:
 *     ``version`` is b"1.0" or b"1.1"; ``items`` the ``(lowercased name, value)`` pairs, the
 *     value without the OWS around it (RFC 9112 §5.1); ``framing`` the items whose name is one
 *     of the six the parser decides framing and persistence by (Host, Content-Length,
 *     Transfer-Encoding, Connection, Expect, Upgrade), in order, so it need not look at every
 *     field. Anything else returns
 *     None: the caller's step-by-step parser then says precisely what is wrong (or that it is
 *     a 1.x version other than 1.0/1.1, a long line's 414, too many fields' 431).
 *
 * take_request_head(buf, search_from, limits, max_decided) -> plan | (head, split) | None
 *     A server's step for a head parsed afresh: find the CRLF CRLF in the bytearray ``buf``
 *     (from ``search_from``) and split the head as above. For the requests most clients send,
 *     in heads of at most ``max_decided`` bytes (memo.py's MAX_REMEMBERED_HEAD: the plan is
 *     remembered), also make connection.py's _decide_request decisions: origin-form target,
 *     one reg-name Host, no Transfer-Encoding, at most one plain Content-Length within
 *     ``limits.max_body_size``, persistence from the version and Connection, a switch from
 *     Upgrade, Expect: 100-continue; and give memo.py's Plan (the head is its item 4), which
 *     the connection remembers and applies as it applies a repeated head's. Any other head
 *     that splits comes with its split, for _decide_request to decide. Either way the head has
 *     been cut from ``buf``. None, with ``buf`` untouched, when no whole head is there within
 *     ``limits.max_head_bytes``, when ``buf`` starts with an empty line (RFC 9112 §2.2), or
 *     when the splitter declines the head. Each decision here is _decide_request's for those
 *     heads: tests/protocol/test_take_request_head.py compares the two on every case it has,
 *     generated ones included. The Limits' four values are read once
 *     per Limits object (see read_limits).
 *
 * request_from_plan(plan, request_class, headers_class) -> Request
 *     The Request event a plan describes, its Headers holding a fresh copy of the plan's
 *     items and reading the names as received from the plan's head: what
 *     _readers._request_from_plan makes with object.__new__ and seven attribute stores, for
 *     every request a server starts, a repeated head's included. Each class must be one
 *     object.__new__ makes (no __new__ of its own) with the named writable ``__slots__``; their
 *     offsets are found once per class (see bind_classes).
 *
 * data_from_buffer(buf, n, data_class) -> Data
 *     A piece of body: the first ``n`` bytes of the bytearray ``buf`` (all of it when shorter)
 *     as bytes, cut out of ``buf``, in a Data event made the same way. What every body reader
 *     does with the content it has found (_readers._data_from_buffer is its twin).
 *
 * cut(buf, n) -> None
 *     ``del buf[:n]``, for bytes read: a repeated head, a response head, a chunked body's end.
 *     Here, as in the two functions above that cut ``buf``, a buffer emptied keeps a small
 *     allocation (see cut_front).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h> /* T_OBJECT_EX, READONLY: how a __slots__ member is described */
#include <stdint.h>
#include <string.h>

/* RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~" / DIGIT / ALPHA. Built once at import. */
static unsigned char is_tchar[256];
/* RFC 9112 §3.2 as _abnf.REQUEST_LINE_RE takes it: printable ASCII but "#". */
static unsigned char is_target_char[256];
/* RFC 9110 §5.5: field-vchar / SP / HTAB, obs-text included; never CR, LF, NUL or DEL. */
static unsigned char is_field_char[256];
/* ASCII lowercase (field names are tokens: ASCII only). */
static unsigned char to_lower[256];

static PyObject *version_10, *version_11;

/* Names and methods met in most requests, made once, so a head of them allocates no new
 * bytes for them and their hashes are computed once (the framing checks look names up in a
 * set). Lowercase, as the items carry them (the names as received are read from the head
 * only when asked for: Headers.raw_items). The first N_FRAMING are the fields that decide
 * framing and persistence, _readers.FRAMING_FIELDS (RFC 9112 §3.2, §6.3, §9.3; RFC 9110 §7.8,
 * §10.1.1). */
static const char *const common_names[] = {
    "host", "content-length", "transfer-encoding", "connection", "expect", "upgrade",
    "user-agent", "accept", "accept-language", "accept-encoding", "content-type", "cookie",
    "referer", "origin", "cache-control", "pragma", "authorization", "if-none-match",
    "if-modified-since", "range", "upgrade-insecure-requests", "sec-fetch-dest",
    "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "priority", "te", "dnt",
    "x-forwarded-for", "x-forwarded-proto", "x-request-id", "sec-websocket-key",
    "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol", NULL,
};
#define N_FRAMING 6
#define MAX_COMMON 40
static PyObject *common_name_objs[MAX_COMMON];
static Py_ssize_t n_common;

static const char *const common_methods[] = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", NULL,
};
static PyObject *common_method_objs[8];

/* The index in ``table`` of the bytes equal to s[0:n], or -1. */
static Py_ssize_t
find_in(PyObject *const *table, Py_ssize_t count, const char *s, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *o = table[i];
        const char *t = PyBytes_AS_STRING(o);
        if (PyBytes_GET_SIZE(o) == n && t[0] == s[0] && memcmp(t, s, (size_t)n) == 0) {
            return i;
        }
    }
    return -1;
}

/* The common names chained by length: the first of each length, and the next of the same
 * length after each (-1 ends a chain), so a name is compared only with names as long. */
#define MAX_NAME 64
static Py_ssize_t first_of_length[MAX_NAME + 1];
static Py_ssize_t next_of_length[MAX_COMMON];

/* The index of the common name equal to s[0:n] (lowercase), or -1. */
static inline Py_ssize_t
find_common_name(const char *s, Py_ssize_t n)
{
    if (n > MAX_NAME) {
        return -1;
    }
    for (Py_ssize_t i = first_of_length[n]; i >= 0; i = next_of_length[i]) {
        const char *t = PyBytes_AS_STRING(common_name_objs[i]);
        if (t[0] == s[0] && memcmp(t, s, (size_t)n) == 0) {
            return i;
        }
    }
    return -1;
}

/* A bytes object for s[0:n]: the shared one when a table holds it, else a new one. */
static PyObject *
bytes_from(PyObject *const *table, Py_ssize_t count, const char *s, Py_ssize_t n)
{
    Py_ssize_t i = find_in(table, count, s, n);
    if (i >= 0) {
        Py_INCREF(table[i]);
        return table[i];
    }
    return PyBytes_FromStringAndSize(s, n);
}

/* Whether any of the 8 bytes in w is below 0x20 (CTLs, HTAB and CR among them) or is DEL:
 * the bytes a field value's fast scan stops at (the byte loop then judges them). Bytes of
 * 0x80 and up (obs-text) pass, as RFC 9110 §5.5 allows. The classic "has less than" word
 * trick: exact, no false positives or negatives. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
static inline int
word_stops_value(uint64_t w)
{
    uint64_t below = (w - ONES * 0x20) & ~w & HIGHS;
    uint64_t del = w ^ (ONES * 0x7f);
    del = (del - ONES) & ~del & HIGHS;
    return (below | del) != 0;
}

/* What a split gives: new references, all NULL when nothing was taken. */
struct split {
    PyObject *method, *target, *version, *items;
};

static void
split_clear(struct split *s)
{
    Py_CLEAR(s->method);
    Py_CLEAR(s->target);
    Py_CLEAR(s->items);
    s->version = NULL; /* borrowed: version_10 or version_11 */
}

/* Validate and split ``head`` (a bytes object, see split_request_head). Returns 1 and fills
 * ``s`` when it is taken, 0 when the step-by-step parser must judge it, -1 on an error. */
static int
split_head(PyObject *head, Py_ssize_t max_start_line, Py_ssize_t max_fields, struct split *s)
{
    const unsigned char *h = (const unsigned char *)PyBytes_AS_STRING(head);
    const Py_ssize_t size = PyBytes_GET_SIZE(head);
    Py_ssize_t i = 0;

    /* request-line = method SP request-target SP HTTP-version (RFC 9112 §3). The bytes object
     * ends with a NUL that no table admits, so every scan stops at the end. */
    while (is_tchar[h[i]]) {
        i++;
    }
    const Py_ssize_t method_end = i;
    if (method_end == 0 || h[i] != ' ') {
        return 0;
    }
    const Py_ssize_t target_start = ++i;
    while (is_target_char[h[i]]) {
        i++;
    }
    const Py_ssize_t target_end = i;
    if (target_end == target_start || size - i < 10 || memcmp(h + i, " HTTP/1.", 8) != 0 ||
        (h[i + 8] != '0' && h[i + 8] != '1')) {
        return 0;
    }
    const int minor = h[i + 8] - '0';
    i += 9;
    const Py_ssize_t section = i; /* the CRLF that ends the request line */
    if (size > max_start_line && section > max_start_line) {
        return 0; /* 414: the caller's parser refuses it */
    }

    /* First pass: validate the field lines and count them, so the lists are made at their size
     * and nothing is allocated for a head that is refused. Each is CRLF field-name ":"
     * field-value (RFC 9112 §5); the head ends with CRLF CRLF, at its very end. */
    Py_ssize_t count = 0;
    for (;;) {
        if (size - i < 2 || h[i] != '\r' || h[i + 1] != '\n') {
            return 0;
        }
        i += 2;
        if (size - i == 2 && h[i] == '\r' && h[i + 1] == '\n') {
            break;
        }
        const Py_ssize_t name_start = i;
        while (is_tchar[h[i]]) {
            i++;
        }
        /* RFC 9112 §5.1: no whitespace between name and colon; §5.2: a line starting with
         * whitespace (obs-fold) has no name and is refused here. */
        if (i == name_start || h[i] != ':') {
            return 0;
        }
        i++;
        for (uint64_t w; size - i >= 8; i += 8) {
            memcpy(&w, h + i, 8);
            if (word_stops_value(w)) {
                break;
            }
        }
        while (is_field_char[h[i]]) {
            i++;
        }
        count++;
    }
    if (count > max_fields) {
        return 0; /* 431: the caller's parser refuses it */
    }

    PyObject *method, *target, *items;
    method = bytes_from(common_method_objs, 7, (const char *)h, method_end);
    target = PyBytes_FromStringAndSize((const char *)h + target_start, target_end - target_start);
    items = PyList_New(count);
    if (method == NULL || target == NULL || items == NULL) {
        goto fail;
    }
    /* Second pass over the validated section: split, lowercase the names, trim the values. */
    char lower[MAX_NAME];
    i = section;
    for (Py_ssize_t k = 0; k < count; k++) {
        i += 2; /* CRLF */
        const Py_ssize_t name_start = i;
        const char *colon = memchr(h + i, ':', (size_t)(size - i));
        const Py_ssize_t name_end = (const unsigned char *)colon - h;
        Py_ssize_t v = name_end + 1;
        while (h[v] == ' ' || h[v] == '\t') {
            v++;
        }
        const char *cr = memchr(h + v, '\r', (size_t)(size - v));
        Py_ssize_t line_end = (const unsigned char *)cr - h;
        Py_ssize_t value_end = line_end;
        while (value_end > v && (h[value_end - 1] == ' ' || h[value_end - 1] == '\t')) {
            value_end--;
        }
        const Py_ssize_t name_len = name_end - name_start;
        PyObject *name;
        if (name_len <= MAX_NAME) {
            for (Py_ssize_t j = 0; j < name_len; j++) {
                lower[j] = (char)to_lower[h[name_start + j]];
            }
            Py_ssize_t common = find_common_name(lower, name_len);
            name = common >= 0 ? Py_NewRef(common_name_objs[common])
                               : PyBytes_FromStringAndSize(lower, name_len);
        }
        else if ((name = PyBytes_FromStringAndSize(NULL, name_len)) != NULL) {
            char *out = PyBytes_AS_STRING(name);
            for (Py_ssize_t j = 0; j < name_len; j++) {
                out[j] = (char)to_lower[h[name_start + j]];
            }
        }
        PyObject *value = PyBytes_FromStringAndSize((const char *)h + v, value_end - v);
        PyObject *pair = name != NULL && value != NULL ? PyTuple_New(2) : NULL;
        if (pair == NULL) {
            Py_XDECREF(name);
            Py_XDECREF(value);
            goto fail;
        }
        PyTuple_SET_ITEM(pair, 0, name);
        PyTuple_SET_ITEM(pair, 1, value);
        PyList_SET_ITEM(items, k, pair);
        i = line_end;
    }
    s->method = method;
    s->target = target;
    s->version = minor ? version_11 : version_10;
    s->items = items;
    return 1;
fail:
    Py_XDECREF(method);
    Py_XDECREF(target);
    Py_XDECREF(items);
    return -1;
}

/* Which of the N_FRAMING fields that decide framing and persistence ``name`` is, or -1. The
 * split gives those names as the table's shared objects, so identity decides. */
static inline int
framing_index(PyObject *name)
{
    for (int f = 0; f < N_FRAMING; f++) {
        if (name == common_name_objs[f]) {
            return f;
        }
    }
    return -1;
}

/* (method, target, version, items, framing): the split as split_request_head gives it,
 * ``framing`` being the items whose name is one of the N_FRAMING, in order. */
static PyObject *
split_tuple(struct split *s)
{
    PyObject *framing = PyList_New(0);
    if (framing == NULL) {
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(s->items); k++) {
        PyObject *pair = PyList_GET_ITEM(s->items, k);
        if (framing_index(PyTuple_GET_ITEM(pair, 0)) >= 0 && PyList_Append(framing, pair) < 0) {
            Py_DECREF(framing);
            return NULL;
        }
    }
    PyObject *result = PyTuple_Pack(5, s->method, s->target, s->version, s->items, framing);
    Py_DECREF(framing);
    return result;
}

/* The Py_ssize_t in args[i]; a negative one (None: no limit) when ``none_ok``. */
static int
ssize_arg(PyObject *arg, Py_ssize_t *out, int none_ok)
{
    if (none_ok && arg == Py_None) {
        *out = -1;
        return 0;
    }
    *out = PyLong_AsSsize_t(arg);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

static PyObject *
split_request_head(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t max_start_line, max_fields;
    if (nargs != 3 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "split_request_head(head: bytes, max_start_line: int, max_fields: int)");
        return NULL;
    }
    if (ssize_arg(args[1], &max_start_line, 0) < 0 || ssize_arg(args[2], &max_fields, 0) < 0) {
        return NULL;
    }
    struct split s = {NULL};
    int taken = split_head(args[0], max_start_line, max_fields, &s);
    if (taken <= 0) {
        return taken < 0 ? NULL : Py_NewRef(Py_None);
    }
    PyObject *result = split_tuple(&s);
    split_clear(&s);
    return result;
}

/* RFC 3986 §3.2.2 reg-name octets, as connection.py's _REG_NAME_OCTETS: unreserved,
 * pct-encoded's "%" and its hex digits, sub-delims. */
static unsigned char is_reg_name[256];

/* Whether a Host value is reg-name [ ":" port ], decided as connection.py's _is_host decides
 * without its regex: an IP-literal (or anything else) is left to that function. */
static int
is_plain_host(PyObject *value)
{
    const unsigned char *v = (const unsigned char *)PyBytes_AS_STRING(value);
    const Py_ssize_t n = PyBytes_GET_SIZE(value);
    Py_ssize_t i = 0;
    while (i < n && is_reg_name[v[i]]) {
        i++;
    }
    if (i == n) {
        return 1;
    }
    if (v[i] != ':') {
        return 0;
    }
    for (i++; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* Whether s[0:n], lowercased (ASCII), is the lowercase ``word``. */
static int
token_is(const unsigned char *s, Py_ssize_t n, const char *word)
{
    if ((size_t)n != strlen(word)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != (unsigned char)word[i]) {
            return 0;
        }
    }
    return 1;
}

/* The options of one Connection field that decide persistence and switching (RFC 9110 §7.6.1:
 * a comma list of tokens; connection.py's _connection_tokens trims SP/HTAB and lowercases). */
enum { OPT_CLOSE = 1, OPT_KEEP_ALIVE = 2, OPT_UPGRADE = 4 };

static int
connection_options(PyObject *value)
{
    const unsigned char *v = (const unsigned char *)PyBytes_AS_STRING(value);
    const Py_ssize_t n = PyBytes_GET_SIZE(value);
    int options = 0;
    for (Py_ssize_t start = 0; start <= n;) {
        Py_ssize_t end = start;
        while (end < n && v[end] != ',') {
            end++;
        }
        Py_ssize_t a = start, b = end;
        while (a < b && (v[a] == ' ' || v[a] == '\t')) {
            a++;
        }
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t')) {
            b--;
        }
        options |= token_is(v + a, b - a, "close")        ? OPT_CLOSE
                   : token_is(v + a, b - a, "keep-alive") ? OPT_KEEP_ALIVE
                   : token_is(v + a, b - a, "upgrade")    ? OPT_UPGRADE
                                                          : 0;
        start = end + 1;
    }
    return options;
}

/* Where "\r\n\r\n" starts in b[from:n], or -1. */
static Py_ssize_t
find_head_end(const char *b, Py_ssize_t from, Py_ssize_t n)
{
    for (Py_ssize_t i = from; n - i >= 4;) {
        const char *cr = memchr(b + i, '\r', (size_t)(n - i - 3));
        if (cr == NULL) {
            return -1;
        }
        i = cr - b;
        if (b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
            return i;
        }
        i++;
    }
    return -1;
}

/* The Limits (limits.py) last read and its four values, held so that no other object can take
 * its address: a server's connections share one Limits, a frozen dataclass, so its attributes
 * are looked up once, not four times a request. */
static PyObject *cached_limits;
static Py_ssize_t cached_values[4]; /* max_start_line, max_head_bytes, max_header_count,
                                       max_body_size (-1: None, no limit) */

static int
read_limits(PyObject *limits)
{
    static const char *const names[4] = {"max_start_line", "max_head_bytes", "max_header_count",
                                         "max_body_size"};
    Py_ssize_t values[4];
    if (limits == cached_limits) {
        return 0;
    }
    for (int k = 0; k < 4; k++) {
        PyObject *value = PyObject_GetAttrString(limits, names[k]);
        if (value == NULL) {
            return -1;
        }
        int bad = value != Py_None && !PyLong_Check(value);
        if (bad) {
            PyErr_Format(PyExc_TypeError, "limits.%s must be an int", names[k]);
        }
        else if (ssize_arg(value, &values[k], k == 3) < 0) {
            bad = 1;
        }
        Py_DECREF(value);
        if (bad) {
            return -1;
        }
    }
    memcpy(cached_values, values, sizeof(values));
    Py_INCREF(limits);
    Py_XSETREF(cached_limits, limits);
    return 0;
}

/* A connection's buffer keeps an allocation up to this size when all of it has been read. */
#define KEPT_ALLOCATION 4096

/* Cut the first ``k`` bytes out of the bytearray ``buf``, as ``del buf[:k]`` does. When that is
 * all of it (a request that came alone, the usual case) and its allocation is small, the
 * allocation is kept for the next bytes instead of shrunk: bytearray's own resize to 0 frees
 * and allocates anew (about 600 instructions, callgrind), and the next receive_data would
 * allocate again. A bytearray a memoryview holds is left to the regular path, which refuses to
 * resize it (BufferError). */
static int
cut_front(PyObject *buf, Py_ssize_t k)
{
#if PY_VERSION_HEX < 0x030E0000
    /* The layout of PyByteArrayObject from 3.11 to 3.13 (3.14 keeps its bytes in a bytes
     * object, and takes the regular path below). */
    PyByteArrayObject *b = (PyByteArrayObject *)buf;
    if (k == Py_SIZE(b) && b->ob_exports == 0 && b->ob_alloc <= KEPT_ALLOCATION &&
        b->ob_bytes != NULL) {
        Py_SET_SIZE(b, 0);
        b->ob_start = b->ob_bytes;
        b->ob_bytes[0] = '\0'; /* bytearray's trailing NUL */
        return 0;
    }
#endif
    return PySequence_DelSlice(buf, 0, k);
}

static PyObject *
cut(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t k;
    if (nargs != 2 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "cut(buf: bytearray, n: int)");
        return NULL;
    }
    if (ssize_arg(args[1], &k, 0) < 0) {
        return NULL;
    }
    if (k < 0 || k > PyByteArray_GET_SIZE(args[0])) {
        PyErr_SetString(PyExc_ValueError, "cut: n must be within the buffer");
        return NULL;
    }
    if (cut_front(args[0], k) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
take_request_head(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t from, max_decided;
    if (nargs != 4 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "take_request_head(buf: bytearray, search_from: int, "
                                         "limits: Limits, max_decided: int)");
        return NULL;
    }
    if (ssize_arg(args[1], &from, 0) < 0 || read_limits(args[2]) < 0 ||
        ssize_arg(args[3], &max_decided, 0) < 0) {
        return NULL;
    }
    const Py_ssize_t max_start_line = cached_values[0], max_head = cached_values[1],
                     max_fields = cached_values[2], max_body = cached_values[3];
    PyObject *buf = args[0];
    if (PyByteArray_GET_SIZE(buf) > 0 && PyByteArray_AS_STRING(buf)[0] == '\r') {
        Py_RETURN_NONE; /* an empty line first (RFC 9112 §2.2): _read_request skips it */
    }
    const Py_ssize_t end = find_head_end(PyByteArray_AS_STRING(buf), from < 0 ? 0 : from,
                                         PyByteArray_GET_SIZE(buf));
    if (end < 0 || end + 4 > max_head) {
        Py_RETURN_NONE; /* not all here, or over a limit: _find_head says which */
    }
    PyObject *head = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(buf), end + 4);
    if (head == NULL) {
        return NULL;
    }
    struct split s = {NULL};
    int taken = split_head(head, max_start_line, max_fields, &s);
    if (taken <= 0) {
        Py_DECREF(head);
        return taken < 0 ? NULL : Py_NewRef(Py_None);
    }

    /* The decisions of connection.py's _decide_request, for the requests most clients send: an
     * origin-form target (RFC 9112 §3.2.1), one plain Host (§3.2), no Transfer-Encoding, at most
     * one Content-Length that is a plain number within the limit (§6.3 rules 5 and 7). Any other
     * head, an error above all, is left to _decide_request, which explains what is wrong. */
    const int http11 = s.version == version_11;
    Py_ssize_t hosts = 0, lengths = 0;
    long long length = 0;
    int options = 0, upgrade = 0, expect = 0;
    PyObject *result = NULL;
    /* CONNECT takes authority-form only (RFC 9112 §3.2.3): _decide_request refuses it here. */
    int plain = PyBytes_AS_STRING(s.target)[0] == '/' &&
                !(PyBytes_GET_SIZE(s.method) == 7 &&
                  memcmp(PyBytes_AS_STRING(s.method), "CONNECT", 7) == 0);
    const Py_ssize_t n_items = PyList_GET_SIZE(s.items);
    for (Py_ssize_t k = 0; plain && k < n_items; k++) {
        PyObject *pair = PyList_GET_ITEM(s.items, k);
        const int f = framing_index(PyTuple_GET_ITEM(pair, 0));
        if (f < 0) {
            continue;
        }
        PyObject *value = PyTuple_GET_ITEM(pair, 1);
        const char *v = PyBytes_AS_STRING(value);
        const Py_ssize_t n = PyBytes_GET_SIZE(value);
        if (f == 0) { /* host */
            plain = ++hosts == 1 && is_plain_host(value);
        }
        else if (f == 1) { /* content-length: 1*18DIGIT, once */
            plain = ++lengths == 1 && n >= 1 && n <= 18;
            for (Py_ssize_t j = 0; plain && j < n; j++) {
                plain = v[j] >= '0' && v[j] <= '9';
                length = length * 10 + (v[j] - '0');
            }
            plain = plain && (max_body < 0 || length <= max_body);
        }
        else if (f == 2) { /* transfer-encoding */
            plain = 0;
        }
        else if (f == 3) { /* connection */
            options |= connection_options(value);
        }
        else if (f == 4) { /* expect, RFC 9110 §10.1.1 */
            expect = expect || token_is((const unsigned char *)v, n, "100-continue");
        }
        else { /* upgrade */
            upgrade = 1;
        }
    }
    PyObject *decided;
    const int is_plan =
        plain && (hosts == 1 || (hosts == 0 && !http11)) && end + 4 <= max_decided;
    if (is_plan) {
        /* RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
        const int keep_alive = !(options & OPT_CLOSE) && (http11 || (options & OPT_KEEP_ALIVE));
        /* RFC 9110 §7.8: a 1.1 request asks to switch with Upgrade and Connection: upgrade. */
        const int switching = upgrade && http11 && (options & OPT_UPGRADE);
        /* memo.py's Plan: its flags say what is unusual (PLAN_CLOSE, PLAN_SWITCH,
         * PLAN_EXPECT_100: the same bits). */
        const long flags = (keep_alive ? 0 : 1) | (switching ? 2 : 0) | (http11 && expect ? 4 : 0);
        PyObject *numbers[2] = {PyLong_FromLongLong(length), PyLong_FromLong(flags)};
        decided = numbers[0] == NULL || numbers[1] == NULL ? NULL : PyTuple_New(7);
        if (decided == NULL) {
            Py_XDECREF(numbers[0]);
            Py_XDECREF(numbers[1]);
        }
        else {
            PyObject *parts[5] = {s.method, s.target, s.version, s.items, head};
            for (int p = 0; p < 5; p++) {
                PyTuple_SET_ITEM(decided, p, Py_NewRef(parts[p]));
            }
            PyTuple_SET_ITEM(decided, 5, numbers[0]); /* the tuple takes these references */
            PyTuple_SET_ITEM(decided, 6, numbers[1]);
        }
    }
    else {
        decided = split_tuple(&s);
    }
    if (decided != NULL && cut_front(buf, end + 4) == 0) {
        /* A plan holds its head (item 4); a split comes with it. */
        result = is_plan ? Py_NewRef(decided) : PyTuple_Pack(2, head, decided);
    }
    Py_XDECREF(decided);
    split_clear(&s);
    Py_DECREF(head);
    return result;
}

/* The two classes request_from_plan makes, held so that no other class can take their
 * addresses, and where their slots are: a plain ``__slots__`` class keeps each slot at a fixed
 * offset in its instances, which its member descriptor names (what ``request.method = x``
 * writes through). */
static PyTypeObject *request_class, *headers_class;
static Py_ssize_t request_slots[4]; /* method, target, http_version, headers */
static Py_ssize_t headers_slots[2]; /* _items, _raw_source */

/* The offsets of a class's named slots, for a class that object.__new__ can make without its
 * __init__ (as _readers._request_from_plan makes it): no __new__ of its own, each name a
 * writable object slot. */
static int
slot_offsets(PyObject *cls, const char *const *names, int count, Py_ssize_t *out)
{
    if (!PyType_Check(cls) || ((PyTypeObject *)cls)->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError,
                        "the event classes must be ones object.__new__ makes (no __new__)");
        return -1;
    }
    for (int k = 0; k < count; k++) {
        PyObject *descr = PyObject_GetAttrString(cls, names[k]);
        if (descr == NULL) {
            return -1;
        }
        int ok = Py_IS_TYPE(descr, &PyMemberDescr_Type);
        if (ok) {
            PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
            ok = member->type == T_OBJECT_EX && !(member->flags & READONLY) &&
                 PyType_IsSubtype((PyTypeObject *)cls, PyDescr_TYPE(descr));
            out[k] = member->offset;
        }
        Py_DECREF(descr);
        if (!ok) {
            PyErr_Format(PyExc_TypeError, "%s.%s is not a writable __slots__ member",
                         ((PyTypeObject *)cls)->tp_name, names[k]);
            return -1;
        }
    }
    return 0;
}

static int
bind_classes(PyObject *request, PyObject *headers)
{
    static const char *const request_names[4] = {"method", "target", "http_version", "headers"};
    static const char *const headers_names[2] = {"_items", "_raw_source"};
    Py_ssize_t found_request[4], found_headers[2];
    if ((PyObject *)request_class == request && (PyObject *)headers_class == headers) {
        return 0;
    }
    if (slot_offsets(request, request_names, 4, found_request) < 0 ||
        slot_offsets(headers, headers_names, 2, found_headers) < 0) {
        return -1;
    }
    /* Both classes and their offsets change together; only then are the old classes let go
     * (a release may run Python code, which must find a consistent pair). */
    PyTypeObject *old_request = request_class, *old_headers = headers_class;
    memcpy(request_slots, found_request, sizeof(found_request));
    memcpy(headers_slots, found_headers, sizeof(found_headers));
    request_class = (PyTypeObject *)Py_NewRef(request);
    headers_class = (PyTypeObject *)Py_NewRef(headers);
    Py_XDECREF(old_request);
    Py_XDECREF(old_headers);
    return 0;
}

#define SLOT(obj, offset) (*(PyObject **)((char *)(obj) + (offset)))

/* A new instance of ``cls`` (made as object.__new__ makes it) whose slot at ``offset`` holds
 * ``value``. Takes the reference to ``value``, even when it fails (NULL). */
static PyObject *
new_holding(PyTypeObject *cls, Py_ssize_t offset, PyObject *value)
{
    if (value == NULL) {
        return NULL;
    }
    PyObject *obj = cls->tp_alloc(cls, 0);
    if (obj == NULL) {
        Py_DECREF(value);
        return NULL;
    }
    SLOT(obj, offset) = value;
    return obj;
}

static PyObject *
request_from_plan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyTuple_CheckExact(args[0]) || PyTuple_GET_SIZE(args[0]) != 7 ||
        !PyList_CheckExact(PyTuple_GET_ITEM(args[0], 3))) {
        PyErr_SetString(PyExc_TypeError, "request_from_plan(plan: Plan, request_class: "
                                         "type[Request], headers_class: type[Headers])");
        return NULL;
    }
    if (bind_classes(args[1], args[2]) < 0) {
        return NULL;
    }
    PyObject *plan = args[0];
    PyObject *items = PyTuple_GET_ITEM(plan, 3);
    /* A fresh list: applications (and ASGI middleware) may change the one they are given. */
    PyObject *headers = new_holding(headers_class, headers_slots[0],
                                    PyList_GetSlice(items, 0, PyList_GET_SIZE(items)));
    if (headers == NULL) {
        return NULL;
    }
    SLOT(headers, headers_slots[1]) = Py_NewRef(PyTuple_GET_ITEM(plan, 4));
    PyObject *request = new_holding(request_class, request_slots[3], headers);
    if (request == NULL) {
        return NULL;
    }
    for (int k = 0; k < 3; k++) { /* method, target, version: the plan's first three */
        SLOT(request, request_slots[k]) = Py_NewRef(PyTuple_GET_ITEM(plan, k));
    }
    return request;
}

/* The class data_from_buffer makes (events.py's Data) and where its one slot is. */
static PyTypeObject *data_class;
static Py_ssize_t data_slot;

static PyObject *
data_from_buffer(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    static const char *const data_names[1] = {"data"};
    Py_ssize_t n;
    if (nargs != 3 || !PyByteArray_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "data_from_buffer(buf: bytearray, n: int, data_class: type[Data])");
        return NULL;
    }
    if (ssize_arg(args[1], &n, 0) < 0) {
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "data_from_buffer: n must be >= 0");
        return NULL;
    }
    if ((PyObject *)data_class != args[2]) {
        Py_ssize_t offset;
        if (slot_offsets(args[2], data_names, 1, &offset) < 0) {
            return NULL;
        }
        data_slot = offset;
        Py_XSETREF(data_class, (PyTypeObject *)Py_NewRef(args[2]));
    }
    PyObject *buf = args[0];
    const Py_ssize_t size = PyByteArray_GET_SIZE(buf), k = n < size ? n : size;
    PyObject *piece = new_holding(data_class, data_slot,
                                  PyBytes_FromStringAndSize(PyByteArray_AS_STRING(buf), k));
    if (piece == NULL) {
        return NULL;
    }
    if (cut_front(buf, k) < 0) {
        Py_DECREF(piece);
        return NULL;
    }
    return piece;
}

static PyMethodDef speedups_methods[] = {
    {"split_request_head", (PyCFunction)(void (*)(void))split_request_head, METH_FASTCALL,
     "split_request_head(head, max_start_line, max_fields) -> (method, target, version, items, "
     "framing) | None: a request head validated as _abnf.REQUEST_HEAD_RE does and split into "
     "fields (RFC 9112 §3, §5); None for anything the step-by-step parser must judge."},
    {"take_request_head", (PyCFunction)(void (*)(void))take_request_head, METH_FASTCALL,
     "take_request_head(buf, search_from, limits, max_decided) -> plan | (head, split) | None: a "
     "whole request head cut from the buffer, with what it decides (memo.py's Plan) for the "
     "usual requests, else its split; None when there is none or the splitter declines it."},
    {"request_from_plan", (PyCFunction)(void (*)(void))request_from_plan, METH_FASTCALL,
     "request_from_plan(plan, request_class, headers_class) -> Request: the event a plan "
     "(memo.py) describes, made as _readers._request_from_plan makes it."},
    {"cut", (PyCFunction)(void (*)(void))cut, METH_FASTCALL,
     "cut(buf, n): del buf[:n], keeping a small allocation when that empties buf."},
    {"data_from_buffer", (PyCFunction)(void (*)(void))data_from_buffer, METH_FASTCALL,
     "data_from_buffer(buf, n, data_class) -> Data: the first n bytes of buf (all of it if "
     "shorter) cut out as a Data event, as _readers._data_from_buffer does."},
    {NULL, NULL, 0, NULL},
};

static int
speedups_exec(PyObject *module)
{
    const char *tchars = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; c++) {
        is_tchar[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c != 0 && strchr(tchars, c) != NULL);
        is_target_char[c] = c >= 0x21 && c <= 0x7e && c != '#';
        is_field_char[c] = c == '\t' || (c >= 0x20 && c != 0x7f);
        to_lower[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        is_reg_name[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                         (c >= 'a' && c <= 'z') ||
                         (c != 0 && strchr("-._~%!$&'()*+,;=", c) != NULL);
    }
    if (version_10 == NULL) {
        version_10 = PyBytes_FromString("1.0");
        version_11 = PyBytes_FromString("1.1");
        if (version_10 == NULL || version_11 == NULL) {
            return -1;
        }
        for (n_common = 0; common_names[n_common] != NULL && n_common < MAX_COMMON; n_common++) {
            common_name_objs[n_common] = PyBytes_FromString(common_names[n_common]);
            if (common_name_objs[n_common] == NULL) {
                return -1;
            }
        }
        for (Py_ssize_t n = 0; n <= MAX_NAME; n++) {
            first_of_length[n] = -1;
        }
        for (Py_ssize_t i = n_common - 1; i >= 0; i--) { /* backwards: chains keep table order */
            const Py_ssize_t n = PyBytes_GET_SIZE(common_name_objs[i]);
            next_of_length[i] = first_of_length[n];
            first_of_length[n] = i;
        }
        for (int m = 0; common_methods[m] != NULL; m++) {
            common_method_objs[m] = PyBytes_FromString(common_methods[m]);
            if (common_method_objs[m] == NULL) {
                return -1;
            }
        }
    }
    return 0;
}

static struct PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, speedups_exec},
#if PY_VERSION_HEX >= 0x030C0000
    /* The shared names above are made once per process, not per interpreter. */
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "crlf.protocol._speedups",
    "A request head validated and split in C (optional; _readers.py falls back to regexes).",
    0,
    speedups_methods,
    speedups_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
