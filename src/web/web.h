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

struct mitsu_app {
    config *cfg;
    http_server_config server_cfg;
    http_server *server;
    router *routes;
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
};

struct mitsu_req {
    http_exchange *ex;
    mitsu_app *app;
    mitsu_res *res;
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

/* request.c */
const cookie_jar *req_cookies(mitsu_req *req);
session *req_session(mitsu_req *req);

/* reply.c: the status's page, through the app's error handler when there is one. */
int reply_error(mitsu_res *res, int status);

#endif
