/* The HTTP/1.1 server: listeners, worker threads with epoll loops, connections, responses.
 * Knows nothing of routes or honeypots: it hands each request to one callback and reports
 * every refused request, raw bytes and reason, to another. */
#ifndef MITSU_HTTP_SERVER_H
#define MITSU_HTTP_SERVER_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/arena.h"
#include "base/buf.h"
#include "http/parser.h"

typedef struct http_server http_server;
typedef struct http_worker http_worker;

/* Where a response body comes from. */
enum http_body_source {
    HTTP_SRC_BUFFER,  /* bytes appended with http_response_write() */
    HTTP_SRC_FILE,    /* a file descriptor range sent with sendfile(); the server closes the fd */
    HTTP_SRC_CHUNKED  /* streamed with http_response_chunk(): chunked for 1.1, close-delimited 1.0 */
};

typedef struct http_response {
    int status;
    buf *head;          /* serialized header lines; internal, append through http_response_header */
    size_t head_start;  /* where this response's header lines begin in *head */
    enum http_body_source source;
    buf *body;          /* HTTP_SRC_BUFFER: the body accumulates here */
    size_t body_start;
    int file_fd;
    uint64_t file_offset, file_length;
    int close_after;    /* set by the handler or the server: close once this response is sent */
    int headers_sent;   /* streaming began: status and headers can no longer change */
    int has_content_type;
    int head_only;      /* HEAD request: headers as for GET, no body bytes */
    int delay_ms;       /* http_response_delay(): hold the response this long */
    void *conn;         /* internal: the connection, for streaming */
} http_response;

/* One request and its response. Valid only during the request callback. */
typedef struct http_exchange {
    http_request req;
    const char *body;        /* the whole decoded body; not NUL-terminated */
    size_t body_len;
    arena *arena;            /* freed when the response has been queued */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    http_response res;
    http_worker *worker;
    void *user;              /* free for the upper layer, per request */
} http_exchange;

/* A refused request: what the honeypot records and judges. */
typedef struct http_rejection {
    int status;
    const char *reason;           /* static string */
    const char *raw;              /* bytes received for this request, at most raw_limit */
    size_t raw_len;
    int raw_truncated;            /* 1 when more bytes had arrived than are given here */
    const struct sockaddr_storage *peer;
    socklen_t peer_len;
} http_rejection;

/* Returns 0 when a response has been set; -1 makes the server answer 500. */
typedef int (*http_request_fn)(http_exchange *ex, void *ctx);
typedef void (*http_reject_fn)(const http_rejection *r, void *ctx);
typedef void (*http_worker_fn)(http_worker *w, int index, void *ctx);

typedef struct http_server_config {
    const char *listen;        /* "127.0.0.1:8080", "[::1]:8080", "[::]:8080", comma-separated */
    int workers;               /* 0: one per online CPU */
    http_limits limits;
    int max_connections;       /* across all workers; past it: 503 and close */
    int header_timeout_ms;     /* whole head must arrive within this after its first byte */
    int body_timeout_ms;       /* whole body must arrive within this after the head */
    int idle_timeout_ms;       /* keep-alive wait for the next request */
    int write_timeout_ms;      /* no write progress for this long: give up */
    int shutdown_timeout_ms;   /* grace period for requests in flight on SIGTERM */
    size_t raw_limit;          /* bytes of a refused request given to on_reject */
    int max_held;              /* per worker: responses http_response_delay() may hold at once */
    int quiet;                 /* 1: do not print the listening URLs */
    int no_signals;            /* 1: a second server in the process: SIGTERM/SIGINT stay the
                                * first's (still blocked here); only http_server_stop ends it */
    http_request_fn on_request;
    /* May be NULL. Called once the head is parsed, before any body is read: the body limit for
     * this request (at most limits.max_body, which the parser enforces first). */
    uint64_t (*body_limit)(const http_request *req, void *ctx);
    http_reject_fn on_reject;  /* may be NULL */
    http_worker_fn on_worker_start, on_worker_stop; /* may be NULL; run on the worker thread */
    void *ctx;
} http_server_config;

/* Sensible defaults: the fields above with listen 127.0.0.1:8080, header 10 s, body 30 s,
 * idle 60 s, write 30 s, shutdown 10 s, 10000 connections, raw limit 8 KiB. */
void http_server_config_defaults(http_server_config *cfg);

/* Binds every listener (one SO_REUSEPORT socket per worker and address) so that errors show
 * before any thread starts. NULL with a message in errbuf on failure. */
http_server *http_server_new(const http_server_config *cfg, char *errbuf, size_t errlen);

/* The port actually bound for the first address (useful with port 0). */
int http_server_port(const http_server *s);

/* Runs the workers until SIGTERM or SIGINT (or http_server_stop), then drains: stops
 * accepting, lets requests in flight finish (up to shutdown_timeout_ms) and returns 0.
 * Blocks those signals in the calling thread and waits for them itself (with no_signals: only
 * blocks them, so that they reach the server that waits for them). */
int http_server_run(http_server *s);

/* Asks a running server to shut down gracefully; async-signal-safe. */
void http_server_stop(http_server *s);

void http_server_free(http_server *s);

/* Serves one already-connected socket on the calling thread until it closes: for the fuzzer and
 * for tests over a socketpair. The server need not be running; no listener is used. */
int http_server_serve_fd(http_server *s, int fd);

/* Response building, for the request callback. Each returns 0, or -1 when out of memory or
 * when the call is out of order (headers after streaming began). */
int http_response_header(http_response *res, const char *name, const char *value);
int http_response_headern(http_response *res, const char *name, size_t name_len,
                          const char *value, size_t value_len);
/* 1 when name is a token and value has no CR, LF or NUL: what every header added is checked
 * for, so that input copied into a header cannot split the response. */
int http_header_is_safe(const char *name, size_t name_len, const char *value, size_t value_len);
/* Room for one header line of len bytes ("Name: value", the CRLF added here), for the caller
 * to fill at once: for a header made from parts validated at set-up, which then needs no check
 * per response (the honeypot's id cookie). NULL when out of memory or after the headers. */
char *http_response_header_room(http_response *res, size_t len);
int http_response_write(http_response *res, const void *data, size_t len);
/* Sends [offset, offset+length) of fd; the server takes ownership of fd and closes it. */
int http_response_file(http_response *res, int fd, uint64_t offset, uint64_t length);
/* Switches to a streamed body and appends one piece (len 0 is ignored). */
int http_response_chunk(http_response *res, const void *data, size_t len);

/* Holds the response for ms milliseconds (at most 60 s) before it is written, without
 * blocking the worker: a tarpit. -1 when the worker already holds max_held responses (the
 * response then goes out at once). */
int http_response_delay(http_response *res, int ms);

/* Forgets the status, headers and body set so far (not once streaming began): for error
 * pages that replace a half-built response. */
int http_response_reset(http_response *res);

const char *http_status_reason(int status);

/* The worker's index, 0 .. workers-1: per-worker resources (database connections) key on it. */
int http_worker_index(const http_worker *w);
/* How many workers the server runs (known once http_server_new returned). */
int http_server_workers(const http_server *s);

#endif
