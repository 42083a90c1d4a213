/* libFuzzer target: the whole server over a socketpair. Each input is a client's byte stream,
 * split into separate writes at "\n--MARK--\n"; the server must answer or close, never crash,
 * hang or leak, and every response must start with a status line. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/internal.h"

static const char mark[] = "\n--MARK--\n";

static int echo(http_exchange *ex, void *ctx)
{
    (void)ctx;
    http_response *res = &ex->res;
    if (ex->req.path.len >= 7 && memcmp(ex->req.path.base, "/stream", 7) == 0) {
        http_response_header(res, "Content-Type", "text/plain");
        for (int i = 0; i < 3; i++)
            if (http_response_chunk(res, "piece", 5) < 0)
                return -1;
        return 0;
    }
    if (ex->req.path.len >= 5 && memcmp(ex->req.path.base, "/fail", 5) == 0)
        return -1;
    http_response_header(res, "Content-Type", "text/plain");
    http_response_write(res, ex->req.target.base, ex->req.target.len);
    return http_response_write(res, ex->body, ex->body_len);
}

static size_t rejected;
static void on_reject(const http_rejection *r, void *ctx)
{
    (void)ctx;
    if (r->status < 400 || r->status > 599 || !r->reason)
        abort();
    rejected++;
}

static http_server *server;

static void setup(void)
{
    http_server_config cfg;
    http_server_config_defaults(&cfg);
    cfg.listen = "";
    cfg.workers = 1;
    cfg.quiet = 1;
    cfg.on_request = echo;
    cfg.on_reject = on_reject;
    char err[256];
    server = http_server_new(&cfg, err, sizeof err);
    if (!server) {
        fprintf(stderr, "fuzz_server: %s\n", err);
        abort();
    }
}

/* Reads what the server wrote; checks that output begins with a status line. */
static void drain(int fd, size_t *total, int *first_checked)
{
    char tmp[65536];
    for (;;) {
        ssize_t n = recv(fd, tmp, sizeof tmp, MSG_DONTWAIT);
        if (n <= 0)
            return;
        if (!*first_checked && *total + (size_t)n >= 9) {
            *first_checked = 1;
            if (*total == 0 && memcmp(tmp, "HTTP/1.1 ", 9) != 0)
                abort();
        }
        *total += (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!server)
        setup();
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return 0;
    int big = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    http_worker *w = http_server_worker(server, 0);
    w->now = http_now_ms();
    if (!conn_open(w, sv[1], NULL, 0)) {
        close(sv[0]);
        close(sv[1]);
        return 0;
    }
    size_t out = 0;
    int checked = 0;
    const char *p = (const char *)data, *end = p + size;
    while (p <= end && w->nconns > 0) {
        const char *m = memmem(p, (size_t)(end - p), mark, sizeof mark - 1);
        size_t len = m ? (size_t)(m - p) : (size_t)(end - p);
        if (len && send(sv[0], p, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            break;
        http_worker_poll(w, 0);
        drain(sv[0], &out, &checked);
        if (!m)
            break;
        p = m + sizeof mark - 1;
    }
    shutdown(sv[0], SHUT_WR);
    for (int i = 0; i < 50 && w->nconns > 0; i++) {
        http_worker_poll(w, 1);
        drain(sv[0], &out, &checked);
    }
    /* A connection still open here is mid-response to a client that stopped reading, or
     * waiting in a linger: close it as the timeout sweep eventually would. */
    while (w->conns)
        conn_close(w->conns);
    close(sv[0]);
    return 0;
}
