/* Two HTTP servers in one process (the application and the admin listener): the one with
 * no_signals leaves SIGTERM to the other, keeps serving when the other stops on it, and stops
 * only when told. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http/server.h"

static int hello(http_exchange *ex, void *ctx)
{
    ex->res.status = 200;
    return http_response_write(&ex->res, ctx, strlen(ctx));
}

static http_server *start(const char *name, int no_signals)
{
    http_server_config cfg;
    http_server_config_defaults(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.workers = 1;
    cfg.quiet = 1;
    cfg.no_signals = no_signals;
    cfg.on_request = hello;
    cfg.ctx = (void *)name;
    char err[256];
    http_server *s = http_server_new(&cfg, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    return s;
}

static void *run(void *s)
{
    http_server_run(s);
    return NULL;
}

/* The body of GET / on port, or "" when nothing answers. */
static const char *get(int port)
{
    static char out[1024];
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        const char req[] = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        size_t got = 0;
        ssize_t n;
        if (write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1))
            while (got < sizeof out - 1 && (n = read(fd, out + got, sizeof out - 1 - got)) > 0)
                got += (size_t)n;
        out[got] = '\0';
    }
    close(fd);
    const char *body = strstr(out, "\r\n\r\n");
    return body ? body + 4 : "";
}

static int joined_within(pthread_t t, int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    return pthread_timedjoin_np(t, NULL, &ts) == 0;
}

Test(two_servers, sigterm_stops_the_first_and_leaves_the_second_serving)
{
    /* As in a real process: every thread blocks the signals (the servers block them in theirs;
     * this one must too, or SIGTERM could land here and kill the test). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    http_server *app = start("app", 0), *admin = start("admin", 1);
    pthread_t ta, tb;
    cr_assert_eq(pthread_create(&tb, NULL, run, admin), 0);
    cr_assert_eq(pthread_create(&ta, NULL, run, app), 0);
    cr_assert_str_eq(get(http_server_port(app)), "app");
    cr_assert_str_eq(get(http_server_port(admin)), "admin");

    cr_assert_eq(kill(getpid(), SIGTERM), 0);
    cr_assert(joined_within(ta, 5), "the application did not stop on SIGTERM");
    cr_assert_str_eq(get(http_server_port(admin)), "admin", "the second server stopped too");
    cr_assert_str_eq(get(http_server_port(app)), "", "the application still answers");

    http_server_stop(admin);
    cr_assert(joined_within(tb, 5), "http_server_stop did not stop the second server");
    http_server_free(app);
    http_server_free(admin);
}

Test(two_servers, the_second_alone_ignores_sigterm_until_stopped)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    http_server *admin = start("admin", 1);
    pthread_t tb;
    cr_assert_eq(pthread_create(&tb, NULL, run, admin), 0);
    cr_assert_eq(kill(getpid(), SIGTERM), 0);
    cr_assert_str_eq(get(http_server_port(admin)), "admin");
    cr_assert_not(joined_within(tb, 1), "a no_signals server took SIGTERM");
    http_server_stop(admin);
    cr_assert(joined_within(tb, 5));
    http_server_free(admin);
}
