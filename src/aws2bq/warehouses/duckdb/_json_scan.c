/*
 * aws2bq.warehouses.duckdb._json_scan: JSON lines parsed against a known Arrow schema.
 *
 * The fast path of the Arrow stager (arrow_scan.py). pyarrow's JSON reader spends most of the
 * stager's time building the nested structs of DynamoDB JSON; once a chunk's schema is known
 * (learned by pyarrow from the first chunks), this scanner fills the same Arrow buffers in one
 * pass over the bytes, with the GIL released. It accepts only what it is sure to read exactly
 * as pyarrow would: objects, strings, true/false, null and arrays, against the schema's
 * structs, strings, booleans and lists. Anything else -- a field the schema does not have, a
 * number, a duplicate member, an escape it cannot decode, bytes that are not JSON -- makes the
 * whole call return None, and the caller parses the chunk with pyarrow, which widens the
 * schema or reports the error with its position. So this code never decides what is an error:
 * it only declines.
 *
 * scan(data, spec) -> None | (rows, [(length, null_count, validity, values, data), ...])
 *   data: a bytes-like object (the chunk: JSON objects separated by whitespace; the caller has
 *         checked it is UTF-8).
 *   spec: the schema as a list of nodes in pre-order, node 0 the line object:
 *         (kind, children, names) with kind 0 struct, 1 string, 2 bool, 3 list;
 *         children a tuple of node indices (struct: one per field; list: its element), names a
 *         tuple of bytes (struct field names, UTF-8).
 *   Returns per node: its number of slots, how many are null, and its buffers as bytes
 *   (validity bitmap or None when there are no nulls; string: int32 offsets and data; bool:
 *   value bitmap; list: int32 offsets; struct: none) -- Arrow's columnar layout
 *   (https://arrow.apache.org/docs/format/Columnar.html).
 *
 * JSON per RFC 8259; string escapes decoded to UTF-8 as pyarrow (RapidJSON) does, a surrogate
 * pair into one code point, a lone surrogate declined. Also declined: an empty chunk (pyarrow
 * refuses it), nesting deeper than MAX_DEPTH, a string or list past int32 offsets.
 * Raises ValueError for a malformed spec (not a tree of known kinds) and MemoryError when
 * out of memory; never for the bytes of the chunk.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { K_STRUCT = 0, K_STRING = 1, K_BOOL = 2, K_LIST = 3 };

typedef struct {
    uint8_t *p;
    size_t len, cap;
} Buf;

typedef struct Node {
    int kind;
    int nchildren;
    int *children;          /* node indices */
    const char **names;     /* struct field names (borrowed from the spec's bytes) */
    Py_ssize_t *name_lens;
    int *table;             /* open-addressing hash of names -> field position, or -1 */
    int table_size;
    uint64_t *seen;         /* struct: the object serial that last set each field */
    int first;              /* struct: the first member of the last object, or -1 */
    int *next;              /* struct: the member that followed each one last time, or -1 */
    int64_t length, nulls;
    Buf validity;           /* one bit per slot, set when valid */
    Buf offsets;            /* string / list: int32 offsets */
    Buf data;               /* string bytes; bool value bits */
} Node;

typedef struct {
    Node *nodes;
    int nnodes;
    const uint8_t *p, *end;
    uint64_t serial;
    int failed;             /* declined: the caller parses with pyarrow */
    int nomem;
    int depth;
    Buf key;                /* a decoded member name (reused) */
} Scan;

#define MAX_DEPTH 200

static int buf_reserve(Scan *s, Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) { s->nomem = 1; s->failed = 1; return 0; }
    b->p = p;
    b->cap = cap;
    return 1;
}

static int set_bit(Scan *s, Buf *b, int64_t index, int value) {
    size_t byte = (size_t)(index >> 3);
    if (byte >= b->len) {
        if (!buf_reserve(s, b, byte + 1 - b->len)) return 0;
        memset(b->p + b->len, 0, byte + 1 - b->len);
        b->len = byte + 1;
    }
    if (value) b->p[byte] |= (uint8_t)(1u << (index & 7));
    return 1;
}

static int push_i32(Scan *s, Buf *b, int64_t v) {
    if (v > INT32_MAX) { s->failed = 1; return 0; } /* pyarrow would use chunks: decline */
    if (!buf_reserve(s, b, 4)) return 0;
    int32_t x = (int32_t)v;
    memcpy(b->p + b->len, &x, 4);
    b->len += 4;
    return 1;
}

static int current_offset(Node *n) {
    int32_t x;
    memcpy(&x, n->offsets.p + n->offsets.len - 4, 4);
    return x;
}

/* A valid slot's bit. Until a node's first null its bitmap is not kept (all valid). */
static inline int mark_valid(Scan *s, Node *n) {
    return n->nulls == 0 || set_bit(s, &n->validity, n->length, 1);
}

/* A slot that is null: children of a struct get a (null) slot too, as Arrow requires. */
static int append_null(Scan *s, Node *n) {
    if (n->nulls == 0 && n->length > 0) { /* the first null: the bits of the valid slots */
        size_t full = (size_t)(n->length >> 3);
        if (!buf_reserve(s, &n->validity, full + 1)) return 0;
        memset(n->validity.p, 0xFF, full);
        n->validity.len = full;
        for (int64_t i = (int64_t)full << 3; i < n->length; i++)
            if (!set_bit(s, &n->validity, i, 1)) return 0;
    }
    if (!set_bit(s, &n->validity, n->length, 0)) return 0;
    n->nulls++;
    switch (n->kind) {
    case K_STRING:
    case K_LIST:
        if (!push_i32(s, &n->offsets, n->kind == K_STRING ? (int64_t)n->data.len
                                                           : (int64_t)current_offset(n)))
            return 0;
        break;
    case K_BOOL:
        if (!set_bit(s, &n->data, n->length, 0)) return 0;
        break;
    case K_STRUCT:
        for (int i = 0; i < n->nchildren; i++)
            if (!append_null(s, &s->nodes[n->children[i]])) return 0;
        break;
    }
    n->length++;
    return 1;
}

static inline void skip_ws(Scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hexval(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(Scan *s, uint32_t *out) {
    if (s->end - s->p < 4) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s->p[i]);
        if (h < 0) return 0;
        v = (v << 4) | (uint32_t)h;
    }
    s->p += 4;
    *out = v;
    return 1;
}

/* Decode the string at s->p (just after its opening quote) onto the end of b. */
static int read_string(Scan *s, Buf *b) {
    for (;;) {
        const uint8_t *start = s->p;
        while (s->p < s->end && *s->p != '"' && *s->p != '\\' && *s->p >= 0x20) s->p++;
        size_t run = (size_t)(s->p - start);
        if (run) {
            if (!buf_reserve(s, b, run)) return 0;
            memcpy(b->p + b->len, start, run);
            b->len += run;
        }
        if (s->p >= s->end || *s->p < 0x20) { s->failed = 1; return 0; }
        if (*s->p == '"') { s->p++; return 1; }
        /* an escape */
        s->p++;
        if (s->p >= s->end) { s->failed = 1; return 0; }
        uint8_t c = *s->p++;
        uint8_t one;
        switch (c) {
        case '"': one = '"'; break;
        case '\\': one = '\\'; break;
        case '/': one = '/'; break;
        case 'b': one = '\b'; break;
        case 'f': one = '\f'; break;
        case 'n': one = '\n'; break;
        case 'r': one = '\r'; break;
        case 't': one = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(s, &cp)) { s->failed = 1; return 0; }
            if (cp >= 0xDC00 && cp <= 0xDFFF) { s->failed = 1; return 0; }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t low;
                if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u') {
                    s->failed = 1;
                    return 0;
                }
                s->p += 2;
                if (!read_hex4(s, &low) || low < 0xDC00 || low > 0xDFFF) {
                    s->failed = 1;
                    return 0;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            uint8_t u[4];
            size_t k;
            if (cp < 0x80) { u[0] = (uint8_t)cp; k = 1; }
            else if (cp < 0x800) {
                u[0] = (uint8_t)(0xC0 | (cp >> 6)); u[1] = (uint8_t)(0x80 | (cp & 0x3F)); k = 2;
            } else if (cp < 0x10000) {
                u[0] = (uint8_t)(0xE0 | (cp >> 12)); u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                u[2] = (uint8_t)(0x80 | (cp & 0x3F)); k = 3;
            } else {
                u[0] = (uint8_t)(0xF0 | (cp >> 18)); u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); u[3] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 4;
            }
            if (!buf_reserve(s, b, k)) return 0;
            memcpy(b->p + b->len, u, k);
            b->len += k;
            continue;
        }
        default: s->failed = 1; return 0;
        }
        if (!buf_reserve(s, b, 1)) return 0;
        b->p[b->len++] = one;
    }
}

static int literal(Scan *s, const char *word, size_t n) {
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) { s->failed = 1; return 0; }
    s->p += n;
    return 1;
}

static uint32_t name_hash(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static int find_field(Node *n, const uint8_t *name, size_t len) {
    uint32_t mask = (uint32_t)n->table_size - 1;
    uint32_t i = name_hash(name, len) & mask;
    for (;;) {
        int f = n->table[i];
        if (f < 0) return -1;
        if ((size_t)n->name_lens[f] == len && memcmp(n->names[f], name, len) == 0) return f;
        i = (i + 1) & mask;
    }
}

static int parse_value(Scan *s, Node *n);

static int parse_struct(Scan *s, Node *n) {
    /* at '{' */
    s->p++;
    uint64_t serial = ++s->serial;
    int previous = -1; /* the member before, in this object */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            skip_ws(s);
            if (s->p >= s->end || *s->p != '"') { s->failed = 1; return 0; }
            s->p++;
            const uint8_t *start = s->p;
            const uint8_t *name;
            size_t len;
            while (s->p < s->end && *s->p != '"' && *s->p != '\\' && *s->p >= 0x20) s->p++;
            if (s->p < s->end && *s->p == '"') {
                name = start;
                len = (size_t)(s->p - start);
                s->p++;
            } else {
                s->p = start;
                s->key.len = 0;
                if (!read_string(s, &s->key)) return 0;
                name = s->key.p ? s->key.p : (const uint8_t *)"";
                len = s->key.len;
            }
            /* Lines usually list members in the same order: try the one that followed the
               previous member last time before hashing the name. */
            int guess = previous < 0 ? n->first : n->next[previous];
            int f = guess >= 0 && (size_t)n->name_lens[guess] == len
                            && memcmp(n->names[guess], name, len) == 0
                        ? guess
                        : find_field(n, name, len);
            if (f < 0 || n->seen[f] == serial) { s->failed = 1; return 0; }
            n->seen[f] = serial;
            if (previous < 0) n->first = f;
            else n->next[previous] = f;
            previous = f;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':') { s->failed = 1; return 0; }
            s->p++;
            if (!parse_value(s, &s->nodes[n->children[f]])) return 0;
            skip_ws(s);
            if (s->p < s->end && *s->p == ',') { s->p++; continue; }
            if (s->p < s->end && *s->p == '}') { s->p++; break; }
            s->failed = 1;
            return 0;
        }
    }
    for (int i = 0; i < n->nchildren; i++)
        if (n->seen[i] != serial && !append_null(s, &s->nodes[n->children[i]])) return 0;
    if (!mark_valid(s, n)) return 0;
    n->length++;
    return 1;
}

static int parse_value(Scan *s, Node *n) {
    skip_ws(s);
    if (s->p >= s->end) { s->failed = 1; return 0; }
    uint8_t c = *s->p;
    if (c == 'n') {
        if (!literal(s, "null", 4)) return 0;
        return append_null(s, n);
    }
    switch (n->kind) {
    case K_STRUCT:
        if (c != '{' || ++s->depth > MAX_DEPTH) { s->failed = 1; return 0; }
        if (!parse_struct(s, n)) return 0;
        s->depth--;
        return 1;
    case K_STRING:
        if (c != '"') { s->failed = 1; return 0; }
        s->p++;
        if (!read_string(s, &n->data)) return 0;
        if (!push_i32(s, &n->offsets, (int64_t)n->data.len)) return 0;
        break;
    case K_BOOL:
        if (c == 't') {
            if (!literal(s, "true", 4) || !set_bit(s, &n->data, n->length, 1)) return 0;
        } else if (c == 'f') {
            if (!literal(s, "false", 5) || !set_bit(s, &n->data, n->length, 0)) return 0;
        } else {
            s->failed = 1;
            return 0;
        }
        break;
    case K_LIST: {
        if (c != '[' || ++s->depth > MAX_DEPTH) { s->failed = 1; return 0; }
        s->p++;
        Node *child = n->nchildren ? &s->nodes[n->children[0]] : NULL;
        skip_ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
        } else {
            if (!child) { s->failed = 1; return 0; } /* list<null>: only [] is known */
            for (;;) {
                if (!parse_value(s, child)) return 0;
                skip_ws(s);
                if (s->p < s->end && *s->p == ',') { s->p++; continue; }
                if (s->p < s->end && *s->p == ']') { s->p++; break; }
                s->failed = 1;
                return 0;
            }
        }
        s->depth--;
        if (!push_i32(s, &n->offsets, child ? child->length : 0)) return 0;
        break;
    }
    default:
        s->failed = 1;
        return 0;
    }
    if (!mark_valid(s, n)) return 0;
    n->length++;
    return 1;
}

static void free_nodes(Node *nodes, int count) {
    if (!nodes) return;
    for (int i = 0; i < count; i++) {
        Node *n = &nodes[i];
        free(n->children);
        free(n->names);
        free(n->name_lens);
        free(n->table);
        free(n->seen);
        free(n->next);
        free(n->validity.p);
        free(n->offsets.p);
        free(n->data.p);
    }
    free(nodes);
}

/* The spec (see the top) into nodes; 0 with a Python error set if it is malformed. */
static int build_nodes(PyObject *spec, Node **out, int *count) {
    Py_ssize_t total = PyTuple_GET_SIZE(spec);
    if (total <= 0 || total > 1000000) {
        PyErr_SetString(PyExc_ValueError, "spec: a non-empty list of nodes");
        return 0;
    }
    Node *nodes = calloc((size_t)total, sizeof(Node));
    int *parents = malloc((size_t)total * sizeof(int));
    int *depths = calloc((size_t)total, sizeof(int));
    if (!nodes || !parents || !depths) {
        free(nodes);
        free(parents);
        free(depths);
        PyErr_NoMemory();
        return 0;
    }
    memset(parents, -1, (size_t)total * sizeof(int));
    for (Py_ssize_t i = 0; i < total; i++) {
        Node *n = &nodes[i];
        int kind;
        PyObject *children, *names;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(spec, i), "iO!O!", &kind, &PyTuple_Type,
                              &children, &PyTuple_Type, &names))
            goto fail;
        Py_ssize_t nc = PyTuple_GET_SIZE(children);
        if (kind < K_STRUCT || kind > K_LIST || (kind == K_STRUCT && PyTuple_GET_SIZE(names) != nc)
            || (kind == K_LIST && nc > 1) || ((kind == K_STRING || kind == K_BOOL) && nc)) {
            PyErr_SetString(PyExc_ValueError, "spec: a malformed node");
            goto fail;
        }
        n->kind = kind;
        n->nchildren = (int)nc;
        n->children = calloc((size_t)nc + 1, sizeof(int));
        if (!n->children) { PyErr_NoMemory(); goto fail; }
        for (Py_ssize_t c = 0; c < nc; c++) {
            PyObject *item = PyTuple_GET_ITEM(children, c);
            long idx = PyLong_CheckExact(item) ? PyLong_AsLong(item) : -1;
            /* a tree: every child after its parent, with one parent, not too deep */
            if (idx <= i || idx >= total || parents[idx] >= 0 || depths[i] >= MAX_DEPTH) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "spec: a bad child");
                goto fail;
            }
            parents[idx] = (int)i;
            depths[idx] = depths[i] + 1;
            n->children[c] = (int)idx;
        }
        if (kind == K_STRUCT) {
            int size = 8;
            while (size < 2 * nc) size *= 2;
            n->table_size = size;
            n->names = calloc((size_t)nc + 1, sizeof(char *));
            n->name_lens = calloc((size_t)nc + 1, sizeof(Py_ssize_t));
            n->table = malloc((size_t)size * sizeof(int));
            n->seen = calloc((size_t)nc + 1, sizeof(uint64_t));
            n->next = malloc(((size_t)nc + 1) * sizeof(int));
            if (!n->names || !n->name_lens || !n->table || !n->seen || !n->next) {
                PyErr_NoMemory();
                goto fail;
            }
            n->first = -1;
            memset(n->next, -1, ((size_t)nc + 1) * sizeof(int));
            memset(n->table, -1, (size_t)size * sizeof(int));
            for (Py_ssize_t c = 0; c < nc; c++) {
                char *name;
                Py_ssize_t len;
                if (PyBytes_AsStringAndSize(PyTuple_GET_ITEM(names, c), &name, &len) < 0) goto fail;
                n->names[c] = name;
                n->name_lens[c] = len;
                uint32_t h = name_hash((const uint8_t *)name, (size_t)len) & (uint32_t)(size - 1);
                while (n->table[h] >= 0) h = (h + 1) & (uint32_t)(size - 1);
                n->table[h] = (int)c;
            }
        }
    }
    free(parents);
    free(depths);
    *out = nodes;
    *count = (int)total;
    return 1;
fail:
    free(parents);
    free(depths);
    free_nodes(nodes, (int)total);
    return 0;
}

static PyObject *bytes_of(Buf *b) {
    return PyBytes_FromStringAndSize(b->p ? (const char *)b->p : "", (Py_ssize_t)b->len);
}

static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *list;
    if (!PyArg_ParseTuple(args, "y*O!", &view, &PyList_Type, &list)) return NULL;
    /* A snapshot of the spec, alive until the end: the nodes borrow its names' bytes */
    PyObject *spec = PyList_AsTuple(list);
    if (!spec) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Scan s;
    memset(&s, 0, sizeof s);
    if (!build_nodes(spec, &s.nodes, &s.nnodes)) {
        PyBuffer_Release(&view);
        Py_DECREF(spec);
        return NULL;
    }
    Node *root = &s.nodes[0];
    int64_t rows = 0;
    /* pyarrow refuses an empty chunk ("Empty JSON file"): so does this, by declining */
    if (root->kind != K_STRUCT || view.len == 0) s.failed = 1;
    for (Node *n = s.nodes; n < s.nodes + s.nnodes; n++)
        if ((n->kind == K_STRING || n->kind == K_LIST) && !push_i32(&s, &n->offsets, 0)) break;
    Py_BEGIN_ALLOW_THREADS
    s.p = (const uint8_t *)view.buf;
    s.end = s.p + view.len;
    while (!s.failed) {
        skip_ws(&s);
        if (s.p >= s.end) break;
        if (*s.p != '{') { s.failed = 1; break; }
        s.depth = 1;
        if (!parse_struct(&s, root)) break;
        rows++;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyObject *result = NULL;
    if (s.nomem) {
        PyErr_NoMemory();
    } else if (s.failed) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *nodes = PyList_New(s.nnodes);
        if (nodes) {
            for (int i = 0; i < s.nnodes; i++) {
                Node *n = &s.nodes[i];
                PyObject *validity = n->nulls ? bytes_of(&n->validity) : Py_NewRef(Py_None);
                PyObject *values = n->kind == K_STRING || n->kind == K_LIST ? bytes_of(&n->offsets)
                                   : n->kind == K_BOOL ? bytes_of(&n->data)
                                                       : Py_NewRef(Py_None);
                PyObject *data = n->kind == K_STRING ? bytes_of(&n->data) : Py_NewRef(Py_None);
                PyObject *item = NULL;
                if (validity && values && data) /* "N" takes all three, even on failure */
                    item = Py_BuildValue("(LLNNN)", (long long)n->length, (long long)n->nulls,
                                         validity, values, data);
                else {
                    Py_XDECREF(validity);
                    Py_XDECREF(values);
                    Py_XDECREF(data);
                }
                if (!item) {
                    Py_CLEAR(nodes);
                    break;
                }
                PyList_SET_ITEM(nodes, i, item);
            }
        }
        if (nodes) result = Py_BuildValue("(LN)", (long long)rows, nodes);
    }
    free_nodes(s.nodes, s.nnodes);
    free(s.key.p);
    Py_DECREF(spec);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(data, spec) -> None | (rows, nodes): JSON lines into Arrow buffers (see the source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_json_scan",
    "JSON lines parsed against a known Arrow schema (the Arrow stager's fast path).", -1, methods,
};

PyMODINIT_FUNC PyInit__json_scan(void) { return PyModule_Create(&module); }
