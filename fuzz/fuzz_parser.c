/* libFuzzer target for src/http/parser.c: each head whole and by prefixes (the error-prefix
 * contract of http_parse_head), then chunked bodies whole, split and byte by byte, which must agree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NHDR 128
#define MAX_REQUESTS 8 /* pipelined requests followed per input */

/* The defaults, and tiny limits so that 413/414/431 and the chunk-line limit are reached. */
static const http_limits small_limits = {
    .max_request_line = 40,
    .max_head = 160,
    .max_headers = 6,
    .max_body = 300,
    .max_chunk_line = 20,
    .max_trailers = 40,
};

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_parser: contract violated: %s\n", what);
        abort();
    }
}

/* Removes the "\n--MARK--\n" separators between the seeds' socket writes. */
static size_t strip_marks(const uint8_t *in, size_t n, char *out)
{
    static const char mark[] = "\n--MARK--\n";
    const size_t ml = sizeof mark - 1;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (n - i >= ml && memcmp(in + i, mark, ml) == 0) {
            i += ml;
            continue;
        }
        out[o++] = (char)in[i++];
    }
    return o;
}

static int parse(const char *buf, size_t n, const http_limits *lim, http_request *req,
                 http_header *h, http_error *err)
{
    memset(req, 0, sizeof *req);
    err->status = 0;
    err->reason = NULL;
    return http_parse_head(buf, n, lim, req, h, NHDR, err);
}

/* A slice as an offset into its buffer, so results over two copies can be compared. */
static int same_slice(http_slice a, const char *abuf, size_t alen, http_slice b, const char *bbuf)
{
    if (a.len != b.len || (a.base == NULL) != (b.base == NULL))
        return 0;
    if (a.base == NULL)
        return 1;
    int a_in = a.base >= abuf && a.base <= abuf + alen;
    if (!a_in) /* the static "/" of an absolute-form target without a path */
        return a.base == b.base;
    return a.base - abuf == b.base - bbuf;
}

static int in_head(http_slice s, const char *buf, int rc)
{
    return s.len == 0 || (s.base >= buf && s.base + s.len <= buf + rc);
}

static void check_accepted(const char *buf, size_t n, const http_limits *lim, int rc,
                           const http_request *req)
{
    require((size_t)rc <= n && (size_t)rc <= lim->max_head, "head length within input and limit");
    require(req->nheaders <= lim->max_headers && req->nheaders <= NHDR, "field count");
    require(req->minor_version == 0 || req->minor_version == 1, "minor version");
    require(req->method < HTTP_METHOD__MAX, "known method");
    require(in_head(req->target, buf, rc) && in_head(req->method_name, buf, rc), "line slices");
    require(in_head(req->query, buf, rc), "query slice");
    require(req->path.len > 0, "non-empty path");
    for (size_t i = 0; i < req->nheaders; i++) {
        require(req->headers[i].name.len > 0, "non-empty field name");
        require(in_head(req->headers[i].name, buf, rc) && in_head(req->headers[i].value, buf, rc),
                "field slices");
    }
    if (req->body_kind == HTTP_BODY_LENGTH)
        require(req->content_length <= lim->max_body, "content length within limit");
}

/* (b) Every sampled prefix yields 0, or exactly what the whole yields. */
static void check_prefixes(const char *buf, size_t n, const http_limits *lim, int rc,
                           const http_request *whole, const http_error *werr)
{
    unsigned char *want = calloc(n + 1, 1);
    size_t step = n / 128 + 1;
    for (size_t k = 0; k <= n; k++)
        want[k] = k <= 64 || k % step == 0 || n - k <= 4;
    for (size_t k = 0; k < n && k < 1024; k++) /* around every line end */
        if (buf[k] == '\r' || buf[k] == '\n')
            want[k] = want[k + 1] = 1;
    size_t marks[] = {lim->max_head, lim->max_request_line, rc > 0 ? (size_t)rc : 0};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        for (size_t k = marks[i] > 2 ? marks[i] - 2 : 0; k <= marks[i] + 2 && k <= n; k++)
            want[k] = 1;

    http_header *h = malloc(NHDR * sizeof *h);
    for (size_t k = 0; k < n; k++) {
        if (!want[k])
            continue;
        char *copy = malloc(k ? k : 1); /* exact size: a read past len trips ASan */
        memcpy(copy, buf, k);
        http_request r;
        http_error e;
        int prc = parse(copy, k, lim, &r, h, &e);
        if (prc < 0) {
            require(rc < 0, "a prefix fails where the whole is accepted or incomplete");
            require(e.status == werr->status, "a prefix fails with another status");
            require(strcmp(e.reason, werr->reason) == 0, "a prefix fails for another reason");
        } else if (prc > 0) {
            require(prc == rc, "a prefix holds a complete head of another length");
            require(r.method == whole->method && r.minor_version == whole->minor_version &&
                        r.nheaders == whole->nheaders && r.body_kind == whole->body_kind &&
                        r.content_length == whole->content_length &&
                        r.keep_alive == whole->keep_alive &&
                        r.expect_continue == whole->expect_continue,
                    "a prefix's head differs");
            require(same_slice(r.target, copy, k, whole->target, buf) &&
                        same_slice(r.path, copy, k, whole->path, buf) &&
                        same_slice(r.query, copy, k, whole->query, buf) &&
                        same_slice(r.host, copy, k, whole->host, buf),
                    "a prefix's slices differ");
        }
        free(copy);
    }
    free(h);
    free(want);
}

/* (c) Chunked decoding of one body, fed in pieces ending at cuts[] (sorted) or of `step` bytes. */
typedef struct outcome {
    enum http_chunk_result res; /* DONE, ERROR, or MORE when the input ran out */
    int status;
    size_t consumed;
    size_t len;
    char *data;
} outcome;

static void decode(const char *body, size_t n, const http_limits *lim, const size_t *cuts,
                   size_t ncuts, size_t step, outcome *o)
{
    http_chunked d;
    http_chunked_init(&d, lim);
    o->status = 0;
    o->len = 0;
    size_t base = 0, ci = 0;
    for (;;) {
        size_t stop = cuts ? (ci < ncuts ? cuts[ci++] : n) : (n - base > step ? base + step : n);
        size_t plen = stop - base;
        char *piece = malloc(plen ? plen : 1); /* exact size: a read past len trips ASan */
        memcpy(piece, body + base, plen);
        size_t off = 0;
        enum http_chunk_result r;
        for (;;) {
            size_t used = SIZE_MAX, dl = SIZE_MAX;
            const char *dp = NULL;
            http_error e = {0, NULL};
            r = http_chunked_next(&d, piece + off, plen - off, &used, &dp, &dl, &e);
            require(used <= plen - off, "consumed beyond the input");
            if (r == HTTP_CHUNK_DATA) {
                require(dl > 0 && dl <= used && dp == piece + off + used - dl, "data span");
                require(o->len + dl <= n, "more data than input");
                memcpy(o->data + o->len, dp, dl);
                o->len += dl;
                off += used;
                continue;
            }
            require(r == HTTP_CHUNK_MORE || r == HTTP_CHUNK_DONE || r == HTTP_CHUNK_ERROR,
                    "result kind");
            if (r == HTTP_CHUNK_MORE)
                require(used == plen - off, "MORE leaves bytes unconsumed");
            if (r == HTTP_CHUNK_ERROR) {
                require(e.reason != NULL, "error without reason");
                require(e.status == 400 || e.status == 413 || e.status == 431, "chunk status");
                o->status = e.status;
            }
            off += used;
            break;
        }
        free(piece);
        base = stop;
        if (r != HTTP_CHUNK_MORE || base == n) {
            o->res = r;
            o->consumed = stop - plen + off;
            require(o->len <= lim->max_body, "decoded more than max_body");
            return;
        }
    }
}

static void same_outcome(const outcome *a, const outcome *b, const char *what)
{
    if (a->res != b->res || a->status != b->status || a->consumed != b->consumed ||
        a->len != b->len || memcmp(a->data, b->data, a->len) != 0) {
        fprintf(stderr, "fuzz_parser: %s: res %d/%d status %d/%d consumed %zu/%zu len %zu/%zu\n",
                what, a->res, b->res, a->status, b->status, a->consumed, b->consumed, a->len,
                b->len);
        abort();
    }
}

/* Returns how many body bytes the request used (DONE), or 0 when the body did not complete. */
static size_t check_chunked(const char *body, size_t n, const http_limits *lim)
{
    outcome whole, other;
    whole.data = malloc(n + 1);
    other.data = malloc(n + 1);
    decode(body, n, lim, NULL, 0, n + 1, &whole);

    size_t cuts[3];
    for (size_t i = 0; i < 3; i++) /* split points derived from the data itself */
        cuts[i] = n ? ((unsigned char)body[(i * 7919) % n] * 131 + i * 977) % (n + 1) : 0;
    for (size_t i = 1; i < 3; i++) /* insertion sort */
        for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            size_t t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    decode(body, n, lim, cuts, 3, 0, &other);
    same_outcome(&whole, &other, "split at data-derived points");
    decode(body, n, lim, NULL, 0, 1, &other);
    same_outcome(&whole, &other, "byte by byte");
    decode(body, n, lim, NULL, 0, 3, &other);
    same_outcome(&whole, &other, "three bytes at a time");

    size_t used = whole.res == HTTP_CHUNK_DONE ? whole.consumed : 0;
    free(whole.data);
    free(other.data);
    return used;
}

static void run(const char *buf, size_t n, const http_limits *lim)
{
    http_header *h = malloc(NHDR * sizeof *h);
    for (int i = 0; i < MAX_REQUESTS && n > 0; i++) {
        http_request req;
        http_error err;
        int rc = parse(buf, n, lim, &req, h, &err); /* (a) */
        if (rc < 0)
            require(err.reason != NULL &&
                        (err.status == 400 || err.status == 413 || err.status == 414 ||
                         err.status == 417 || err.status == 431 || err.status == 501 ||
                         err.status == 505),
                    "head status");
        else if (rc > 0)
            check_accepted(buf, n, lim, rc, &req);
        check_prefixes(buf, n, lim, rc, &req, &err); /* (b) */
        if (rc <= 0)
            break;
        size_t used = 0;
        if (req.body_kind == HTTP_BODY_CHUNKED) { /* (c) */
            used = check_chunked(buf + rc, n - (size_t)rc, lim);
            if (used == 0)
                break;
        } else if (req.body_kind == HTTP_BODY_LENGTH) {
            if (req.content_length > n - (size_t)rc)
                break;
            used = (size_t)req.content_length;
        }
        buf += (size_t)rc + used; /* the next pipelined request */
        n -= (size_t)rc + used;
    }
    free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    size_t n = strip_marks(data, size, buf);
    char *exact = malloc(n ? n : 1); /* exact size, so ASan sees reads past the end */
    memcpy(exact, buf, n);
    free(buf);
    run(exact, n, &http_default_limits);
    run(exact, n, &small_limits);
    free(exact);
    return 0;
}
