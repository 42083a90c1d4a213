/* The server: binds listeners, runs one epoll loop per worker thread (each with its own
 * SO_REUSEPORT listener), enforces the connection cap and timeouts, and shuts down gracefully. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "http/internal.h"

enum { SWEEP_MS = 250, MAX_EVENTS = 256, ACCEPTS_PER_TURN = 64, MAX_ADDRS = 8 };

static const char refusal_503[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

int64_t http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void http_server_config_defaults(http_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->workers = 0;
    cfg->limits = http_default_limits;
    cfg->max_connections = 10000;
    cfg->header_timeout_ms = 10000;
    cfg->body_timeout_ms = 30000;
    cfg->idle_timeout_ms = 60000;
    cfg->write_timeout_ms = 30000;
    cfg->shutdown_timeout_ms = 10000;
    cfg->raw_limit = 8192;
    cfg->max_held = 64;
}

/* One address of the listen list: "host:port", "[v6]:port", ":port" or "*:port" (any v4). */
static int resolve_listen(const char *spec, size_t len, struct sockaddr_storage *ss,
                          socklen_t *sslen, char *errbuf, size_t errlen)
{
    char host[256], port[16];
    const char *colon;
    const char *end = spec + len;
    if (len && spec[0] == '[') {
        const char *rb = memchr(spec, ']', len);
        if (!rb || rb + 1 >= end || rb[1] != ':')
            goto bad;
        if ((size_t)(rb - spec - 1) >= sizeof host)
            goto bad;
        memcpy(host, spec + 1, (size_t)(rb - spec - 1));
        host[rb - spec - 1] = '\0';
        colon = rb + 1;
    } else {
        colon = NULL;
        for (const char *p = spec; p < end; p++)
            if (*p == ':')
                colon = p;
        if (!colon || (size_t)(colon - spec) >= sizeof host)
            goto bad;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        if (host[0] == '\0' || strcmp(host, "*") == 0)
            strcpy(host, "0.0.0.0");
    }
    if ((size_t)(end - colon - 1) == 0 || (size_t)(end - colon - 1) >= sizeof port)
        goto bad;
    memcpy(port, colon + 1, (size_t)(end - colon - 1));
    port[end - colon - 1] = '\0';
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            goto bad;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(errbuf, errlen, "listen address '%.*s': %s", (int)len, spec, gai_strerror(rc));
        return -1;
    }
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
bad:
    snprintf(errbuf, errlen, "listen address '%.*s': expected HOST:PORT or [IPV6]:PORT",
             (int)len, spec);
    return -1;
}

static int bind_listener(struct sockaddr_storage *ss, socklen_t sslen, char *errbuf,
                         size_t errlen)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        goto fail;
    if (ss->ss_family == AF_INET6) {
        /* "[::]" means both families, as a reader of the config would expect. */
        int v6only = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (bind(fd, (struct sockaddr *)ss, sslen) < 0 || listen(fd, 4096) < 0)
        goto fail;
    /* Later listeners of the same address must share the port the kernel chose for port 0. */
    socklen_t len = sslen;
    getsockname(fd, (struct sockaddr *)ss, &len);
    return fd;
fail:
    snprintf(errbuf, errlen, "cannot listen: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static int sockaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return 0;
}

static void print_url(const struct sockaddr_storage *ss, socklen_t len)
{
    char host[INET6_ADDRSTRLEN + 2];
    if (getnameinfo((const struct sockaddr *)ss, len, host, sizeof host, NULL, 0,
                    NI_NUMERICHOST) != 0)
        return;
    if (ss->ss_family == AF_INET6)
        printf("mitsu: listening on http://[%s]:%d/\n", host, sockaddr_port(ss));
    else
        printf("mitsu: listening on http://%s:%d/\n", host, sockaddr_port(ss));
}

static int worker_init(http_server *s, http_worker *w, int index)
{
    memset(w, 0, sizeof *w);
    w->server = s;
    w->index = index;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        return -1;
    arena_init(&w->arena, 16384);
    w->headers = calloc(s->cfg.limits.max_headers ? s->cfg.limits.max_headers : 1,
                        sizeof *w->headers);
    if (!w->headers)
        return -1;
    int per_worker = (s->cfg.max_connections + s->nworkers - 1) / s->nworkers;
    w->max_conns = per_worker > 0 ? per_worker : 1;
    w->wake.kind = POLL_WAKE;
    w->wake.fd = s->stop_fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->wake};
    return epoll_ctl(w->epfd, EPOLL_CTL_ADD, s->stop_fd, &ev);
}

static int worker_add_listener(http_worker *w, int fd)
{
    http_listener *l = realloc(w->listeners, (size_t)(w->nlisteners + 1) * sizeof *l);
    if (!l)
        return -1;
    w->listeners = l;
    l[w->nlisteners].kind = POLL_LISTENER;
    l[w->nlisteners].fd = fd;
    w->nlisteners++;
    return 0;
}

/* Listener pointers must be stable once registered, so register after all are added. */
static int worker_register_listeners(http_worker *w)
{
    for (int i = 0; i < w->nlisteners; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->listeners[i]};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->listeners[i].fd, &ev) < 0)
            return -1;
    }
    return 0;
}

http_server *http_server_new(const http_server_config *cfg, char *errbuf, size_t errlen)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->stop_fd = -1;
    if (!s->cfg.on_request) {
        snprintf(errbuf, errlen, "no request handler");
        goto fail;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    s->nworkers = cfg->workers > 0 ? cfg->workers : (ncpu > 0 ? (int)ncpu : 1);
    if (s->nworkers > 1024)
        s->nworkers = 1024;
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->workers = calloc((size_t)s->nworkers, sizeof *s->workers);
    if (s->stop_fd < 0 || !s->workers) {
        snprintf(errbuf, errlen, "out of memory or file descriptors");
        goto fail;
    }
    for (int i = 0; i < s->nworkers; i++) {
        if (worker_init(s, &s->workers[i], i) < 0) {
            snprintf(errbuf, errlen, "cannot set up worker %d: %s", i, strerror(errno));
            goto fail;
        }
    }
    /* Blocked from before the address is announced: a SIGTERM sent as soon as a supervisor
     * reads it stays pending for run's signalfd instead of killing the process. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(cfg->no_signals ? SIG_SETMASK : SIG_BLOCK, cfg->no_signals ? NULL : &sigs,
                    &s->caller_mask);
    s->masked = 1;
    const char *spec = cfg->listen ? cfg->listen : "";
    int naddrs = 0;
    while (*spec) {
        const char *comma = strchr(spec, ',');
        size_t len = comma ? (size_t)(comma - spec) : strlen(spec);
        while (len && *spec == ' ') {
            spec++;
            len--;
        }
        if (len) {
            struct sockaddr_storage ss;
            socklen_t sslen;
            if (++naddrs > MAX_ADDRS) {
                snprintf(errbuf, errlen, "at most %d listen addresses", MAX_ADDRS);
                goto fail;
            }
            if (resolve_listen(spec, len, &ss, &sslen, errbuf, errlen) < 0)
                goto fail;
            for (int i = 0; i < s->nworkers; i++) {
                int fd = bind_listener(&ss, sslen, errbuf, errlen);
                if (fd < 0)
                    goto fail;
                if (worker_add_listener(&s->workers[i], fd) < 0) {
                    close(fd);
                    snprintf(errbuf, errlen, "out of memory");
                    goto fail;
                }
            }
            if (naddrs == 1)
                s->port = sockaddr_port(&ss);
            if (!cfg->quiet)
                print_url(&ss, sslen);
        }
        spec += len + (comma ? 1 : 0);
        if (!comma)
            break;
    }
    for (int i = 0; i < s->nworkers; i++)
        if (worker_register_listeners(&s->workers[i]) < 0) {
            snprintf(errbuf, errlen, "epoll: %s", strerror(errno));
            goto fail;
        }
    if (!cfg->quiet)
        fflush(stdout);
    return s;
fail:
    if (s->masked)
        pthread_sigmask(SIG_SETMASK, &s->caller_mask, NULL);
    http_server_free(s);
    return NULL;
}

int http_server_port(const http_server *s)
{
    return s->port;
}

int http_worker_index(const http_worker *w)
{
    return w->index;
}

int http_server_workers(const http_server *s)
{
    return s->nworkers;
}

static void accept_connections(http_worker *w, http_listener *l)
{
    for (int i = 0; i < ACCEPTS_PER_TURN && !w->stopping; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return; /* EAGAIN, or out of descriptors: the listener stays readable, retry later */
        }
        if (w->nconns >= w->max_conns) {
            /* A clean refusal beats a silent queue: the client learns at once. */
            ssize_t ignored = send(fd, refusal_503, sizeof refusal_503 - 1, MSG_NOSIGNAL);
            (void)ignored;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (!conn_open(w, fd, &peer, len))
            close(fd);
    }
}

static void sweep_timeouts(http_worker *w)
{
    http_conn *c = w->conns;
    while (c) {
        http_conn *next = c->next;
        conn_check_timeout(c);
        c = next;
    }
    w->next_sweep = w->now + SWEEP_MS;
}

static void begin_stop(http_worker *w)
{
    if (w->stopping)
        return;
    w->stopping = 1;
    w->stop_deadline = w->now + w->server->cfg.shutdown_timeout_ms;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->wake.fd, NULL);
    for (int i = 0; i < w->nlisteners; i++) {
        close(w->listeners[i].fd);
        w->listeners[i].fd = -1;
    }
}

/* Idle connections go at once; busy ones finish their request and close after it. */
static void close_idle(http_worker *w)
{
    http_conn *c = w->conns;
    while (c) {
        http_conn *next = c->next;
        conn_begin_shutdown(c);
        c = next;
    }
}

static void worker_loop(http_worker *w)
{
    struct epoll_event events[MAX_EVENTS];
    w->now = http_now_ms();
    w->next_sweep = w->now + SWEEP_MS;
    int drained = 0;
    for (;;) {
        int timeout = (int)(w->next_sweep - w->now);
        if (timeout < 0)
            timeout = 0;
        int n = epoll_wait(w->epfd, events, MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR)
            break;
        w->now = http_now_ms();
        int was_stopping = w->stopping;
        for (int i = 0; i < n; i++) {
            enum http_poll_kind *kind = events[i].data.ptr;
            if (*kind == POLL_CONN)
                conn_on_event((http_conn *)kind, events[i].events);
            else if (*kind == POLL_LISTENER)
                accept_connections(w, (http_listener *)kind);
            else
                begin_stop(w);
        }
        /* Closing idle connections waits until the batch is done: a later event in it may
         * point at one of them. */
        if (w->stopping && !was_stopping)
            close_idle(w);
        if (w->now >= w->next_sweep)
            sweep_timeouts(w);
        if (w->stopping) {
            if (w->nconns == 0)
                break;
            if (w->now >= w->stop_deadline) {
                drained = 1;
                break;
            }
        }
    }
    (void)drained;
    while (w->conns)
        conn_close(w->conns);
}

static void *worker_main(void *arg)
{
    http_worker *w = arg;
    const http_server_config *cfg = &w->server->cfg;
    if (cfg->on_worker_start)
        cfg->on_worker_start(w, w->index, cfg->ctx);
    worker_loop(w);
    if (cfg->on_worker_stop)
        cfg->on_worker_stop(w, w->index, cfg->ctx);
    return NULL;
}

void http_server_stop(http_server *s)
{
    uint64_t one = 1;
    s->stopping = 1;
    ssize_t ignored = write(s->stop_fd, &one, sizeof one);
    (void)ignored;
}

int http_server_run(http_server *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Workers inherit the mask, so the signals reach only the signalfd below. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = s->cfg.no_signals ? -1 : signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0 && !s->cfg.no_signals) {
        pthread_sigmask(SIG_SETMASK, &s->caller_mask, NULL);
        return -1;
    }
    int started = 0;
    for (; started < s->nworkers; started++)
        if (pthread_create(&s->workers[started].thread, NULL, worker_main,
                           &s->workers[started]) != 0)
            break;
    if (started < s->nworkers)
        http_server_stop(s);
    while (!s->stopping) {
        struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = s->stop_fd, .events = POLLIN}};
        int n = poll(p, 2, -1);
        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            ssize_t ignored = read(sfd, &si, sizeof si);
            (void)ignored;
            http_server_stop(s);
        }
        if (p[1].revents & POLLIN)
            s->stopping = 1;
    }
    http_server_stop(s);
    for (int i = 0; i < started; i++)
        pthread_join(s->workers[i].thread, NULL);
    if (sfd >= 0)
        close(sfd);
    pthread_sigmask(SIG_SETMASK, &s->caller_mask, NULL);
    return started == s->nworkers ? 0 : -1;
}

/* One turn of a worker's loop without threads: for http_server_serve_fd and the fuzzer. */
int http_worker_poll(http_worker *w, int timeout_ms)
{
    struct epoll_event events[8];
    int n = epoll_wait(w->epfd, events, 8, timeout_ms);
    if (n < 0 && errno != EINTR)
        return -1;
    w->now = http_now_ms();
    for (int i = 0; i < n; i++) {
        enum http_poll_kind *kind = events[i].data.ptr;
        if (*kind == POLL_CONN)
            conn_on_event((http_conn *)kind, events[i].events);
    }
    if (w->now >= w->next_sweep)
        sweep_timeouts(w);
    return n < 0 ? 0 : n;
}

int http_server_serve_fd(http_server *s, int fd)
{
    http_worker *w = &s->workers[0];
    w->now = http_now_ms();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (!conn_open(w, fd, NULL, 0))
        return -1;
    while (w->nconns > 0)
        if (http_worker_poll(w, SWEEP_MS) < 0)
            return -1;
    return 0;
}

http_worker *http_server_worker(http_server *s, int index)
{
    return index >= 0 && index < s->nworkers ? &s->workers[index] : NULL;
}

void http_server_free(http_server *s)
{
    if (!s)
        return;
    for (int i = 0; s->workers && i < s->nworkers; i++) {
        http_worker *w = &s->workers[i];
        while (w->conns)
            conn_close(w->conns);
        for (int j = 0; j < w->nlisteners; j++)
            if (w->listeners[j].fd >= 0)
                close(w->listeners[j].fd);
        free(w->listeners);
        free(w->headers);
        buf_free(&w->res_head);
        buf_free(&w->res_body);
        arena_free(&w->arena);
        if (w->epfd > 0)
            close(w->epfd);
    }
    free(s->workers);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    free(s);
}
