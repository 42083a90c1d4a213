/* The router (see router.h): a radix tree over the bytes of the static text, with parameter and
 * wildcard children at segment starts, searched depth-first in precedence order. */
#include "web/router.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define MID_ANY -1     /* the endpoint of a "*" route */
#define MID_UNKNOWN -2 /* a request method no route names: only "*" routes take it */

/* Seeded so that their ids are fixed: the Allow list prints ids in order, and HEAD finds GET. */
enum { MID_GET, MID_HEAD, MID_POST, MID_PUT, MID_PATCH, MID_DELETE, MID_OPTIONS, MID__SEEDED };
static const char *const seeded_methods[MID__SEEDED] = {"GET",   "HEAD",   "POST",   "PUT",
                                                         "PATCH", "DELETE", "OPTIONS"};

typedef struct route_endpoint {
    int mid; /* index in router.methods, or MID_ANY */
    void *handler;
    route_options opts;
    const char *pattern;
} route_endpoint;

typedef struct rnode rnode;
struct rnode {
    /* The static text consumed on the way from the parent (static children only). Splitting a node
     * re-points it inside the same arena copy, so no text is ever copied twice. */
    const char *label;
    size_t label_len;
    const char *name; /* parameter or wildcard name; "" for a bare "*" */
    /* Static children start with distinct bytes (first[i] == kids[i]->label[0]), so at most one
     * can match: a step scans at most a few dozen bytes, whatever the number of routes. */
    rnode **kids;
    char *first;
    size_t nkids, cap_kids;
    rnode *param; /* ":name" child: one whole non-empty segment; only at a segment start */
    rnode *wild;  /* "*name" child: the rest of the path; has endpoints and no children */
    route_endpoint *eps;
    size_t neps, cap_eps;
};

struct router {
    arena mem; /* every node, label and copy: the tree is freed in one step */
    rnode *root;
    const char *methods[ROUTE_MAX_METHODS];
    size_t method_len[ROUTE_MAX_METHODS];
    int nmethods;
};

/* ---- Building ------------------------------------------------------------------------- */

enum tok_kind { TOK_STATIC, TOK_PARAM, TOK_WILD };

typedef struct tok {
    enum tok_kind kind;
    const char *s; /* static text, or the name */
    size_t len;
} tok;

/* A pattern alternates static text and parameters, ending in at most one wildcard. */
#define MAX_TOKS (2 * ROUTE_MAX_PARAMS + 3)

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 9110 §5.6.2 tchar: what a method may be made of. */
static int is_tchar(unsigned char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 3986 §3.3 pchar without '%' (checked apart, with its two hex digits). Anything else could
 * never arrive in a path the parser accepts, so a pattern holding it is a mistake ("/a?b=1"). */
static int is_pchar(unsigned char c)
{
    return is_alnum(c) || (c && strchr("-._~!$&'()*+,;=:@", c));
}

static int is_name(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_alnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

/* Splits a pattern into tokens, checking everything that does not depend on other routes. */
static int tokenize(const char *p, tok *t, size_t *nt, char *err, size_t errlen)
{
    if (p[0] != '/')
        return fail(err, errlen, "pattern \"%s\": must start with '/'", p);
    size_t n = 0, nparams = 0, static_from = 0, i = 0;
    for (;;) { /* p[i] is the '/' opening a segment */
        size_t seg = i + 1, end = seg;
        while (p[end] && p[end] != '/')
            end++;
        char lead = p[seg];
        if (lead == ':' || lead == '*') {
            const char *name = p + seg + 1;
            size_t nlen = end - seg - 1;
            if (lead == ':' && nlen == 0)
                return fail(err, errlen, "pattern \"%s\": parameter without a name", p);
            if (lead == '*' && p[end])
                return fail(err, errlen, "pattern \"%s\": a wildcard must be the last segment", p);
            if (!is_name(name, nlen))
                return fail(err, errlen,
                            "pattern \"%s\": \"%.*s\": names are letters, digits and '_', and a "
                            "parameter is a whole segment",
                            p, (int)(end - seg), p + seg);
            for (size_t k = 0; nlen && k < n; k++)
                if (t[k].kind != TOK_STATIC && t[k].len == nlen && !memcmp(t[k].s, name, nlen))
                    return fail(err, errlen, "pattern \"%s\": parameter \"%.*s\" appears twice",
                                p, (int)nlen, name);
            if (nlen && ++nparams > ROUTE_MAX_PARAMS)
                return fail(err, errlen, "pattern \"%s\": more than %d parameters", p,
                            ROUTE_MAX_PARAMS);
            /* The static text before holds at least the '/' opening this segment. */
            t[n++] = (tok){TOK_STATIC, p + static_from, seg - static_from};
            t[n++] = (tok){lead == ':' ? TOK_PARAM : TOK_WILD, name, nlen};
            static_from = end;
        } else {
            if (end == seg && p[end] == '/')
                return fail(err, errlen, "pattern \"%s\": empty segment (\"//\")", p);
            for (size_t k = seg; k < end; k++) {
                unsigned char c = (unsigned char)p[k];
                if (c == '%') {
                    if (!is_hex((unsigned char)p[k + 1]) || !is_hex((unsigned char)p[k + 2]))
                        return fail(err, errlen,
                                    "pattern \"%s\": '%%' must be followed by two hex digits", p);
                    k += 2;
                } else if (!is_pchar(c)) {
                    return fail(err, errlen,
                                "pattern \"%s\": byte 0x%02x at %zu cannot appear in a path", p,
                                c, k);
                }
            }
        }
        if (!p[end])
            break;
        i = end;
    }
    if (p[static_from])
        t[n++] = (tok){TOK_STATIC, p + static_from, strlen(p + static_from)};
    *nt = n;
    return 0;
}

static int name_is(const rnode *n, const tok *t)
{
    return strlen(n->name) == t->len && memcmp(n->name, t->s, t->len) == 0;
}

/* A plain loop rather than memchr: nodes have few children, and the call costs more. */
static rnode *find_kid(const rnode *n, unsigned char b)
{
    for (size_t i = 0; i < n->nkids; i++)
        if ((unsigned char)n->first[i] == b)
            return n->kids[i];
    return NULL;
}

/* Same bytes? For the short strings of a lookup (labels, methods), cheaper than a memcmp call. */
static int same(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static size_t common_prefix(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t k = 0;
    while (k < alen && k < blen && a[k] == b[k])
        k++;
    return k;
}

/* Walks the tree the way insert() will, without changing it, so that a refused route leaves the
 * router untouched. Once the walk leaves the tree, the rest is new and cannot conflict. */
static int check(const router *r, const tok *t, size_t nt, int mid, const char *method,
                 const char *pattern, char *err, size_t errlen)
{
    const rnode *n = r->root;
    for (size_t i = 0; i < nt && n; i++) {
        if (t[i].kind == TOK_STATIC) {
            const char *s = t[i].s;
            size_t len = t[i].len;
            while (len && n) {
                const rnode *c = find_kid(n, (unsigned char)s[0]);
                if (!c || common_prefix(c->label, c->label_len, s, len) < c->label_len)
                    return 0;
                s += c->label_len;
                len -= c->label_len;
                n = c;
            }
            continue;
        }
        const rnode *c = t[i].kind == TOK_PARAM ? n->param : n->wild;
        if (c && !name_is(c, &t[i]))
            return fail(err, errlen,
                        "pattern \"%s\": %c%.*s conflicts with %c%s already at this position",
                        pattern, t[i].kind == TOK_PARAM ? ':' : '*', (int)t[i].len, t[i].s,
                        t[i].kind == TOK_PARAM ? ':' : '*', c->name);
        n = c;
    }
    for (size_t k = 0; n && k < n->neps; k++)
        if (n->eps[k].mid == mid)
            return fail(err, errlen, "route %s %s is already defined", method, pattern);
    return 0;
}

/* Grows an arena array; the old copy stays in the arena until router_free (building is rare). */
static void *grow(arena *a, void *old, size_t *cap, size_t used, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = arena_alloc(a, ncap * elem);
    if (!p)
        return NULL;
    if (used)
        memcpy(p, old, used * elem);
    *cap = ncap;
    return p;
}

static int add_kid(arena *a, rnode *n, rnode *c)
{
    if (n->nkids == n->cap_kids) {
        size_t cap = n->cap_kids;
        rnode **kids = grow(a, n->kids, &cap, n->nkids, sizeof *kids);
        char *first = kids ? arena_alloc(a, cap) : NULL;
        if (!first)
            return -1;
        if (n->nkids)
            memcpy(first, n->first, n->nkids);
        n->kids = kids;
        n->first = first;
        n->cap_kids = cap;
    }
    n->kids[n->nkids] = c;
    n->first[n->nkids] = c->label[0];
    n->nkids++;
    return 0;
}

/* Consumes static text from n, splitting an edge where the text leaves it. */
static rnode *insert_static(arena *a, rnode *n, const char *s, size_t len)
{
    while (len) {
        rnode *c = find_kid(n, (unsigned char)s[0]);
        if (!c) {
            c = arena_calloc(a, 1, sizeof *c);
            if (!c || !(c->label = arena_strndup(a, s, len)))
                return NULL;
            c->label_len = len;
            return add_kid(a, n, c) < 0 ? NULL : c;
        }
        size_t k = common_prefix(c->label, c->label_len, s, len);
        if (k < c->label_len) {
            /* mid takes c's place (same first byte) and c hangs below it with the rest. */
            rnode *mid = arena_calloc(a, 1, sizeof *mid);
            if (!mid)
                return NULL;
            mid->label = c->label;
            mid->label_len = k;
            c->label += k;
            c->label_len -= k;
            if (add_kid(a, mid, c) < 0) {
                c->label -= k;
                c->label_len += k;
                return NULL;
            }
            n->kids[(char *)memchr(n->first, (unsigned char)s[0], n->nkids) - n->first] = mid;
            c = mid;
        }
        s += k;
        len -= k;
        n = c;
    }
    return n;
}

static rnode *insert(arena *a, rnode *n, const tok *t, size_t nt)
{
    for (size_t i = 0; i < nt && n; i++) {
        if (t[i].kind == TOK_STATIC) {
            n = insert_static(a, n, t[i].s, t[i].len);
            continue;
        }
        rnode **slot = t[i].kind == TOK_PARAM ? &n->param : &n->wild;
        if (!*slot) {
            rnode *c = arena_calloc(a, 1, sizeof *c);
            if (!c || !(c->name = arena_strndup(a, t[i].s, t[i].len)))
                return NULL;
            *slot = c;
        }
        n = *slot;
    }
    return n;
}

static int method_id(const router *r, const char *m, size_t len)
{
    for (int i = 0; i < r->nmethods; i++)
        if (r->method_len[i] == len && same(r->methods[i], m, len))
            return i;
    return MID_UNKNOWN;
}

router *router_new(void)
{
    router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    arena_init(&r->mem, 16384);
    r->root = arena_calloc(&r->mem, 1, sizeof *r->root);
    if (!r->root) {
        router_free(r);
        return NULL;
    }
    for (int i = 0; i < MID__SEEDED; i++) {
        r->methods[i] = seeded_methods[i];
        r->method_len[i] = strlen(seeded_methods[i]);
    }
    r->nmethods = MID__SEEDED;
    return r;
}

void router_free(router *r)
{
    if (!r)
        return;
    arena_free(&r->mem);
    free(r);
}

int router_add(router *r, const char *method, const char *pattern, void *handler,
               const route_options *opts, char *err, size_t errlen)
{
    if (!r || !method || !pattern || !handler)
        return fail(err, errlen, "router_add: missing router, method, pattern or handler");
    size_t mlen = strlen(method);
    int mid = MID_ANY;
    if (strcmp(method, "*") != 0) {
        for (size_t i = 0; i < mlen; i++)
            if (!is_tchar((unsigned char)method[i]))
                return fail(err, errlen, "method \"%s\": not an HTTP token", method);
        if (!mlen)
            return fail(err, errlen, "empty method for pattern \"%s\"", pattern);
        mid = method_id(r, method, mlen);
        if (mid == MID_UNKNOWN && r->nmethods == ROUTE_MAX_METHODS)
            return fail(err, errlen, "method \"%s\": more than %d distinct methods", method,
                        ROUTE_MAX_METHODS);
    }
    tok t[MAX_TOKS];
    size_t nt = 0;
    if (tokenize(pattern, t, &nt, err, errlen) < 0)
        return -1;
    /* A method not seen yet gets the next id, which no endpoint holds, so check() only looks
     * for name conflicts; it is recorded once the route is known to be acceptable. */
    if (check(r, t, nt, mid == MID_UNKNOWN ? r->nmethods : mid, method, pattern, err, errlen) < 0)
        return -1;
    if (mid == MID_UNKNOWN) {
        char *copy = arena_strndup(&r->mem, method, mlen);
        if (!copy)
            return fail(err, errlen, "out of memory");
        r->methods[r->nmethods] = copy;
        r->method_len[r->nmethods] = mlen;
        mid = r->nmethods++;
    }
    rnode *n = insert(&r->mem, r->root, t, nt);
    const char *pcopy = n ? arena_strdup(&r->mem, pattern) : NULL;
    if (pcopy && n->neps == n->cap_eps) {
        route_endpoint *eps = grow(&r->mem, n->eps, &n->cap_eps, n->neps, sizeof *eps);
        if (eps)
            n->eps = eps;
        else
            pcopy = NULL;
    }
    if (!pcopy)
        return fail(err, errlen, "out of memory");
    n->eps[n->neps++] = (route_endpoint){.mid = mid,
                                         .handler = handler,
                                         .opts = opts ? *opts : (route_options){0},
                                         .pattern = pcopy};
    return 0;
}

/* ---- Looking up ----------------------------------------------------------------------- */

typedef struct walk {
    const char *path;
    size_t len;
    int mid;         /* the request's method id, or MID_UNKNOWN */
    int path_seen;   /* some node with routes matched the whole path */
    route_match *m;  /* parameters are pushed on the way down, popped when backtracking */
    uint64_t allow;  /* router_allowed: the method ids of every matching route */
    int allow_any;
} walk;

static const route_endpoint *pick(const rnode *n, int mid)
{
    const route_endpoint *get = NULL, *any = NULL;
    for (size_t i = 0; i < n->neps; i++) {
        const route_endpoint *e = &n->eps[i];
        if (e->mid == mid)
            return e;
        if (e->mid == MID_GET && mid == MID_HEAD)
            get = e; /* RFC 9110 §9.3.2: HEAD is GET without the content */
        else if (e->mid == MID_ANY)
            any = e;
    }
    return get ? get : any;
}

/* Depth-first in precedence order: static child, parameter, wildcard. Each node sits at one
 * position of the path, so a lookup visits a node at most once: the cost is bounded by the depth
 * of the tree the application built, whatever the request. Recursion only where there is an
 * alternative to come back to; otherwise the walk goes down in a loop. On failure the parameters
 * pushed since entry are dropped. */
static const route_endpoint *find(walk *w, const rnode *n, size_t pos)
{
    route_match *m = w->m;
    size_t saved = m->nparams;
    const route_endpoint *e;
    for (;;) {
        if (pos == w->len && n->neps) {
            w->path_seen = 1;
            if ((e = pick(n, w->mid)))
                return e;
        }
        const rnode *wild = n->wild && n->wild->neps ? n->wild : NULL;
        if (pos < w->len) {
            const char *at = w->path + pos;
            size_t left = w->len - pos;
            const rnode *c = find_kid(n, (unsigned char)*at); /* first byte matched here */
            if (c && c->label_len <= left && same(c->label + 1, at + 1, c->label_len - 1)) {
                if (!n->param && !wild) {
                    n = c;
                    pos += c->label_len;
                    continue;
                }
                if ((e = find(w, c, pos + c->label_len)))
                    return e;
            }
            if (n->param && *at != '/' && m->nparams < ROUTE_MAX_PARAMS) {
                const char *slash = memchr(at, '/', left);
                size_t seglen = slash ? (size_t)(slash - at) : left;
                m->params[m->nparams++] = (route_param){n->param->name, at, seglen};
                if (!wild) {
                    n = n->param;
                    pos += seglen;
                    continue;
                }
                if ((e = find(w, n->param, pos + seglen)))
                    return e;
                m->nparams--;
            }
        }
        if (wild) {
            w->path_seen = 1;
            if ((e = pick(wild, w->mid))) {
                size_t rest = w->len - pos;
                if (*wild->name && m->nparams < ROUTE_MAX_PARAMS)
                    m->params[m->nparams++] = (route_param){wild->name, w->path + pos, rest};
                return e;
            }
        }
        m->nparams = saved;
        return NULL;
    }
}

route_result router_match(const router *r, const char *method, size_t method_len,
                          const char *path, size_t path_len, route_match *m)
{
    m->handler = NULL;
    m->opts = NULL;
    m->pattern = NULL;
    m->method = NULL;
    m->nparams = 0;
    walk w = {.path = path, .len = path_len, .mid = method_id(r, method, method_len), .m = m};
    const route_endpoint *e = find(&w, r->root, 0);
    if (!e) {
        m->nparams = 0;
        return w.path_seen ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_PATH_NOT_FOUND;
    }
    m->handler = e->handler;
    m->opts = &e->opts;
    m->pattern = e->pattern;
    m->method = e->mid == MID_ANY ? "*" : r->methods[e->mid];
    return ROUTE_MATCH;
}

static void note_methods(walk *w, const rnode *n)
{
    for (size_t i = 0; i < n->neps; i++) {
        if (n->eps[i].mid == MID_ANY)
            w->allow_any = 1;
        else
            w->allow |= UINT64_C(1) << n->eps[i].mid;
    }
}

/* Like find(), but visits every node matching the path instead of stopping at the first. */
static void collect(walk *w, const rnode *n, size_t pos)
{
    if (pos == w->len)
        note_methods(w, n);
    if (pos < w->len) {
        const rnode *c = find_kid(n, (unsigned char)w->path[pos]);
        if (c && c->label_len <= w->len - pos && !memcmp(c->label, w->path + pos, c->label_len))
            collect(w, c, pos + c->label_len);
        if (n->param && w->path[pos] != '/') {
            const char *slash = memchr(w->path + pos, '/', w->len - pos);
            collect(w, n->param, slash ? (size_t)(slash - w->path) : w->len);
        }
    }
    if (n->wild)
        note_methods(w, n->wild);
}

/* snprintf-style: copies what fits (keeping room for the NUL), always counts the whole. */
static void put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, (*at)++)
        if (*at + 1 < len)
            buf[*at] = s[i];
}

size_t router_allowed(const router *r, const char *path, size_t path_len, char *buf, size_t len)
{
    walk w = {.path = path, .len = path_len};
    collect(&w, r->root, 0);
    if (w.allow_any)
        w.allow |= (UINT64_C(1) << MID_OPTIONS) - 1; /* GET .. DELETE */
    if (w.allow & (UINT64_C(1) << MID_GET))
        w.allow |= UINT64_C(1) << MID_HEAD;
    size_t at = 0;
    if (w.allow) {
        w.allow |= UINT64_C(1) << MID_OPTIONS;
        for (int i = 0; i < r->nmethods; i++) {
            if (i == MID_OPTIONS || !(w.allow & (UINT64_C(1) << i)))
                continue;
            if (at)
                put(buf, len, &at, ", ", 2);
            put(buf, len, &at, r->methods[i], r->method_len[i]);
        }
        if (at)
            put(buf, len, &at, ", ", 2);
        put(buf, len, &at, "OPTIONS", 7);
    }
    if (len)
        buf[at < len ? at : len - 1] = '\0';
    return at;
}

const route_param *route_match_param(const route_match *m, const char *name)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return &m->params[i];
    return NULL;
}
