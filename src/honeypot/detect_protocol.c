/* Detector protocol: what no browser sends. Requests the HTTP core refused (malformed, too
 * large, too slow; smuggling attempts flag at once), methods no route of this application
 * allows (TRACE, PROPFIND ...), and absurd headers. */
#include <stdlib.h>
#include <string.h>

#include "honeypot/hp.h"

enum { MANY_FIELDS = 64, LONG_VALUE = 4096 };

typedef struct proto {
    double weight;
    mitsu_app *app;
} proto;

static int proto_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!config_get_bool(cfg, "protocol", "enabled"))
        return 0;
    proto *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->weight = (double)config_get_int(cfg, "protocol", "weight");
    p->app = hp_engine_app(hp);
    *state = p;
    return 0;
}

static void proto_fini(void *state)
{
    free(state);
}

/* Framing that two servers could read differently is how requests are smuggled past a proxy:
 * the parser's reasons for those name the framing fields. */
static int is_smuggling(const char *reason)
{
    static const char *const framing[] = {"Transfer-Encoding", "Content-Length and",
                                          "more than one Content-Length", "chunked applied",
                                          "transfer coding"};
    for (size_t i = 0; i < sizeof framing / sizeof framing[0]; i++)
        if (strstr(reason, framing[i]))
            return 1;
    return 0;
}

static void proto_reject(void *state, hp_request *r)
{
    const proto *p = state;
    if (!p)
        return;
    const http_rejection *rej = r->rejection;
    char head[81];
    hp_printable(rej->raw, rej->raw_len, head, sizeof head);
    if (rej->status == 400 && is_smuggling(rej->reason)) {
        hp_report(r, &hp_detect_protocol, HP_ATTACK, HP_FLAGS, "smuggling: %s: %s", rej->reason,
                  head);
        return;
    }
    /* A too-slow or too-large request can be a bad network or a big form: suspicious only. */
    int mistake = rej->status == 408 || rej->status == 413 || rej->status == 414 ||
                  rej->status == 431;
    hp_report(r, &hp_detect_protocol, mistake ? HP_SUSPICIOUS : HP_ATTACK,
              mistake ? p->weight / 4 : p->weight, "%d %s: %s", rej->status, rej->reason, head);
}

static void proto_before(void *state, hp_request *r)
{
    const proto *p = state;
    if (!p)
        return;
    const http_request *hr = &r->req->ex->req;
    /* A method this application never routes: TRACE, PROPFIND, CONNECT ... are tool traffic;
     * GET, HEAD, POST and OPTIONS (CORS preflights) are everyday. */
    switch (hr->method) {
    case HTTP_GET:
    case HTTP_HEAD:
    case HTTP_POST:
    case HTTP_OPTIONS:
        break;
    default: {
        route_match m;
        const char *path = mitsu_req_path(r->req);
        if (router_match(p->app->routes, hr->method_name.base, hr->method_name.len, path,
                         strlen(path), &m) != ROUTE_MATCH)
            hp_report(r, &hp_detect_protocol, HP_ATTACK, p->weight, "method %.*s on %s",
                      (int)hr->method_name.len, hr->method_name.base, path);
    }
    }
    if (hr->nheaders > MANY_FIELDS)
        hp_report(r, &hp_detect_protocol, HP_SUSPICIOUS, p->weight / 2, "%zu header fields",
                  hr->nheaders);
    for (size_t i = 0; i < hr->nheaders; i++)
        if (hr->headers[i].value.len > LONG_VALUE && !http_slice_ieq(hr->headers[i].name, "Cookie")) {
            hp_report(r, &hp_detect_protocol, HP_SUSPICIOUS, p->weight / 2,
                      "header %.*s of %zu bytes", (int)hr->headers[i].name.len,
                      hr->headers[i].name.base, hr->headers[i].value.len);
            break;
        }
}

const hp_detector hp_detect_protocol = {
    .name = "protocol",
    .phases = HP_BEFORE | HP_REJECT,
    .init = proto_init,
    .fini = proto_fini,
    .before = proto_before,
    .reject = proto_reject,
};
