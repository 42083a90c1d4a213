/* The application layer's own structures, shared by app.c (set-up and the request pipeline),
 * request.c (what a handler reads) and reply.c (what a handler answers). */
#ifndef MITSU_WEB_WEB_H
#define MITSU_WEB_WEB_H

#include <jansson.h>

#include "http/server.h"
#include "mitsu.h"
#include "web/cidr.h"
#include "web/config.h"
#include "web/cookie.h"
#include "web/form.h"
#include "web/router.h"
#include "web/session.h"
#include "web/sign.h"
#include "web/static.h"
#include "web/template.h"

typedef struct error_handler {
    int status;
    mitsu_handler handler;
} error_handler;

typedef struct static_mount {
    static_dir dir;
} static_mount;

/* How a layer above (the honeypot) wraps the request pipeline: its before runs ahead of the
 * application's before hooks and may answer or mark the request; its after runs after the
 * application's after hooks, with the final status; reject sees every refused request. */
typedef struct web_guard {
    int (*before)(mitsu_req *req, mitsu_res *res, void *ctx); /* MITSU_NEXT or MITSU_DONE */
    /* After routing found a route (req->match is set), before its handler: MITSU_NEXT, or
     * MITSU_DONE when it answered (declared parameters with strict: 400), or -1 for 500. */
    int (*routed)(mitsu_req *req, mitsu_res *res, void *ctx);
    void (*after)(mitsu_req *req, mitsu_res *res, void *ctx);
    void (*reject)(const http_rejection *r, void *ctx);
    void *ctx;
} web_guard;

/* A template helper of a layer above: {{mitsu.NAME}} in a page mitsu_render() makes appends what
 * fn writes for that response (HTML, not escaped). 0, or -1 out of memory. */
typedef int web_helper_fn(void *ctx, mitsu_res *res, buf *out);
typedef struct web_helper {
    const char *name; /* static, or owned by ctx's layer */
    web_helper_fn *fn;
    void *ctx;
} web_helper;
enum { WEB_MAX_HELPERS = 8 };

struct mitsu_app {
    config *cfg;  /* owned */
    web_guard guard;
    void *db_pairs; /* the database layer's named pairs, set by the composition root */
    void *honeypot; /* the honeypot engine, set when it attaches */
    void *admin;    /* the admin listener, when [admin] token is set (composition root) */
    http_server_config server_cfg;
    http_server *server;
    router *routes;
    router *decoy_routes;       /* what diverted requests see first: mitsu_decoy_route() */
    struct owned { void *p; void (*free)(void *); } owned[8]; /* layers above, freed with us */
    size_t nowned;
    uint64_t default_max_body;  /* [server] max_body */
    uint64_t largest_max_body;  /* over all routes: what the parser must let through */
    mitsu_handler *before, *after;
    size_t nbefore, nafter;
    error_handler *errors;
    size_t nerrors;
    static_mount **statics;
    size_t nstatics;
    tmpl_set *templates;
    sign_ring *keys;
    cidr_list trusted;
    const char *session_cookie;
    int64_t session_lifetime_s;
    int session_secure;
    web_helper helpers[WEB_MAX_HELPERS]; /* web_app_add_helper() */
    size_t nhelpers;
};

struct mitsu_req {
    http_exchange *ex;
    mitsu_app *app;
    mitsu_res *res;
    int decoy;                 /* served from decoys: set by the guard, read by databases */
    void *client;              /* the guard's view of the client, if any */
    char client_id[33];        /* the guard's id of the client (32 hex), "" if none */
    int unavailable;           /* a resource refused this request: the answer is 503 */
    route_match match;
    int matched;
    http_slice path;           /* for routing: the request's, or the rewritten one */
    char *method_z, *path_z, *target_z, *query_z;
    form_fields query;
    form_fields form;
    cookie_jar jar;
    json_t *json;
    session *sess;
    char client_ip[64];
    unsigned query_parsed : 1, form_parsed : 1, cookies_parsed : 1, json_parsed : 1,
        session_loaded : 1, tampered : 1;
};

struct mitsu_res {
    http_exchange *ex;
    mitsu_req *req;
};

/* app.c: the application object proper; mitsu_app_new/free/run live in the composition root
 * (src/mitsu/), which adds databases, the honeypot and recording around it. */
mitsu_app *web_app_new(config *cfg); /* takes cfg; NULL (messages on stderr) on a bad setting */
void web_app_free(mitsu_app *app);
int web_app_run(mitsu_app *app);
void web_app_set_guard(mitsu_app *app, const web_guard *guard);
/* Hands p to the application: free(p) runs when the application is freed, last given first.
 * 0, or -1 (then the caller still owns p). */
int web_app_own(mitsu_app *app, void *p, void (*free_fn)(void *));

/* request.c */
const cookie_jar *req_cookies(mitsu_req *req);
session *req_session(mitsu_req *req);

/* reply.c: the status's page, through the app's error handler when there is one. */
int reply_error(mitsu_res *res, int status);
/* reply.c: adds {{mitsu.NAME}} for mitsu_render(). 0, or -1 (too many, or NAME taken). */
int web_app_add_helper(mitsu_app *app, const char *name, web_helper_fn *fn, void *ctx);

#endif
