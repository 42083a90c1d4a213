/* The honeypot engine: client identification, the detector runs, scoring with decay, verdicts
 * and actions, wrapped around the application's pipeline as the web layer's guard. */
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db/db.h"
#include "honeypot/hp.h"
#include "honeypot/metrics.h"
#include "web/cookie.h"

const char *const hp_kind_names[HP_KIND__MAX] = {"suspicious", "attack"};

static const hp_detector *const detectors[] = {
    NULL, /* id 0: the application, through mitsu_flag() */
    &hp_detect_protocol,
    &hp_detect_trap,
    &hp_detect_honeytoken,
    &hp_detect_status4xx,
    &hp_detect_signature,
    &hp_detect_transition,
    &hp_detect_params,
    &hp_detect_login,
    &hp_detect_rate,
    &hp_detect_tamper,
};
enum { NDETECTORS = sizeof detectors / sizeof detectors[0] };
enum run_phase { RUN_IDENTIFIED, RUN_BEFORE, RUN_ROUTED, RUN_AFTER, RUN_REJECT, NRUN };

struct hp_engine {
    mitsu_app *app;
    const config *cfg;
    hp_client_table *clients;
    int enabled;
    int enforce;                 /* mode = enforce (else simulate) */
    enum config_hp_action action;
    int tarpit_delay_ms;
    double threshold;
    double half_life_ms;
    int64_t client_ttl_ms, verdict_ttl_ms;
    int64_t upkeep_every_ms;
    _Atomic int64_t next_upkeep;  /* when a worker next forgets idle clients */
    _Atomic int64_t last_upkeep;  /* clients seen since are reported to the sink (any thread) */
    hp_sink sink;
    const char *cookie_name;
    char *cookie_line;           /* the id cookie's Set-Cookie value, its id zeroed */
    size_t cookie_len, cookie_sid_at;
    cidr_list whitelist;
    const char *const *white_paths;
    size_t nwhite_paths;
    const char *const *white_agents;
    size_t nwhite_agents;
    const char *const *decoy_prefixes;
    size_t ndecoy_prefixes;
    const char *const *static_ext;
    size_t nstatic_ext;
    const char *static_prefix;
    size_t static_prefix_len;
    int log_events;              /* [journal] log = stderr: one JSON line per verdict */
    void *state[NDETECTORS];
    /* Per phase, the ids of the detectors with a call for it, in table order: the request
     * path walks these, not the whole table. */
    uint8_t run[NRUN][NDETECTORS];
    uint8_t nrun[NRUN];
};

static uint8_t detector_id(const hp_detector *d)
{
    for (int i = 1; i < NDETECTORS; i++)
        if (detectors[i] == d)
            return (uint8_t)i;
    return HP_BY_APP;
}

const char *hp_detector_name(uint8_t id)
{
    if (id == HP_BY_APP)
        return "app";
    if (id == HP_BY_OPERATOR)
        return "operator";
    return id < NDETECTORS ? detectors[id]->name : "unknown";
}

hp_client_table *hp_engine_clients(hp_engine *hp)
{
    return hp->clients;
}

const config *hp_engine_config(hp_engine *hp)
{
    return hp->cfg;
}

mitsu_app *hp_engine_app(hp_engine *hp)
{
    return hp->app;
}

void *hp_engine_state(hp_engine *hp, const hp_detector *d)
{
    uint8_t id = detector_id(d);
    return hp && id != HP_BY_APP ? hp->state[id] : NULL;
}

hp_engine *hp_engine_of(mitsu_app *app)
{
    return app ? app->honeypot : NULL;
}

int64_t hp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


void hp_printable(const char *in, size_t len, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        unsigned char c = (unsigned char)in[i];
        out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
    }
    if (n)
        out[o] = '\0';
}

static void add_hit(hp_request *r, uint8_t id, enum hp_kind kind, double score,
                    const char *evidence)
{
    if (r->nhits == r->caphits) {
        size_t cap = r->caphits ? r->caphits * 2 : 4;
        hp_hit *h = arena_alloc(r->arena, cap * sizeof *h);
        if (!h)
            return;
        if (r->nhits)
            memcpy(h, r->hits, r->nhits * sizeof *h);
        r->hits = h;
        r->caphits = cap;
    }
    r->hits[r->nhits++] = (hp_hit){id, kind, score, evidence ? evidence : ""};
    hp_metrics_hit(id);
}

void hp_report(hp_request *r, const hp_detector *d, enum hp_kind kind, double score,
               const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    add_hit(r, detector_id(d), kind, score, arena_strdup(r->arena, text));
}

/* ---- Scoring ------------------------------------------------------------------------------ */

typedef struct apply_arg {
    hp_engine *hp;
    hp_request *r;
    int push;          /* add this request to the client's ring (the after phase) */
    uint32_t path;     /* its interned path: interning takes the path table's own lock */
    int flagged;       /* out: this call made the client an attacker */
    uint8_t by;        /* out: the detector that did */
    enum hp_client_state state; /* out */
    double score;      /* out */
} apply_arg;

/* Under the client's shard lock: decay, add the hits, judge; record the request. */
static void apply_locked(hp_client *c, void *p)
{
    apply_arg *a = p;
    hp_engine *hp = a->hp;
    hp_request *r = a->r;
    if (c->score_at && c->score > 0) {
        double age = (double)(r->now - c->score_at);
        if (age > 0)
            c->score = (float)(c->score * exp2(-age / hp->half_life_ms));
    }
    c->score_at = r->now;
    double best = 0;
    uint8_t best_by = HP_BY_APP;
    for (size_t i = 0; i < r->nhits; i++) {
        double s = r->hits[i].score < 0 ? hp->threshold : r->hits[i].score;
        c->score += (float)s;
        if (s >= best) {
            best = s;
            best_by = r->hits[i].detector;
        }
    }
    /* Compared in whole points: two hits of half the threshold a moment apart flag, although
     * the first has decayed by a hair in between. */
    if (c->state != HP_CLIENT_ATTACKER && r->nhits && c->score + 0.5 >= hp->threshold) {
        hp_client_mark(c, HP_CLIENT_ATTACKER, best_by, r->now);
        a->flagged = 1;
        a->by = best_by;
    }
    if (a->push) {
        if (r->status >= 400 && r->status < 500 && c->n4xx < UINT32_MAX)
            c->n4xx++;
        uint32_t path = a->path;
        uint8_t method = r->req ? (uint8_t)r->req->ex->req.method : 0;
        hp_client_ring_push(c, r->now, method, (uint16_t)r->status, path,
                            r->req && r->req->decoy ? HP_REQ_DECOY : 0);
    }
    a->state = (enum hp_client_state)c->state;
    a->score = c->score;
}

static const char *hit_evidence(const hp_request *r, uint8_t by)
{
    for (size_t i = 0; i < r->nhits; i++)
        if (r->hits[i].detector == by)
            return r->hits[i].evidence;
    return "";
}

/* One JSON line per verdict on stderr; the journal (its own issue) takes over the recording. */
static void log_flag(hp_engine *hp, hp_request *r, uint8_t by, double score)
{
    if (!hp->log_events)
        return;
    const char *evidence = "";
    for (size_t i = 0; i < r->nhits; i++)
        if (r->hits[i].detector == by)
            evidence = r->hits[i].evidence;
    char sid[HP_SID_HEX + 1];
    hp_client_sid_format(r->client.sid, sid);
    /* Evidence is attacker bytes: anything but printable ASCII goes out as \xHH, so the line
     * is valid UTF-8 JSON whatever was sent. */
    size_t elen = strlen(evidence);
    char *clean = arena_alloc(r->arena, elen * 4 + 1);
    if (clean) {
        size_t o = 0;
        for (size_t i = 0; i < elen; i++) {
            unsigned char ch = (unsigned char)evidence[i];
            if (ch >= 0x20 && ch < 0x7f)
                clean[o++] = (char)ch;
            else
                o += (size_t)snprintf(clean + o, 5, "\\x%02x", ch);
        }
        clean[o] = '\0';
        evidence = clean;
    }
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:f, s:s, s:s}", "time", (json_int_t)r->now,
                          "event", "flag", "client", sid, "ip", r->ip_text, "detector",
                          hp_detector_name(by), "score", score, "evidence", evidence, "mode",
                          hp->enforce ? "enforce" : "simulate");
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (line)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(o);
}

void hp_engine_set_sink(hp_engine *hp, const hp_sink *sink)
{
    hp->sink = *sink;
}

static uint8_t detector_by_name(const char *name)
{
    for (int i = 1; name && i < NDETECTORS; i++)
        if (strcmp(detectors[i]->name, name) == 0)
            return (uint8_t)i;
    return name && strcmp(name, "app") == 0 ? HP_BY_APP : HP_BY_OPERATOR;
}

int hp_engine_load(hp_engine *hp, const hp_client *c, const char *flagged_by)
{
    hp_client named = *c;
    if (flagged_by) /* else the row would say "app" once the client is reported again */
        named.flagged_by = detector_by_name(flagged_by);
    return hp_client_load(hp->clients, &named);
}

typedef struct remote_verdict {
    enum hp_client_state state;
    uint8_t by;
    float score;
    int64_t now;
} remote_verdict;

/* Under the shard lock. A release starts the client afresh: no score and no detector counts
 * left, so the evidence of the verdict it was released from cannot flag it again. */
static void take_remote(hp_client *c, void *p)
{
    const remote_verdict *v = p;
    if (v->state == HP_CLIENT_RELEASED) {
        c->score = 0;
        memset(c->det, 0, sizeof c->det);
    } else if (c->score < v->score) {
        c->score = v->score;
    }
    c->score_at = v->now;
    hp_client_mark(c, v->state, v->by, v->now);
}

int hp_engine_apply_verdict(hp_engine *hp, const char *sid, const char *ip,
                            enum hp_client_state state, double score, const char *by)
{
    hp_client c;
    memset(&c, 0, sizeof c);
    if (!sid || hp_client_sid_parse(sid, strlen(sid), c.sid) != 0 ||
        (state != HP_CLIENT_ATTACKER && state != HP_CLIENT_RELEASED))
        return -1;
    remote_verdict v = {state, detector_by_name(by), score > 0 ? (float)score : 0, hp_now_ms()};
    if (state == HP_CLIENT_RELEASED)
        v.score = 0;
    if (hp_client_update(hp->clients, c.sid, take_remote, &v) == 0)
        return 0;
    /* Not seen here yet: known from now on, so that its address leads to the verdict. */
    if (!ip || hp_client_ip_parse(ip, c.ip) != 0)
        memset(c.ip, 0, sizeof c.ip);
    c.first_seen = c.last_seen = c.score_at = v.now;
    c.score = v.score;
    hp_client_mark(&c, state, v.by, v.now);
    return hp_client_load(hp->clients, &c);
}

static void apply(hp_request *r, int push)
{
    if (!r->has_client || (!push && r->nhits == 0))
        return;
    apply_arg a = {.hp = r->hp, .r = r, .push = push};
    if (push && r->req) {
        http_slice path = r->req->path;
        a.path = hp_client_path_intern(r->hp->clients, path.base ? path.base : "", path.len);
    }
    int rc = hp_client_update_ref(r->hp->clients, &r->client, apply_locked, &a);
    if (rc == 0) {
        r->client.state = a.state;
        if (a.flagged) {
            r->flagged_now = 1;
            if (r->hp->sink.flag)
                r->hp->sink.flag(r->hp->sink.ctx, r, a.by, a.score, hit_evidence(r, a.by));
            else
                log_flag(r->hp, r, a.by, a.score);
        }
    }
    r->nhits = 0; /* counted: the next phase starts afresh */
}

/* ---- The request pipeline ---------------------------------------------------------------- */

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_static_path(const hp_engine *hp, http_slice path)
{
    const char *p = path.base ? path.base : "";
    if (hp->static_prefix_len && path.len >= hp->static_prefix_len &&
        memcmp(p, hp->static_prefix, hp->static_prefix_len) == 0)
        return 1;
    const char *dot = memrchr(p, '.', path.len);
    if (!dot || memchr(dot, '/', path.len - (size_t)(dot - p)))
        return 0;
    size_t ext_len = path.len - (size_t)(dot + 1 - p);
    for (size_t i = 0; i < hp->nstatic_ext; i++)
        if (strlen(hp->static_ext[i]) == ext_len &&
            strncasecmp(dot + 1, hp->static_ext[i], ext_len) == 0)
            return 1;
    return 0;
}

static int is_whitelisted(const hp_engine *hp, mitsu_req *req, const char *ip)
{
    if (hp->whitelist.count && cidr_list_contains(&hp->whitelist, ip))
        return 1;
    for (size_t i = 0; i < hp->nwhite_paths; i++)
        if (has_prefix(mitsu_req_path(req), hp->white_paths[i]))
            return 1;
    if (hp->nwhite_agents) {
        const char *ua = mitsu_req_header(req, "User-Agent");
        for (size_t i = 0; ua && i < hp->nwhite_agents; i++)
            if (strstr(ua, hp->white_agents[i]))
                return 1;
    }
    return 0;
}

/* The paper's PATH_INFO rewrite: a diverted request for FROM... is routed as TO.... */
static void rewrite_for_decoy(const hp_engine *hp, mitsu_req *req)
{
    const char *path = mitsu_req_path(req);
    for (size_t i = 0; i < hp->ndecoy_prefixes; i++) {
        const char *map = hp->decoy_prefixes[i];
        const char *eq = strchr(map, '=');
        size_t flen = (size_t)(eq - map);
        if (strncmp(path, map, flen) != 0)
            continue;
        char *to = arena_printf(req->ex->arena, "%s%s", eq + 1, path + flen);
        if (to)
            mitsu_rewrite(req, to);
        return;
    }
}

/* What the verdict does to this request. may_route: the request is not routed yet, so a
 * decoy route or prefix may still take it. */
static int act(hp_engine *hp, hp_request *r, mitsu_req *req, mitsu_res *res, int may_route)
{
    if (r->client.state != HP_CLIENT_ATTACKER || !hp->enforce)
        return MITSU_NEXT;
    switch (hp->action) {
    case CONFIG_HP_BLOCK:
        reply_error(res, 403);
        return MITSU_DONE;
    case CONFIG_HP_OBSERVE:
        return MITSU_NEXT;
    case CONFIG_HP_TARPIT:
        /* Served from the decoys like a diverted request, only slowly: the response is held
         * by the server, not by a sleeping worker; past tarpit_max it goes out at once. */
        http_response_delay(&res->ex->res, hp->tarpit_delay_ms);
        break;
    case CONFIG_HP_DIVERT:
    case CONFIG_HP_ACTION__MAX:
        break;
    }
    req->decoy = 1;
    if (may_route)
        rewrite_for_decoy(hp, req);
    return MITSU_NEXT;
}

/* The first id cookie that is one of ours in form: another application on the same host may
 * send a cookie of the same name first. */
static const char *client_cookie(const hp_engine *hp, mitsu_req *req, size_t *len)
{
    const cookie_jar *jar = req_cookies(req);
    const cookie_pair *first = jar->count ? cookie_get(jar, hp->cookie_name) : NULL, *p = first;
    if (!first)
        return NULL;
    if (cookie_next(jar, hp->cookie_name, first)) { /* alone, the table judges it itself */
        uint8_t sid[HP_SID_LEN];
        for (; p; p = cookie_next(jar, hp->cookie_name, p))
            if (hp_client_sid_parse(p->value, p->value_len, sid) == 0)
                break;
        if (!p)
            p = first; /* none valid: the table is told what was sent */
    }
    *len = p->value_len;
    return p->value; /* the jar's NUL-terminated copy, in the request's arena */
}

static hp_request *request_new(hp_engine *hp, arena *a)
{
    hp_request *r = arena_alloc(a, sizeof *r);
    if (!r)
        return NULL;
    /* zeroed in line by the compound literal: cheaper than a memset call for this size */
    *r = (hp_request){.hp = hp, .arena = a, .now = hp_now_ms()};
    return r;
}

/* The client's address as the table's key and as text. Without trusted proxies the peer is the
 * client: the key then comes straight from the socket address, not from its text parsed back. */
static void client_address(hp_request *r, mitsu_req *req)
{
    const struct sockaddr_storage *ss = &req->ex->peer;
    if (!req->app->trusted.count && req->ex->peer_len && ss->ss_family == AF_INET) {
        hp_client_ip_v4(&((const struct sockaddr_in *)ss)->sin_addr, r->ip);
        /* A worker serves one address many times in a row (keep-alive): its text is kept. */
        static _Thread_local uint8_t last_ip[4];
        static _Thread_local char last_text[16];
        if (!last_text[0] || memcmp(last_ip, r->ip + 12, 4)) {
            cidr_peer_text(ss, req->ex->peer_len, r->ip_text);
            memcpy(last_ip, r->ip + 12, 4);
            memcpy(last_text, r->ip_text, sizeof last_text); /* "255.255.255.255" fits */
        } else {
            memcpy(r->ip_text, last_text, sizeof last_text);
        }
        /* what mitsu_client_ip() would work out again for the application */
        memcpy(req->client_ip, r->ip_text, sizeof last_text);
        return;
    }
    const char *ip = mitsu_client_ip(req);
    size_t iplen = strnlen(ip, sizeof r->ip_text - 1);
    memcpy(r->ip_text, ip, iplen);
    r->ip_text[iplen] = '\0';
    if (hp_client_ip_parse(r->ip_text, r->ip) < 0)
        memset(r->ip, 0, sizeof r->ip);
}

/* Under the client's lock, while it is identified: the detectors' bookkeeping on its record. */
static void identified(hp_client *c, void *arg)
{
    hp_request *r = arg;
    const hp_engine *hp = r->hp;
    for (int k = 0; k < hp->nrun[RUN_IDENTIFIED]; k++) {
        uint8_t i = hp->run[RUN_IDENTIFIED][k];
        detectors[i]->identified(hp->state[i], r, c);
    }
}

static int guard_before(mitsu_req *req, mitsu_res *res, void *ctx)
{
    hp_engine *hp = ctx;
    if (!hp->enabled)
        return MITSU_NEXT;
    hp_request *r = request_new(hp, req->ex->arena);
    if (!r)
        return MITSU_NEXT;
    r->req = req;
    req->client = r;
    client_address(r, req);
    r->whitelisted = is_whitelisted(hp, req, r->ip_text);
    r->is_static = is_static_path(hp, req->path);
    size_t cookie_len = 0;
    const char *cookie = client_cookie(hp, req, &cookie_len);
    hp_client_then then = {identified, r};
    if (hp_client_identify_then(hp->clients, r->ip, cookie, cookie_len, r->now,
                                &r->client, r->whitelisted ? NULL : &then) < 0)
        return MITSU_NEXT;
    r->has_client = 1;
    if (r->client.cookie == HP_COOKIE_KNOWN)
        r->id_cookie = cookie;
    hp_client_sid_format(r->client.sid, req->client_id);
    if (!r->whitelisted) {
        for (int k = 0; k < hp->nrun[RUN_BEFORE]; k++) {
            uint8_t i = hp->run[RUN_BEFORE][k];
            detectors[i]->before(hp->state[i], r);
        }
        apply(r, 0);
    }
    int rc = act(hp, r, req, res, 1);
    /* A detector may have answered itself (the robots.txt bait). */
    return r->answered && rc == MITSU_NEXT ? MITSU_DONE : rc;
}

/* After routing, before the handler: the detectors that need the route (declared parameters).
 * They run for every request, even without a client or for a whitelisted one, because they may
 * answer for the application (strict parameters: 400); their hits then count for nothing. */
static int guard_routed(mitsu_req *req, mitsu_res *res, void *ctx)
{
    hp_engine *hp = ctx;
    hp_request *r = req->client;
    if (!r) {
        r = request_new(hp, req->ex->arena);
        if (!r)
            return MITSU_NEXT;
        r->req = req;
    }
    r->res = res;
    r->answered = 0;
    for (int k = 0; k < hp->nrun[RUN_ROUTED]; k++) {
        uint8_t i = hp->run[RUN_ROUTED][k];
        detectors[i]->routed(hp->state[i], r);
    }
    int rc = MITSU_NEXT;
    if (hp->enabled && r->has_client && !r->whitelisted) {
        apply(r, 0);
        /* Crossing the threshold here still diverts this very request: its handler has not
         * run, so its databases are the decoys (its route was chosen already and stays). */
        if (r->flagged_now && !req->decoy && !r->answered)
            rc = act(hp, r, req, res, 0);
    }
    r->nhits = 0;
    r->res = NULL;
    return r->answered ? MITSU_DONE : rc;
}

/* An attacker forgotten: its private decoy copies go with it. */
static void client_gone(const uint8_t sid[HP_SID_LEN], enum hp_client_state state, void *arg)
{
    hp_engine *hp = arg;
    if (state != HP_CLIENT_ATTACKER || !hp->app->db_pairs)
        return;
    char id[HP_SID_HEX + 1];
    hp_client_sid_format(sid, id);
    db_pairs_forget(hp->app->db_pairs, id);
}

/* The paper's fields of every client seen since the last upkeep go to the sink. */
static int report_changed(const hp_client *c, void *arg)
{
    hp_engine *hp = arg;
    /* One known only from another instance's verdict (no request here) has nothing to add to
     * the row that instance keeps. A request counted (last_seen) before the last upkeep may
     * have changed its client after that upkeep went by (its 4xx is counted at the end): one
     * interval of overlap reports it now. */
    if (c->last_seen >= hp->last_upkeep - hp->upkeep_every_ms && c->requests > 0)
        hp->sink.client(hp->sink.ctx, c);
    return 0;
}

/* Forgets idle clients now and then, on whichever worker comes first: no timer thread, and the
 * table's expiry takes one shard lock at a time for a bounded batch. */
static void upkeep(hp_engine *hp, int64_t now)
{
    int64_t due = atomic_load_explicit(&hp->next_upkeep, memory_order_relaxed);
    if (now < due || !atomic_compare_exchange_strong(&hp->next_upkeep, &due,
                                                     now + hp->upkeep_every_ms))
        return;
    hp_client_expire_notify(hp->clients, now, hp->client_ttl_ms, hp->verdict_ttl_ms, client_gone,
                            hp);
    if (hp->sink.client)
        hp_client_foreach(hp->clients, report_changed, hp);
    hp->last_upkeep = now;
}

void hp_engine_upkeep(hp_engine *hp, int64_t now)
{
    upkeep(hp, now);
}

void hp_engine_report_clients(hp_engine *hp)
{
    if (hp && hp->sink.client)
        hp_client_foreach(hp->clients, report_changed, hp);
}

/* The id cookie goes to every response of a client that has not sent it back (a cookieless
 * tool gets it every time, as from any site): a copy of the line made at set-up with the id in. */
static void set_client_cookie(hp_engine *hp, hp_request *r, mitsu_res *res)
{
    if (!r->client.set_cookie || res->ex->res.headers_sent)
        return;
    char *line = http_response_header_room(&res->ex->res, hp->cookie_len);
    if (!line)
        return;
    memcpy(line, hp->cookie_line, hp->cookie_len);
    memcpy(line + hp->cookie_sid_at, r->req->client_id, HP_SID_HEX);
}

/* Set-Cookie: NAME=<32 hex digits>; Max-Age=...; Path=/; [Secure;] HttpOnly; SameSite=Lax */
static int make_cookie_line(hp_engine *hp, const config *cfg, char *err, size_t errlen)
{
    cookie_attrs at = {.path = "/", .http_only = 1, .same_site = COOKIE_SAMESITE_LAX};
    at.max_age = config_get_ms(cfg, "honeypot", "cookie_lifetime") / 1000;
    at.has_max_age = at.max_age > 0; /* else a session cookie, as mitsu_set_cookie() makes */
    at.secure = config_get_bool(cfg, "session", "secure");
    char zero[HP_SID_HEX + 1];
    memset(zero, '0', HP_SID_HEX);
    zero[HP_SID_HEX] = '\0';
    arena a;
    arena_init(&a, 512);
    const char *line = NULL;
    /* The whole header line, checked now like any header: each response copies it as is. */
    if (cookie_format(&a, &line, hp->cookie_name, zero, &at) == 0 &&
        http_header_is_safe("Set-Cookie", 10, line, strlen(line))) {
        hp->cookie_len = strlen("Set-Cookie: ") + strlen(line);
        hp->cookie_sid_at = strlen("Set-Cookie: ") + strlen(hp->cookie_name) + 1;
        hp->cookie_line = malloc(hp->cookie_len + 1);
        if (hp->cookie_line)
            snprintf(hp->cookie_line, hp->cookie_len + 1, "Set-Cookie: %s", line);
    }
    arena_free(&a);
    if (!hp->cookie_line)
        snprintf(err, errlen, "honeypot cookie_name: not a cookie name, or out of memory");
    return hp->cookie_line ? 0 : -1;
}

static void guard_after(mitsu_req *req, mitsu_res *res, void *ctx)
{
    hp_engine *hp = ctx;
    hp_request *r = req->client;
    if (!hp->enabled || !r || !r->has_client)
        return;
    r->res = res;
    r->status = mitsu_res_status(res);
    if (!r->whitelisted)
        for (int k = 0; k < hp->nrun[RUN_AFTER]; k++) {
            uint8_t i = hp->run[RUN_AFTER][k];
            detectors[i]->after(hp->state[i], r);
        }
    apply(r, 1);
    if (r->client.state == HP_CLIENT_ATTACKER && hp->sink.request)
        hp->sink.request(hp->sink.ctx, r);
    set_client_cookie(hp, r, res);
    upkeep(hp, r->now);
}

static void guard_reject(const http_rejection *rej, void *ctx)
{
    hp_engine *hp = ctx;
    if (!hp->enabled)
        return;
    /* A refused request has no arena of its own: a small one lives for this call. */
    arena a;
    arena_init(&a, 2048);
    hp_request *r = request_new(hp, &a);
    if (r) {
        r->rejection = rej;
        cidr_peer_text(rej->peer, rej->peer_len, r->ip_text);
        if (hp_client_ip_parse(r->ip_text, r->ip) < 0)
        memset(r->ip, 0, sizeof r->ip);
        r->status = rej->status;
        if (hp_client_identify(hp->clients, r->ip, NULL, 0, r->now, &r->client) == 0 &&
            !(hp->whitelist.count && cidr_list_contains(&hp->whitelist, r->ip_text))) {
            r->has_client = 1;
            for (int k = 0; k < hp->nrun[RUN_REJECT]; k++) {
                uint8_t i = hp->run[RUN_REJECT][k];
                detectors[i]->reject(hp->state[i], r);
            }
            apply(r, 0);
        }
    }
    arena_free(&a);
}

/* ---- Set-up ------------------------------------------------------------------------------- */

static void engine_free(void *p)
{
    hp_engine *hp = p;
    if (!hp)
        return;
    for (int i = 1; i < NDETECTORS; i++)
        if (detectors[i]->fini)
            detectors[i]->fini(hp->state[i]);
    hp_client_table_free(hp->clients);
    cidr_list_free(&hp->whitelist);
    free(hp->cookie_line);
    free(hp);
}

static void plan_runs(hp_engine *hp)
{
    for (uint8_t i = 1; i < NDETECTORS; i++) {
        const hp_detector *d = detectors[i];
        int has[NRUN] = {
            [RUN_IDENTIFIED] = d->identified && (d->phases & HP_BEFORE),
            [RUN_BEFORE] = d->before && (d->phases & HP_BEFORE),
            [RUN_ROUTED] = d->routed && (d->phases & HP_ROUTED),
            [RUN_AFTER] = d->after && (d->phases & HP_AFTER),
            [RUN_REJECT] = d->reject && (d->phases & HP_REJECT),
        };
        for (int p = 0; p < NRUN; p++)
            if (has[p])
                hp->run[p][hp->nrun[p]++] = i;
    }
}

hp_engine *hp_engine_attach(mitsu_app *app, char *err, size_t errlen)
{
    const config *cfg = app->cfg;
    hp_engine *hp = calloc(1, sizeof *hp);
    if (!hp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hp->app = app;
    hp->cfg = cfg;
    hp->enabled = config_get_bool(cfg, "honeypot", "enabled");
    hp->enforce = config_get_enum(cfg, "honeypot", "mode") == CONFIG_HP_ENFORCE;
    hp->action = (enum config_hp_action)config_get_enum(cfg, "honeypot", "action");
    hp->threshold = (double)config_get_int(cfg, "honeypot", "threshold");
    hp->client_ttl_ms = config_get_ms(cfg, "honeypot", "client_ttl");
    hp->verdict_ttl_ms = config_get_ms(cfg, "honeypot", "verdict_ttl");
    int64_t shortest = hp->client_ttl_ms;
    if (hp->verdict_ttl_ms > 0 && hp->verdict_ttl_ms < shortest)
        shortest = hp->verdict_ttl_ms;
    hp->upkeep_every_ms = shortest / 4 < 100 ? 100 : shortest / 4 > 10000 ? 10000 : shortest / 4;
    hp->tarpit_delay_ms = (int)config_get_ms(cfg, "honeypot", "tarpit_delay");
    app->server_cfg.max_held = (int)config_get_int(cfg, "honeypot", "tarpit_max");
    hp->half_life_ms = (double)config_get_ms(cfg, "honeypot", "decay");
    hp->cookie_name = config_get_str(cfg, "honeypot", "cookie_name");
    if (make_cookie_line(hp, cfg, err, errlen) < 0)
        goto fail;
    hp->nwhite_paths = config_get_list(cfg, "honeypot", "whitelist_paths", &hp->white_paths);
    hp->nwhite_agents = config_get_list(cfg, "honeypot", "whitelist_agents", &hp->white_agents);
    hp->ndecoy_prefixes =
        config_get_list(cfg, "honeypot", "decoy_prefixes", &hp->decoy_prefixes);
    hp->nstatic_ext = config_get_list(cfg, "honeypot", "static_extensions", &hp->static_ext);
    hp->static_prefix = config_get_str(cfg, "app", "static_prefix");
    hp->static_prefix_len = hp->static_prefix ? strlen(hp->static_prefix) : 0;
    hp->log_events = strcmp(config_get_str(cfg, "journal", "log"), "stderr") == 0;
    if (cidr_list_parse(&hp->whitelist, config_get_str(cfg, "honeypot", "whitelist"), err,
                        errlen) < 0)
        goto fail;
    hp_client_table_config tc = {0, (size_t)config_get_int(cfg, "honeypot", "max_clients"), 0};
    hp->clients = hp_client_table_new(&tc);
    if (!hp->clients) {
        snprintf(err, errlen, "cannot create the client table");
        goto fail;
    }
    for (int i = 1; i < NDETECTORS; i++)
        if (detectors[i]->init && detectors[i]->init(hp, cfg, &hp->state[i], err, errlen) < 0)
            goto fail;
    plan_runs(hp);
    if (web_app_own(app, hp, engine_free) < 0) {
        snprintf(err, errlen, "too many parts attached to the application");
        goto fail;
    }
    web_guard g = {.before = guard_before, .routed = guard_routed, .after = guard_after,
                   .reject = guard_reject, .ctx = hp};
    web_app_set_guard(app, &g);
    app->honeypot = hp;
    return hp;
fail:
    engine_free(hp);
    return NULL;
}

/* ---- The public API --------------------------------------------------------------------- */

int mitsu_flag(mitsu_req *req, const char *reason, double score)
{
    hp_request *r = req->client;
    if (!r || !r->has_client)
        return -1;
    add_hit(r, HP_BY_APP, HP_ATTACK, score <= 0 ? HP_FLAGS : score,
            arena_strdup(req->ex->arena, reason ? reason : ""));
    /* Judge now, so mitsu_client_state() tells at once; the request itself keeps its course. */
    apply(r, 0);
    return 0;
}

int mitsu_is_decoy(const mitsu_req *req)
{
    return req->decoy;
}

enum mitsu_client_state mitsu_client_state(const mitsu_req *req)
{
    const hp_request *r = req->client;
    if (!r || !r->has_client)
        return MITSU_CLIENT_UNKNOWN;
    switch (r->client.state) {
    case HP_CLIENT_ATTACKER:
        return MITSU_CLIENT_ATTACKER;
    case HP_CLIENT_RELEASED:
        return MITSU_CLIENT_RELEASED;
    default:
        return MITSU_CLIENT_NORMAL;
    }
}
