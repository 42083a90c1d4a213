/* Detector trap: paths nobody legitimate requests on this application (/.env, /.git/,
 * /wp-login.php ...), unless the application itself routes them, and the bait that
 * /robots.txt tells crawlers to stay away from. One request flags. */
#include <stdlib.h>
#include <string.h>

#include "honeypot/hp.h"

typedef struct trap {
    const char *const *paths;
    size_t npaths;
    const char *const *bait;
    size_t nbait;
    int robots;
    mitsu_app *app;
} trap;

static int trap_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!config_get_bool(cfg, "trap", "enabled"))
        return 0;
    trap *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->npaths = config_get_list(cfg, "trap", "paths", &t->paths);
    t->nbait = config_get_list(cfg, "trap", "robots_paths", &t->bait);
    t->robots = config_get_bool(cfg, "trap", "robots");
    t->app = hp_engine_app(hp);
    *state = t;
    return 0;
}

static void trap_fini(void *state)
{
    free(state);
}

static int routed(const trap *t, const http_request *hr, const char *path)
{
    route_match m;
    return router_match(t->app->routes, hr->method_name.base, hr->method_name.len, path,
                        strlen(path), &m) == ROUTE_MATCH;
}

static const char *matching_prefix(const char *const *list, size_t n, const char *path)
{
    size_t plen = strlen(path);
    for (size_t i = 0; i < n; i++) {
        const char *p = list[i];
        if (p[0] != path[0] || (p[0] && p[1] != path[1]))
            continue; /* most entries differ in the first two bytes: no strlen for them */
        size_t len = strlen(p);
        /* "/.git/" also catches "/.git" itself. */
        if ((plen >= len && memcmp(path, p, len) == 0) ||
            (len > 1 && p[len - 1] == '/' && plen == len - 1 && memcmp(path, p, len - 1) == 0))
            return p;
    }
    return NULL;
}

/* robots.txt with Disallow lines for the bait: well-behaved crawlers stay away, and whoever
 * reads it to find hidden places walks into them. */
static void serve_robots(const trap *t, hp_request *r)
{
    mitsu_res *res = r->req->res;
    mitsu_status(res, 200);
    mitsu_header(res, "Content-Type", "text/plain; charset=utf-8");
    mitsu_write(res, "User-agent: *\n", 14);
    for (size_t i = 0; i < t->nbait; i++) {
        mitsu_write(res, "Disallow: ", 10);
        mitsu_write(res, t->bait[i], strlen(t->bait[i]));
        mitsu_write(res, "\n", 1);
    }
    r->answered = 1;
}

static void trap_before(void *state, hp_request *r)
{
    const trap *t = state;
    if (!t)
        return;
    const http_request *hr = &r->req->ex->req;
    const char *path = mitsu_req_path(r->req);
    if (routed(t, hr, path))
        return; /* the application serves it: not a trap here */
    if (t->robots && strcmp(path, "/robots.txt") == 0 &&
        (hr->method == HTTP_GET || hr->method == HTTP_HEAD)) {
        serve_robots(t, r);
        return;
    }
    const char *hit = matching_prefix(t->bait, t->nbait, path);
    if (hit) {
        hp_report(r, &hp_detect_trap, HP_ATTACK, HP_FLAGS, "robots.txt bait %s: %s", hit, path);
        return;
    }
    hit = matching_prefix(t->paths, t->npaths, path);
    if (hit)
        hp_report(r, &hp_detect_trap, HP_ATTACK, HP_FLAGS, "trap path %s: %s", hit, path);
}

const hp_detector hp_detect_trap = {
    .name = "trap",
    .phases = HP_BEFORE,
    .init = trap_init,
    .fini = trap_fini,
    .before = trap_before,
};
