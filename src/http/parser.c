/* Strict HTTP/1.1 request framing (RFC 9112): the request head and the chunked body decoder.
 * Contract in parser.h. Byte-class tables and one tight loop per syntactic element, no allocation. */
#include "http/parser.h"

#include <limits.h>
#include <string.h>

const char *const http_method_names[HTTP_METHOD__MAX] = {
    [HTTP_GET] = "GET",           [HTTP_HEAD] = "HEAD",     [HTTP_POST] = "POST",
    [HTTP_PUT] = "PUT",           [HTTP_DELETE] = "DELETE", [HTTP_CONNECT] = "CONNECT",
    [HTTP_OPTIONS] = "OPTIONS",   [HTTP_TRACE] = "TRACE",   [HTTP_PATCH] = "PATCH",
    [HTTP_PROPFIND] = "PROPFIND", [HTTP_PROPPATCH] = "PROPPATCH",
    [HTTP_MKCOL] = "MKCOL",       [HTTP_COPY] = "COPY",     [HTTP_MOVE] = "MOVE",
    [HTTP_LOCK] = "LOCK",         [HTTP_UNLOCK] = "UNLOCK", [HTTP_SEARCH] = "SEARCH",
};

const http_limits http_default_limits = {
    .max_request_line = 8192,
    .max_head = 32768,
    .max_headers = 100,
    .max_body = 1024 * 1024,
    .max_chunk_line = 4096,
    .max_trailers = 8192,
};

/* Byte classes, one bit each, so every inner loop is a single table lookup per byte. */
enum {
    C_TCHAR = 0x01,  /* token character (RFC 9110 §5.6.2) */
    C_TARGET = 0x02, /* accepted in a request-target: VCHAR except '#'. Wider than RFC 3986 on
                      * purpose: browsers send raw { } | ^ ' and ` in queries, and refusing them
                      * would break real clients without closing a framing hole. */
    C_FIELD = 0x04,  /* field-content byte: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5) */
    C_HEX = 0x08,    /* HEXDIG */
    C_REG = 0x10,    /* reg-name byte: unreserved / sub-delims (RFC 3986 §3.2.2); '%' apart */
    C_QDTEXT = 0x20, /* qdtext of a quoted-string (RFC 9110 §5.6.4) */
    C_DIGIT = 0x40,  /* DIGIT */
};

static const unsigned char cls[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 0x00 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* 0x10 */
    0x24, 0x37, 0x06, 0x25, 0x37, 0x27, 0x37, 0x37, 0x36, 0x36, 0x37, 0x37, 0x36, 0x37, 0x37, 0x26, /* 0x20 */
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x26, 0x36, 0x26, 0x36, 0x26, 0x26, /* 0x30 */
    0x26, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, /* 0x40 */
    0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x26, 0x06, 0x26, 0x27, 0x37, /* 0x50 */
    0x27, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, /* 0x60 */
    0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x37, 0x26, 0x27, 0x26, 0x37, 0x00, /* 0x70 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0x80 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0x90 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0xA0 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0xB0 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0xC0 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0xD0 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0xE0 */
    0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, 0x24, /* 0xF0 */
};

#define IS(c, class) (cls[(unsigned char)(c)] & (class))
#define IS_OWS(c) ((c) == ' ' || (c) == '\t')

/* Every refusal, with its status and the rule it enforces; the honeypot records the reason. */
static const http_error
    E_BARE_LF = {400, "bare LF in the head: lines end with CRLF (RFC 9112 §2.2)"},
    E_BARE_CR = {400, "bare CR in the head (RFC 9112 §2.2)"},
    E_HEAD_TOO_LARGE = {431, "request head larger than the limit (RFC 6585 §5)"},
    E_LINE_TOO_LONG = {414, "request line longer than the limit (RFC 9112 §3)"},
    E_TOO_MANY_FIELDS = {431, "too many header fields (RFC 6585 §5)"},
    E_METHOD = {400, "method is not a token followed by one SP (RFC 9112 §3; RFC 9110 §9.1)"},
    E_METHOD_UNKNOWN = {501, "method not implemented; methods are case-sensitive (RFC 9110 §9.1)"},
    E_TARGET_MISSING = {400, "request-target missing or after more than one SP (RFC 9112 §3)"},
    E_TARGET_CHAR = {400, "invalid byte in the request-target (RFC 9112 §3.2)"},
    E_TARGET_FRAGMENT = {400, "fragment '#' in the request-target (RFC 9112 §3.2)"},
    E_TARGET_END = {400, "request-target not followed by one SP and HTTP-version (RFC 9112 §3)"},
    E_VERSION = {400, "HTTP-version is not exactly HTTP/DIGIT.DIGIT then CRLF (RFC 9112 §2.3)"},
    E_VERSION_UNSUPPORTED = {505, "HTTP major version other than 1 (RFC 9110 §6.2, §15.6.6)"},
    E_FORM = {400, "request-target in none of the four forms (RFC 9112 §3.2)"},
    E_FORM_ASTERISK = {400, "asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)"},
    E_FORM_AUTHORITY = {400, "authority-form is only for CONNECT (RFC 9112 §3.2.3)"},
    E_FORM_CONNECT = {400, "CONNECT needs an authority-form host:port target (RFC 9112 §3.2.3)"},
    E_FORM_ABSOLUTE = {400, "absolute-form is not http(s) with a valid non-empty authority and no "
                            "userinfo (RFC 9112 §3.2.2; RFC 9110 §4.2)"},
    E_FIELD_FOLD = {400, "obs-fold or whitespace at the start of a field line (RFC 9112 §5.2, §2.2)"},
    E_FIELD_NAME_EMPTY = {400, "empty field name (RFC 9112 §5.1)"},
    E_FIELD_NAME_WS = {400, "whitespace between field name and colon (RFC 9112 §5.1)"},
    E_FIELD_NO_COLON = {400, "field line without a colon (RFC 9112 §5.1)"},
    E_FIELD_NAME_CHAR = {400, "field name is not a token (RFC 9110 §5.1)"},
    E_FIELD_VALUE_CTL = {400, "control character in a field value (RFC 9110 §5.5)"},
    E_HOST_MISSING = {400, "HTTP/1.1 request without Host (RFC 9112 §3.2)"},
    E_HOST_DUP = {400, "more than one Host field (RFC 9112 §3.2)"},
    E_HOST_SYNTAX = {400, "Host is not uri-host [\":\" port] (RFC 9110 §7.2; RFC 3986 §3.2)"},
    E_CL_SYNTAX = {400, "Content-Length is not 1*DIGIT (RFC 9110 §8.6; RFC 9112 §6.3)"},
    E_CL_DUP = {400, "more than one Content-Length field (RFC 9112 §6.3; RFC 9110 §8.6)"},
    E_CL_TOO_LARGE = {413, "Content-Length above the body limit (RFC 9110 §15.5.14)"},
    E_CL_AND_TE = {400, "Content-Length and Transfer-Encoding both present (RFC 9112 §6.1, §6.3)"},
    E_TE_HTTP10 = {400, "Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)"},
    E_TE_SYNTAX = {400, "transfer coding is not a token (RFC 9112 §6.1; RFC 9110 §5.6.2)"},
    E_TE_EMPTY = {400, "empty Transfer-Encoding element (RFC 9112 §6.1; strict framing)"},
    E_TE_CHUNKED_TWICE = {400, "chunked applied more than once (RFC 9112 §6.1)"},
    E_TE_NOT_CHUNKED_LAST = {400, "final transfer coding is not chunked (RFC 9112 §6.3)"},
    E_TE_UNSUPPORTED = {501, "transfer coding other than chunked (RFC 9112 §6.1)"},
    E_CONNECTION_SYNTAX = {400, "Connection option is not a token (RFC 9110 §7.6.1)"},
    E_EXPECT = {417, "expectation other than 100-continue (RFC 9110 §10.1.1)"},
    E_CHUNK_SIZE = {400, "chunk-size is not 1*HEXDIG (RFC 9112 §7.1)"},
    E_CHUNK_SIZE_WS = {400, "whitespace after chunk-size without an extension (RFC 9112 §7.1.1)"},
    E_CHUNK_TOO_LARGE = {413, "chunked body larger than the limit (RFC 9112 §7.1; RFC 9110 §15.5.14)"},
    E_CHUNK_EXT = {400, "malformed chunk extension (RFC 9112 §7.1.1)"},
    E_CHUNK_LINE_LONG = {400, "chunk line longer than the limit (RFC 9112 §7.1.1)"},
    E_CHUNK_BARE_LF = {400, "chunk line not ended by CRLF (RFC 9112 §7.1; erratum 7633)"},
    E_CHUNK_BARE_CR = {400, "bare CR in a chunk line (RFC 9112 §7.1, §2.2)"},
    E_CHUNK_DATA_END = {400, "chunk data not followed by CRLF (RFC 9112 §7.1)"},
    E_TRAILER_TOO_LARGE = {431, "trailer section larger than the limit (RFC 9112 §7.1.2)"},
    E_CHUNK_AFTER_ERROR = {400, "chunked decoder called again after an error"};

static int fail(http_error *err, const http_error *e)
{
    *err = *e;
    return -1;
}

static int lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

const http_header *http_find_header(const http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++)
        if (http_mem_ieq(req->headers[i].name.base, req->headers[i].name.len,
                    name, n))
            return &req->headers[i];
    return NULL;
}

static int all_of(const unsigned char *p, const unsigned char *e, int class)
{
    for (; p < e; p++)
        if (!IS(*p, class))
            return 0;
    return 1;
}

static int is_token(const unsigned char *p, const unsigned char *e)
{
    return p < e && all_of(p, e, C_TCHAR);
}

/* --- authority syntax (RFC 3986 §3.2.2, §3.2.3) ------------------------------------------- */

/* dec-octet "." dec-octet "." dec-octet "." dec-octet; no leading zeros (RFC 3986 §3.2.2). */
static int ipv4_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
        size_t s = i;
        unsigned v = 0;
        while (i < n && i - s < 3 && IS(p[i], C_DIGIT))
            v = v * 10 + (unsigned)(p[i++] - '0');
        if (i == s || v > 255 || (i - s > 1 && p[s] == '0'))
            return 0;
    }
    return i == n;
}

/* IPv6address: eight h16, or fewer around one "::", the last two possibly an IPv4address. */
static int ipv6_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    int groups = 0, gap = 0;
    if (n >= 2 && p[0] == ':' && p[1] == ':') {
        gap = 1;
        i = 2;
        if (i == n)
            return 1;
    }
    for (;;) {
        size_t s = i;
        while (i < n && IS(p[i], C_HEX))
            i++;
        if (i < n && p[i] == '.') {
            if (!ipv4_ok(p + s, n - s))
                return 0;
            groups += 2;
            break;
        }
        if (i == s || i - s > 4)
            return 0;
        groups++;
        if (i == n)
            break;
        if (p[i++] != ':' || i == n)
            return 0;
        if (p[i] == ':') {
            if (gap)
                return 0;
            gap = 1;
            if (++i == n)
                break;
        }
    }
    return gap ? groups <= 7 : groups == 8;
}

/* IP-literal = "[" ( IPv6address / IPvFuture ) "]" with the brackets stripped. */
static int ip_literal_ok(const unsigned char *p, size_t n)
{
    if (n > 0 && (p[0] == 'v' || p[0] == 'V')) {
        size_t i = 1;
        while (i < n && IS(p[i], C_HEX))
            i++;
        if (i == 1 || i >= n || p[i] != '.' || ++i == n)
            return 0;
        for (; i < n; i++)
            if (!IS(p[i], C_REG) && p[i] != ':')
                return 0;
        return 1;
    }
    return ipv6_ok(p, n);
}

/* uri-host [ ":" port ]. need_host: the host may not be empty; need_port: ":" 1*DIGIT required. */
static int authority_ok(const unsigned char *p, size_t n, int need_host, int need_port)
{
    size_t i = 0, host_len;
    if (n > 0 && p[0] == '[') {
        const unsigned char *close = memchr(p, ']', n);
        if (close == NULL || !ip_literal_ok(p + 1, (size_t)(close - p) - 1))
            return 0;
        i = (size_t)(close - p) + 1;
        host_len = i;
    } else {
        while (i < n && p[i] != ':') {
            if (p[i] == '%') {
                if (n - i < 3 || !IS(p[i + 1], C_HEX) || !IS(p[i + 2], C_HEX))
                    return 0;
                i += 3;
            } else if (IS(p[i], C_REG)) {
                i++;
            } else {
                return 0;
            }
        }
        host_len = i;
    }
    if (need_host && host_len == 0)
        return 0;
    if (i == n)
        return !need_port;
    if (p[i++] != ':')
        return 0;
    if (need_port && i == n)
        return 0;
    return all_of(p + i, p + n, C_DIGIT);
}

/* --- request line ------------------------------------------------------------------------ */

static enum http_method method_lookup(const unsigned char *m, size_t n)
{
    for (int i = 0; i < HTTP_METHOD__MAX; i++) {
        const char *name = http_method_names[i];
        /* strncmp stops at the name's NUL, which m (a token) cannot match, so name[n] is in
         * bounds whenever the first n bytes are equal. */
        if (name[0] == (char)m[0] && strncmp(name, (const char *)m, n) == 0 && name[n] == '\0')
            return (enum http_method)i;
    }
    return HTTP_METHOD__MAX;
}

static void split_query(const unsigned char *p, const unsigned char *e, http_request *req)
{
    const unsigned char *q = memchr(p, '?', (size_t)(e - p));
    req->path.base = (const char *)p;
    req->path.len = (size_t)((q ? q : e) - p);
    if (q) {
        req->query.base = (const char *)q + 1;
        req->query.len = (size_t)(e - q - 1);
    }
}

/* Checks the request-target's form against the method (RFC 9112 §3.2) and fills path, query
 * and, for absolute-form, *authority. For authority- and asterisk-form, path is the target. */
static const http_error *target_form(const unsigned char *t, size_t n, enum http_method method,
                                     http_request *req, http_slice *authority)
{
    static const char slash[] = "/";
    req->query.base = NULL;
    req->query.len = 0;
    req->path.base = (const char *)t;
    req->path.len = n;
    if (method == HTTP_CONNECT) /* §3.2.3: uri-host ":" port, and nothing else */
        return authority_ok(t, n, 1, 1) ? NULL : &E_FORM_CONNECT;
    if (t[0] == '/') { /* §3.2.1 origin-form */
        split_query(t, t + n, req);
        return NULL;
    }
    if (n == 1 && t[0] == '*') /* §3.2.4 asterisk-form */
        return method == HTTP_OPTIONS ? NULL : &E_FORM_ASTERISK;
    size_t scheme = n >= 7 && http_mem_ieq(t, 7, "http://", 7)    ? 7
                    : n >= 8 && http_mem_ieq(t, 8, "https://", 8) ? 8
                                                             : 0;
    if (scheme == 0) /* §3.2.3: a bare host:port is authority-form, CONNECT only */
        return authority_ok(t, n, 1, 1) ? &E_FORM_AUTHORITY : &E_FORM;
    /* §3.2.2 absolute-form; RFC 9110 §4.2.1 rejects an empty host, §4.2.4 userinfo ('@' is
     * not a reg-name byte, so authority_ok refuses it). */
    const unsigned char *a = t + scheme, *e = t + n, *ae = a;
    while (ae < e && *ae != '/' && *ae != '?')
        ae++;
    if (!authority_ok(a, (size_t)(ae - a), 1, 0))
        return &E_FORM_ABSOLUTE;
    authority->base = (const char *)a;
    authority->len = (size_t)(ae - a);
    if (ae < e && *ae == '/') {
        split_query(ae, e, req);
    } else {
        req->path.base = slash; /* an empty path means "/" (RFC 9110 §4.2.3) */
        req->path.len = 1;
        if (ae < e) {
            req->query.base = (const char *)ae + 1;
            req->query.len = (size_t)(e - ae - 1);
        }
    }
    return NULL;
}

/* --- fields with framing or connection semantics ---------------------------------------- */

/* Walks a #list (RFC 9110 §5.6.1): each element between commas, OWS trimmed, empty ones too. */
typedef struct list_iter {
    const unsigned char *p, *end;
    int done;
} list_iter;

static list_iter list_start(http_slice v)
{
    list_iter it = {(const unsigned char *)v.base, (const unsigned char *)v.base + v.len, 0};
    return it;
}

static int list_next(list_iter *it, const unsigned char **b, const unsigned char **e)
{
    if (it->done)
        return 0;
    const unsigned char *s = it->p, *c = memchr(s, ',', (size_t)(it->end - s));
    const unsigned char *x = c ? c : it->end;
    it->p = c ? c + 1 : x;
    it->done = c == NULL;
    while (s < x && IS_OWS(*s))
        s++;
    while (x > s && IS_OWS(x[-1]))
        x--;
    *b = s;
    *e = x;
    return 1;
}

/* What the semantic pass learns from the fields. */
typedef struct framing {
    size_t hosts;
    int has_cl, cl_too_large;
    uint64_t cl;
    int has_te, te_chunked, te_last_chunked, te_other;
    int close, keep_alive, expect_continue, expect_other;
} framing;

/* §3.2: exactly one Host; an empty value is allowed (a target URI may lack a host). */
static const http_error *field_host(const http_header *h, const http_limits *limits, framing *f,
                                    http_request *req)
{
    (void)limits;
    if (++f->hosts > 1)
        return &E_HOST_DUP;
    if (!authority_ok((const unsigned char *)h->value.base, h->value.len, 0, 0))
        return &E_HOST_SYNTAX;
    req->host = h->value;
    return NULL;
}

/* §6.3(5): one field of 1*DIGIT; a list or a repeat, even of equal values, is refused. */
static const http_error *field_content_length(const http_header *h, const http_limits *limits,
                                              framing *f, http_request *req)
{
    (void)req;
    if (f->has_cl)
        return &E_CL_DUP;
    f->has_cl = 1;
    const unsigned char *b = (const unsigned char *)h->value.base, *e = b + h->value.len;
    if (b == e || !all_of(b, e, C_DIGIT))
        return &E_CL_SYNTAX;
    for (; b < e; b++) { /* saturates above the limit: never wraps */
        unsigned d = (unsigned)(*b - '0');
        if (d > limits->max_body || f->cl > (limits->max_body - d) / 10) {
            f->cl_too_large = 1;
            break;
        }
        f->cl = f->cl * 10 + d;
    }
    return NULL;
}

/* §6.1: codings combine across fields, in order; parameters make an element a non-token,
 * which is fine since no coding we accept takes any. */
static const http_error *field_transfer_encoding(const http_header *h, const http_limits *limits,
                                                 framing *f, http_request *req)
{
    (void)limits, (void)req;
    const unsigned char *b, *e;
    f->has_te = 1;
    for (list_iter it = list_start(h->value); list_next(&it, &b, &e);) {
        if (b == e)
            return &E_TE_EMPTY;
        if (!is_token(b, e))
            return &E_TE_SYNTAX;
        f->te_last_chunked = http_mem_ieq(b, (size_t)(e - b), "chunked", 7);
        if (f->te_last_chunked && f->te_chunked++)
            return &E_TE_CHUNKED_TWICE;
        f->te_other |= !f->te_last_chunked;
    }
    return NULL;
}

/* RFC 9110 §7.6.1: #connection-option, tokens; empty elements are ignored (§5.6.1). */
static const http_error *field_connection(const http_header *h, const http_limits *limits,
                                          framing *f, http_request *req)
{
    (void)limits, (void)req;
    const unsigned char *b, *e;
    for (list_iter it = list_start(h->value); list_next(&it, &b, &e);) {
        if (b == e)
            continue;
        if (!is_token(b, e))
            return &E_CONNECTION_SYNTAX;
        f->close |= http_mem_ieq(b, (size_t)(e - b), "close", 5);
        f->keep_alive |= http_mem_ieq(b, (size_t)(e - b), "keep-alive", 10);
    }
    return NULL;
}

/* RFC 9110 §10.1.1: only 100-continue is defined; anything else is answered 417 at the end. */
static const http_error *field_expect(const http_header *h, const http_limits *limits, framing *f,
                                      http_request *req)
{
    (void)limits, (void)req;
    const unsigned char *b, *e;
    for (list_iter it = list_start(h->value); list_next(&it, &b, &e);) {
        if (b == e)
            continue;
        if (http_mem_ieq(b, (size_t)(e - b), "100-continue", 12))
            f->expect_continue = 1;
        else
            f->expect_other = 1;
    }
    return NULL;
}

/* The fields with framing or connection semantics, by lowercase name. */
static const struct {
    const char *name;
    size_t len;
    const http_error *(*check)(const http_header *, const http_limits *, framing *,
                               http_request *);
} known_fields[] = {
    {"host", 4, field_host},
    {"content-length", 14, field_content_length},
    {"transfer-encoding", 17, field_transfer_encoding},
    {"connection", 10, field_connection},
    {"expect", 6, field_expect},
};

static const http_error *field_semantics(const http_header *h, const http_limits *limits,
                                         framing *f, http_request *req)
{
    for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++)
        if (http_mem_ieq(h->name.base, h->name.len, known_fields[i].name,
                    known_fields[i].len))
            return known_fields[i].check(h, limits, f, req);
    return NULL;
}

/* --- the head ------------------------------------------------------------------------------
 * Online: bytes are examined in order and the first violation decides, each as soon as the bytes
 * that prove it are present. So a prefix fails exactly when the whole fails at a byte inside that
 * prefix, with the same status (the contract in parser.h). Checks that need the whole head
 * (Host count, framing) run after the final CRLF, which any prefix failing them also contains. */

/* Position q is where the next byte is needed and lim = min(end, start + max_head): past lim is
 * either "need more" (buffer exhausted) or "head too large" (a byte beyond max_head exists). */
#define NEED(q)                                                                                \
    do {                                                                                       \
        if ((q) >= lim)                                                                        \
            return lim == end ? 0 : fail(err, &E_HEAD_TOO_LARGE);                              \
    } while (0)

/* The same for request-line bytes, which are also bounded by max_request_line: a byte at
 * rl_stop that is not the CR ending the line makes the line too long (§3), even before its
 * CRLF arrives. */
#define RL_NEED(q)                                                                             \
    do {                                                                                       \
        if ((q) >= rl_stop) {                                                                  \
            NEED(q);                                                                           \
            if (*(q) != '\r')                                                                  \
                return fail(err, &E_LINE_TOO_LONG);                                            \
        }                                                                                      \
    } while (0)

int http_parse_head(const char *buf, size_t len, const http_limits *limits, http_request *req,
                    http_header *headers, size_t max_headers, http_error *err)
{
    if (limits == NULL)
        limits = &http_default_limits;
    /* The head's length is returned as an int, so no limit can let it pass INT_MAX. */
    const unsigned char *const start = (const unsigned char *)buf, *const end = start + len;
    size_t max_head = limits->max_head < (size_t)INT_MAX ? limits->max_head : (size_t)INT_MAX;
    const unsigned char *const lim = len <= max_head ? end : start + max_head;
    size_t cap = max_headers < limits->max_headers ? max_headers : limits->max_headers;
    const unsigned char *p = start;

    /* §2.2: a server SHOULD ignore at least one empty line before the request-line. */
    for (;;) {
        NEED(p);
        if (*p == '\n')
            return fail(err, &E_BARE_LF);
        if (*p != '\r')
            break;
        NEED(p + 1);
        if (p[1] != '\n')
            return fail(err, &E_BARE_CR);
        p += 2;
    }

    const unsigned char *rl_stop =
        (size_t)(lim - p) > limits->max_request_line ? p + limits->max_request_line : lim;

    /* §3: method = token, then exactly one SP. */
    const unsigned char *m = p;
    while (p < rl_stop && IS(*p, C_TCHAR))
        p++;
    RL_NEED(p);
    if (*p != ' ' || p == m)
        return fail(err, &E_METHOD);
    const unsigned char *me = p++;

    /* §3.2: request-target, then exactly one SP. */
    const unsigned char *t = p;
    while (p < rl_stop && IS(*p, C_TARGET))
        p++;
    RL_NEED(p);
    if (p == t && (*p == ' ' || *p == '\r' || *p == '\n'))
        return fail(err, &E_TARGET_MISSING);
    if (*p == '#')
        return fail(err, &E_TARGET_FRAGMENT);
    if (*p == '\r' || *p == '\n')
        return fail(err, &E_TARGET_END); /* HTTP/0.9-style line without a version */
    if (*p != ' ')
        return fail(err, &E_TARGET_CHAR);
    const unsigned char *te = p++;

    /* §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive, then CRLF. */
    static const char version_shape[] = "HTTP/0.0";
    for (int i = 0; i < 8; i++, p++) {
        RL_NEED(p);
        if (i == 5 || i == 7 ? !IS(*p, C_DIGIT) : *p != (unsigned char)version_shape[i])
            return fail(err, *p == '\n' ? &E_BARE_LF : &E_VERSION);
    }
    RL_NEED(p);
    if (*p != '\r')
        return fail(err, *p == '\n' ? &E_BARE_LF : &E_VERSION);
    NEED(p + 1);
    if (p[1] != '\n')
        return fail(err, &E_BARE_CR);
    /* RFC 9110 §6.2: 1.2-1.9 are handled as 1.1. */
    int major = p[-3] - '0', minor = p[-1] == '0' ? 0 : 1;
    p += 2;

    /* The line is whole: decide what depends on all of it. */
    if (major != 1)
        return fail(err, &E_VERSION_UNSUPPORTED);
    enum http_method method = method_lookup(m, (size_t)(me - m));
    if (method == HTTP_METHOD__MAX)
        return fail(err, &E_METHOD_UNKNOWN);
    http_slice authority = {NULL, 0};
    const http_error *form = target_form(t, (size_t)(te - t), method, req, &authority);
    if (form)
        return fail(err, form);

    /* §5: field lines, until the empty line. */
    size_t n = 0;
    for (;;) {
        NEED(p);
        unsigned char c = *p;
        if (c == '\r') {
            NEED(p + 1);
            if (p[1] != '\n')
                return fail(err, &E_BARE_CR);
            p += 2;
            break;
        }
        if (c == '\n')
            return fail(err, &E_BARE_LF);
        if (IS_OWS(c)) /* §5.2 obs-fold, or §2.2 whitespace before the first field */
            return fail(err, &E_FIELD_FOLD);
        if (n >= cap)
            return fail(err, &E_TOO_MANY_FIELDS);

        const unsigned char *name = p;
        while (p < lim && IS(*p, C_TCHAR))
            p++;
        NEED(p);
        if (*p != ':') { /* §5.1: field-name ":" with nothing between */
            c = *p;
            return fail(err, IS_OWS(c)                  ? &E_FIELD_NAME_WS
                             : c == '\r' || c == '\n' ? &E_FIELD_NO_COLON
                                                      : &E_FIELD_NAME_CHAR);
        }
        if (p == name)
            return fail(err, &E_FIELD_NAME_EMPTY);
        const unsigned char *name_end = p++;

        while (p < lim && IS_OWS(*p))
            p++;
        const unsigned char *v = p;
        while (p < lim && IS(*p, C_FIELD))
            p++;
        NEED(p);
        if (*p != '\r') /* RFC 9110 §5.5: no CTL but HTAB; §2.2: no bare LF */
            return fail(err, *p == '\n' ? &E_BARE_LF : &E_FIELD_VALUE_CTL);
        const unsigned char *ve = p;
        while (ve > v && IS_OWS(ve[-1]))
            ve--;
        NEED(p + 1);
        if (p[1] != '\n')
            return fail(err, &E_BARE_CR);
        p += 2;

        headers[n].name.base = (const char *)name;
        headers[n].name.len = (size_t)(name_end - name);
        headers[n].value.base = (const char *)v;
        headers[n].value.len = (size_t)(ve - v);
        n++;
    }

    /* The head is whole: the fields' meaning, in field order, then what needs them all. */
    framing f = {0};
    req->host.base = NULL;
    req->host.len = 0;
    for (size_t i = 0; i < n; i++) {
        const http_error *e = field_semantics(&headers[i], limits, &f, req);
        if (e)
            return fail(err, e);
    }
    if (minor == 1 && f.hosts == 0)
        return fail(err, &E_HOST_MISSING);
    if (f.has_te) {
        if (f.has_cl) /* §6.1: a server MAY reject; we do, it is the smuggling pattern */
            return fail(err, &E_CL_AND_TE);
        if (minor == 0) /* §6.1: HTTP/1.0 has no TE; treat the framing as faulty */
            return fail(err, &E_TE_HTTP10);
        if (!f.te_last_chunked) /* §6.3(4): the length cannot be determined */
            return fail(err, &E_TE_NOT_CHUNKED_LAST);
        if (f.te_other)
            return fail(err, &E_TE_UNSUPPORTED);
    }
    if (f.has_cl && f.cl_too_large)
        return fail(err, &E_CL_TOO_LARGE);
    if (f.expect_other)
        return fail(err, &E_EXPECT);

    req->method = method;
    req->method_name.base = (const char *)m;
    req->method_name.len = (size_t)(me - m);
    req->target.base = (const char *)t;
    req->target.len = (size_t)(te - t);
    req->minor_version = minor;
    if (authority.base) /* RFC 9112 §3.2.2: the target's authority overrides Host */
        req->host = authority;
    req->headers = headers;
    req->nheaders = n;
    req->body_kind = f.has_te ? HTTP_BODY_CHUNKED : f.has_cl ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
    req->content_length = f.has_cl ? f.cl : 0;
    req->keep_alive = f.close ? 0 : minor == 1 ? 1 : f.keep_alive;
    /* RFC 9110 §10.1.1: a 100-continue in an HTTP/1.0 request MUST be ignored. */
    req->expect_continue = f.expect_continue && minor == 1;
    return (int)(p - start);
}

/* --- chunked body (RFC 9112 §7.1) ------------------------------------------------------------
 * A byte-at-a-time state machine for the framing, spans for the data: every byte is examined in
 * the same state whatever the split, so any split gives the same data and the same outcome. */

enum chunk_state {
    CH_SIZE_FIRST,  /* chunk-size = 1*HEXDIG */
    CH_SIZE,        /* more HEXDIG, BWS ";", or CRLF */
    CH_SIZE_BWS,    /* BWS after the size: only before ";" */
    CH_EXT_NAME0,   /* after ";": BWS then chunk-ext-name */
    CH_EXT_NAME,    /* in the name */
    CH_EXT_NAME_WS, /* BWS after the name: "=" or ";" must follow */
    CH_EXT_VAL0,    /* after "=": BWS then token / quoted-string */
    CH_EXT_TOKEN,   /* in a token value */
    CH_EXT_QSTR,    /* in a quoted-string */
    CH_EXT_QPAIR,   /* after a backslash in it */
    CH_EXT_AFTER,   /* after a quoted-string value: BWS ";" or CRLF */
    CH_EXT_WS,      /* BWS after a value: only before ";" */
    CH_LINE_LF,     /* CR seen on the chunk line */
    CH_DATA,        /* chunk data */
    CH_DATA_CR,     /* CRLF after the data */
    CH_DATA_LF,
    CH_TR_START, /* start of a trailer field line, or the final CRLF */
    CH_TR_NAME,
    CH_TR_VALUE,
    CH_TR_LF,
    CH_TR_END_LF,
    CH_DONE,
    CH_ERROR
};

void http_chunked_init(http_chunked *d, const http_limits *limits)
{
    if (limits == NULL)
        limits = &http_default_limits;
    memset(d, 0, sizeof *d);
    d->state = CH_SIZE_FIRST;
    d->max_body = limits->max_body;
    d->max_chunk_line = limits->max_chunk_line;
    d->max_trailers = limits->max_trailers;
}

static int hexval(unsigned char c)
{
    return c <= '9' ? c - '0' : lower(c) - 'a' + 10;
}

/* One framing byte. Returns the error, or NULL. d->remaining holds the size being read. */
static const http_error *chunk_byte(http_chunked *d, unsigned char c)
{
    if (d->state <= CH_EXT_WS && c != '\r') {
        if (c == '\n')
            return &E_CHUNK_BARE_LF; /* §7.1: chunk lines end with CRLF */
        if (++d->line_len > d->max_chunk_line)
            return &E_CHUNK_LINE_LONG;
    } else if (d->state >= CH_TR_START && d->state <= CH_TR_LF &&
               !(d->state == CH_TR_START && c == '\r')) {
        if (++d->trailer_len > d->max_trailers)
            return &E_TRAILER_TOO_LARGE;
    }

    switch ((enum chunk_state)d->state) {
    case CH_SIZE_FIRST:
    case CH_SIZE:
        if (IS(c, C_HEX)) {
            /* Here line_len counts digits only. At most 16 of them and within the body limit:
             * the size never wraps. */
            if (d->line_len > 16)
                return &E_CHUNK_TOO_LARGE;
            d->remaining = d->remaining * 16 + (uint64_t)hexval(c);
            if (d->remaining > d->max_body - d->total)
                return &E_CHUNK_TOO_LARGE;
            d->state = CH_SIZE;
            return NULL;
        }
        if (d->state == CH_SIZE_FIRST)
            return &E_CHUNK_SIZE;
        if (c == '\r')
            d->state = CH_LINE_LF;
        else if (c == ';')
            d->state = CH_EXT_NAME0;
        else if (IS_OWS(c))
            d->state = CH_SIZE_BWS;
        else
            return &E_CHUNK_SIZE;
        return NULL;
    case CH_SIZE_BWS:
        if (c == ';')
            d->state = CH_EXT_NAME0;
        else if (!IS_OWS(c))
            return &E_CHUNK_SIZE_WS;
        return NULL;
    case CH_EXT_NAME0:
        if (IS(c, C_TCHAR))
            d->state = CH_EXT_NAME;
        else if (!IS_OWS(c))
            return &E_CHUNK_EXT;
        return NULL;
    case CH_EXT_NAME:
    case CH_EXT_TOKEN:
        if (IS(c, C_TCHAR))
            return NULL;
        if (c == '\r')
            d->state = CH_LINE_LF;
        else if (c == ';')
            d->state = CH_EXT_NAME0;
        else if (c == '=' && d->state == CH_EXT_NAME)
            d->state = CH_EXT_VAL0;
        else if (IS_OWS(c))
            d->state = d->state == CH_EXT_NAME ? CH_EXT_NAME_WS : CH_EXT_WS;
        else
            return &E_CHUNK_EXT;
        return NULL;
    case CH_EXT_NAME_WS:
        if (c == '=')
            d->state = CH_EXT_VAL0;
        else if (c == ';')
            d->state = CH_EXT_NAME0;
        else if (!IS_OWS(c))
            return &E_CHUNK_EXT;
        return NULL;
    case CH_EXT_VAL0:
        if (IS(c, C_TCHAR))
            d->state = CH_EXT_TOKEN;
        else if (c == '"')
            d->state = CH_EXT_QSTR;
        else if (!IS_OWS(c))
            return &E_CHUNK_EXT;
        return NULL;
    case CH_EXT_QSTR:
        if (c == '"')
            d->state = CH_EXT_AFTER;
        else if (c == '\\')
            d->state = CH_EXT_QPAIR;
        else if (!IS(c, C_QDTEXT))
            return &E_CHUNK_EXT;
        return NULL;
    case CH_EXT_QPAIR: /* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
        if (!IS(c, C_FIELD))
            return &E_CHUNK_EXT;
        d->state = CH_EXT_QSTR;
        return NULL;
    case CH_EXT_AFTER:
    case CH_EXT_WS:
        if (c == ';')
            d->state = CH_EXT_NAME0;
        else if (c == '\r' && d->state == CH_EXT_AFTER)
            d->state = CH_LINE_LF;
        else if (IS_OWS(c))
            d->state = CH_EXT_WS;
        else
            return &E_CHUNK_EXT; /* §7.1.1: no BWS before the CRLF */
        return NULL;
    case CH_LINE_LF:
        if (c != '\n')
            return &E_CHUNK_BARE_CR;
        d->line_len = 0;
        d->state = d->remaining == 0 ? CH_TR_START : CH_DATA; /* §7.1: last-chunk is "0" */
        return NULL;
    case CH_DATA_CR:
    case CH_DATA_LF:
        if (c != (d->state == CH_DATA_CR ? '\r' : '\n'))
            return &E_CHUNK_DATA_END;
        d->state = d->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE_FIRST;
        return NULL;
    /* §7.1.2: trailer fields follow the field-line rules of §5 */
    case CH_TR_START:
        if (c == '\r')
            d->state = CH_TR_END_LF;
        else if (c == '\n')
            return &E_BARE_LF;
        else if (IS_OWS(c))
            return &E_FIELD_FOLD;
        else if (c == ':')
            return &E_FIELD_NAME_EMPTY;
        else if (IS(c, C_TCHAR))
            d->state = CH_TR_NAME;
        else
            return &E_FIELD_NAME_CHAR;
        return NULL;
    case CH_TR_NAME:
        if (c == ':')
            d->state = CH_TR_VALUE;
        else if (!IS(c, C_TCHAR))
            return IS_OWS(c) ? &E_FIELD_NAME_WS
                   : c == '\r' || c == '\n' ? &E_FIELD_NO_COLON
                                            : &E_FIELD_NAME_CHAR;
        return NULL;
    case CH_TR_VALUE:
        if (c == '\r')
            d->state = CH_TR_LF;
        else if (!IS(c, C_FIELD))
            return c == '\n' ? &E_BARE_LF : &E_FIELD_VALUE_CTL;
        return NULL;
    case CH_TR_LF:
    case CH_TR_END_LF:
        if (c != '\n')
            return &E_BARE_CR;
        d->state = d->state == CH_TR_LF ? CH_TR_START : CH_DONE;
        return NULL;
    case CH_DATA:
    case CH_DONE:
    case CH_ERROR:
        break;
    }
    return &E_CHUNK_AFTER_ERROR; /* unreachable: the caller handles these states */
}

enum http_chunk_result http_chunked_next(http_chunked *d, const char *buf, size_t len,
                                         size_t *consumed, const char **data, size_t *data_len,
                                         http_error *err)
{
    *data = NULL;
    *data_len = 0;
    *consumed = 0;
    if (d->state == CH_DONE)
        return HTTP_CHUNK_DONE;
    if (d->state == CH_ERROR) {
        *err = E_CHUNK_AFTER_ERROR;
        return HTTP_CHUNK_ERROR;
    }
    for (size_t i = 0; i < len;) {
        if (d->state == CH_DATA) {
            size_t n = d->remaining < len - i ? (size_t)d->remaining : len - i;
            d->remaining -= n;
            d->total += n;
            if (d->remaining == 0)
                d->state = CH_DATA_CR;
            *data = buf + i;
            *data_len = n;
            *consumed = i + n;
            return HTTP_CHUNK_DATA;
        }
        const http_error *e = chunk_byte(d, (unsigned char)buf[i]);
        if (e) {
            d->state = CH_ERROR;
            *err = *e;
            *consumed = i;
            return HTTP_CHUNK_ERROR;
        }
        i++;
        if (d->state == CH_DONE) {
            *consumed = i;
            return HTTP_CHUNK_DONE;
        }
    }
    *consumed = len;
    return HTTP_CHUNK_MORE;
}
