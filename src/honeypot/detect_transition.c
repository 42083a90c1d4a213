/* Detector transition: the paper's illegal page transitions (§4.2). The application declares
 * which pages (route patterns) may follow which with mitsu_flow(); each client's recent pages
 * are kept here, on the server, and a request for a page none of whose predecessors it saw is
 * an event. Pages are route patterns; see docs/honeypot-detectors-tp.md for what counts. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "honeypot/hp.h"

/* Distinct graph pages remembered per client, most recent first. More than one, so that the
 * back button (often served from the browser's cache, unseen by us), a second tab and an
 * excursion to another part of the flow do not make the next step look illegal. */
enum { TR_RECENT = 6 };
#define TR_ID 0x7fffu    /* page id bits of a recent entry; 0: empty */
#define TR_LEGAL 0x8000u /* the client reached that page legally (or it is not checked) */
enum { TR_SHARDS = 64, TR_MAX_PAGES = 0x7fff };

typedef struct tr_node {
    char *pattern;
    uint16_t *preds; /* declared predecessors (page ids) */
    size_t npreds, cap;
    int entry;       /* "*" is a predecessor: reachable from anywhere */
} tr_node;

/* One client's recent pages: 48 bytes, in its shard's pool. Links are pool index + 1. */
typedef struct tr_client {
    uint8_t sid[HP_SID_LEN];
    int64_t seen;
    uint32_t chain;        /* next in the hash bucket */
    uint32_t older, newer; /* the shard's LRU list */
    uint16_t pages[TR_RECENT];
} tr_client;

typedef struct tr_shard {
    pthread_mutex_t lock;
    tr_client *pool;       /* cap entries, allocated at first use */
    uint32_t *bucket;      /* nbuckets heads */
    uint32_t n, cap, nbuckets;
    uint32_t oldest, newest;
    char pad[64];          /* shards are locked by different workers: keep them apart */
} tr_shard;

typedef struct tr_state {
    double weight;
    int64_t ttl_ms;        /* a client idle this long starts afresh ([honeypot] client_ttl) */
    tr_node *nodes;        /* [0] unused: id 0 is "no page" */
    size_t nnodes, capnodes;
    uint16_t *index;       /* pattern hash -> page id, open addressing; read-only once running */
    size_t nindex;
    uint32_t per_shard;
    tr_shard shards[TR_SHARDS];
} tr_state;

/* ---- The graph, built before the server starts ------------------------------------------ */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static uint16_t page_id(const tr_state *s, const char *pattern)
{
    if (!s->nindex || !pattern)
        return 0;
    for (size_t i = hash_str(pattern) & (s->nindex - 1);; i = (i + 1) & (s->nindex - 1)) {
        uint16_t id = s->index[i];
        if (!id || strcmp(s->nodes[id].pattern, pattern) == 0)
            return id;
    }
}

static int tr_reindex(tr_state *s)
{
    size_t n = 16;
    while (n < s->nnodes * 2)
        n *= 2;
    uint16_t *idx = calloc(n, sizeof *idx);
    if (!idx)
        return -1;
    for (size_t id = 1; id < s->nnodes; id++) {
        size_t i = hash_str(s->nodes[id].pattern) & (n - 1);
        while (idx[i])
            i = (i + 1) & (n - 1);
        idx[i] = (uint16_t)id;
    }
    free(s->index);
    s->index = idx;
    s->nindex = n;
    return 0;
}

static uint16_t page_add(tr_state *s, const char *pattern)
{
    uint16_t id = page_id(s, pattern);
    if (id)
        return id;
    if (s->nnodes > TR_MAX_PAGES)
        return 0;
    if (s->nnodes >= s->capnodes) {
        size_t cap = s->capnodes ? s->capnodes * 2 : 16;
        tr_node *p = realloc(s->nodes, cap * sizeof *p);
        if (!p)
            return 0;
        if (!s->capnodes)
            memset(&p[0], 0, sizeof p[0]); /* id 0, never a page */
        s->nodes = p;
        s->capnodes = cap;
    }
    tr_node *n = &s->nodes[s->nnodes];
    memset(n, 0, sizeof *n);
    n->pattern = strdup(pattern);
    if (!n->pattern)
        return 0;
    s->nnodes++;
    if (tr_reindex(s) < 0) {
        free(n->pattern);
        s->nnodes--;
        return 0;
    }
    return (uint16_t)(s->nnodes - 1);
}

static int is_pred(const tr_node *n, uint16_t id)
{
    for (size_t i = 0; i < n->npreds; i++)
        if (n->preds[i] == id)
            return 1;
    return 0;
}

static int pred_add(tr_node *n, uint16_t id)
{
    if (is_pred(n, id))
        return 0;
    if (n->npreds == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 4;
        uint16_t *p = realloc(n->preds, cap * sizeof *p);
        if (!p)
            return -1;
        n->preds = p;
        n->cap = cap;
    }
    n->preds[n->npreds++] = id;
    return 0;
}

/* ---- Is a pattern a registered route? (the router has no look-up by pattern) ------------ */

static int tr_probe(const router *rt, const char *method, const char *pattern, const char *path)
{
    route_match m;
    return router_match(rt, method, strlen(method), path, strlen(path), &m) == ROUTE_MATCH &&
           strcmp(m.pattern, pattern) == 0 && strcmp(m.method, method) == 0;
}

/* A pattern matched as a path meets itself, but for a final wildcard that a parameter at the
 * same position beats: that one is tried again with the wildcard empty. Every method that the
 * router allows for the path is tried, and "*". */
static int route_known(mitsu_app *app, const char *pattern)
{
    if (pattern[0] != '/' || strlen(pattern) >= 1024)
        return 0;
    char paths[2][1024];
    int npaths = 0;
    snprintf(paths[npaths++], sizeof paths[0], "%s", pattern);
    const char *slash = strrchr(pattern, '/');
    if (slash[1] == '*')
        snprintf(paths[npaths++], sizeof paths[0], "%.*s", (int)(slash + 1 - pattern), pattern);
    for (int p = 0; p < npaths; p++) {
        if (tr_probe(app->routes, "*", pattern, paths[p]))
            return 1;
        char allow[1024];
        router_allowed(app->routes, paths[p], strlen(paths[p]), allow, sizeof allow);
        for (char *save = NULL, *m = strtok_r(allow, ", ", &save); m;
             m = strtok_r(NULL, ", ", &save))
            if (tr_probe(app->routes, m, pattern, paths[p]))
                return 1;
    }
    return 0;
}

int mitsu_flow(mitsu_app *app, const char *from, const char *to)
{
    if (!app || !from || !to)
        return -1;
    int any = strcmp(from, "*") == 0;
    const char *bad = !any && !route_known(app, from) ? from : !route_known(app, to) ? to : NULL;
    if (bad) {
        fprintf(stderr, "mitsu: flow %s -> %s: %s is not a registered route pattern\n", from, to,
                bad);
        return -1;
    }
    tr_state *s = hp_engine_state(hp_engine_of(app), &hp_detect_transition);
    if (!s)
        return 0; /* the detector is off: nothing to keep */
    uint16_t t = page_add(s, to);
    uint16_t f = any ? 0 : page_add(s, from);
    if (!t || (!any && !f)) {
        fprintf(stderr, "mitsu: flow %s -> %s: out of memory or too many pages\n", from, to);
        return -1;
    }
    if (any)
        s->nodes[t].entry = 1;
    else if (pred_add(&s->nodes[t], f) < 0)
        return -1;
    return 0;
}

/* ---- Per-client recent pages: sharded, bounded, least recently seen evicted -------------- */

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void lru_unlink(tr_shard *sh, uint32_t i)
{
    tr_client *c = &sh->pool[i - 1];
    if (c->older)
        sh->pool[c->older - 1].newer = c->newer;
    else
        sh->oldest = c->newer;
    if (c->newer)
        sh->pool[c->newer - 1].older = c->older;
    else
        sh->newest = c->older;
    c->older = c->newer = 0;
}

static void lru_push(tr_shard *sh, uint32_t i)
{
    tr_client *c = &sh->pool[i - 1];
    c->older = sh->newest;
    c->newer = 0;
    if (sh->newest)
        sh->pool[sh->newest - 1].newer = i;
    else
        sh->oldest = i;
    sh->newest = i;
}

static void bucket_unlink(tr_shard *sh, uint32_t i)
{
    uint32_t *link = &sh->bucket[load64(sh->pool[i - 1].sid + 8) & (sh->nbuckets - 1)];
    while (*link && *link != i)
        link = &sh->pool[*link - 1].chain;
    if (*link)
        *link = sh->pool[i - 1].chain;
}

/* The client's record, created (evicting the least recently seen when the shard is full) or
 * reset when idle past the TTL. Under the shard lock. NULL out of memory. */
static tr_client *client_get(const tr_state *s, tr_shard *sh, const uint8_t sid[HP_SID_LEN],
                             int64_t now)
{
    if (!sh->pool) {
        uint32_t nb = 16;
        while (nb < s->per_shard)
            nb *= 2;
        sh->pool = calloc(s->per_shard, sizeof *sh->pool);
        sh->bucket = calloc(nb, sizeof *sh->bucket);
        if (!sh->pool || !sh->bucket) {
            free(sh->pool);
            free(sh->bucket);
            sh->pool = NULL;
            sh->bucket = NULL;
            return NULL;
        }
        sh->cap = s->per_shard;
        sh->nbuckets = nb;
    }
    uint32_t *head = &sh->bucket[load64(sid + 8) & (sh->nbuckets - 1)];
    for (uint32_t i = *head; i; i = sh->pool[i - 1].chain) {
        tr_client *c = &sh->pool[i - 1];
        if (memcmp(c->sid, sid, HP_SID_LEN) != 0)
            continue;
        if (s->ttl_ms > 0 && now - c->seen > s->ttl_ms)
            memset(c->pages, 0, sizeof c->pages);
        c->seen = now;
        lru_unlink(sh, i);
        lru_push(sh, i);
        return c;
    }
    uint32_t i;
    if (sh->n < sh->cap) {
        i = ++sh->n;
    } else {
        i = sh->oldest;
        lru_unlink(sh, i);
        bucket_unlink(sh, i);
    }
    tr_client *c = &sh->pool[i - 1];
    memset(c, 0, sizeof *c);
    memcpy(c->sid, sid, HP_SID_LEN);
    c->seen = now;
    c->chain = *head;
    *head = i;
    lru_push(sh, i);
    return c;
}

/* Moves page to the front of the client's recent pages with its flag. */
static void remember(tr_client *c, uint16_t page, uint16_t flag)
{
    size_t at = TR_RECENT - 1;
    for (size_t i = 0; i < TR_RECENT; i++)
        if ((c->pages[i] & TR_ID) == page || !c->pages[i]) {
            at = i;
            break;
        }
    memmove(&c->pages[1], &c->pages[0], at * sizeof c->pages[0]);
    c->pages[0] = (uint16_t)(page | flag);
}

/* The check, then the record, in one step under the lock: two tabs' requests do not mix. */
static int visit(const tr_state *s, tr_client *c, uint16_t page, int record,
                 uint16_t before[TR_RECENT])
{
    const tr_node *n = &s->nodes[page];
    memcpy(before, c->pages, sizeof c->pages);
    int checked = n->npreds > 0 && !n->entry;
    int legal = !checked, by_pred = !checked;
    uint16_t flag = 0;
    for (size_t i = 0; i < TR_RECENT && c->pages[i] && !by_pred; i++) {
        uint16_t p = c->pages[i] & TR_ID;
        if (is_pred(n, p))
            legal = by_pred = 1;
        else if (p == page && (i == 0 || (c->pages[i] & TR_LEGAL))) {
            legal = 1; /* a refresh, or going back to a page it reached legally */
            flag = c->pages[i] & TR_LEGAL;
        }
    }
    if (record)
        remember(c, page, by_pred ? TR_LEGAL : flag);
    return legal;
}

/* Writes the patterns of the recent pages, most recent first, into out. */
static void format_pages(const tr_state *s, const uint16_t *pages, size_t n, char *out,
                         size_t len)
{
    size_t at = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && pages[i] && at < len; i++) {
        int w = snprintf(out + at, len - at, "%s%s", i ? ", " : "",
                         s->nodes[pages[i] & TR_ID].pattern);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    if (!out[0])
        snprintf(out, len, "none");
}

static void tr_after(void *state, hp_request *r)
{
    tr_state *s = state;
    mitsu_req *req = r->req;
    if (!s || !req || !req->matched || r->is_static || s->nnodes < 2)
        return;
    uint16_t page = page_id(s, req->match.pattern);
    if (!page)
        return; /* not part of any declared flow: neither checked nor remembered */
    /* A page is what the client now shows: a success or a redirect (a POST-redirect-GET step
     * counts as its pattern). Errors are checked but not remembered. */
    int record = r->status >= 200 && r->status < 400;
    tr_shard *sh = &s->shards[load64(r->client.sid) & (TR_SHARDS - 1)];
    uint16_t before[TR_RECENT];
    int legal = 1;
    pthread_mutex_lock(&sh->lock);
    tr_client *c = client_get(s, sh, r->client.sid, r->now);
    if (c)
        legal = visit(s, c, page, record, before);
    pthread_mutex_unlock(&sh->lock);
    if (legal)
        return;
    const tr_node *n = &s->nodes[page];
    char prev[200], preds[200];
    format_pages(s, before, TR_RECENT, prev, sizeof prev);
    format_pages(s, n->preds, n->npreds, preds, sizeof preds);
    hp_report(r, &hp_detect_transition, HP_SUSPICIOUS, s->weight,
              "%s %.200s (page %s) after %s; it may only follow %s", mitsu_req_method(req),
              mitsu_req_path(req), n->pattern, prev, preds);
}

/* ---- Set-up ------------------------------------------------------------------------------ */

static void tr_fini(void *state)
{
    tr_state *s = state;
    if (!s)
        return;
    for (size_t i = 1; i < s->nnodes; i++) {
        free(s->nodes[i].pattern);
        free(s->nodes[i].preds);
    }
    free(s->nodes);
    free(s->index);
    for (int i = 0; i < TR_SHARDS; i++) {
        pthread_mutex_destroy(&s->shards[i].lock);
        free(s->shards[i].pool);
        free(s->shards[i].bucket);
    }
    free(s);
}

static int tr_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)hp;
    *state = NULL;
    if (!config_get_bool(cfg, "transition", "enabled"))
        return 0;
    tr_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "transition: out of memory");
        return -1;
    }
    s->weight = (double)config_get_int(cfg, "transition", "weight");
    s->ttl_ms = config_get_ms(cfg, "honeypot", "client_ttl");
    int64_t max = config_get_int(cfg, "honeypot", "max_clients");
    int64_t per = (max + TR_SHARDS - 1) / TR_SHARDS;
    s->per_shard = (uint32_t)(per < 16 ? 16 : per > (1 << 24) ? (1 << 24) : per);
    s->nnodes = 1; /* id 0: no page */
    for (int i = 0; i < TR_SHARDS; i++)
        pthread_mutex_init(&s->shards[i].lock, NULL);
    *state = s;
    return 0;
}

const hp_detector hp_detect_transition = {
    .name = "transition",
    .phases = HP_AFTER,
    .init = tr_init,
    .fini = tr_fini,
    .after = tr_after,
};
