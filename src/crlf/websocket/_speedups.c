/* crlf.websocket._speedups: the WebSocket masking XOR (RFC 6455 §5.3) in C.
 *
 * Masking is the one step of the WebSocket session that must touch every payload byte and that
 * no C routine of the standard library does: pure Python reaches about 6 instructions a byte
 * (frames.py: four byte lanes through bytes.translate), this loop well under one, since the
 * compiler turns it into vector XORs. The module is optional: setuptools builds it when a C
 * compiler and the Python headers are there (pyproject.toml, optional = true), and frames.py
 * falls back to the pure-Python lanes when it is absent. Both give the same bytes (tested).
 *
 * unmask(data, key, start, end, phase) -> bytes
 *     data[start:end] XOR the repeating 4-byte key, where byte i of the slice uses
 *     key[(phase + i) % 4]: phase is the payload offset of data[start] (a payload received in
 *     pieces, frames.py). data is any contiguous buffer (bytes, bytearray, memoryview); it is
 *     read in place, not copied first.
 *
 * unmask_join(parts, key, phase) -> bytes
 *     The buffers of the list ``parts`` (bytes, or views of received blocks) joined, XOR the key
 *     from payload offset ``phase``: a large payload kept as it was received, masked, and
 *     unmasked once when its frame is complete (frames.py), so the join and the unmasking are
 *     one pass, not two, and the received blocks are not copied before it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* dst[0:n] = src[0:n] XOR the key lined up from payload offset ``phase``. */
static void
xor_key(unsigned char *dst, const unsigned char *src, Py_ssize_t n, const unsigned char *k,
        Py_ssize_t phase)
{
    Py_ssize_t i = 0;
    unsigned char rk[4];
    uint64_t k8;

    /* The key as it lines up with the slice: byte i uses rk[i % 4]. */
    for (int j = 0; j < 4; j++) {
        rk[j] = k[(phase + j) & 3];
    }
    /* Eight bytes at a time (memcpy keeps unaligned loads defined); the compiler vectorises
     * this loop further. The 8-byte word repeats the 4-byte key twice, so it lines up with
     * every offset that is a multiple of 8. */
    memcpy(&k8, rk, 4);
    memcpy((unsigned char *)&k8 + 4, rk, 4);
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w ^= k8;
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) {
        dst[i] = src[i] ^ rk[i & 3];
    }
}

static PyObject *
unmask(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data, key;
    Py_ssize_t start, end, phase;
    PyObject *out = NULL;

    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "unmask(data, key, start, end, phase) takes 5 arguments");
        return NULL;
    }
    start = PyLong_AsSsize_t(args[2]);
    end = PyLong_AsSsize_t(args[3]);
    phase = PyLong_AsSsize_t(args[4]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &key, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    if (key.len != 4) {
        PyErr_SetString(PyExc_ValueError, "the masking key is 4 bytes (RFC 6455 §5.3)");
        goto done;
    }
    if (start < 0 || end < start || end > data.len || phase < 0) {
        PyErr_SetString(PyExc_ValueError, "unmask: start/end outside the data, or phase < 0");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, end - start);
    if (out != NULL) {
        xor_key((unsigned char *)PyBytes_AS_STRING(out), (const unsigned char *)data.buf + start,
                end - start, (const unsigned char *)key.buf, phase);
    }
done:
    PyBuffer_Release(&key);
    PyBuffer_Release(&data);
    return out;
}

static PyObject *
unmask_join(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *parts, *out;
    Py_buffer key;
    Py_ssize_t phase, total = 0, offset = 0, count;
    unsigned char *dst;

    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "unmask_join(parts, key, phase) takes 3 arguments");
        return NULL;
    }
    parts = args[0];
    if (!PyList_Check(parts)) {
        PyErr_SetString(PyExc_TypeError, "unmask_join: parts must be a list of bytes-like objects");
        return NULL;
    }
    phase = PyLong_AsSsize_t(args[2]);
    if (phase == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (phase < 0) {
        PyErr_SetString(PyExc_ValueError, "unmask_join: phase < 0");
        return NULL;
    }
    count = PyList_GET_SIZE(parts);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *part = PyList_GET_ITEM(parts, i);
        if (PyBytes_Check(part)) {
            total += PyBytes_GET_SIZE(part);
        }
        else {
            /* A view of a received block (frames.py), or any other contiguous buffer. */
            Py_buffer view;
            if (PyObject_GetBuffer(part, &view, PyBUF_SIMPLE) < 0) {
                return NULL;
            }
            total += view.len;
            PyBuffer_Release(&view);
        }
    }
    if (PyObject_GetBuffer(args[1], &key, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (key.len != 4) {
        PyErr_SetString(PyExc_ValueError, "the masking key is 4 bytes (RFC 6455 §5.3)");
        PyBuffer_Release(&key);
        return NULL;
    }
    out = PyBytes_FromStringAndSize(NULL, total);
    if (out != NULL) {
        /* No Python code runs in this loop, so the list cannot change under it. */
        dst = (unsigned char *)PyBytes_AS_STRING(out);
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *part = PyList_GET_ITEM(parts, i);
            if (PyBytes_Check(part)) {
                Py_ssize_t n = PyBytes_GET_SIZE(part);
                xor_key(dst + offset, (const unsigned char *)PyBytes_AS_STRING(part), n,
                        (const unsigned char *)key.buf, phase + offset);
                offset += n;
                continue;
            }
            Py_buffer view;
            if (PyObject_GetBuffer(part, &view, PyBUF_SIMPLE) < 0) {
                Py_CLEAR(out);
                break;
            }
            if (view.len > total - offset) { /* a buffer that grew since it was measured */
                PyBuffer_Release(&view);
                PyErr_SetString(PyExc_ValueError, "unmask_join: a part changed size");
                Py_CLEAR(out);
                break;
            }
            xor_key(dst + offset, (const unsigned char *)view.buf, view.len,
                    (const unsigned char *)key.buf, phase + offset);
            offset += view.len;
            PyBuffer_Release(&view);
        }
        if (out != NULL && offset != total) {
            PyErr_SetString(PyExc_ValueError, "unmask_join: a part changed size");
            Py_CLEAR(out);
        }
    }
    PyBuffer_Release(&key);
    return out;
}

static PyMethodDef speedups_methods[] = {
    {"unmask", (PyCFunction)(void (*)(void))unmask, METH_FASTCALL,
     "unmask(data, key, start, end, phase) -> bytes: data[start:end] XOR the masking key, "
     "byte i using key[(phase + i) % 4] (RFC 6455 §5.3)."},
    {"unmask_join", (PyCFunction)(void (*)(void))unmask_join, METH_FASTCALL,
     "unmask_join(parts, key, phase) -> bytes: the list of bytes (or byte memoryviews) joined, "
     "XOR the masking key "
     "from payload offset phase (RFC 6455 §5.3)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef_Slot speedups_slots[] = {
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "crlf.websocket._speedups",
    "The WebSocket masking XOR in C (optional; frames.py falls back to pure Python).",
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
