/* The HTTP/1.1 request parser's specification, as Criterion tests: one rule per test, every row and
 * variant of shared/conformance/http1-checklist.md ("checklist N"), split feeding and overflows. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"

/* Checklist shorthands. */
#define P "POST / HTTP/1.1\r\nHost: h\r\n"
#define T P "Transfer-Encoding: chunked\r\n\r\n"
#define GET11 "GET / HTTP/1.1\r\nHost: h\r\n"

#define NHDR 256
static http_header hdrs[NHDR], scratch[NHDR];
static http_request req;
static http_error err;
static char *held; /* the bytes req points into: an exact-size copy, so ASan sees any overread */

static const http_limits *dflt = &http_default_limits;

static int parse_lim(const char *raw, size_t n, const http_limits *lim)
{
    free(held);
    held = malloc(n ? n : 1);
    memcpy(held, raw, n);
    memset(&req, 0, sizeof req);
    memset(&err, 0, sizeof err);
    return http_parse_head(held, n, lim, &req, hdrs, NHDR, &err);
}

/* The contract of http_parse_head: each prefix is 0 (valid so far) or exactly what the whole
 * input yields; rc/status are the whole input's outcome. Long inputs are sampled. */
static void check_prefixes(const char *raw, size_t n, const http_limits *lim, int rc, int status)
{
    size_t step = n > 4096 ? n / 509 : 1;
    for (size_t k = 0; k < n; k += (k < 64 || n - k < 64) ? 1 : step) {
        char *copy = malloc(k ? k : 1);
        memcpy(copy, raw, k);
        http_request r;
        http_error e = {0, NULL};
        int prc = http_parse_head(copy, k, lim, &r, scratch, NHDR, &e);
        free(copy);
        if (prc == 0)
            continue;
        cr_assert_eq(prc, rc, "prefix of %zu bytes gave %d (%d %s), whole gives %d", k, prc,
                     e.status, e.reason ? e.reason : "", rc);
        if (prc < 0)
            cr_assert_eq(e.status, status, "prefix of %zu bytes: status %d, whole %d", k,
                         e.status, status);
    }
}

static void accepts_lim(const char *raw, size_t n, const http_limits *lim, size_t head_len)
{
    check_prefixes(raw, n, lim, (int)head_len, 0);
    int rc = parse_lim(raw, n, lim);
    cr_assert_eq(rc, (int)head_len, "expected a head of %zu bytes, got %d (%d %s)", head_len, rc,
                 err.status, err.reason ? err.reason : "");
}

static void rejects_lim(const char *raw, size_t n, const http_limits *lim, int status)
{
    int rc = parse_lim(raw, n, lim);
    cr_assert_eq(rc, -1, "expected a %d refusal, got %d", status, rc);
    cr_assert_eq(err.status, status, "expected %d, got %d (%s)", status, err.status, err.reason);
    cr_assert(err.reason != NULL && strstr(err.reason, "RFC") != NULL,
              "every refusal cites its rule: %s", err.reason);
    check_prefixes(raw, n, lim, -1, status);
}

static void incomplete(const char *raw, size_t n)
{
    int rc = parse_lim(raw, n, dflt);
    cr_assert_eq(rc, 0, "a valid prefix needs more bytes, got %d (%d %s)", rc, err.status,
                 err.reason ? err.reason : "");
}

#define LEN(lit) (sizeof(lit) - 1)
#define ACCEPTS(lit) accepts_lim(lit, LEN(lit), dflt, LEN(lit))
#define ACCEPTS_HEAD(lit, head) accepts_lim(lit, LEN(lit), dflt, LEN(head))
#define REJECTS(lit, status) rejects_lim(lit, LEN(lit), dflt, status)
#define INCOMPLETE(lit) incomplete(lit, LEN(lit))

static void slice_is(http_slice s, const char *lit)
{
    cr_assert_eq(s.len, strlen(lit), "slice \"%.*s\" is not \"%s\"", (int)s.len,
                 s.base ? s.base : "", lit);
    cr_assert(s.len == 0 || memcmp(s.base, lit, s.len) == 0, "slice \"%.*s\" is not \"%s\"",
              (int)s.len, s.base, lit);
}

/* --- chunked decoding: the outcome of feeding a body in pieces of `step` bytes ------------- */

typedef struct outcome {
    enum http_chunk_result res; /* DONE, ERROR, or MORE when the input ran out */
    int status;
    size_t consumed; /* bytes used up to DONE or to the error; all of them for MORE */
    size_t len;
    char data[16384];
} outcome;

static void decode(const char *body, size_t n, size_t step, const http_limits *lim, outcome *o)
{
    http_chunked d;
    http_chunked_init(&d, lim);
    memset(o, 0, sizeof *o);
    size_t base = 0; /* start of the current piece */
    for (;;) {
        size_t plen = n - base < step ? n - base : step;
        char *piece = malloc(plen ? plen : 1); /* exact size: overreads trip ASan */
        memcpy(piece, body + base, plen);
        size_t off = 0;
        enum http_chunk_result r;
        for (;;) {
            size_t used = 0, dl = 0;
            const char *data = NULL;
            http_error e = {0, NULL};
            r = http_chunked_next(&d, piece + off, plen - off, &used, &data, &dl, &e);
            cr_assert_leq(used, plen - off);
            if (r == HTTP_CHUNK_DATA) {
                cr_assert(dl > 0 && data == piece + off + used - dl);
                cr_assert_leq(o->len + dl, sizeof o->data);
                memcpy(o->data + o->len, data, dl);
                o->len += dl;
                off += used;
                continue;
            }
            if (r == HTTP_CHUNK_ERROR)
                o->status = e.status;
            if (r == HTTP_CHUNK_MORE)
                cr_assert_eq(used, plen - off, "MORE consumes everything");
            off += used;
            break;
        }
        free(piece);
        o->res = r;
        o->consumed = base + off;
        base += plen;
        if (r != HTTP_CHUNK_MORE || base == n)
            return;
    }
}

static outcome whole, split;
static size_t head_len;

/* Parses the head of a T-style request, then decodes the rest whole and in pieces of 1, 2, 3, 5
 * and 7 bytes, requiring identical outcomes. Leaves the whole-feed outcome in `whole`. */
static void decode_request(const char *raw, size_t n, const http_limits *lim)
{
    int rc = parse_lim(raw, n, lim);
    cr_assert_gt(rc, 0, "head refused: %d %s", err.status, err.reason ? err.reason : "");
    cr_assert_eq(req.body_kind, HTTP_BODY_CHUNKED);
    head_len = (size_t)rc;
    decode(raw + rc, n - (size_t)rc, n, lim, &whole);
    static const size_t steps[] = {1, 2, 3, 5, 7};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        decode(raw + rc, n - (size_t)rc, steps[i], lim, &split);
        cr_assert_eq(split.res, whole.res, "step %zu: outcome %d, whole %d", steps[i], split.res,
                     whole.res);
        cr_assert_eq(split.status, whole.status, "step %zu: status differs", steps[i]);
        cr_assert_eq(split.consumed, whole.consumed, "step %zu: consumed differs", steps[i]);
        cr_assert_eq(split.len, whole.len, "step %zu: data length differs", steps[i]);
        cr_assert(memcmp(split.data, whole.data, whole.len) == 0, "step %zu: data differs",
                  steps[i]);
    }
}

static void body_is_lim(const char *raw, size_t n, const http_limits *lim, const char *body,
                        size_t blen, size_t tail)
{
    decode_request(raw, n, lim);
    cr_assert_eq(whole.res, HTTP_CHUNK_DONE, "expected DONE, got %d (status %d)", whole.res,
                 whole.status);
    cr_assert_eq(whole.len, blen);
    cr_assert(memcmp(whole.data, body, blen) == 0);
    cr_assert_eq(head_len + whole.consumed + tail, n,
                 "DONE must stop right after the final CRLF, leaving %zu bytes", tail);
}

static void body_rejects_lim(const char *raw, size_t n, const http_limits *lim, int status)
{
    decode_request(raw, n, lim);
    cr_assert_eq(whole.res, HTTP_CHUNK_ERROR, "expected an error, got %d", whole.res);
    cr_assert_eq(whole.status, status, "expected %d, got %d", status, whole.status);
}

#define BODY_IS(lit, body) body_is_lim(lit, LEN(lit), dflt, body, LEN(body), 0)
#define BODY_REJECTS(lit, status) body_rejects_lim(lit, LEN(lit), dflt, status)

/* Builds big inputs for the limit tests. */
static char *repeat(const char *prefix, const char *unit, size_t count, const char *suffix,
                    size_t *n)
{
    size_t pl = strlen(prefix), ul = strlen(unit), sl = strlen(suffix);
    *n = pl + ul * count + sl;
    char *s = malloc(*n + 1), *w = s;
    memcpy(w, prefix, pl);
    w += pl;
    for (size_t i = 0; i < count; i++, w += ul)
        memcpy(w, unit, ul);
    memcpy(w, suffix, sl + 1);
    return s;
}

/* ======================= request line (RFC 9112 §3) ======================================== */

Test(parser, accepts_simple_get)
{
    ACCEPTS(GET11 "\r\n");
    cr_assert_eq(req.method, HTTP_GET);
    slice_is(req.method_name, "GET");
    slice_is(req.target, "/");
    slice_is(req.path, "/");
    cr_assert_null(req.query.base);
    cr_assert_eq(req.query.len, 0);
    cr_assert_eq(req.minor_version, 1);
    slice_is(req.host, "h");
    cr_assert_eq(req.nheaders, 1);
    cr_assert_eq(req.headers, hdrs);
    cr_assert_eq(req.body_kind, HTTP_BODY_NONE);
    cr_assert_eq(req.keep_alive, 1);
    cr_assert_eq(req.expect_continue, 0);
}

Test(parser, accepts_every_known_method_case_sensitively)
{
    char raw[128];
    for (int m = 0; m < HTTP_METHOD__MAX; m++) {
        const char *target = m == HTTP_CONNECT ? "h:443" : "/";
        int n = snprintf(raw, sizeof raw, "%s %s HTTP/1.1\r\nHost: h\r\n\r\n",
                         http_method_names[m], target);
        accepts_lim(raw, (size_t)n, dflt, (size_t)n);
        cr_assert_eq(req.method, (enum http_method)m);
        slice_is(req.method_name, http_method_names[m]);
    }
}

Test(parser, answers_501_to_unknown_method) /* checklist 30 */
{
    REJECTS("get / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
    REJECTS("BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
    REJECTS("GETS / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
    REJECTS("GE / HTTP/1.1\r\nHost: h\r\n\r\n", 501);
}

Test(parser, rejects_method_that_is_not_a_token)
{
    REJECTS("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("G\xc3\x89T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_double_sp_after_method) /* checklist 28 */
{
    REJECTS("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_htab_as_separator) /* checklist 28 */
{
    REJECTS("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET /\tHTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_trailing_sp_on_request_line) /* checklist 28 */
{
    REJECTS("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_sp_inside_target) /* checklist 28 */
{
    REJECTS("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_fragment_in_target) /* checklist 28 */
{
    REJECTS("GET /#f HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET /a?b#f HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_asterisk_form_except_for_options) /* checklist 28 */
{
    REJECTS("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    ACCEPTS("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    slice_is(req.target, "*");
    slice_is(req.path, "*");
}

Test(parser, rejects_missing_target_and_version)
{
    REJECTS("GET \r\nHost: h\r\n\r\n", 400);
    REJECTS("GET /\r\nHost: h\r\n\r\n", 400); /* HTTP/0.9 style */
    REJECTS("GET / \r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_ctl_and_non_ascii_in_target)
{
    REJECTS("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET /\x00 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, accepts_raw_browser_bytes_in_query)
{
    ACCEPTS("GET /s?q={a}|b^c'd`\"<> HTTP/1.1\r\nHost: h\r\n\r\n");
    slice_is(req.path, "/s");
    slice_is(req.query, "q={a}|b^c'd`\"<>");
}

Test(parser, splits_path_and_query_at_first_question_mark)
{
    ACCEPTS("GET /a/b?x=1?y HTTP/1.1\r\nHost: h\r\n\r\n");
    slice_is(req.path, "/a/b");
    slice_is(req.query, "x=1?y");
    ACCEPTS("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n");
    slice_is(req.path, "/a");
    cr_assert_not_null(req.query.base, "an empty query is present, not absent");
    cr_assert_eq(req.query.len, 0);
}

Test(parser, rejects_target_in_no_form)
{
    REJECTS("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET ** HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, takes_host_from_absolute_form)
{
    ACCEPTS("GET http://Example.com:8080 HTTP/1.1\r\nHost: other\r\n\r\n");
    slice_is(req.host, "Example.com:8080");
    slice_is(req.path, "/");
    cr_assert_null(req.query.base);
    ACCEPTS("GET HTTPS://a/b/c?d=e HTTP/1.1\r\nHost: a\r\n\r\n");
    slice_is(req.host, "a");
    slice_is(req.path, "/b/c");
    slice_is(req.query, "d=e");
    ACCEPTS("GET http://a?q HTTP/1.1\r\nHost: a\r\n\r\n");
    slice_is(req.path, "/");
    slice_is(req.query, "q");
    ACCEPTS("GET http://[::1]:80/ HTTP/1.0\r\n\r\n");
    slice_is(req.host, "[::1]:80");
}

Test(parser, rejects_absolute_form_without_host_or_with_userinfo)
{
    REJECTS("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET http:// HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET http://h:8x/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, accepts_authority_form_only_for_connect)
{
    ACCEPTS("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    slice_is(req.target, "example.com:443");
    slice_is(req.path, "example.com:443");
    REJECTS("GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("CONNECT example.com: HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("CONNECT http://example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

/* --- HTTP-version (§2.3; RFC 9110 §6.2) --- */

Test(parser, rejects_two_digit_minor_version) /* checklist 29 */
{
    REJECTS("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_truncated_version) /* checklist 29 */
{
    REJECTS("GET / HTTP/1.\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET / HTTP/\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_lowercase_version) /* checklist 29 */
{
    REJECTS("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
    REJECTS("GET / HTTP/1,1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, answers_505_to_other_major_versions) /* checklist 29 */
{
    REJECTS("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
    REJECTS("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505);
    REJECTS("GET / HTTP/3.1\r\n\r\n", 505);
}

Test(parser, handles_higher_minor_versions_as_1_1) /* checklist 29 */
{
    ACCEPTS("GET / HTTP/1.2\r\nHost: h\r\n\r\n");
    cr_assert_eq(req.minor_version, 1);
    ACCEPTS("GET / HTTP/1.9\r\nHost: h\r\n\r\n");
    cr_assert_eq(req.minor_version, 1);
    REJECTS("GET / HTTP/1.2\r\n\r\n", 400); /* and so needs Host */
}

Test(parser, accepts_http_1_0_without_host) /* checklist 31 */
{
    ACCEPTS("GET / HTTP/1.0\r\n\r\n");
    cr_assert_eq(req.minor_version, 0);
    cr_assert_null(req.host.base);
    cr_assert_eq(req.keep_alive, 0);
}

Test(parser, waits_on_prefix_of_valid_version)
{
    INCOMPLETE("GET / HTTP/1.");
    INCOMPLETE("GET / HTTP/");
    INCOMPLETE("GET / HTTP/1.1\r");
    INCOMPLETE("GET / HTTP/2.0\r"); /* 505 only once the line is whole */
    INCOMPLETE("get / HTTP/1.1"); /* 501 likewise */
}

/* ======================= line endings and empty lines (§2.2) =============================== */

Test(parser, skips_leading_empty_lines) /* checklist 31 */
{
    ACCEPTS("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
    slice_is(req.path, "/");
    ACCEPTS("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

Test(parser, counts_leading_empty_lines_toward_max_head)
{
    http_limits lim = http_default_limits;
    lim.max_head = 30;
    const char ok[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"; /* 27 bytes */
    accepts_lim(ok, LEN(ok), &lim, LEN(ok));
    const char more[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    rejects_lim(more, LEN(more), &lim, 431);
}

Test(parser, rejects_bare_lf_line_endings) /* checklist 25 */
{
    REJECTS("GET / HTTP/1.1\nHost: h\n\n", 400);
    REJECTS(GET11 "X: a\n\r\n", 400);
    REJECTS(GET11 "\n", 400);
    REJECTS("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

Test(parser, rejects_bare_cr_in_field_value) /* checklist 23 */
{
    REJECTS(GET11 "X: a\rb\r\n\r\n", 400);
}

Test(parser, rejects_bare_cr_ending_the_head) /* checklist 23 */
{
    REJECTS("GET / HTTP/1.1\r\nHost: h\r\n\rZ", 400);
    REJECTS("GET / HTTP/1.1\rHost: h\r\n\r\n", 400);
    REJECTS("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

/* ======================= field lines (§5; RFC 9110 §5) ===================================== */

Test(parser, records_fields_in_order_with_ows_trimmed)
{
    ACCEPTS(GET11 "X-A:  one two \t\r\nx-b:two\r\nX-Empty:\r\nX-Spaces:   \r\n\r\n");
    cr_assert_eq(req.nheaders, 5);
    slice_is(req.headers[1].name, "X-A");
    slice_is(req.headers[1].value, "one two");
    slice_is(req.headers[2].name, "x-b");
    slice_is(req.headers[2].value, "two");
    slice_is(req.headers[3].value, "");
    slice_is(req.headers[4].value, "");
}

Test(parser, accepts_obs_text_in_field_values)
{
    ACCEPTS(GET11 "X: caf\xc3\xa9 \x80\xff\r\n\r\n");
    slice_is(req.headers[1].value, "caf\xc3\xa9 \x80\xff");
}

Test(parser, rejects_obs_fold) /* checklist 21 */
{
    REJECTS("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", 400);
}

Test(parser, rejects_whitespace_before_first_field) /* checklist 22 */
{
    REJECTS("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400);
}

Test(parser, rejects_whitespace_before_colon) /* checklist 13 */
{
    REJECTS(P "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400);
    REJECTS(P "X\t: a\r\n\r\n", 400);
}

Test(parser, rejects_space_in_field_name) /* checklist 26 */
{
    REJECTS(GET11 "Foo bar: x\r\n\r\n", 400);
}

Test(parser, rejects_empty_field_name) /* checklist 26 */
{
    REJECTS(GET11 ": x\r\n\r\n", 400);
}

Test(parser, rejects_field_line_without_colon) /* checklist 26 */
{
    REJECTS(GET11 "Foo\r\n\r\n", 400);
}

Test(parser, rejects_non_token_field_name) /* checklist 26 */
{
    REJECTS(GET11 "F\x85: x\r\n\r\n", 400);
    REJECTS(GET11 "F\"o: x\r\n\r\n", 400);
    REJECTS(GET11 "F\x00: x\r\n\r\n", 400);
}

Test(parser, rejects_nul_in_field_value) /* checklist 24 */
{
    REJECTS("GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", 400);
}

Test(parser, rejects_other_ctls_in_field_value)
{
    REJECTS(GET11 "X: a\x0b b\r\n\r\n", 400);
    REJECTS(GET11 "X: a\x0c b\r\n\r\n", 400);
    REJECTS(GET11 "X: a\x7f b\r\n\r\n", 400);
    REJECTS(GET11 "X: a\x1b b\r\n\r\n", 400);
    ACCEPTS(GET11 "X: a\tb\r\n\r\n");
    slice_is(req.headers[1].value, "a\tb");
}

/* ======================= Host (§3.2; RFC 9110 §7.2) ======================================== */

Test(parser, rejects_http_1_1_without_host) /* checklist 27 */
{
    REJECTS("GET / HTTP/1.1\r\n\r\n", 400);
}

Test(parser, rejects_two_host_fields) /* checklist 27 */
{
    REJECTS("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

Test(parser, rejects_host_that_is_not_an_authority) /* checklist 27 */
{
    REJECTS("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: a%2\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: [1:2]\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400);
    REJECTS("GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 400);
}

Test(parser, accepts_host_forms)
{
    static const char *const hosts[] = {
        "example.com", "example.com:8080", "127.0.0.1", "[::1]", "[::1]:443",
        "[2001:db8::ff00:42:8329]", "[::ffff:192.0.2.1]", "[1:2:3:4:5:6:7:8]", "[v1.fe80::a+en1]",
        "a%2Db", "xn--caf-dma.example", "h:",
    };
    char raw[128];
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        int n = snprintf(raw, sizeof raw, "GET / HTTP/1.1\r\nHost:  %s \r\n\r\n", hosts[i]);
        accepts_lim(raw, (size_t)n, dflt, (size_t)n);
        slice_is(req.host, hosts[i]);
    }
}

/* RFC 9112 §3.2: a client sends an empty Host when the target URI has no authority. We accept it
 * syntactically; whether an empty host names a site is the router's business. */
Test(parser, accepts_empty_host_value)
{
    ACCEPTS("GET / HTTP/1.1\r\nHost:\r\n\r\n");
    cr_assert_not_null(req.host.base);
    cr_assert_eq(req.host.len, 0);
}

/* ======================= Content-Length (§6.3; RFC 9110 §8.6) ============================== */

Test(parser, accepts_content_length)
{
    ACCEPTS_HEAD(P "Content-Length: 5\r\n\r\nhello", P "Content-Length: 5\r\n\r\n");
    cr_assert_eq(req.body_kind, HTTP_BODY_LENGTH);
    cr_assert_eq(req.content_length, 5);
    ACCEPTS(P "Content-Length: 0\r\n\r\n");
    cr_assert_eq(req.body_kind, HTTP_BODY_LENGTH);
    cr_assert_eq(req.content_length, 0);
    ACCEPTS(P "content-length:007\r\n\r\n");
    cr_assert_eq(req.content_length, 7);
}

Test(parser, rejects_two_different_content_lengths) /* checklist 1 */
{
    REJECTS(P "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400);
}

Test(parser, rejects_content_length_list) /* checklist 2 */
{
    REJECTS(P "Content-Length: 5, 6\r\n\r\nhello!", 400);
    REJECTS(P "Content-Length: 5, 5\r\n\r\nhello", 400);
    REJECTS(P "Content-Length: 5,\r\n\r\nhello", 400);
}

/* Checklist 3 allows accepting equal duplicates; we refuse them (strict), as RFC 9110 §8.6
 * only says a recipient MAY accept. */
Test(parser, rejects_duplicate_equal_content_lengths) /* checklist 3 */
{
    REJECTS(P "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400);
}

Test(parser, rejects_content_length_with_sign) /* checklist 4 */
{
    REJECTS(P "Content-Length: +5\r\n\r\nhello", 400);
}

Test(parser, rejects_hex_content_length) /* checklist 4 */
{
    REJECTS(P "Content-Length: 0x5\r\n\r\nhello", 400);
}

Test(parser, rejects_negative_content_length) /* checklist 4 */
{
    REJECTS(P "Content-Length: -1\r\n\r\nhello", 400);
}

Test(parser, rejects_decimal_content_length) /* checklist 4 */
{
    REJECTS(P "Content-Length: 5.0\r\n\r\nhello", 400);
}

Test(parser, rejects_content_length_with_inner_space) /* checklist 4 */
{
    REJECTS(P "Content-Length: 1 0\r\n\r\nhello", 400);
}

Test(parser, rejects_empty_content_length) /* checklist 5 */
{
    REJECTS(P "Content-Length: \r\n\r\n", 400);
    REJECTS(P "Content-Length:\r\n\r\n", 400);
}

Test(parser, answers_413_to_overflowing_content_length) /* checklist 6 */
{
    REJECTS(P "Content-Length: 18446744073709551621\r\n\r\nhello", 413);
    REJECTS(P "Content-Length: 18446744073709551616\r\n\r\n", 413);
    REJECTS(P "Content-Length: 18446744073709551615\r\n\r\n", 413);
    REJECTS(P "Content-Length: 99999999999999999999999999999999999999\r\n\r\n", 413);
}

Test(parser, answers_413_above_max_body)
{
    ACCEPTS(P "Content-Length: 1048576\r\n\r\n");
    cr_assert_eq(req.content_length, 1048576);
    REJECTS(P "Content-Length: 1048577\r\n\r\n", 413);
    http_limits lim = http_default_limits;
    lim.max_body = UINT64_MAX;
    const char max[] = P "Content-Length: 18446744073709551615\r\n\r\n";
    accepts_lim(max, LEN(max), &lim, LEN(max));
    cr_assert_eq(req.content_length, UINT64_MAX);
    const char over[] = P "Content-Length: 18446744073709551616\r\n\r\n";
    rejects_lim(over, LEN(over), &lim, 413);
    lim.max_body = 3;
    const char small[] = P "Content-Length: 4\r\n\r\n";
    rejects_lim(small, LEN(small), &lim, 413);
}

Test(parser, prefers_syntax_error_over_413_for_bad_large_length)
{
    REJECTS(P "Content-Length: 99999999999999999999999x\r\n\r\n", 400);
}

Test(parser, rejects_cl_and_te_smuggling_pair) /* checklist 34 */
{
    REJECTS(P "Content-Length: 1\r\nContent-Length: 2\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
            400);
}

/* ======================= Transfer-Encoding (§6.1, §6.3) ==================================== */

Test(parser, accepts_chunked)
{
    ACCEPTS_HEAD(T "0\r\n\r\n", T);
    cr_assert_eq(req.body_kind, HTTP_BODY_CHUNKED);
    ACCEPTS(P "transfer-encoding: Chunked\r\n\r\n");
    cr_assert_eq(req.body_kind, HTTP_BODY_CHUNKED);
}

Test(parser, rejects_cl_with_te) /* checklist 7 */
{
    REJECTS(P "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
    REJECTS(P "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_te_in_http_1_0) /* checklist 8 */
{
    REJECTS("POST / HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_coding_after_chunked) /* checklist 9 */
{
    REJECTS(P "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400);
    REJECTS(P "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, answers_501_to_coding_before_chunked) /* checklist 10 */
{
    REJECTS(P "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    REJECTS(P "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501);
}

/* Checklist 11 allows 501 or 400; a final coding that is not chunked leaves the length
 * undeterminable (§6.3(4)), so we answer 400 and close. */
Test(parser, rejects_unknown_final_coding) /* checklist 11 */
{
    REJECTS(P "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_identity_coding) /* checklist 11 */
{
    REJECTS(P "Transfer-Encoding: identity\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_chunked_twice) /* checklist 12 */
{
    REJECTS(P "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
    REJECTS(P "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_vt_before_coding) /* checklist 14 */
{
    REJECTS(P "Transfer-Encoding:\x0b" "chunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_ff_before_coding) /* checklist 14 */
{
    REJECTS(P "Transfer-Encoding:\x0c" "chunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_nbsp_before_coding) /* checklist 14 */
{
    REJECTS(P "Transfer-Encoding:\xa0" "chunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_nel_before_coding) /* checklist 14 */
{
    REJECTS(P "Transfer-Encoding:\x85" "chunked\r\n\r\n0\r\n\r\n", 400);
}

Test(parser, rejects_coding_parameters)
{
    REJECTS(P "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400);
}

/* Strict choice: RFC 9110 §5.6.1 lets recipients skip empty list elements, but an empty
 * Transfer-Encoding element is a framing ambiguity other hops may read differently. */
Test(parser, rejects_empty_te_elements)
{
    REJECTS(P "Transfer-Encoding: \r\n\r\n", 400);
    REJECTS(P "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", 400);
    REJECTS(P "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", 400);
    REJECTS(P "Transfer-Encoding: chunked\r\nTransfer-Encoding:\r\n\r\n0\r\n\r\n", 400);
}

/* ======================= Connection and Expect (RFC 9110 §7.6.1, §10.1.1; §9.3) ============ */

Test(parser, keeps_http_1_1_alive_by_default)
{
    ACCEPTS(GET11 "\r\n");
    cr_assert_eq(req.keep_alive, 1);
}

Test(parser, closes_on_connection_close) /* checklist 33 */
{
    ACCEPTS_HEAD("GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n",
                 "GET /a HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    cr_assert_eq(req.keep_alive, 0);
    ACCEPTS(GET11 "Connection: Keep-Alive, CLOSE\r\n\r\n");
    cr_assert_eq(req.keep_alive, 0);
    ACCEPTS(GET11 "Connection: upgrade,,  close\r\n\r\n");
    cr_assert_eq(req.keep_alive, 0);
}

Test(parser, keeps_http_1_0_alive_only_on_request)
{
    ACCEPTS("GET / HTTP/1.0\r\n\r\n");
    cr_assert_eq(req.keep_alive, 0);
    ACCEPTS("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cr_assert_eq(req.keep_alive, 1);
    ACCEPTS("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n");
    cr_assert_eq(req.keep_alive, 0);
}

Test(parser, rejects_non_token_connection_option)
{
    REJECTS(GET11 "Connection: close;x\r\n\r\n", 400);
    REJECTS(GET11 "Connection: keep alive\r\n\r\n", 400);
}

Test(parser, notes_expect_100_continue)
{
    ACCEPTS(P "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    cr_assert_eq(req.expect_continue, 1);
    ACCEPTS(P "Content-Length: 5\r\nExpect: 100-Continue\r\n\r\n");
    cr_assert_eq(req.expect_continue, 1);
    /* RFC 9110 §10.1.1: ignored in HTTP/1.0 */
    ACCEPTS("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    cr_assert_eq(req.expect_continue, 0);
}

Test(parser, answers_417_to_other_expectations)
{
    REJECTS(P "Expect: 200-ok\r\n\r\n", 417);
    REJECTS(P "Expect: 100-continue, x\r\n\r\n", 417);
    REJECTS(P "Expect: 100-continue;a=b\r\n\r\n", 417);
}

/* ======================= limits (§3; RFC 6585 §5; checklist 35) ============================ */

Test(parser, accepts_request_line_at_the_limit)
{
    http_limits lim = http_default_limits;
    lim.max_request_line = 14; /* "GET / HTTP/1.1" */
    accepts_lim(GET11 "\r\n", LEN(GET11 "\r\n"), &lim, LEN(GET11 "\r\n"));
}

Test(parser, answers_414_to_long_request_line)
{
    http_limits lim = http_default_limits;
    lim.max_request_line = 13;
    rejects_lim(GET11 "\r\n", LEN(GET11 "\r\n"), &lim, 414);
}

Test(parser, answers_414_before_the_line_ends)
{
    http_limits lim = http_default_limits;
    lim.max_request_line = 10;
    rejects_lim("GET /abcdefgh", 13, &lim, 414);
    rejects_lim("GET /abcdef", 11, &lim, 414);
    incomplete("GET /abcde", 10); /* exactly the limit: the CRLF may still come */
}

Test(parser, answers_414_to_100kb_target) /* checklist 35 */
{
    size_t n;
    char *raw = repeat("GET /", "a", 100 * 1000, " HTTP/1.1\r\nHost: h\r\n\r\n", &n);
    rejects_lim(raw, n, dflt, 414);
    free(raw);
}

Test(parser, accepts_head_at_max_head)
{
    http_limits lim = http_default_limits;
    const char raw[] = GET11 "\r\n";
    lim.max_head = LEN(raw);
    accepts_lim(raw, LEN(raw), &lim, LEN(raw));
    lim.max_head = LEN(raw) - 1;
    rejects_lim(raw, LEN(raw), &lim, 431);
}

Test(parser, answers_431_to_64kb_of_fields) /* checklist 35 */
{
    char line[1024];
    memset(line, 'a', sizeof line - 3);
    memcpy(line, "X-Pad: ", 7);
    memcpy(line + sizeof line - 3, "\r\n", 3);
    size_t n;
    char *raw = repeat(GET11, line, 64, "\r\n", &n); /* 65 fields, 64 KiB */
    rejects_lim(raw, n, dflt, 431);
    free(raw);
}

Test(parser, answers_431_to_200_fields) /* checklist 35 */
{
    size_t n;
    char *raw = repeat(GET11, "X: y\r\n", 199, "\r\n", &n);
    rejects_lim(raw, n, dflt, 431);
    free(raw);
}

Test(parser, accepts_max_headers_fields_and_not_one_more)
{
    size_t n;
    char *raw = repeat(GET11, "X: y\r\n", 99, "\r\n", &n); /* Host + 99 = 100 */
    accepts_lim(raw, n, dflt, n);
    cr_assert_eq(req.nheaders, 100);
    free(raw);
    raw = repeat(GET11, "X: y\r\n", 100, "\r\n", &n);
    rejects_lim(raw, n, dflt, 431);
    free(raw);
}

Test(parser, answers_431_when_callers_array_is_full)
{
    http_header two[2];
    const char raw[] = GET11 "A: 1\r\nB: 2\r\n\r\n";
    cr_assert_eq(http_parse_head(raw, LEN(raw), dflt, &req, two, 2, &err), -1);
    cr_assert_eq(err.status, 431);
    cr_assert_eq(http_parse_head(raw, LEN(raw), dflt, &req, hdrs, 3, &err), (int)LEN(raw));
}

/* ======================= split feeding and pipelining (§9.3.2) ============================= */

Test(parser, returns_zero_for_every_prefix_of_a_valid_head)
{
    const char raw[] = "\r\nPOST /x?y HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX: a b\r\n\r\n";
    for (size_t k = 0; k < LEN(raw); k++) {
        cr_assert_eq(http_parse_head(raw, k, dflt, &req, hdrs, NHDR, &err), 0, "prefix %zu",
                     k);
    }
    cr_assert_eq(http_parse_head(raw, LEN(raw), dflt, &req, hdrs, NHDR, &err), (int)LEN(raw));
}

Test(parser, stops_at_the_end_of_the_head)
{
    ACCEPTS_HEAD(P "Content-Length: 5\r\n\r\nhello", P "Content-Length: 5\r\n\r\n");
}

Test(parser, parses_pipelined_requests_in_order) /* checklist 32 */
{
    const char raw[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    int first = parse_lim(raw, LEN(raw), dflt);
    cr_assert_eq(first, (int)LEN(raw) / 2);
    slice_is(req.path, "/a");
    int second = parse_lim(raw + first, LEN(raw) - (size_t)first, dflt);
    cr_assert_eq(second, (int)LEN(raw) / 2);
    slice_is(req.path, "/b");
}

Test(parser, decides_an_error_only_once_its_bytes_are_there)
{
    INCOMPLETE(GET11 "Content-Length: 5"); /* might become 50 */
    INCOMPLETE(GET11 "Transfer-Encoding: chunk"); /* might become chunked */
    INCOMPLETE(GET11 "Foo"); /* the colon may follow */
    INCOMPLETE("GET / HTTP/1.1\r\n"); /* Host may follow */
    INCOMPLETE(GET11 "X: a\r"); /* the LF may follow */
}

/* ======================= helpers ============================================================ */

Test(parser, compares_slices_case_insensitively)
{
    http_slice s = {"Content-LENGTH", 14};
    cr_assert(http_slice_ieq(s, "content-length"));
    cr_assert_not(http_slice_ieq(s, "content-lengt"));
    cr_assert_not(http_slice_ieq(s, "content-lengthx"));
    http_slice empty = {NULL, 0};
    cr_assert(http_slice_ieq(empty, ""));
}

Test(parser, finds_first_header_by_name)
{
    ACCEPTS(GET11 "X-A: 1\r\nx-a: 2\r\n\r\n");
    const http_header *h = http_find_header(&req, "X-a");
    cr_assert_not_null(h);
    slice_is(h->value, "1");
    cr_assert_null(http_find_header(&req, "X-B"));
}

/* ======================= chunked body (§7.1) ================================================ */

Test(chunked, decodes_chunks)
{
    BODY_IS(T "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
    BODY_IS(T "a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij");
    BODY_IS(T "0\r\n\r\n", "");
    BODY_IS(T "005\r\nhello\r\n000\r\n\r\n", "hello");
}

Test(chunked, ignores_valid_extensions_and_trailers) /* checklist 20 */
{
    BODY_IS(T "5;a=b\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", "hello");
}

Test(chunked, accepts_extension_forms)
{
    BODY_IS(T "5 ;a\r\nhello\r\n0\r\n\r\n", "hello");
    BODY_IS(T "5\t; a ; b = c ;d=\"q \\\" \\x\"\r\nhello\r\n0;e\r\n\r\n", "hello");
    BODY_IS(T "5;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello");
}

Test(chunked, stops_at_the_end_of_the_message)
{
    const char raw[] = T "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    body_is_lim(raw, LEN(raw), dflt, "hello", 5, LEN("GET / HTTP/1.1\r\n"));
}

Test(chunked, rejects_hex_prefix_in_size) /* checklist 15 */
{
    BODY_REJECTS(T "0x5\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_sign_in_size) /* checklist 15 */
{
    BODY_REJECTS(T "+5\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "-5\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_space_before_size) /* checklist 15 */
{
    BODY_REJECTS(T " 5\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_space_after_size_without_extension) /* checklist 15 */
{
    BODY_REJECTS(T "5 \r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_empty_size) /* checklist 15 */
{
    BODY_REJECTS(T "\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, answers_413_to_overflowing_size) /* checklist 16 */
{
    BODY_REJECTS(T "FFFFFFFFFFFFFFFF5\r\nhello\r\n0\r\n\r\n", 413);
    http_limits lim = http_default_limits;
    lim.max_body = UINT64_MAX;
    const char raw[] = T "FFFFFFFFFFFFFFFF5\r\nhello\r\n0\r\n\r\n";
    body_rejects_lim(raw, LEN(raw), &lim, 413);
}

Test(chunked, answers_413_to_more_than_16_hex_digits)
{
    http_limits lim = http_default_limits;
    lim.max_body = UINT64_MAX;
    const char ok[] = T "0000000000000005\r\nhello\r\n0\r\n\r\n";
    body_is_lim(ok, LEN(ok), &lim, "hello", 5, 0);
    const char raw[] = T "00000000000000005\r\nhello\r\n0\r\n\r\n";
    body_rejects_lim(raw, LEN(raw), &lim, 413);
}

Test(chunked, answers_413_when_the_sum_exceeds_max_body)
{
    http_limits lim = http_default_limits;
    lim.max_body = 10;
    const char ok[] = T "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
    body_is_lim(ok, LEN(ok), &lim, "helloworld", 10, 0);
    const char over[] = T "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n";
    body_rejects_lim(over, LEN(over), &lim, 413);
    const char one[] = T "b\r\n";
    body_rejects_lim(one, LEN(one), &lim, 413);
}

Test(chunked, rejects_bare_lf_after_size) /* checklist 17 */
{
    BODY_REJECTS(T "5\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=b\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_bare_cr_after_size)
{
    BODY_REJECTS(T "5\rhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_data_not_followed_by_crlf) /* checklist 18 */
{
    BODY_REJECTS(T "5\r\nhelloXX\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5\r\nhello\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5\r\nhello\rX0\r\n\r\n", 400);
}

Test(chunked, rejects_empty_extension) /* checklist 19 */
{
    BODY_REJECTS(T "5;\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_cr_inside_extension) /* checklist 19 */
{
    BODY_REJECTS(T "5;a\r=b\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_malformed_extensions)
{
    BODY_REJECTS(T "5;a=\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a \r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=b \r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=\"b\" \r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=b c\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=\"b\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5;(a)\r\nhello\r\n0\r\n\r\n", 400);
    BODY_REJECTS(T "5x\r\nhello\r\n0\r\n\r\n", 400);
}

Test(chunked, rejects_chunk_line_over_the_limit)
{
    http_limits lim = http_default_limits;
    lim.max_chunk_line = 5;
    const char ok[] = T "5;a=b\r\nhello\r\n0\r\n\r\n"; /* "5;a=b" is 5 bytes */
    body_is_lim(ok, LEN(ok), &lim, "hello", 5, 0);
    const char over[] = T "5;a=bc\r\nhello\r\n0\r\n\r\n";
    body_rejects_lim(over, LEN(over), &lim, 400);
}

Test(chunked, rejects_invalid_trailers)
{
    BODY_REJECTS(T "0\r\nX: a\r\n b\r\n\r\n", 400);     /* obs-fold */
    BODY_REJECTS(T "0\r\nX : a\r\n\r\n", 400);          /* space before colon */
    BODY_REJECTS(T "0\r\nX\r\n\r\n", 400);              /* no colon */
    BODY_REJECTS(T "0\r\n: a\r\n\r\n", 400);            /* empty name */
    BODY_REJECTS(T "0\r\nX: a\x00\r\n\r\n", 400);       /* CTL */
    BODY_REJECTS(T "0\r\nX: a\n\r\n", 400);             /* bare LF */
    BODY_REJECTS(T "0\r\nX: a\rb\r\n\r\n", 400);        /* bare CR */
    BODY_REJECTS(T "0\r\n\n", 400);                     /* bare LF ending */
    BODY_REJECTS(T "0\r\n\rZ", 400);                    /* bare CR ending */
    BODY_IS(T "0\r\nX: caf\xc3\xa9\r\nY:\r\n\r\n", ""); /* obs-text, empty value */
}

Test(chunked, answers_431_to_trailers_over_the_limit)
{
    http_limits lim = http_default_limits;
    lim.max_trailers = 8;
    const char ok[] = T "0\r\nX: 123\r\n\r\n"; /* "X: 123\r\n" is 8 bytes */
    body_is_lim(ok, LEN(ok), &lim, "", 0, 0);
    const char over[] = T "0\r\nX: 1234\r\n\r\n";
    body_rejects_lim(over, LEN(over), &lim, 431);
}

Test(chunked, needs_more_until_the_final_crlf)
{
    const char raw[] = T "5\r\nhello\r\n0\r\n\r";
    decode_request(raw, LEN(raw), dflt);
    cr_assert_eq(whole.res, HTTP_CHUNK_MORE);
    cr_assert_eq(whole.len, 5);
}

Test(chunked, feeds_byte_by_byte_identically)
{
    const char body[] = "3;x=\"y\"\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n";
    outcome a, b;
    decode(body, LEN(body), LEN(body), dflt, &a);
    decode(body, LEN(body), 1, dflt, &b);
    cr_assert_eq(a.res, HTTP_CHUNK_DONE);
    cr_assert_eq(b.res, HTTP_CHUNK_DONE);
    cr_assert_eq(a.consumed, LEN(body));
    cr_assert_eq(b.consumed, LEN(body));
    cr_assert_eq(a.len, 19);
    cr_assert_eq(b.len, 19);
    cr_assert(memcmp(a.data, "abc0123456789abcdef", 19) == 0);
    cr_assert(memcmp(b.data, "abc0123456789abcdef", 19) == 0);
}

Test(chunked, stays_done_and_stays_failed)
{
    http_chunked d;
    size_t used, dl;
    const char *data;
    http_error e;
    http_chunked_init(&d, dflt);
    cr_assert_eq(http_chunked_next(&d, "0\r\n\r\nX", 6, &used, &data, &dl, &e), HTTP_CHUNK_DONE);
    cr_assert_eq(used, 5);
    cr_assert_eq(http_chunked_next(&d, "X", 1, &used, &data, &dl, &e), HTTP_CHUNK_DONE);
    cr_assert_eq(used, 0);
    http_chunked_init(&d, dflt);
    cr_assert_eq(http_chunked_next(&d, "x", 1, &used, &data, &dl, &e), HTTP_CHUNK_ERROR);
    cr_assert_eq(e.status, 400);
    cr_assert_eq(http_chunked_next(&d, "0\r\n\r\n", 5, &used, &data, &dl, &e), HTTP_CHUNK_ERROR);
}
