/* The application: configuration, routes, hooks, error handlers, static mounts, and the request
 * pipeline that runs them on the HTTP server (before hooks, routing, handler, after hooks). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "web/metrics.h"
#include "web/web.h"

static int grow_push(void **items, size_t *count, size_t size, const void *item)
{
    void *p = realloc(*items, (*count + 1) * size);
    if (!p)
        return -1;
    memcpy((char *)p + *count * size, item, size);
    *items = p;
    (*count)++;
    return 0;
}

static int dir_wanted(const char *dir, const char *conventional)
{
    return strcmp(dir, conventional) != 0 || access(dir, F_OK) == 0;
}

/* The signing keys: [app] secret_keys, or a random key for this process only. */
static int setup_keys(mitsu_app *app)
{
    const char *const *items = NULL;
    size_t n = config_get_list(app->cfg, "app", "secret_keys", &items);
    sign_key keys[SIGN_MAX_KEYS];
    char random_key[65];
    if (n == 0) {
        /* Without configured keys, sessions cannot survive a restart or be shared between
         * instances; say so once rather than sign with a guessable key. */
        if (sign_random_hex(random_key) < 0 || sign_random_hex(random_key + 32) < 0)
            return -1;
        keys[0].data = random_key;
        keys[0].len = 64;
        n = 1;
        fprintf(stderr, "mitsu: [app] secret_keys not set: using a random key; sessions end "
                        "with this process\n");
    } else {
        if (n > SIGN_MAX_KEYS)
            n = SIGN_MAX_KEYS;
        for (size_t i = 0; i < n; i++) {
            keys[i].data = items[i];
            keys[i].len = strlen(items[i]);
        }
    }
    app->keys = sign_ring_new(keys, n);
    memset(random_key, 0, sizeof random_key);
    return app->keys ? 0 : -1;
}

mitsu_app *web_app_new(config *cfg)
{
    mitsu_app *app = calloc(1, sizeof *app);
    if (!app) {
        config_free(cfg);
        return NULL;
    }
    app->cfg = cfg;
    http_server_config_defaults(&app->server_cfg);
    config_fill_http_server(app->cfg, &app->server_cfg);
    app->default_max_body = app->largest_max_body = app->server_cfg.limits.max_body;
    app->routes = router_new();
    app->decoy_routes = router_new();
    if (!app->routes || !app->decoy_routes)
        goto fail;
    char err[256];
    if (cidr_list_parse(&app->trusted, config_get_str(app->cfg, "server", "trusted_proxies"), err,
                        sizeof err) < 0) {
        fprintf(stderr, "mitsu: [server] trusted_proxies: %s\n", err);
        goto fail;
    }
    /* The conventional directories (templates/, static/ beside the app) are optional; a
     * directory the configuration names explicitly must exist. */
    const char *templates = config_get_str(app->cfg, "app", "templates");
    if (templates && *templates && dir_wanted(templates, "templates")) {
        app->templates = tmpl_set_new(templates);
        if (!app->templates) {
            fprintf(stderr, "mitsu: [app] templates: %s: %s\n", templates, strerror(errno));
            goto fail;
        }
    }
    if (setup_keys(app) < 0) {
        fprintf(stderr, "mitsu: cannot set up the signing keys\n");
        goto fail;
    }
    app->session_cookie = config_get_str(app->cfg, "session", "cookie_name");
    app->session_lifetime_s = config_get_ms(app->cfg, "session", "lifetime") / 1000;
    app->session_secure = config_get_bool(app->cfg, "session", "secure");
    const char *static_root = config_get_str(app->cfg, "app", "static");
    if (static_root && *static_root && dir_wanted(static_root, "static") &&
        mitsu_static(app, config_get_str(app->cfg, "app", "static_prefix"), static_root) < 0)
        goto fail;
    return app;
fail:
    web_app_free(app);
    return NULL;
}

void web_app_set_guard(mitsu_app *app, const web_guard *guard)
{
    app->guard = *guard;
}

int web_app_own(mitsu_app *app, void *p, void (*free_fn)(void *))
{
    if (app->nowned == sizeof app->owned / sizeof app->owned[0])
        return -1;
    app->owned[app->nowned].p = p;
    app->owned[app->nowned].free = free_fn;
    app->nowned++;
    return 0;
}

void web_app_free(mitsu_app *app)
{
    if (!app)
        return;
    http_server_free(app->server);
    /* The layers above go first: they may still refer to what follows. */
    while (app->nowned > 0) {
        app->nowned--;
        app->owned[app->nowned].free(app->owned[app->nowned].p);
    }
    router_free(app->routes);
    router_free(app->decoy_routes);
    for (size_t i = 0; i < app->nstatics; i++) {
        static_dir_close(&app->statics[i]->dir);
        free(app->statics[i]);
    }
    free(app->statics);
    free(app->before);
    free(app->after);
    free(app->errors);
    tmpl_set_free(app->templates);
    sign_ring_free(app->keys);
    cidr_list_free(&app->trusted);
    config_free(app->cfg);
    free(app);
}

const char *mitsu_config(const mitsu_app *app, const char *section, const char *key)
{
    return config_get_str(app->cfg, section, key);
}

int mitsu_route_ex(mitsu_app *app, const char *method, const char *path, mitsu_handler handler,
                   const mitsu_route_opts *opts)
{
    if (!app || !method || !path || !handler)
        return -1;
    route_options ro = {0, NULL};
    if (opts && opts->max_body) {
        ro.max_body = opts->max_body;
        if (ro.max_body > app->largest_max_body)
            app->largest_max_body = ro.max_body;
    }
    char err[256];
    /* Handlers travel through the router as data pointers; POSIX guarantees the round trip. */
    void *h;
    memcpy(&h, &handler, sizeof h);
    if (router_add(app->routes, method, path, h, &ro, err, sizeof err) < 0) {
        fprintf(stderr, "mitsu: route %s %s: %s\n", method, path, err);
        return -1;
    }
    return 0;
}

int mitsu_route(mitsu_app *app, const char *method, const char *path, mitsu_handler handler)
{
    return mitsu_route_ex(app, method, path, handler, NULL);
}

int mitsu_decoy_route(mitsu_app *app, const char *method, const char *path,
                      mitsu_handler handler)
{
    if (!app || !method || !path || !handler)
        return -1;
    char err[256];
    void *h;
    memcpy(&h, &handler, sizeof h);
    if (router_add(app->decoy_routes, method, path, h, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "mitsu: decoy route %s %s: %s\n", method, path, err);
        return -1;
    }
    return 0;
}

int mitsu_hook(mitsu_app *app, enum mitsu_hook_point point, mitsu_handler hook)
{
    if (!app || !hook)
        return -1;
    if (point == MITSU_BEFORE_REQUEST)
        return grow_push((void **)&app->before, &app->nbefore, sizeof hook, &hook);
    if (point == MITSU_AFTER_REQUEST)
        return grow_push((void **)&app->after, &app->nafter, sizeof hook, &hook);
    return -1;
}

int mitsu_error_handler(mitsu_app *app, int status, mitsu_handler handler)
{
    if (!app || !handler || status < 400 || status > 599)
        return -1;
    for (size_t i = 0; i < app->nerrors; i++)
        if (app->errors[i].status == status) {
            app->errors[i].handler = handler;
            return 0;
        }
    error_handler e = {status, handler};
    return grow_push((void **)&app->errors, &app->nerrors, sizeof e, &e);
}

/* The handler behind every static mount: the mount travels in the route's options. */
static int serve_static(mitsu_req *req, mitsu_res *res)
{
    const static_mount *m = req->match.opts->user;
    const route_param *rest = route_match_param(&req->match, "path");
    const char *rel = rest ? rest->value : "";
    size_t len = rest ? rest->value_len : 0;
    if (static_serve(&m->dir, req->ex, rel, len) < 0)
        return -1;
    int status = req->ex->res.status;
    if (status == 403 || status == 404) /* the application's own error page, as for any 404 */
        return mitsu_abort(res, status);
    return 0;
}

int mitsu_static(mitsu_app *app, const char *prefix, const char *dir)
{
    if (!app || !prefix || !dir)
        return -1;
    static_mount *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    if (static_dir_open(&m->dir, dir) < 0) {
        fprintf(stderr, "mitsu: static directory %s: %s\n", dir, strerror(errno));
        free(m);
        return -1;
    }
    if (grow_push((void **)&app->statics, &app->nstatics, sizeof m, &m) < 0) {
        static_dir_close(&m->dir);
        free(m);
        return -1;
    }
    size_t plen = strlen(prefix);
    while (plen && prefix[plen - 1] == '/')
        plen--;
    char *pattern = malloc(plen + sizeof "/*path");
    if (!pattern)
        return -1;
    memcpy(pattern, prefix, plen);
    strcpy(pattern + plen, "/*path");
    route_options ro = {0, m};
    char err[256];
    void *h;
    mitsu_handler fn = serve_static;
    memcpy(&h, &fn, sizeof h);
    int rc = router_add(app->routes, "GET", pattern, h, &ro, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "mitsu: static %s: %s\n", pattern, err);
    free(pattern);
    return rc;
}

/* ---- The request pipeline -------------------------------------------------------------- */

static uint64_t body_limit(const http_request *hr, void *ctx)
{
    mitsu_app *app = ctx;
    route_match m;
    if (router_match(app->routes, hr->method_name.base, hr->method_name.len, hr->path.base,
                     hr->path.len, &m) == ROUTE_MATCH &&
        m.opts->max_body)
        return m.opts->max_body;
    return app->default_max_body;
}

static mitsu_handler handler_of(const route_match *m)
{
    mitsu_handler h;
    memcpy(&h, &m->handler, sizeof h);
    return h;
}

/* Runs the handler of a matched route, after the guard's look at the route. */
static int handle_matched(mitsu_req *req, mitsu_res *res)
{
    req->matched = 1;
    const web_guard *g = &req->app->guard;
    if (g->routed) {
        int rc = g->routed(req, res, g->ctx);
        if (rc != MITSU_NEXT)
            return rc < 0 ? -1 : 0;
    }
    return handler_of(&req->match)(req, res);
}

/* Routes the request and runs its handler; 404, 405 and OPTIONS answered here. */
static int route_and_handle(mitsu_req *req, mitsu_res *res)
{
    mitsu_app *app = req->app;
    const http_request *hr = &req->ex->req;
    /* A diverted request meets the decoy routes first; whatever they lack, the real ones
     * serve, against the decoy databases. */
    if (req->decoy && router_match(app->decoy_routes, hr->method_name.base, hr->method_name.len,
                                   req->path.base, req->path.len, &req->match) == ROUTE_MATCH)
        return handle_matched(req, res);
    route_result r = router_match(app->routes, hr->method_name.base, hr->method_name.len,
                                  req->path.base, req->path.len, &req->match);
    if (r == ROUTE_MATCH)
        return handle_matched(req, res);
    if (r == ROUTE_PATH_NOT_FOUND && hr->method == HTTP_OPTIONS && req->path.len == 1 &&
        req->path.base[0] == '*') {
        /* "OPTIONS *" asks about the server as a whole (RFC 9110 §9.3.7). */
        mitsu_status(res, 204);
        return mitsu_header(res, "Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    }
    if (r == ROUTE_PATH_NOT_FOUND)
        return reply_error(res, 404);
    char allow[256];
    router_allowed(app->routes, req->path.base, req->path.len, allow, sizeof allow);
    if (hr->method == HTTP_OPTIONS) {
        mitsu_status(res, 204);
        return mitsu_header(res, "Allow", allow);
    }
    int rc = reply_error(res, 405);
    mitsu_header(res, "Allow", allow);
    return rc;
}

/* Sends the session cookie when the handler changed the session. */
static void save_session(mitsu_req *req, mitsu_res *res)
{
    if (!req->sess || !session_dirty(req->sess) || req->ex->res.headers_sent)
        return;
    cookie_attrs attrs = {0};
    attrs.path = "/";
    attrs.http_only = 1;
    attrs.same_site = COOKIE_SAMESITE_LAX;
    attrs.secure = req->app->session_secure;
    const char *set_cookie = NULL;
    if (session_save(req->sess, &attrs, req->app->session_lifetime_s, (int64_t)time(NULL),
                     &set_cookie) == 0 &&
        set_cookie)
        mitsu_header(res, "Set-Cookie", set_cookie);
}

static int on_request(http_exchange *ex, void *ctx)
{
    mitsu_app *app = ctx;
    mitsu_req *req = arena_calloc(ex->arena, 1, sizeof *req);
    mitsu_res *res = arena_calloc(ex->arena, 1, sizeof *res);
    if (!req || !res)
        return -1;
    req->ex = ex;
    req->app = app;
    req->res = res;
    req->path = ex->req.path;
    res->ex = ex;
    res->req = req;
    int rc = MITSU_NEXT;
    if (app->guard.before)
        rc = app->guard.before(req, res, app->guard.ctx);
    for (size_t i = 0; i < app->nbefore && rc == MITSU_NEXT; i++)
        rc = app->before[i](req, res);
    if (rc == MITSU_NEXT)
        rc = route_and_handle(req, res);
    if (rc < 0) {
        if (ex->res.headers_sent)
            return -1; /* a broken stream: the server cuts the connection */
        reply_error(res, 500);
    } else if (req->unavailable && !ex->res.headers_sent) {
        /* e.g. a diverted request asked for a database that has no decoy: whatever the
         * handler answered, it must not be served. */
        reply_error(res, 503);
    }
    for (size_t i = 0; i < app->nafter; i++)
        app->after[i](req, res);
    if (app->guard.after)
        app->guard.after(req, res, app->guard.ctx);
    save_session(req, res);
    web_metrics_count(ex->res.status, req->decoy);
    return 0;
}

static void on_reject(const http_rejection *r, void *ctx)
{
    mitsu_app *app = ctx;
    web_metrics_count(r->status, 0);
    if (app->guard.reject)
        app->guard.reject(r, app->guard.ctx);
}

int web_app_run(mitsu_app *app)
{
    char err[256];
    app->server_cfg.on_request = on_request;
    app->server_cfg.on_reject = on_reject;
    app->server_cfg.body_limit = body_limit;
    app->server_cfg.ctx = app;
    app->server_cfg.limits.max_body = app->largest_max_body;
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
