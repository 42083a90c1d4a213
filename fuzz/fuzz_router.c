/* libFuzzer target for src/web/router.c: requests against a fixed table of ~30 routes, checked
 * against a naive segment-by-segment matcher; fuzzed patterns and methods given to router_add. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fixed_route {
    const char *method, *pattern;
} fixed_route;

/* Shared prefixes, every kind of segment side by side, and the precedence cases of the tests. */
static const fixed_route fixed[] = {
    {"GET", "/"},
    {"GET", "/about"},
    {"GET", "/about/"},
    {"GET", "/users"},
    {"POST", "/users"},
    {"GET", "/users/new"},
    {"GET", "/users/:id"},
    {"PUT", "/users/:id"},
    {"DELETE", "/users/:id"},
    {"GET", "/users/:id/posts"},
    {"GET", "/users/:id/posts/:post"},
    {"GET", "/users/:id/files/*path"},
    {"GET", "/static/*path"},
    {"HEAD", "/static/*path"},
    {"GET", "/static/css/site.css"},
    {"*", "/any/:x"},
    {"GET", "/any/:x"},
    {"GET", "/a/:x/d"},
    {"GET", "/a/b/*r"},
    {"GET", "/a/b/c/d"},
    {"GET", "/a/:x/c/f"},
    {"POST", "/v1/items:batch"},
    {"PROPFIND", "/dav/*"},
    {"MKCOL", "/dav/:coll"},
    {"GET", "/user"},
    {"GET", "/use/:x"},
    {"GET", "/u%2Fx/:y"},
    {"OPTIONS", "/opts"},
    {"GET", "/t/"},
    {"*", "/w/*all"},
    {"PATCH", "/w/:one/:two"},
};
#define NFIXED (sizeof fixed / sizeof fixed[0])

static router *table;
static char handlers[NFIXED]; /* handler i is &handlers[i] */

static void require(int ok, const char *what, const char *method, size_t mlen, const char *path,
                    size_t plen)
{
    if (!ok) {
        fprintf(stderr, "fuzz_router: contract violated: %s (method \"%.*s\", path \"%.*s\")\n",
                what, (int)mlen, method, (int)plen, path);
        abort();
    }
}

/* ---- The naive reference: every route, one at a time ------------------------------------ */

typedef struct ref_match {
    size_t nparams;
    route_param params[ROUTE_MAX_PARAMS];
    int kinds[64]; /* per segment: 0 static, 1 parameter, 2 wildcard; the precedence key */
    size_t nkinds;
} ref_match;

/* Splits both at '/' and compares segment by segment. */
static int ref_path_matches(const char *pat, const char *path, size_t plen, ref_match *rm)
{
    rm->nparams = 0;
    rm->nkinds = 0;
    if (plen == 0 || path[0] != '/')
        return 0;
    size_t pi = 1, xi = 1; /* just after a '/' in each */
    for (;;) {
        size_t pe = pi;
        while (pat[pe] && pat[pe] != '/')
            pe++;
        if (rm->nkinds == 64)
            return 0;
        if (pat[pi] == '*') {
            rm->kinds[rm->nkinds++] = 2;
            if (pe - pi > 1)
                rm->params[rm->nparams++] = (route_param){NULL, path + xi, plen - xi};
            return 1;
        }
        if (xi > plen)
            return 0; /* the path has no segment here */
        const char *seg = path + xi;
        const char *slash = memchr(seg, '/', plen - xi);
        size_t slen = slash ? (size_t)(slash - seg) : plen - xi;
        if (pat[pi] == ':') {
            if (slen == 0)
                return 0;
            rm->kinds[rm->nkinds++] = 1;
            rm->params[rm->nparams++] = (route_param){NULL, seg, slen};
        } else {
            if (slen != pe - pi || memcmp(seg, pat + pi, slen) != 0)
                return 0;
            rm->kinds[rm->nkinds++] = 0;
        }
        int pat_more = pat[pe] == '/', path_more = slash != NULL;
        if (!pat_more || !path_more)
            return !pat_more && !path_more;
        pi = pe + 1;
        xi += slen + 1;
    }
}

/* 0 exact, 1 GET answering HEAD, 2 any method, -1 no. */
static int ref_method_rank(const char *rm, const char *method, size_t mlen)
{
    if (strlen(rm) == mlen && memcmp(rm, method, mlen) == 0)
        return 0;
    if (strcmp(rm, "GET") == 0 && mlen == 4 && memcmp(method, "HEAD", 4) == 0)
        return 1;
    return strcmp(rm, "*") == 0 ? 2 : -1;
}

/* Negative when a takes precedence: segment kinds compared in order, then the method rank. */
static int ref_cmp(const ref_match *a, int arank, const ref_match *b, int brank)
{
    for (size_t i = 0; i < a->nkinds && i < b->nkinds; i++)
        if (a->kinds[i] != b->kinds[i])
            return a->kinds[i] - b->kinds[i];
    return arank - brank;
}

static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};

static int in_allow(const char *allow, size_t alen, const char *name)
{
    /* allow is "A, B, C": look for the whole token. */
    size_t n = strlen(name);
    for (size_t i = 0; i + n <= alen; i++)
        if ((i == 0 || allow[i - 1] == ' ') && memcmp(allow + i, name, n) == 0 &&
            (i + n == alen || allow[i + n] == ','))
            return 1;
    return 0;
}

static void check_request(const char *method, size_t mlen, const char *path, size_t plen)
{
    route_match m;
    route_result rc = router_match(table, method, mlen, path, plen, &m);

    int best = -1, best_rank = 0, path_seen = 0;
    ref_match cur, win = {0};
    int matches_path[NFIXED] = {0};
    for (size_t i = 0; i < NFIXED; i++) {
        if (!ref_path_matches(fixed[i].pattern, path, plen, &cur))
            continue;
        path_seen = 1;
        matches_path[i] = 1;
        int rank = ref_method_rank(fixed[i].method, method, mlen);
        if (rank < 0)
            continue;
        if (best < 0 || ref_cmp(&cur, rank, &win, best_rank) < 0) {
            best = (int)i;
            best_rank = rank;
            win = cur;
        }
    }
    route_result want = best >= 0 ? ROUTE_MATCH
                        : path_seen ? ROUTE_METHOD_NOT_ALLOWED
                                    : ROUTE_PATH_NOT_FOUND;
    require(rc == want, "result differs from the reference", method, mlen, path, plen);
    if (rc == ROUTE_MATCH) {
        require(m.handler == &handlers[best], "handler differs from the reference", method, mlen,
                path, plen);
        require(m.opts && strcmp(m.pattern, fixed[best].pattern) == 0, "pattern or options",
                method, mlen, path, plen);
        require(m.nparams == win.nparams, "parameter count", method, mlen, path, plen);
        for (size_t k = 0; k < m.nparams; k++)
            require(m.params[k].value == win.params[k].value &&
                        m.params[k].value_len == win.params[k].value_len,
                    "parameter value", method, mlen, path, plen);
    } else {
        require(m.handler == NULL && m.nparams == 0, "no match leaves m empty", method, mlen,
                path, plen);
    }

    char allow[256];
    size_t alen = router_allowed(table, path, plen, allow, sizeof allow);
    require(alen < sizeof allow && alen == strlen(allow), "Allow length", method, mlen, path,
            plen);
    require((alen == 0) == !path_seen, "Allow is empty exactly when no route has the path",
            method, mlen, path, plen);
    if (!path_seen)
        return;
    /* Every method of every route matching the path is listed, and nothing else. */
    int any = 0, get = 0;
    for (size_t i = 0; i < NFIXED; i++) {
        if (!matches_path[i])
            continue;
        if (strcmp(fixed[i].method, "*") == 0)
            any = 1;
        else
            require(in_allow(allow, alen, fixed[i].method), "a route's method missing from Allow",
                    method, mlen, path, plen);
        get |= strcmp(fixed[i].method, "GET") == 0;
    }
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
        if (any || (get && strcmp(known[k], "HEAD") == 0))
            require(in_allow(allow, alen, known[k]), "implied method missing from Allow", method,
                    mlen, path, plen);
    }
    require(in_allow(allow, alen, "OPTIONS") && alen >= 7 &&
                memcmp(allow + alen - 7, "OPTIONS", 7) == 0,
            "OPTIONS last", method, mlen, path, plen);
    for (size_t i = 0; i < alen;) { /* and each listed token comes from somewhere */
        size_t j = i;
        while (j < alen && allow[j] != ',')
            j++;
        char tokbuf[64];
        snprintf(tokbuf, sizeof tokbuf, "%.*s", (int)(j - i), allow + i);
        int found = strcmp(tokbuf, "OPTIONS") == 0 || (strcmp(tokbuf, "HEAD") == 0 && get);
        for (size_t k = 0; !found && any && k < sizeof known / sizeof known[0]; k++)
            found = strcmp(tokbuf, known[k]) == 0;
        for (size_t k = 0; !found && k < NFIXED; k++)
            found = matches_path[k] && strcmp(fixed[k].method, tokbuf) == 0;
        require(found, "Allow lists a method no matching route has", method, mlen, path, plen);
        i = j + 2;
    }
}

/* ---- Fuzzed routes ---------------------------------------------------------------------- */

/* A path that the accepted pattern must match: parameters become "v<i>", the wildcard "w/z". */
static size_t path_for(const char *pat, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; pat[i] && o + 8 < cap;) {
        if (pat[i] == '/' && (pat[i + 1] == ':' || pat[i + 1] == '*')) {
            int wild = pat[i + 1] == '*';
            o += (size_t)snprintf(out + o, cap - o, wild ? "/w/z" : "/v%zu", o % 10);
            i += 2;
            while (pat[i] && pat[i] != '/')
                i++;
        } else {
            out[o++] = pat[i++];
        }
    }
    return o;
}

static void check_pattern(const char *method, const char *pattern)
{
    router *r = router_new();
    if (!r)
        return;
    char err[128];
    static char h1, h2;
    /* Neighbours to collide with: parameters and wildcards at the first two positions. */
    router_add(r, "GET", "/:a", &h1, NULL, err, sizeof err);
    router_add(r, "GET", "/x/:b/*c", &h1, NULL, err, sizeof err);
    router_add(r, "GET", "/x/y", &h1, NULL, err, sizeof err);
    route_options o = {.max_body = 7};
    err[0] = '\0';
    int rc = router_add(r, method, pattern, &h2, &o, err, sizeof err);
    if (rc < 0 && !err[0]) {
        fprintf(stderr, "fuzz_router: refusal without a message: %s %s\n", method, pattern);
        abort();
    }
    /* A second time: the same method and pattern are then always refused. */
    int again = router_add(r, method, pattern, &h2, &o, err, sizeof err);
    if (rc == 0 && again == 0) {
        fprintf(stderr, "fuzz_router: duplicate accepted: %s %s\n", method, pattern);
        abort();
    }
    if (rc == 0 && strcmp(method, "*") != 0) {
        /* A method no neighbour has, so no other route can take the request. */
        char path[4096];
        size_t plen = path_for(pattern, path, sizeof path);
        route_match m;
        if (plen < sizeof path - 16 &&
            (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
            route_result mr = router_match(r, method, strlen(method), path, plen, &m);
            if (mr != ROUTE_MATCH || m.handler != &h2 || m.opts->max_body != 7) {
                fprintf(stderr, "fuzz_router: %s %s not found by %.*s (%d)\n", method, pattern,
                        (int)plen, path, mr);
                abort();
            }
        }
    }
    router_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table) {
        table = router_new();
        char err[128];
        for (size_t i = 0; i < NFIXED; i++)
            if (!table || router_add(table, fixed[i].method, fixed[i].pattern, &handlers[i], NULL,
                                     err, sizeof err) < 0) {
                fprintf(stderr, "fuzz_router: fixed route %zu refused: %s\n", i, err);
                abort();
            }
    }
    if (size < 1 || size > 4096)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    if (mode & 1) {
        /* "METHOD path": the request line's first two fields, split at the first space. */
        const uint8_t *sp = memchr(data, ' ', size);
        size_t mlen = sp ? (size_t)(sp - data) : 0;
        char *copy = malloc(size ? size : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, data, size);
        if (sp)
            check_request(copy, mlen, copy + mlen + 1, size - mlen - 1);
        else
            check_request("GET", 3, copy, size);
        free(copy);
        return 0;
    }
    /* "METHOD\npattern", or just a pattern under one of a few methods. */
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    char *nl = memchr(s, '\n', size);
    static const char *const methods[] = {"FUZZ", "*", "GET", "POST"};
    if (nl && (mode & 2)) {
        *nl = '\0';
        check_pattern(s, nl + 1);
    } else {
        check_pattern(methods[(mode >> 2) & 3], s);
    }
    free(s);
    return 0;
}
