/* One client connection: reads requests, frames bodies, runs the request callback, writes
 * responses in order, enforces timeouts, and refuses malformed input with its status. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/internal.h"

enum {
    READ_CHUNK = 16384,         /* bytes asked of each read() */
    OUT_HIGH_WATER = 256 * 1024, /* pending output past which we stop taking requests */
    LINGER_MS = 2000,           /* how long we drain input after a final response */
    KEEP_IN_CAP = 65536         /* input buffers larger than this are freed when empty */
};

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void release_hold(http_conn *c)
{
    c->hold_until = 0;
    c->worker->nheld--;
}

http_conn *conn_open(http_worker *w, int fd, const struct sockaddr_storage *peer,
                     socklen_t peer_len)
{
    http_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = POLL_CONN;
    c->fd = fd;
    c->worker = w;
    c->state = CONN_READ_HEAD;
    c->file_fd = -1;
    if (peer && peer_len <= sizeof c->peer) {
        memcpy(&c->peer, peer, peer_len);
        c->peer_len = peer_len;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        free(c);
        return NULL;
    }
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    w->nconns++;
    c->read_deadline = w->now + w->server->cfg.idle_timeout_ms;
    return c;
}

void conn_close(http_conn *c)
{
    http_worker *w = c->worker;
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    if (c->hold_until)
        release_hold(c);
    close(c->fd); /* also removes it from the epoll set */
    if (c->file_fd >= 0)
        close(c->file_fd);
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
}


static size_t pending_output(const http_conn *c)
{
    return c->out.len - c->out_sent;
}

/* Writes what is pending. 1 when everything is out, 0 when the socket is full, -1 when the
 * connection is dead. */
static int conn_flush(http_conn *c)
{
    if (c->hold_until) {
        if (c->worker->now < c->hold_until)
            return 0; /* a tarpit holds it; the timeout sweep releases it */
        release_hold(c);
    }
    while (pending_output(c) > 0) {
        ssize_t n = send(c->fd, c->out.data + c->out_sent, pending_output(c), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return -1;
        }
        c->out_sent += (size_t)n;
        c->write_deadline = c->worker->now + c->worker->server->cfg.write_timeout_ms;
    }
    c->out.len = c->out_sent = 0;
    buf_shrink(&c->out, KEEP_IN_CAP);
    while (c->file_left > 0) {
        off_t off = (off_t)c->file_off;
        size_t want = c->file_left > (1u << 30) ? (1u << 30) : (size_t)c->file_left;
        ssize_t n = sendfile(c->fd, c->file_fd, &off, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return -1;
        }
        if (n == 0) /* the file shrank under us: the framing is now a lie, so close */
            return -1;
        c->file_off = (uint64_t)off;
        c->file_left -= (uint64_t)n;
        c->write_deadline = c->worker->now + c->worker->server->cfg.write_timeout_ms;
    }
    if (c->file_fd >= 0) {
        close(c->file_fd);
        c->file_fd = -1;
    }
    c->write_deadline = 0;
    return 1;
}

int conn_flush_blocking(http_conn *c)
{
    if (c->broken)
        return -1;
    int timeout = c->worker->server->cfg.write_timeout_ms;
    for (;;) {
        int r = conn_flush(c);
        if (r == 1)
            return 0;
        if (r < 0)
            break;
        struct pollfd p = {.fd = c->fd, .events = POLLOUT};
        int n = poll(&p, 1, timeout);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
    }
    c->broken = 1;
    c->close_after = 1;
    return -1;
}

/* After the last response: half-close, then read and drop whatever the client still sends, so
 * that our close does not turn into a reset that destroys the response in flight. */
static void conn_linger(http_conn *c)
{
    c->state = CONN_LINGER;
    shutdown(c->fd, SHUT_WR);
    c->read_deadline = c->worker->now + LINGER_MS;
    c->write_deadline = 0;
}

static void reset_request(http_conn *c)
{
    c->head_end = c->body_end = c->chunk_pos = c->msg_end = 0;
    c->head_base = NULL;
    c->head_timer = 0;
    c->body_kind = HTTP_BODY_NONE;
    c->content_length = 0;
}

/* Moves the unconsumed input to the front of the buffer. */
static void compact_input(http_conn *c)
{
    if (c->start == 0)
        return;
    size_t shift = c->start;
    buf_consume(&c->in, shift);
    c->start = 0;
    if (c->head_end) {
        c->head_end -= shift;
        c->body_end -= shift;
        c->chunk_pos -= shift;
    }
    c->head_base = NULL;
    if (c->in.len == 0)
        buf_shrink(&c->in, KEEP_IN_CAP);
}

static void report_rejection(http_conn *c, int status, const char *reason)
{
    const http_server_config *cfg = &c->worker->server->cfg;
    if (!cfg->on_reject)
        return;
    size_t avail = c->in.len - c->start;
    http_rejection r = {
        .status = status,
        .reason = reason,
        .raw = c->in.data ? c->in.data + c->start : "",
        .raw_len = avail < cfg->raw_limit ? avail : cfg->raw_limit,
        .raw_truncated = avail > cfg->raw_limit,
        .peer = &c->peer,
        .peer_len = c->peer_len,
    };
    cfg->on_reject(&r, cfg->ctx);
}

/* A request we refuse: report it, answer with its status, and close (RFC 9112 §6.3 requires
 * the close for framing errors; for the others it is our policy: we trust nothing after). */
static void reject(http_conn *c, int status, const char *reason)
{
    report_rejection(c, status, reason);
    c->state = CONN_CLOSING;
    c->close_after = 1;
    if (response_simple(c, status, 1, 1) < 0)
        c->broken = 1;
}

static int parse_head(http_conn *c, http_request *req, http_error *err)
{
    http_worker *w = c->worker;
    const http_limits *lim = &w->server->cfg.limits;
    return http_parse_head(c->in.data + c->start, c->in.len - c->start, lim, req, w->headers,
                           lim->max_headers, err);
}

/* Runs the request callback for the complete request at c->start and queues its response. */
static void dispatch(http_conn *c, http_request *req)
{
    http_worker *w = c->worker;
    const http_server_config *cfg = &w->server->cfg;
    http_exchange ex;
    ex.req = *req;
    ex.body = c->in.data + c->head_end;
    ex.body_len = c->body_end - c->head_end;
    ex.arena = &w->arena;
    ex.peer = c->peer;
    ex.peer_len = c->peer_len;
    ex.worker = w;
    ex.user = NULL;
    response_begin(&ex.res, c, &w->res_head, &w->res_body, req->method == HTTP_HEAD);
    w->streaming_req = &ex.req;
    int rc = cfg->on_request(&ex, cfg->ctx);
    int must_close;
    if (rc < 0 && !ex.res.headers_sent) {
        if (ex.res.file_fd >= 0)
            close(ex.res.file_fd);
        must_close = response_simple(c, 500, req->minor_version, !req->keep_alive);
    } else {
        if (rc < 0) /* a stream cannot be repaired once started: cut it */
            c->broken = 1;
        must_close = response_finish(c, &ex.res, &ex.req);
    }
    w->streaming_req = NULL;
    arena_reset(&w->arena);
    buf_shrink(&w->res_head, KEEP_IN_CAP);
    buf_shrink(&w->res_body, KEEP_IN_CAP);
    if (must_close < 0) {
        c->broken = 1;
        must_close = 1;
    }
    c->start = c->msg_end;
    reset_request(c);
    c->state = must_close ? CONN_CLOSING : CONN_READ_HEAD;
    c->close_after |= (unsigned)must_close;
    c->read_deadline = 0;
}

/* Advances the chunked decoder over what has arrived, compacting the decoded data in place
 * right after the head. 1: body complete; 0: need more; -1: rejected. */
static int decode_chunks(http_conn *c)
{
    for (;;) {
        size_t consumed = 0;
        const char *data = NULL;
        size_t data_len = 0;
        http_error err = {0, NULL};
        enum http_chunk_result r =
            http_chunked_next(&c->chunked, c->in.data + c->chunk_pos, c->in.len - c->chunk_pos,
                              &consumed, &data, &data_len, &err);
        if (r == HTTP_CHUNK_ERROR) {
            reject(c, err.status, err.reason);
            return -1;
        }
        if (r == HTTP_CHUNK_DATA) {
            memmove(c->in.data + c->body_end, data, data_len);
            c->body_end += data_len;
        }
        c->chunk_pos += consumed;
        if (r == HTTP_CHUNK_DONE) {
            c->msg_end = c->chunk_pos;
            return 1;
        }
        if (r == HTTP_CHUNK_MORE) {
            /* The decoder keeps partial framing in its state: drop the consumed bytes so the
             * buffer holds only head, decoded body and anything not yet looked at. */
            size_t rest = c->in.len - c->chunk_pos;
            memmove(c->in.data + c->body_end, c->in.data + c->chunk_pos, rest);
            c->in.len = c->body_end + rest;
            c->chunk_pos = c->body_end;
            return 0;
        }
    }
}

/* Handles a freshly parsed head: sets up body framing. 1 if the request is complete, 0 if its
 * body is still to come, -1 if it was refused. */
static int begin_body(http_conn *c, const http_request *req, size_t head_len)
{
    http_worker *w = c->worker;
    c->head_end = c->start + head_len;
    c->body_end = c->head_end;
    c->body_kind = req->body_kind;
    c->content_length = req->content_length;
    c->minor_version = req->minor_version;
    if (req->body_kind == HTTP_BODY_NONE ||
        (req->body_kind == HTTP_BODY_LENGTH && req->content_length == 0)) {
        c->msg_end = c->head_end;
        return 1;
    }
    const http_server_config *cfg = &w->server->cfg;
    uint64_t limit = cfg->body_limit ? cfg->body_limit(req, cfg->ctx) : cfg->limits.max_body;
    if (req->body_kind == HTTP_BODY_LENGTH && req->content_length > limit) {
        reject(c, 413, "Content-Length over this route's body limit (RFC 9110 §15.5.14)");
        return -1;
    }
    c->state = CONN_READ_BODY;
    c->read_deadline = w->now + cfg->body_timeout_ms;
    if (req->body_kind == HTTP_BODY_CHUNKED) {
        http_chunked_init(&c->chunked, &cfg->limits);
        if (limit < c->chunked.max_body)
            c->chunked.max_body = limit;
        c->chunk_pos = c->head_end;
    }
    /* RFC 9110 §10.1.1: a client that waits for 100 (Continue) gets it unless the body is
     * already on its way. */
    if (req->expect_continue && req->minor_version >= 1 && c->in.len == c->head_end)
        buf_append(&c->out, continue_line, sizeof continue_line - 1);
    return 0;
}

/* 1 when the body of the current request is complete, 0 when more is needed, -1 rejected. */
static int read_body(http_conn *c)
{
    if (c->body_kind == HTTP_BODY_CHUNKED)
        return decode_chunks(c);
    size_t have = c->in.len - c->head_end;
    if (have < c->content_length) {
        /* Reserve the whole body at once: it is bounded by the limits. */
        if (buf_reserve(&c->in, c->content_length - have) < 0) {
            reject(c, 503, "out of memory for the request body");
            return -1;
        }
        return 0;
    }
    c->body_end = c->head_end + c->content_length;
    c->msg_end = c->body_end;
    return 1;
}

/* Takes every complete request from the input, in order, queueing the responses. */
static void process_input(http_conn *c)
{
    http_worker *w = c->worker;
    while (c->state == CONN_READ_HEAD || c->state == CONN_READ_BODY) {
        if (pending_output(c) > OUT_HIGH_WATER || c->file_left > 0) {
            int r = conn_flush(c);
            if (r < 0) {
                c->broken = 1;
                return;
            }
            if (r == 0) {
                c->waiting_write = 1;
                return;
            }
        }
        http_request req;
        http_error err = {0, NULL};
        if (c->state == CONN_READ_HEAD) {
            if (c->in.len == c->start) {
                if (!c->read_deadline)
                    c->read_deadline = w->now + w->server->cfg.idle_timeout_ms;
                break;
            }
            int n = parse_head(c, &req, &err);
            if (n < 0) {
                reject(c, err.status, err.reason);
                break;
            }
            if (n == 0) {
                /* §9.5 slowloris defence: the whole head must arrive in time, however
                 * slowly each byte trickles in; the clock starts at its first byte. */
                if (!c->head_timer) {
                    c->head_timer = 1;
                    c->read_deadline = w->now + w->server->cfg.header_timeout_ms;
                }
                break;
            }
            c->head_base = c->in.data;
            int complete = begin_body(c, &req, (size_t)n);
            if (complete < 0)
                break;
            if (!complete) {
                int r = read_body(c);
                if (r < 0)
                    break;
                if (r == 0)
                    break;
            }
            dispatch(c, &req);
            continue;
        }
        /* CONN_READ_BODY */
        int r = read_body(c);
        if (r <= 0)
            break;
        /* The header scratch may hold another connection's head by now: parse ours again. */
        if (parse_head(c, &req, &err) <= 0) {
            reject(c, 500, "request head changed while reading its body");
            break;
        }
        dispatch(c, &req);
    }
    compact_input(c);
}

/* Moves the connection along after input or output progress. 0 when it has been closed. */
static int conn_advance(http_conn *c)
{
    for (;;) {
        if (c->broken) {
            conn_close(c);
            return 0;
        }
        int r = conn_flush(c);
        if (r < 0) {
            conn_close(c);
            return 0;
        }
        if (r == 0) {
            if (!c->write_deadline)
                c->write_deadline = c->worker->now + c->worker->server->cfg.write_timeout_ms;
            return 1; /* EPOLLOUT will bring us back */
        }
        if (c->state == CONN_LINGER)
            return 1;
        if (c->close_after || c->state == CONN_CLOSING) {
            if (c->peer_closed) {
                conn_close(c);
                return 0;
            }
            conn_linger(c);
            return 1;
        }
        if (c->peer_closed && c->state == CONN_READ_HEAD) {
            conn_close(c);
            return 0;
        }
        if (!c->waiting_write)
            return 1;
        c->waiting_write = 0;
        process_input(c);
        /* loop: flush what processing queued */
    }
}

/* Reads everything the socket has (edge-triggered), processing as it goes. */
static void conn_read(http_conn *c)
{
    for (;;) {
        if (c->waiting_write) {
            c->read_blocked = 1;
            return;
        }
        if (c->state == CONN_LINGER || c->state == CONN_CLOSING) {
            char sink[4096];
            ssize_t n = recv(c->fd, sink, sizeof sink, 0);
            if (n > 0)
                continue;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return;
            c->peer_closed = 1;
            if (c->state == CONN_LINGER || pending_output(c) == 0)
                c->broken = 1; /* nothing left to do: close */
            return;
        }
        if (buf_reserve(&c->in, READ_CHUNK) < 0) {
            c->broken = 1;
            return;
        }
        size_t room = c->in.cap - c->in.len;
        ssize_t n = recv(c->fd, c->in.data + c->in.len, room, 0);
        if (n > 0) {
            c->in.len += (size_t)n;
            process_input(c);
            if (c->broken)
                return;
            /* A short read drained the socket: the next edge will tell us of more. */
            if ((size_t)n < room)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        c->peer_closed = 1;
        if (n < 0) {
            c->broken = 1;
            return;
        }
        /* EOF: what was complete has been answered; a half-sent request is dropped. */
        if (pending_output(c) == 0 && c->file_left == 0)
            c->broken = 1;
        else
            c->close_after = 1;
        return;
    }
}

void conn_on_event(http_conn *c, uint32_t events)
{
    if (events & EPOLLERR) {
        conn_close(c);
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
        conn_read(c);
    for (;;) {
        if (!conn_advance(c))
            return;
        /* Output drained after we left input in the socket for back-pressure: read it now,
         * since the edge that announced it will not come again. */
        if (!c->read_blocked || c->waiting_write)
            return;
        c->read_blocked = 0;
        conn_read(c);
    }
}

void conn_check_timeout(http_conn *c)
{
    http_worker *w = c->worker;
    if (c->hold_until) {
        if (w->now >= c->hold_until) {
            release_hold(c);
            c->write_deadline = 0;
            conn_on_event(c, 0); /* write it now */
        }
        return;
    }
    if (c->write_deadline && w->now >= c->write_deadline) {
        conn_close(c);
        return;
    }
    if (!c->read_deadline || w->now < c->read_deadline || c->waiting_write)
        return;
    if (c->state == CONN_LINGER || c->state == CONN_CLOSING ||
        (c->state == CONN_READ_HEAD && c->in.len == c->start)) {
        conn_close(c); /* idle keep-alive, or lingering done */
        return;
    }
    /* Part of a request came, too slowly: RFC 9110 §15.5.9 lets us say 408 and close. */
    reject(c, 408,
           c->state == CONN_READ_HEAD ? "request head not received within the header timeout"
                                      : "request body not received within the body timeout");
    conn_advance(c);
}

void conn_begin_shutdown(http_conn *c)
{
    if (c->state == CONN_READ_HEAD && c->in.len == c->start && pending_output(c) == 0 &&
        c->file_left == 0) {
        conn_close(c);
        return;
    }
    c->close_after = 1;
}
