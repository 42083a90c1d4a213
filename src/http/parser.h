/* Strict HTTP/1.1 request framing (RFC 9112): request head and chunked body.
 * Pure functions over caller-owned bytes: no I/O, no allocation, no global state. */
#ifndef MITSU_HTTP_PARSER_H
#define MITSU_HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>

/* A view into bytes someone else owns. Never NUL-terminated by contract. */
typedef struct http_slice {
    const char *base;
    size_t len;
} http_slice;

/* Methods we know by name (RFC 9110 §9 and the IANA registry's WebDAV set, so that upper layers
 * can answer 405 to PROPFIND and friends and the honeypot can see them). Any other syntactically
 * valid method is answered 501. Indexes http_method_names[]. */
enum http_method {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_CONNECT,
    HTTP_OPTIONS,
    HTTP_TRACE,
    HTTP_PATCH,
    HTTP_PROPFIND,
    HTTP_PROPPATCH,
    HTTP_MKCOL,
    HTTP_COPY,
    HTTP_MOVE,
    HTTP_LOCK,
    HTTP_UNLOCK,
    HTTP_SEARCH,
    HTTP_METHOD__MAX
};
extern const char *const http_method_names[HTTP_METHOD__MAX];

enum http_body_kind {
    HTTP_BODY_NONE,    /* no Content-Length, no Transfer-Encoding: zero-length body */
    HTTP_BODY_LENGTH,  /* Content-Length: content_length bytes follow */
    HTTP_BODY_CHUNKED  /* Transfer-Encoding: chunked (the only coding we decode) */
};

/* Why a request was refused: the status to answer with and a static, human-readable reason that
 * the honeypot records (e.g. "Content-Length and Transfer-Encoding both present (RFC 9112 §6.3)").
 * Every refusal closes the connection. */
typedef struct http_error {
    int status;
    const char *reason;
} http_error;

typedef struct http_limits {
    size_t max_request_line; /* bytes of the request line, CRLF excluded; over it: 414 */
    size_t max_head;         /* bytes of the whole head, leading CRLFs included; over it: 431 */
    size_t max_headers;      /* number of header fields; over it: 431 */
    uint64_t max_body;       /* decoded body bytes (Content-Length or sum of chunks); over: 413 */
    size_t max_chunk_line;   /* bytes of one chunk-size line with its extensions; over it: 400 */
    size_t max_trailers;     /* bytes of the trailer section; over it: 431 */
} http_limits;

/* Defaults: 8 KiB request line, 32 KiB head, 100 fields, 1 MiB body, 4 KiB chunk line,
 * 8 KiB trailers. */
extern const http_limits http_default_limits;

typedef struct http_header {
    http_slice name;  /* as sent; compare case-insensitively */
    http_slice value; /* leading and trailing OWS removed */
} http_header;

typedef struct http_request {
    enum http_method method;
    http_slice method_name;  /* as sent */
    http_slice target;       /* the raw request-target */
    http_slice path;         /* target up to '?' (for absolute-form: the path part, "/" if empty) */
    http_slice query;        /* after '?', without it; len 0 and base NULL when there is none */
    int minor_version;       /* 0 for HTTP/1.0, 1 for HTTP/1.1 (and for 1.2-1.9, per RFC 9110 §6.2) */
    http_slice host;         /* the Host field (or the authority of an absolute-form target) */
    http_header *headers;    /* caller's array, filled in order */
    size_t nheaders;
    enum http_body_kind body_kind;
    uint64_t content_length; /* valid when body_kind == HTTP_BODY_LENGTH */
    int keep_alive;          /* 1 if the connection may carry another request after this one */
    int expect_continue;     /* 1 if "Expect: 100-continue" was sent */
} http_request;

/* Parses one request head from buf[0..len).
 * headers/max_headers: storage for the fields (max_headers should be >= limits->max_headers).
 * Returns the number of bytes the head occupies (> 0) when a complete, valid head was read;
 * 0 when the bytes so far are a valid prefix and more are needed; -1 on a violation, with *err set.
 * Contract relied on by the fuzzer: if a prefix of some input yields -1, the whole input yields
 * -1 with the same status; a prefix never yields -1 where the whole would be accepted.
 * The slices in *req point into buf. */
int http_parse_head(const char *buf, size_t len, const http_limits *limits, http_request *req,
                    http_header *headers, size_t max_headers, http_error *err);

/* Incremental chunked-body decoder (RFC 9112 §7.1): sizes, extensions (validated, ignored) and
 * trailer fields (validated, discarded). */
typedef struct http_chunked {
    int state;
    uint64_t remaining; /* data bytes left in the current chunk */
    uint64_t total;     /* decoded bytes so far */
    size_t line_len;    /* bytes of the current chunk line or trailer section so far */
    size_t trailer_len;
    uint64_t max_body;
    size_t max_chunk_line;
    size_t max_trailers;
} http_chunked;

enum http_chunk_result {
    HTTP_CHUNK_ERROR = -1, /* *err set; the connection must close */
    HTTP_CHUNK_MORE = 0,   /* everything given was consumed; feed more bytes */
    HTTP_CHUNK_DATA = 1,   /* *data, *data_len is a span of body data inside buf */
    HTTP_CHUNK_DONE = 2    /* last chunk and trailers consumed: the message is complete */
};

void http_chunked_init(http_chunked *d, const http_limits *limits);

/* Feeds buf[0..len). Sets *consumed to how many bytes it used (framing and data). Returns one
 * data span at a time, so call it again with the rest until MORE, DONE or ERROR. Splitting the
 * same input at any points yields the same data and the same outcome. */
enum http_chunk_result http_chunked_next(http_chunked *d, const char *buf, size_t len,
                                         size_t *consumed, const char **data, size_t *data_len,
                                         http_error *err);

/* Case-insensitive ASCII comparison of n bytes at a with lit (litlen bytes). Inline: the
 * callers pass literals, whose length is known when compiling. Equal bytes pass at once; others
 * only as the two cases of one ASCII letter. */
static inline int http_mem_ieq(const void *a, size_t n, const char *lit, size_t litlen)
{
    if (n != litlen)
        return 0;
    const unsigned char *u = a;
    for (size_t i = 0; i < n; i++) {
        unsigned x = u[i], y = (unsigned char)lit[i];
        if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) - 'a' > 'z' - 'a'))
            return 0;
    }
    return 1;
}

/* Case-insensitive ASCII comparison of a slice with a NUL-terminated string. */
static inline int http_slice_ieq(http_slice s, const char *lit)
{
    return http_mem_ieq(s.base, s.len, lit, __builtin_strlen(lit));
}

/* The first header named `name` (case-insensitive), or NULL. */
const http_header *http_find_header(const http_request *req, const char *name);

#endif
