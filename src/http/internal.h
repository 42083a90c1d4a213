/* Shared between the server's own files (server.c, conn.c, response.c): the worker and
 * connection structures. Nothing outside src/http includes this. */
#ifndef MITSU_HTTP_INTERNAL_H
#define MITSU_HTTP_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "http/server.h"

/* What an epoll event points at: the first member of every registered object. */
enum http_poll_kind { POLL_LISTENER, POLL_WAKE, POLL_CONN };

enum conn_state {
    CONN_READ_HEAD, /* waiting for (the rest of) a request head; idle when nothing is buffered */
    CONN_READ_BODY, /* head parsed, body incomplete */
    CONN_CLOSING,   /* a final response is queued; nothing more is read into requests */
    CONN_LINGER     /* final response sent, write side shut; draining input before close */
};

typedef struct http_conn {
    enum http_poll_kind kind;
    int fd;
    enum conn_state state;
    struct http_conn *prev, *next; /* the worker's list of connections */
    http_worker *worker;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    /* Input. The current request starts at in.data[start]: its head is [start, head_end),
     * its decoded body [head_end, body_end); for chunked bodies the undecoded rest begins at
     * chunk_pos. Offsets are absolute and shift when the buffer is compacted. */
    buf in;
    size_t start, head_end, body_end, chunk_pos, msg_end;
    const char *head_base;   /* in.data when the worker's header scratch was filled for us */
    enum http_body_kind body_kind;
    uint64_t content_length;
    int minor_version;
    http_chunked chunked;
    /* Output: serialized responses, out_sent bytes already written, then a file range. */
    buf out;
    size_t out_sent;
    int file_fd;
    uint64_t file_off, file_left;
    int64_t read_deadline;   /* monotonic ms; 0 for none */
    int64_t write_deadline;
    int64_t hold_until;      /* tarpit: output waits until then (monotonic ms); 0 for none */
    unsigned close_after : 1;   /* close once output is written */
    unsigned waiting_write : 1; /* input processing paused until output drains */
    unsigned read_blocked : 1;  /* input left in the socket for back-pressure */
    unsigned peer_closed : 1;   /* EOF seen */
    unsigned broken : 1;        /* the peer is gone or too slow: discard output, close */
    unsigned head_timer : 1;    /* the header timeout runs for the request being read */
} http_conn;

typedef struct http_listener {
    enum http_poll_kind kind;
    int fd;
} http_listener;

struct http_worker {
    http_server *server;
    int index;
    int epfd;
    pthread_t thread;
    http_listener *listeners;
    int nlisteners;
    struct { enum http_poll_kind kind; int fd; } wake; /* the server's shared stop eventfd */
    http_conn *conns;   /* every open connection */
    int nconns;
    int max_conns;
    int nheld;          /* connections whose output a tarpit holds */
    int stopping;
    int64_t stop_deadline;
    int64_t now;        /* monotonic ms, refreshed once per loop turn */
    int64_t next_sweep;
    time_t date_second; /* the second date_line was rendered for */
    char date_line[64]; /* "Date: ...\r\n" */
    size_t date_len;
    arena arena;        /* reset after each request; requests on a worker never overlap */
    http_header *headers; /* scratch for parsing, limits.max_headers entries */
    buf res_head, res_body; /* scratch for the response being built */
    const http_request *streaming_req; /* the request whose response is being streamed */
};

struct http_server {
    http_server_config cfg;
    http_worker *workers;
    int nworkers;
    int port;
    int stop_fd;            /* eventfd: written once to stop every worker */
    volatile int stopping;
    sigset_t caller_mask;   /* the creating thread's signal mask before SIGINT/SIGTERM were
                             * blocked for the signalfd; restored when run returns */
    int masked;             /* caller_mask holds it */
};

int64_t http_now_ms(void);

/* server.c: one loop turn on the calling thread (serve_fd and the fuzzer drive workers so). */
int http_worker_poll(http_worker *w, int timeout_ms);
http_worker *http_server_worker(http_server *s, int index);

/* conn.c */
http_conn *conn_open(http_worker *w, int fd, const struct sockaddr_storage *peer,
                     socklen_t peer_len);
void conn_on_event(http_conn *c, uint32_t events);
void conn_check_timeout(http_conn *c);
void conn_begin_shutdown(http_conn *c);
void conn_close(http_conn *c);

/* response.c */
void response_begin(http_response *res, http_conn *c, buf *head, buf *body, int head_only);
/* Appends the serialized response to c->out (or queues its file); may_keep_alive reflects the
 * request. Returns 1 if the connection must close after it. */
int response_finish(http_conn *c, http_response *res, const http_request *req);
int response_simple(http_conn *c, int status, int minor_version, int close);
void worker_refresh_date(http_worker *w);

/* Blocking flush of pending output, used while a handler streams: 0, or -1 if the peer is gone
 * or too slow (write timeout). */
int conn_flush_blocking(http_conn *c);

#endif
