/* Specification of the server's connection handling (src/http/conn.c, response.c), driven over
 * a socketpair one loop turn at a time: what goes out for what comes in. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/internal.h"

static http_server *server;
static int client = -1;
static char rejected_raw[256];
static size_t rejected_len;
static int rejected_status;
static const char *rejected_reason;

static int handler(http_exchange *ex, void *ctx)
{
    (void)ctx;
    http_response *res = &ex->res;
    if (http_slice_ieq(ex->req.path, "/stream")) {
        http_response_chunk(res, "abc", 3);
        return http_response_chunk(res, "de", 2);
    }
    if (http_slice_ieq(ex->req.path, "/inject"))
        return http_response_header(res, "X", "a\r\nEvil: 1") == -1 &&
                       http_response_header(res, "X", "a\nEvil: 1") == -1 &&
                       http_response_header(res, "X", "a\rEvil: 1") == -1 &&
                       http_response_headern(res, "X", 1, "a\0b", 3) == -1 &&
                       http_response_header(res, "X", "fine") == 0
                   ? http_response_write(res, "refused", 7)
                   : http_response_write(res, "accepted", 8);
    if (http_slice_ieq(ex->req.path, "/room")) {
        char *room = http_response_header_room(res, 8);
        if (room)
            memcpy(room, "X-Room: ", 8);
        room = http_response_header_room(res, 6);
        if (room)
            memcpy(room, "Y: two", 6);
        return http_response_write(res, "ok", 2);
    }
    if (http_slice_ieq(ex->req.path, "/fail"))
        return -1;
    http_response_header(res, "Content-Type", "text/plain");
    http_response_write(res, ex->req.path.base, ex->req.path.len);
    http_response_write(res, ":", 1);
    return http_response_write(res, ex->body, ex->body_len);
}

static void on_reject(const http_rejection *r, void *ctx)
{
    (void)ctx;
    rejected_status = r->status;
    rejected_reason = r->reason;
    rejected_len = r->raw_len < sizeof rejected_raw ? r->raw_len : sizeof rejected_raw;
    memcpy(rejected_raw, r->raw, rejected_len);
}

static void setup(void)
{
    http_server_config cfg;
    http_server_config_defaults(&cfg);
    cfg.listen = "";
    cfg.workers = 1;
    cfg.quiet = 1;
    cfg.on_request = handler;
    cfg.on_reject = on_reject;
    char err[128];
    server = http_server_new(&cfg, err, sizeof err);
    cr_assert_not_null(server, "%s", err);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    client = sv[0];
    http_worker *w = http_server_worker(server, 0);
    w->now = http_now_ms();
    cr_assert_not_null(conn_open(w, sv[1], NULL, 0));
    rejected_status = 0;
}

static void teardown(void)
{
    close(client);
    http_server_free(server);
}

TestSuite(server, .init = setup, .fini = teardown);

/* Sends bytes, lets the server take a few turns, returns what came back (NUL-terminated). */
static const char *roundtrip(const char *data, size_t len)
{
    static char out[65536];
    size_t got = 0;
    if (len)
        cr_assert_eq(send(client, data, len, 0), (ssize_t)len);
    http_worker *w = http_server_worker(server, 0);
    for (int i = 0; i < 5; i++) {
        http_worker_poll(w, 5);
        ssize_t n;
        while ((n = recv(client, out + got, sizeof out - 1 - got, MSG_DONTWAIT)) > 0)
            got += (size_t)n;
    }
    out[got] = '\0';
    return out;
}
#define SEND(lit) roundtrip(lit, sizeof lit - 1)

static int connection_open(void)
{
    return http_server_worker(server, 0)->nconns == 1;
}

Test(server, answers_a_request_with_date_and_length)
{
    const char *r = SEND("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
    cr_assert(strstr(r, "\r\nDate: "), "%s", r);
    cr_assert(strstr(r, "\r\nContent-Length: 3\r\n"), "%s", r);
    cr_assert(strstr(r, "\r\n\r\n/x:"), "%s", r);
    cr_assert(connection_open(), "HTTP/1.1 keeps the connection");
}

Test(server, a_header_written_into_its_room_goes_out_as_a_line_of_its_own)
{
    const char *r = SEND("GET /room HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert(strstr(r, "\r\nX-Room: \r\nY: two\r\n"), "%s", r);
    cr_assert(strstr(r, "\r\n\r\nok"), "%s", r);
}

Test(server, pipelined_requests_are_answered_in_order_in_one_write)
{
    const char *r = SEND("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n");
    const char *a = strstr(r, "/a:"), *b = strstr(r, "/b:");
    cr_assert(a && b && a < b, "%s", r);
}

Test(server, refused_request_reaches_the_callback_with_its_raw_bytes)
{
    const char req[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy";
    const char *r = SEND(req);
    cr_assert(strncmp(r, "HTTP/1.1 400 ", 13) == 0, "%s", r);
    cr_assert(strstr(r, "Connection: close\r\n"), "%s", r);
    cr_assert_eq(rejected_status, 400);
    cr_assert_not_null(rejected_reason);
    cr_assert_eq(rejected_len, sizeof req - 1);
    cr_assert(memcmp(rejected_raw, req, rejected_len) == 0);
}

Test(server, a_refused_request_closes_the_connection)
{
    SEND("GET / HTTP/2.0\r\nHost: h\r\n\r\n");
    cr_assert_eq(rejected_status, 505);
    shutdown(client, SHUT_WR);
    roundtrip("", 0);
    cr_assert_not(connection_open());
}

Test(server, expect_100_continue_is_answered_before_the_body)
{
    const char *r = SEND("POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    cr_assert_str_eq(r, "HTTP/1.1 100 Continue\r\n\r\n");
    r = SEND("abc");
    cr_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
    cr_assert(strstr(r, "/u:abc"), "%s", r);
}

Test(server, head_gets_the_length_but_no_body)
{
    const char *r = SEND("HEAD /abc HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert(strstr(r, "Content-Length: 5\r\n"), "%s", r);
    size_t len = strlen(r);
    cr_assert(len >= 4 && strcmp(r + len - 4, "\r\n\r\n") == 0, "no body after the head: %s", r);
}

Test(server, streamed_body_is_chunked_for_http11)
{
    const char *r = SEND("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert(strstr(r, "Transfer-Encoding: chunked\r\n"), "%s", r);
    cr_assert(strstr(r, "\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), "%s", r);
}

Test(server, streamed_body_is_close_delimited_for_http10)
{
    const char *r = SEND("GET /stream HTTP/1.0\r\n\r\n");
    cr_assert_null(strstr(r, "Transfer-Encoding"), "%s", r);
    cr_assert(strstr(r, "Connection: close\r\n"), "%s", r);
    cr_assert(strstr(r, "\r\n\r\nabcde"), "%s", r);
}

Test(server, http10_keep_alive_is_acknowledged)
{
    const char *r = SEND("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cr_assert(strstr(r, "Connection: keep-alive\r\n"), "%s", r);
    cr_assert(connection_open());
}

Test(server, header_values_cannot_split_the_response)
{
    const char *r = SEND("GET /inject HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert(strstr(r, "\r\n\r\nrefused"), "%s", r);
    cr_assert_null(strstr(r, "Evil"), "%s", r);
}

Test(server, handler_failure_is_a_bare_500)
{
    const char *r = SEND("GET /fail HTTP/1.1\r\nHost: h\r\n\r\n");
    cr_assert(strncmp(r, "HTTP/1.1 500 Internal Server Error\r\n", 36) == 0, "%s", r);
    cr_assert(strstr(r, "\r\n\r\nInternal Server Error\n"), "%s", r);
}

Test(server, chunked_request_body_is_decoded_whole)
{
    const char *r = SEND("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: x\r\n\r\n");
    cr_assert(strstr(r, "/c:abcde"), "%s", r);
}

Test(server, body_split_over_many_reads_arrives_intact)
{
    SEND("POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    SEND("lo\r\n");
    const char *r = SEND("0\r\n\r\n");
    cr_assert(strstr(r, "/s:hello"), "%s", r);
}
