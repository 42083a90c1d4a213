/* The admin layer's own structures, shared by its files: the server (server.c), the request a
 * handler sees, HTML building (html.c), SVG charts (svg.c), the data behind the pages and the
 * API (data.c), the pages (pages.c), the metrics text (prom.c) and the login (auth.c). */
#ifndef MITSU_ADMIN_INTERNAL_H
#define MITSU_ADMIN_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "admin/admin.h"
#include "base/buf.h"
#include "db/db.h"
#include "http/server.h"
#include "web/form.h"
#include "web/router.h"
#include "web/sign.h"

struct admin_server {
    http_server *server;
    router *routes;
    sign_ring *cookie_keys;          /* the token is the key: a new token ends every login */
    unsigned char token_mac[SIGN_MAC_LEN]; /* what a presented token is compared against */
    db_conn *db;                     /* read-only; NULL without a database */
    hp_engine *hp;
    jr_journal *jr;
    pthread_t thread;
    int running;
};

/* One request on the admin listener. */
typedef struct adm_req {
    admin_server *a;
    http_exchange *ex;
    route_match m;
    form_fields query;
    mitsu_db *db;     /* this request's handle on the management database, or NULL */
} adm_req;

typedef int (*adm_handler)(adm_req *q); /* 0 when a response is set; -1: 500 */

/* ---- auth.c: the token, the login cookie ---- */
int auth_init(admin_server *a, const char *token);
/* 1 when the request carries the token (Authorization: Bearer) or a valid login cookie. */
int auth_ok(adm_req *q);
/* 1 when token (len bytes) is the configured one; constant time. */
int auth_token_matches(const admin_server *a, const char *token, size_t len);
/* 0 when a browser sent this request from another origin (Sec-Fetch-Site, Origin vs Host). */
int auth_same_origin(adm_req *q);
int auth_login_get(adm_req *q);
int auth_login_post(adm_req *q);
int auth_logout(adm_req *q);

/* ---- responses (server.c) ---- */
/* Status, the security headers, Content-Type and body; the body is copied. */
int adm_reply(adm_req *q, int status, const char *type, const char *body, size_t len);
int adm_reply_json(adm_req *q, int status, json_t *v); /* takes v */
int adm_redirect(adm_req *q, const char *location);
const char *adm_query(adm_req *q, const char *name);       /* NULL when absent */
long adm_query_long(adm_req *q, const char *name, long def, long min, long max);
/* The route parameter `name`, percent-decoded, in the arena; NULL when absent. */
const char *adm_param(adm_req *q, const char *name);

/* ---- html.c: escaped HTML into a growing buffer ---- */
typedef struct hbuf {
    buf b;
    int oom; /* an append failed: the page is not served */
} hbuf;
void h_raw(hbuf *h, const char *s);
void h_text(hbuf *h, const char *s);       /* text or attribute value, escaped; NULL: "" */
void h_textn(hbuf *h, const char *s, size_t len);
/* h_text of at most max bytes of s, cut at a character with "…" when longer. */
void h_text_cut(hbuf *h, const char *s, size_t max);
void h_printf(hbuf *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void h_url_segment(hbuf *h, const char *s); /* percent-encoded for a path segment (then safe
                                             * in an attribute too) */
/* A Unix-ms time as RFC 3339 UTC with milliseconds into out (n >= 25), "" for 0 / negative. */
void adm_time_text(int64_t ms, char *out, size_t n);

/* ---- svg.c: charts drawn here, no script, no external asset ---- */
/* A time series: n buckets of bucket_ms from start_ms, as bars with the axis labelled. */
void svg_series(hbuf *h, const char *title, const int64_t *values, size_t n, int64_t start_ms,
                int64_t bucket_ms);
/* Labelled horizontal bars (detectors, paths). */
void svg_hbars(hbuf *h, const char *title, const char *const *labels, const int64_t *values,
               size_t n);

/* ---- data.c: what the pages and /api/ show (one function each, JSON) ---- */
/* NULL with status 500 (database error) or 404 (unknown client) in *status. */
json_t *data_overview(adm_req *q, int64_t now, int64_t range_ms, int buckets, int *status);
json_t *data_attackers(adm_req *q, long limit, int *status);
json_t *data_client(adm_req *q, const char *ref, long limit, int *status);
json_t *data_detectors(adm_req *q, int *status);
json_t *data_top(adm_req *q, long limit, int *status);
/* The live counters, for the overview and /metrics. */
json_t *data_live(adm_req *q);

/* ---- pages.c and the API (api.c) ---- */
int page_overview(adm_req *q);
int page_attackers(adm_req *q);
int page_client(adm_req *q);
int page_detectors(adm_req *q);
int page_top(adm_req *q);
/* The overview with the request's ?range and ?buckets: for the page and the API alike. */
json_t *api_overview_value(adm_req *q, int *status);
int api_overview(adm_req *q);
int api_attackers(adm_req *q);
int api_client(adm_req *q);
int api_detectors(adm_req *q);
int api_top(adm_req *q);

/* ---- prom.c ---- */
int prom_metrics(adm_req *q);
/* The exposition text of the counters into h (for the handler and its tests). */
void prom_write(hbuf *h, admin_server *a);

/* ---- assets.c ---- */
int asset_style(adm_req *q);
int asset_icon(adm_req *q);

#endif
