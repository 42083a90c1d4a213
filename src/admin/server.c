/* The admin listener: an HTTP server of its own (one worker, its own router) on its own thread,
 * every response with security headers, every route but the login and the assets behind the
 * token. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"

static const struct route_spec {
    const char *method, *pattern;
    adm_handler fn;
    int open; /* served without the token */
} routes[] = {
    {"GET", "/", page_overview, 0},
    {"GET", "/attackers", page_attackers, 0},
    {"GET", "/clients/:ref", page_client, 0},
    {"GET", "/detectors", page_detectors, 0},
    {"GET", "/top", page_top, 0},
    {"GET", "/api/overview", api_overview, 0},
    {"GET", "/api/attackers", api_attackers, 0},
    {"GET", "/api/client/:ref", api_client, 0},
    {"GET", "/api/detectors", api_detectors, 0},
    {"GET", "/api/top", api_top, 0},
    {"GET", "/metrics", prom_metrics, 0},
    {"GET", "/login", auth_login_get, 1},
    {"POST", "/login", auth_login_post, 1},
    {"POST", "/logout", auth_logout, 1},
    {"GET", "/style.css", asset_style, 1},
    {"GET", "/favicon.svg", asset_icon, 1},
    {"GET", "/favicon.ico", asset_icon, 1},
};
enum { NROUTES = sizeof routes / sizeof routes[0] };

static int add_header(adm_req *q, const char *name, const char *value)
{
    return http_response_header(&q->ex->res, name, value);
}

int adm_reply(adm_req *q, int status, const char *type, const char *body, size_t len)
{
    http_response *res = &q->ex->res;
    if (http_response_reset(res) < 0)
        return -1;
    res->status = status;
    /* The pages need nothing from elsewhere and run no script: whatever an attacker's data
     * smuggles into one can neither run nor load anything. */
    int rc = add_header(q, "Content-Security-Policy",
                        "default-src 'self'; script-src 'none'; object-src 'none'; "
                        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    rc |= add_header(q, "X-Frame-Options", "DENY");
    rc |= add_header(q, "X-Content-Type-Options", "nosniff");
    rc |= add_header(q, "Referrer-Policy", "no-referrer");
    rc |= add_header(q, "Cache-Control", "no-store");
    if (type)
        rc |= add_header(q, "Content-Type", type);
    if (len)
        rc |= http_response_write(res, body, len);
    return rc ? -1 : 0;
}

int adm_reply_json(adm_req *q, int status, json_t *v)
{
    if (!v)
        return -1;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(v);
    if (!text)
        return -1;
    int rc = adm_reply(q, status, "application/json", text, strlen(text));
    free(text);
    return rc;
}

int adm_redirect(adm_req *q, const char *location)
{
    if (adm_reply(q, 303, "text/plain; charset=utf-8", "", 0) < 0)
        return -1;
    return add_header(q, "Location", location);
}

const char *adm_query(adm_req *q, const char *name)
{
    const form_field *f = form_get(&q->query, name);
    return f ? f->value : NULL;
}

long adm_query_long(adm_req *q, const char *name, long def, long min, long max)
{
    const char *v = adm_query(q, name);
    if (!v || !*v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end)
        return def;
    return n < min ? min : n > max ? max : n;
}

const char *adm_param(adm_req *q, const char *name)
{
    const route_param *p = route_match_param(&q->m, name);
    if (!p)
        return NULL;
    char *out = arena_alloc(q->ex->arena, p->value_len + 1);
    if (!out)
        return NULL;
    form_decode(p->value, p->value_len, out, 0, NULL);
    return out;
}

/* Unknown paths and refused requests: a page for people, JSON for the API. */
static int refuse(adm_req *q, int status)
{
    const http_request *hr = &q->ex->req;
    int api = hr->path.len >= 5 && memcmp(hr->path.base, "/api/", 5) == 0;
    int rc;
    if (api || status == 401) {
        char body[96];
        int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}", http_status_reason(status));
        rc = adm_reply(q, status, "application/json", body, (size_t)n);
    } else {
        const char *text = http_status_reason(status);
        rc = adm_reply(q, status, "text/plain; charset=utf-8", text, strlen(text));
    }
    if (status == 401)
        rc |= add_header(q, "WWW-Authenticate", "Bearer realm=\"mitsu admin\"");
    return rc ? -1 : 0;
}

/* Without the token: people are sent to the login form, programs get 401. */
static int unauthorized(adm_req *q)
{
    const http_request *hr = &q->ex->req;
    int page = hr->method == HTTP_GET && !(hr->path.len >= 5 &&
                                            memcmp(hr->path.base, "/api/", 5) == 0) &&
               !http_slice_ieq(hr->path, "/metrics");
    return page ? adm_redirect(q, "/login") : refuse(q, 401);
}

/* Read-only at the connection: a bug here can never write to the management database. */
static int make_read_only(mitsu_db *db)
{
    return mitsu_db_script(db, mitsu_db_kind(db) == MITSU_DB_SQLITE
                                   ? "PRAGMA query_only = ON"
                                   : "SET default_transaction_read_only = on");
}

static int on_request(http_exchange *ex, void *ctx)
{
    admin_server *a = ctx;
    adm_req *q = arena_calloc(ex->arena, 1, sizeof *q);
    if (!q)
        return -1;
    q->a = a;
    q->ex = ex;
    const http_request *hr = &ex->req;
    route_result r = router_match(a->routes, hr->method_name.base, hr->method_name.len,
                                  hr->path.base, hr->path.len, &q->m);
    if (r == ROUTE_PATH_NOT_FOUND)
        return refuse(q, 404);
    if (r != ROUTE_MATCH)
        return refuse(q, 405);
    const struct route_spec *spec = q->m.opts->user;
    if (hr->method == HTTP_POST && !auth_same_origin(q))
        return refuse(q, 403); /* cross-site login or logout */
    if (!spec->open && !auth_ok(q))
        return unauthorized(q);
    if (hr->query.len &&
        form_parse_urlencoded(ex->arena, hr->query.base, hr->query.len, 32, &q->query) < 0)
        return -1;
    if (a->db && !spec->open) {
        q->db = db_handle(a->db, ex->arena); /* its cursors end with the request */
        /* PostgreSQL: a session the database layer re-established since would be writable */
        if (q->db && mitsu_db_kind(q->db) == MITSU_DB_POSTGRESQL && make_read_only(q->db) < 0)
            return -1;
    }
    return spec->fn(q);
}

static db_conn *open_db(const char *url, char *err, size_t n)
{
    db_conn *c = db_conn_open(url, NULL, err, n);
    if (!c)
        return NULL;
    arena a;
    arena_init(&a, 1024);
    mitsu_db *db = db_handle(c, &a);
    int rc = db ? make_read_only(db) : -1;
    if (rc != 0)
        snprintf(err, n, "cannot make the connection read-only: %s",
                 db ? mitsu_db_error(db) : "out of memory");
    arena_free(&a);
    if (rc != 0) {
        db_conn_close(c);
        return NULL;
    }
    return c;
}

static int add_routes(admin_server *a, char *err, size_t n)
{
    a->routes = router_new();
    if (!a->routes) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    for (int i = 0; i < NROUTES; i++) {
        route_options ro = {0, (void *)&routes[i]};
        void *h = (void *)&routes[i]; /* the spec carries the handler */
        if (router_add(a->routes, routes[i].method, routes[i].pattern, h, &ro, err, n) < 0)
            return -1;
    }
    return 0;
}

/* The first address with the port bound (the configured one may be 0). On stderr, and not
 * "listening on": stdout's first line is the application's address, which scripts read. */
static void print_url(const char *listen, int port)
{
    size_t len = strcspn(listen, ",");
    const char *colon = memrchr(listen, ':', len);
    int host_len = colon ? (int)(colon - listen) : 0;
    const char *host = host_len == 0 || (host_len == 1 && *listen == '*') ? "127.0.0.1" : listen;
    if (host != listen)
        host_len = (int)strlen(host);
    fprintf(stderr, "mitsu: admin dashboard at http://%.*s:%d/\n", host_len, host, port);
}

admin_server *admin_new(const admin_options *o, char *err, size_t n)
{
    admin_server *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    a->hp = o->hp;
    a->jr = o->jr;
    if (!o->token || strlen(o->token) < SIGN_MIN_KEY) {
        snprintf(err, n, "[admin] token must have at least %d characters", SIGN_MIN_KEY);
        goto fail;
    }
    if (auth_init(a, o->token) < 0) {
        snprintf(err, n, "cannot set up the login cookie key");
        goto fail;
    }
    if (add_routes(a, err, n) < 0)
        goto fail;
    if (o->db_url && *o->db_url && !(a->db = open_db(o->db_url, err, n)))
        goto fail;
    http_server_config cfg;
    http_server_config_defaults(&cfg);
    cfg.listen = o->listen;
    cfg.workers = 1;
    cfg.max_connections = 64;
    cfg.limits.max_body = 4096; /* the login form */
    cfg.shutdown_timeout_ms = 2000;
    cfg.quiet = 1;
    cfg.no_signals = 1;
    cfg.on_request = on_request;
    cfg.ctx = a;
    a->server = http_server_new(&cfg, err, n);
    if (!a->server)
        goto fail;
    if (!o->quiet)
        print_url(o->listen, http_server_port(a->server));
    return a;
fail:
    admin_free(a);
    return NULL;
}

static void *serve(void *p)
{
    admin_server *a = p;
    http_server_run(a->server);
    return NULL;
}

int admin_start(admin_server *a)
{
    /* The thread starts with the signals blocked, so SIGTERM can only reach the application's
     * signalfd; its workers inherit the mask. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    int rc = pthread_create(&a->thread, NULL, serve, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -1;
    a->running = 1;
    return 0;
}

void admin_stop(admin_server *a)
{
    if (!a || !a->running)
        return;
    http_server_stop(a->server);
    pthread_join(a->thread, NULL);
    a->running = 0;
}

void admin_free(admin_server *a)
{
    if (!a)
        return;
    admin_stop(a);
    http_server_free(a->server);
    router_free(a->routes);
    sign_ring_free(a->cookie_keys);
    if (a->db)
        db_conn_close(a->db);
    free(a);
}

int admin_port(const admin_server *a)
{
    return http_server_port(a->server);
}
