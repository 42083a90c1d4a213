/* The application object: settings from the environment, the route table, the request and
 * response API handlers use, and the glue that runs it all on the HTTP server. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/server.h"
#include "mitsu.h"

typedef struct route {
    char *method; /* "*" for any */
    char *path;
    size_t path_len;
    int prefix;   /* pattern ended in a "/" and "*": path holds the prefix with its trailing '/' */
    mitsu_handler handler;
} route;

struct mitsu_app {
    http_server_config server_cfg;
    http_server *server;
    route *routes;
    size_t nroutes;
    char *listen; /* owned copy of the listen setting */
};

struct mitsu_req {
    http_exchange *ex;
    mitsu_app *app;
    char *method, *path, *target, *query; /* NUL-terminated copies, made on first use */
};

struct mitsu_res {
    http_exchange *ex;
};

static int parse_int_env(const char *name, int lo, int hi, int *out)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi) {
        fprintf(stderr, "mitsu: %s=%s: expected a whole number from %d to %d\n", name, v, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

mitsu_app *mitsu_app_new(const char *config_path)
{
    (void)config_path; /* the INI configuration arrives with the framework issue */
    mitsu_app *app = calloc(1, sizeof *app);
    if (!app)
        return NULL;
    http_server_config_defaults(&app->server_cfg);
    const char *listen = getenv("MITSU_SERVER_LISTEN");
    if (listen && *listen) {
        app->listen = strdup(listen);
        if (!app->listen)
            goto fail;
        app->server_cfg.listen = app->listen;
    }
    if (parse_int_env("MITSU_SERVER_WORKERS", 1, 1024, &app->server_cfg.workers) < 0)
        goto fail;
    return app;
fail:
    mitsu_app_free(app);
    return NULL;
}

void mitsu_app_free(mitsu_app *app)
{
    if (!app)
        return;
    for (size_t i = 0; i < app->nroutes; i++) {
        free(app->routes[i].method);
        free(app->routes[i].path);
    }
    free(app->routes);
    http_server_free(app->server);
    free(app->listen);
    free(app);
}

int mitsu_route(mitsu_app *app, const char *method, const char *path, mitsu_handler handler)
{
    if (!app || !method || !*method || !path || path[0] != '/' || !handler)
        return -1;
    route *r = realloc(app->routes, (app->nroutes + 1) * sizeof *r);
    if (!r)
        return -1;
    app->routes = r;
    r = &app->routes[app->nroutes];
    size_t len = strlen(path);
    r->prefix = len >= 2 && strcmp(path + len - 2, "/*") == 0;
    if (r->prefix)
        len -= 1; /* keep the '/' */
    r->method = strdup(method);
    r->path = strndup(path, len);
    if (!r->method || !r->path) {
        free(r->method);
        free(r->path);
        return -1;
    }
    r->path_len = len;
    r->handler = handler;
    app->nroutes++;
    return 0;
}

static int route_matches_path(const route *r, http_slice path)
{
    if (r->prefix)
        return path.len >= r->path_len && memcmp(path.base, r->path, r->path_len) == 0;
    return path.len == r->path_len && memcmp(path.base, r->path, r->path_len) == 0;
}

static int route_matches_method(const route *r, http_slice method, int is_head)
{
    if (r->method[0] == '*' && r->method[1] == '\0')
        return 1;
    size_t n = strlen(r->method);
    if (method.len == n && memcmp(method.base, r->method, n) == 0)
        return 1;
    return is_head && strcmp(r->method, "GET") == 0;
}

/* Answers 405 with the Allow list (RFC 9110 §15.5.6), or 204 for OPTIONS. */
static int answer_allow(mitsu_app *app, http_exchange *ex, int status)
{
    buf allow = BUF_INIT;
    int any = 0, get = 0;
    for (size_t i = 0; i < app->nroutes; i++) {
        const route *r = &app->routes[i];
        if (!route_matches_path(r, ex->req.path))
            continue;
        if (strcmp(r->method, "*") == 0)
            any = 1;
        if (strcmp(r->method, "GET") == 0)
            get = 1;
        if (allow.len)
            buf_append(&allow, ", ", 2);
        buf_append_str(&allow, r->method);
    }
    if (any) {
        allow.len = 0;
        buf_append_str(&allow, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    } else {
        if (get)
            buf_append_str(&allow, ", HEAD");
        buf_append_str(&allow, ", OPTIONS");
    }
    buf_append(&allow, "", 1);
    ex->res.status = status;
    int rc = http_response_header(&ex->res, "Allow", allow.data);
    buf_free(&allow);
    if (status != 204) {
        http_response_header(&ex->res, "Content-Type", "text/plain; charset=utf-8");
        http_response_write(&ex->res, "Method Not Allowed\n", 19);
    }
    return rc;
}

static int on_request(http_exchange *ex, void *ctx)
{
    mitsu_app *app = ctx;
    const http_request *hr = &ex->req;
    int is_head = hr->method == HTTP_HEAD;
    int path_known = 0;
    for (size_t i = 0; i < app->nroutes; i++) {
        const route *r = &app->routes[i];
        if (!route_matches_path(r, hr->path))
            continue;
        path_known = 1;
        if (!route_matches_method(r, hr->method_name, is_head))
            continue;
        mitsu_req req = {.ex = ex, .app = app};
        mitsu_res res = {.ex = ex};
        return r->handler(&req, &res);
    }
    if (path_known)
        return answer_allow(app, ex, hr->method == HTTP_OPTIONS ? 204 : 405);
    ex->res.status = 404;
    http_response_header(&ex->res, "Content-Type", "text/plain; charset=utf-8");
    return http_response_write(&ex->res, "Not Found\n", 10);
}

int mitsu_run(mitsu_app *app)
{
    char err[256];
    app->server_cfg.on_request = on_request;
    app->server_cfg.ctx = app;
    app->server = http_server_new(&app->server_cfg, err, sizeof err);
    if (!app->server) {
        fprintf(stderr, "mitsu: %s\n", err);
        return 1;
    }
    return http_server_run(app->server) == 0 ? 0 : 1;
}

int mitsu_app_port(const mitsu_app *app)
{
    return app->server ? http_server_port(app->server) : 0;
}

/* ---- Request -------------------------------------------------------------------------- */

static const char *lazy_copy(mitsu_req *req, char **slot, http_slice s)
{
    if (!*slot)
        *slot = arena_strndup(req->ex->arena, s.base ? s.base : "", s.len);
    return *slot ? *slot : "";
}

const char *mitsu_req_method(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->method, req->ex->req.method_name);
}

const char *mitsu_req_path(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->path, req->ex->req.path);
}

const char *mitsu_req_target(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->target, req->ex->req.target);
}

const char *mitsu_req_query(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->query, req->ex->req.query);
}

const char *mitsu_req_header(const mitsu_req *req, const char *name)
{
    const http_header *h = http_find_header(&req->ex->req, name);
    if (!h)
        return NULL;
    return arena_strndup(req->ex->arena, h->value.base, h->value.len);
}

const char *mitsu_req_body(const mitsu_req *req, size_t *len)
{
    if (len)
        *len = req->ex->body_len;
    return req->ex->body_len ? req->ex->body : "";
}

void *mitsu_alloc(mitsu_req *req, size_t size)
{
    return arena_alloc(req->ex->arena, size);
}

/* ---- Response ------------------------------------------------------------------------- */

int mitsu_status(mitsu_res *res, int status)
{
    if (status < 100 || status > 999 || res->ex->res.headers_sent)
        return -1;
    res->ex->res.status = status;
    return 0;
}

int mitsu_header(mitsu_res *res, const char *name, const char *value)
{
    return http_response_header(&res->ex->res, name, value);
}

int mitsu_write(mitsu_res *res, const void *data, size_t len)
{
    return http_response_write(&res->ex->res, data, len);
}

int mitsu_send(mitsu_res *res, int status, const char *content_type, const void *data,
               size_t len)
{
    if (mitsu_status(res, status) < 0)
        return -1;
    if (content_type && http_response_header(&res->ex->res, "Content-Type", content_type) < 0)
        return -1;
    return http_response_write(&res->ex->res, data, len);
}

int mitsu_text(mitsu_res *res, int status, const char *text)
{
    return mitsu_send(res, status, "text/plain; charset=utf-8", text, strlen(text));
}

int mitsu_send_file(mitsu_res *res, int status, const char *content_type, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || mitsu_status(res, status) < 0 ||
        (content_type && http_response_header(&res->ex->res, "Content-Type", content_type) < 0) ||
        http_response_file(&res->ex->res, fd, 0, (uint64_t)st.st_size) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

int mitsu_stream(mitsu_res *res, const void *data, size_t len)
{
    return http_response_chunk(&res->ex->res, data, len);
}
