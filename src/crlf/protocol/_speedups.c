/* crlf.protocol._speedups: a request head validated and split in one pass, in C.
 *
 * A request head parsed afresh (not a repeat of the connection's last one, memo.py) costs the
 * pure-Python parser a REQUEST_HEAD_RE fullmatch, a FIELD_RE findall and a list comprehension:
 * about 40 + 47 + 25 machine instructions a byte of a browser's 692-byte head, most of the cost
 * of a request the server has not seen before. This function does the same work in one pass,
 * at a few instructions a byte. It is optional: setuptools builds it when a C compiler and the
 * Python headers are there (pyproject.toml, optional = true), and _readers.py falls back to
 * the regular expressions when it is absent. Both take exactly the same heads and give the
 * same results (tests/protocol/test_head_speedups.py compares them on every test head and on
 * generated ones).
 *
 * split_request_head(head, max_start_line, max_fields) -> tuple | None
 *     ``head`` is a request head up to and including the CRLF CRLF that ends it. When it is
 *     exactly what _abnf.REQUEST_HEAD_RE fullmatches (RFC 9112 §3 request line, version 1.0 or
 *     1.1, then §5 field lines) and its request line fits ``max_start_line`` and it has at most
 *     ``max_fields`` field lines, returns ``(method, target, version, items, raw_pairs)``:
 *     ``version`` is b"1.0" or b"1.1"; ``items`` the ``(lowercased name, value)`` pairs, the
 *     value without the OWS around it (RFC 9112 §5.1); ``raw_pairs`` the ``(name as received,
 *     value)`` pairs. Anything else returns None: the caller's step-by-step parser then says
 *     precisely what is wrong (or that it is a 1.x version other than 1.0/1.1, a long line's
 *     414, too many fields' 431).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~" / DIGIT / ALPHA. Built once at import. */
static unsigned char is_tchar[256];
/* RFC 9112 §3.2 as _abnf.REQUEST_LINE_RE takes it: printable ASCII but "#". */
static unsigned char is_target_char[256];
/* RFC 9110 §5.5: field-vchar / SP / HTAB, obs-text included; never CR, LF, NUL or DEL. */
static unsigned char is_field_char[256];

static PyObject *version_10, *version_11;

/* Names and methods met in most requests, made once, so a head of them allocates no new
 * bytes for them and their hashes are computed once (the framing checks look names up in a
 * set). Lowercase, as the items carry them. */
static const char *const common_names[] = {
    "host", "user-agent", "accept", "accept-language", "accept-encoding", "connection",
    "content-length", "content-type", "cookie", "referer", "origin", "upgrade",
    "transfer-encoding", "expect", "cache-control", "pragma", "authorization", "if-none-match",
    "if-modified-since", "range", "upgrade-insecure-requests", "sec-fetch-dest",
    "sec-fetch-mode", "sec-fetch-site", "sec-fetch-user", "priority", "te", "dnt",
    "x-forwarded-for", "x-forwarded-proto", "x-request-id", "sec-websocket-key",
    "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol", NULL,
};
#define MAX_COMMON 40
static PyObject *common_name_objs[MAX_COMMON];
static Py_ssize_t n_common;

static const char *const common_methods[] = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", NULL,
};
static PyObject *common_method_objs[8];

/* A bytes object for s[0:n]: the shared one when a table holds it, else a new one. */
static PyObject *
bytes_from(PyObject *const *table, Py_ssize_t count, const char *s, Py_ssize_t n)
{
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *o = table[i];
        if (PyBytes_GET_SIZE(o) == n && memcmp(PyBytes_AS_STRING(o), s, (size_t)n) == 0) {
            Py_INCREF(o);
            return o;
        }
    }
    return PyBytes_FromStringAndSize(s, n);
}

static PyObject *
split_request_head(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyBytes_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "split_request_head(head: bytes, max_start_line: int, max_fields: int)");
        return NULL;
    }
    Py_ssize_t max_start_line = PyLong_AsSsize_t(args[1]);
    if (max_start_line == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t max_fields = PyLong_AsSsize_t(args[2]);
    if (max_fields == -1 && PyErr_Occurred()) {
        return NULL;
    }
    const unsigned char *h = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    const Py_ssize_t size = PyBytes_GET_SIZE(args[0]);
    Py_ssize_t i = 0;

    /* request-line = method SP request-target SP HTTP-version (RFC 9112 §3). The bytes object
     * ends with a NUL that no table admits, so every scan stops at the end. */
    while (is_tchar[h[i]]) {
        i++;
    }
    const Py_ssize_t method_end = i;
    if (method_end == 0 || h[i] != ' ') {
        Py_RETURN_NONE;
    }
    const Py_ssize_t target_start = ++i;
    while (is_target_char[h[i]]) {
        i++;
    }
    const Py_ssize_t target_end = i;
    if (target_end == target_start || size - i < 10 || memcmp(h + i, " HTTP/1.", 8) != 0 ||
        (h[i + 8] != '0' && h[i + 8] != '1')) {
        Py_RETURN_NONE;
    }
    const int minor = h[i + 8] - '0';
    i += 9;
    const Py_ssize_t section = i; /* the CRLF that ends the request line */
    if (size > max_start_line && section > max_start_line) {
        Py_RETURN_NONE; /* 414: the caller's parser refuses it */
    }

    /* First pass: validate the field lines and count them, so the lists are made at their size
     * and nothing is allocated for a head that is refused. Each is CRLF field-name ":"
     * field-value (RFC 9112 §5); the head ends with CRLF CRLF, at its very end. */
    Py_ssize_t count = 0;
    for (;;) {
        if (size - i < 2 || h[i] != '\r' || h[i + 1] != '\n') {
            Py_RETURN_NONE;
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
            Py_RETURN_NONE;
        }
        i++;
        while (is_field_char[h[i]]) {
            i++;
        }
        count++;
    }
    if (count > max_fields) {
        Py_RETURN_NONE; /* 431: the caller's parser refuses it */
    }

    PyObject *method = NULL, *target = NULL, *items = NULL, *raw = NULL, *result = NULL;
    method = bytes_from(common_method_objs, 7, (const char *)h, method_end);
    target = PyBytes_FromStringAndSize((const char *)h + target_start, target_end - target_start);
    items = PyList_New(count);
    raw = PyList_New(count);
    if (method == NULL || target == NULL || items == NULL || raw == NULL) {
        goto fail;
    }
    /* Second pass over the validated section: split, lowercase the names, trim the values. */
    char lower[64];
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
        PyObject *raw_name = PyBytes_FromStringAndSize((const char *)h + name_start, name_len);
        PyObject *name;
        if (raw_name == NULL) {
            goto fail;
        }
        if (name_len <= (Py_ssize_t)sizeof(lower)) {
            int changed = 0;
            for (Py_ssize_t j = 0; j < name_len; j++) {
                unsigned char c = h[name_start + j];
                if (c >= 'A' && c <= 'Z') {
                    c += 'a' - 'A';
                    changed = 1;
                }
                lower[j] = (char)c;
            }
            name = bytes_from(common_name_objs, n_common, lower, name_len);
            if (name != NULL && !changed && name != raw_name) {
                /* Already lowercase: one object serves as both. */
                Py_DECREF(raw_name);
                raw_name = name;
                Py_INCREF(raw_name);
            }
        }
        else {
            name = PyObject_CallMethod(raw_name, "lower", NULL);
        }
        PyObject *value = PyBytes_FromStringAndSize((const char *)h + v, value_end - v);
        PyObject *pair = NULL, *raw_pair = NULL;
        if (name != NULL && value != NULL) {
            pair = PyTuple_Pack(2, name, value);
            raw_pair = PyTuple_Pack(2, raw_name, value);
        }
        Py_XDECREF(name);
        Py_XDECREF(value);
        Py_DECREF(raw_name);
        if (pair == NULL || raw_pair == NULL) {
            Py_XDECREF(pair);
            Py_XDECREF(raw_pair);
            goto fail;
        }
        PyList_SET_ITEM(items, k, pair);
        PyList_SET_ITEM(raw, k, raw_pair);
        i = line_end;
    }
    result = PyTuple_Pack(5, method, target, minor ? version_11 : version_10, items, raw);
fail:
    Py_XDECREF(method);
    Py_XDECREF(target);
    Py_XDECREF(items);
    Py_XDECREF(raw);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {"split_request_head", (PyCFunction)(void (*)(void))split_request_head, METH_FASTCALL,
     "split_request_head(head, max_start_line, max_fields) -> (method, target, version, items, "
     "raw_pairs) | None: a request head validated as _abnf.REQUEST_HEAD_RE does and split into "
     "fields (RFC 9112 §3, §5); None for anything the step-by-step parser must judge."},
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
