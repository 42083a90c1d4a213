/* The application the integration tests talk to: every route exposes one server behaviour
 * (echo of method, target and body; delays; streaming; files; chosen statuses). */
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long query_number(mitsu_req *req, const char *key, long fallback)
{
    const char *q = mitsu_req_query(req);
    size_t klen = strlen(key);
    while (q && *q) {
        if (strncmp(q, key, klen) == 0 && q[klen] == '=')
            return strtol(q + klen + 1, NULL, 10);
        q = strchr(q, '&');
        if (q)
            q++;
    }
    return fallback;
}

static int hello(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, "Hello, World!");
}

/* "METHOD target\n" then the body length and the body, so tests see exactly what arrived. */
static int echo(mitsu_req *req, mitsu_res *res)
{
    size_t len;
    const char *body = mitsu_req_body(req, &len);
    char line[64];
    mitsu_status(res, 200);
    mitsu_header(res, "Content-Type", "text/plain");
    mitsu_write(res, mitsu_req_method(req), strlen(mitsu_req_method(req)));
    mitsu_write(res, " ", 1);
    mitsu_write(res, mitsu_req_target(req), strlen(mitsu_req_target(req)));
    snprintf(line, sizeof line, "\nbody-length: %zu\n", len);
    mitsu_write(res, line, strlen(line));
    return mitsu_write(res, body, len);
}

static int sleepy(mitsu_req *req, mitsu_res *res)
{
    long ms = query_number(req, "ms", 1000);
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return mitsu_text(res, 200, "slept");
}

static int stream(mitsu_req *req, mitsu_res *res)
{
    long n = query_number(req, "n", 3);
    long size = query_number(req, "size", 6);
    char *piece = mitsu_alloc(req, (size_t)size + 1);
    if (!piece)
        return -1;
    mitsu_status(res, 200);
    mitsu_header(res, "Content-Type", "text/plain");
    for (long i = 0; i < n; i++) {
        memset(piece, 'a' + (int)(i % 26), (size_t)size);
        if (mitsu_stream(res, piece, (size_t)size) < 0)
            return -1;
    }
    return 0;
}

static int status(mitsu_req *req, mitsu_res *res)
{
    long code = query_number(req, "code", 200);
    return mitsu_send(res, (int)code, "text/plain", "status body\n", 12);
}

static int big(mitsu_req *req, mitsu_res *res)
{
    long n = query_number(req, "n", 1 << 20);
    char *data = mitsu_alloc(req, (size_t)n);
    if (!data)
        return -1;
    for (long i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    return mitsu_send(res, 200, "application/octet-stream", data, (size_t)n);
}

static int file(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    const char *path = getenv("TESTAPP_FILE");
    if (!path || mitsu_send_file(res, 200, "application/octet-stream", path) < 0)
        return mitsu_text(res, 404, "no file");
    return 0;
}

static int fail(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    (void)res;
    return -1;
}

static int bad_header(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    /* A handler copying attacker bytes into a header must not split the response. */
    int rc = mitsu_header(res, "X-Injected", "a\r\nSet-Cookie: evil=1");
    return mitsu_text(res, 200, rc < 0 ? "refused" : "accepted");
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    mitsu_get(app, "/", hello);
    mitsu_route(app, "*", "/echo/*", echo);
    mitsu_route(app, "*", "/echo", echo);
    mitsu_get(app, "/a", echo);
    mitsu_get(app, "/b", echo);
    mitsu_get(app, "/smuggled", echo);
    mitsu_get(app, "/sleep", sleepy);
    mitsu_get(app, "/stream", stream);
    mitsu_get(app, "/status", status);
    mitsu_get(app, "/big", big);
    mitsu_get(app, "/file", file);
    mitsu_get(app, "/fail", fail);
    mitsu_get(app, "/bad-header", bad_header);
    mitsu_post(app, "/", echo);
    mitsu_post(app, "/only-post", echo);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
