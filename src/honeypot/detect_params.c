/* Detector params: what only the application knows about its routes (OWASP AppSensor RE5-RE8,
 * IE2). mitsu_params() declares a route's parameters; after routing, before the handler, the
 * route parameters, query and form fields are checked against them, and a strict route answers
 * 400 instead of running its handler on them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "honeypot/hp.h"

/* Names that browsers, mail and ad campaigns append to any link: never "unexpected". A final
 * '*' is a prefix. Declared names are checked even when they are listed here. */
static const char *const harmless[] = {
    "_", "utm_*", "fbclid", "gclid", "gbraid", "wbraid", "dclid", "msclkid", "yclid", "mc_cid",
    "mc_eid", "_ga", "_gl", "igshid", "ttclid", "twclid",
};

enum { PCRE_MATCH_LIMIT = 100000, PCRE_DEPTH_LIMIT = 10000, SHOWN = 60 };

typedef struct pspec {
    char *name;
    enum mitsu_param_type type;
    pcre2_code *re;
    size_t max_len;
    int required;
} pspec;

typedef struct proute {
    char *method, *pattern;
    int strict;
    pspec *specs;
    size_t n;
} proute;

typedef struct pstate {
    double suspicious, attack;
    proute *routes;
    size_t nroutes, cap;
    uint32_t *index; /* (method, pattern) hash -> route index + 1; read-only once running */
    size_t nindex;
    pcre2_match_context *mctx; /* limits against runaway patterns; read-only, shared */
} pstate;

/* ---- Value types ---------------------------------------------------------------------------- */

static int all_digits(const char *s, size_t len)
{
    if (!len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Digits whose value fits: max is INT64_MAX or UINT64_MAX, plus 1 for INT64_MIN. */
static int digits_fit(const char *s, size_t len, uint64_t max)
{
    if (!all_digits(s, len))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    return 1;
}

static int is_int(const char *s, size_t len)
{
    if (len && (*s == '-' || *s == '+'))
        return digits_fit(s + 1, len - 1, *s == '-' ? (uint64_t)INT64_MAX + 1 : INT64_MAX);
    return digits_fit(s, len, INT64_MAX);
}

static int is_uint(const char *s, size_t len)
{
    return digits_fit(s, len, UINT64_MAX);
}

/* Decimal only: [+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)?; no hex, inf or nan. */
static int is_float(const char *s, size_t len)
{
    size_t i = 0, mant = 0;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, mant++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, mant++;
    }
    if (!mant)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t exp = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == exp)
            return 0;
    }
    return i == len;
}

static int is_bool(const char *s, size_t len)
{
    static const char *const words[] = {"true", "false", "1", "0", "on", "off"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == len && strncasecmp(s, words[i], len) == 0)
            return 1;
    return 0;
}

/* A letter, a digit, or a byte of a UTF-8 sequence (international addresses). */
static int is_alnum8(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* What a browser's type=email accepts, and UTF-8: a dot-atom local part, '@', and a domain of
 * dot-separated labels of letters, digits and inner '-'. */
static int is_email(const char *s, size_t len)
{
    static const char atext[] = "!#$%&'*+/=?^_`{|}~-";
    const char *at = memchr(s, '@', len);
    if (!at || at == s || (size_t)(at - s) > 64 || len - (size_t)(at - s) - 1 > 253)
        return 0;
    size_t local = (size_t)(at - s);
    for (size_t i = 0; i < local; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' ? i == 0 || i == local - 1 || s[i - 1] == '.'
                     : !is_alnum8(c) && !(c && strchr(atext, c)))
            return 0;
    }
    const char *d = at + 1, *end = s + len;
    if (d == end)
        return 0;
    size_t label = 0;
    for (const char *p = d; p <= end; p++) {
        if (p == end || *p == '.') {
            if (label == 0 || label > 63 || p[-1] == '-')
                return 0;
            label = 0;
        } else if (is_alnum8((unsigned char)*p) || (*p == '-' && label > 0)) {
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

static int is_uuid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

static const char *const not_type[] = {
    [MITSU_PARAM_STRING] = "not a string",
    [MITSU_PARAM_INT] = "not an integer",
    [MITSU_PARAM_UINT] = "not an unsigned integer",
    [MITSU_PARAM_FLOAT] = "not a number",
    [MITSU_PARAM_BOOL] = "not a boolean",
    [MITSU_PARAM_EMAIL] = "not an e-mail address",
    [MITSU_PARAM_UUID] = "not a UUID",
    [MITSU_PARAM_PATTERN] = "not matching the declared pattern",
};

/* NULL when the value fits the spec, else what is wrong with it. An empty value never has a
 * wrong type: it is what a blank form field sends. File parts are checked for length only. */
static const char *value_problem(const pstate *st, const pspec *sp, const char *v, size_t len,
                                 int is_file)
{
    if (sp->max_len && len > sp->max_len)
        return "too long";
    if (!len || is_file)
        return NULL;
    if (memchr(v, 0, len))
        return "a NUL byte";
    int ok = 1;
    switch (sp->type) {
    case MITSU_PARAM_STRING:
        break;
    case MITSU_PARAM_INT:
        ok = is_int(v, len);
        break;
    case MITSU_PARAM_UINT:
        ok = is_uint(v, len);
        break;
    case MITSU_PARAM_FLOAT:
        ok = is_float(v, len);
        break;
    case MITSU_PARAM_BOOL:
        ok = is_bool(v, len);
        break;
    case MITSU_PARAM_EMAIL:
        ok = is_email(v, len);
        break;
    case MITSU_PARAM_UUID:
        ok = is_uuid(v, len);
        break;
    case MITSU_PARAM_PATTERN: {
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(sp->re, NULL);
        if (!md)
            return NULL; /* out of memory: no verdict */
        /* Invalid UTF-8 and hitting the limits are no match either. */
        ok = pcre2_match(sp->re, (PCRE2_SPTR)v, len, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md,
                         st->mctx) >= 0;
        pcre2_match_data_free(md);
        break;
    }
    }
    return ok ? NULL : not_type[sp->type];
}

/* ---- Declaring ------------------------------------------------------------------------------ */

static uint64_t route_hash(const char *method, const char *pattern)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = method; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ ' ') * 1099511628211ull;
    for (const char *s = pattern; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static const proute *route_find(const pstate *st, const char *method, const char *pattern)
{
    if (!st->nindex || !method || !pattern)
        return NULL;
    for (size_t i = route_hash(method, pattern) & (st->nindex - 1);;
         i = (i + 1) & (st->nindex - 1)) {
        uint32_t k = st->index[i];
        if (!k)
            return NULL;
        const proute *r = &st->routes[k - 1];
        if (strcmp(r->pattern, pattern) == 0 && strcmp(r->method, method) == 0)
            return r;
    }
}

static int reindex(pstate *st)
{
    size_t n = 16;
    while (n < st->nroutes * 2)
        n *= 2;
    uint32_t *idx = calloc(n, sizeof *idx);
    if (!idx)
        return -1;
    for (size_t k = 0; k < st->nroutes; k++) {
        size_t i = route_hash(st->routes[k].method, st->routes[k].pattern) & (n - 1);
        while (idx[i])
            i = (i + 1) & (n - 1);
        idx[i] = (uint32_t)(k + 1);
    }
    free(st->index);
    st->index = idx;
    st->nindex = n;
    return 0;
}

static void route_free(proute *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->specs[i].name);
        pcre2_code_free(r->specs[i].re);
    }
    free(r->specs);
    free(r->method);
    free(r->pattern);
}

/* Is (method, pattern) a registered route? The router has no look-up by pattern: match the
 * pattern as a path and see whether it meets itself; a final wildcard, which a parameter at the
 * same position beats, is tried again empty. */
static int probe(const router *rt, const char *method, const char *pattern, const char *path)
{
    route_match m;
    return router_match(rt, method, strlen(method), path, strlen(path), &m) == ROUTE_MATCH &&
           strcmp(m.pattern, pattern) == 0 && strcmp(m.method, method) == 0;
}

static int route_registered(mitsu_app *app, const char *method, const char *pattern)
{
    if (pattern[0] != '/' || strlen(pattern) >= 1024)
        return 0;
    if (probe(app->routes, method, pattern, pattern))
        return 1;
    const char *slash = strrchr(pattern, '/');
    char path[1024];
    snprintf(path, sizeof path, "%.*s", (int)(slash + 1 - pattern), pattern);
    return slash[1] == '*' && probe(app->routes, method, pattern, path);
}

static int declare_fail(proute *r, const char *method, const char *path, const char *what,
                        const char *name)
{
    fprintf(stderr, "mitsu: params %s %s: %s%s%s\n", method, path, what, name ? " " : "",
            name ? name : "");
    route_free(r);
    return -1;
}

int mitsu_params(mitsu_app *app, const char *method, const char *path,
                 const mitsu_param_spec *specs, size_t n, int strict)
{
    if (!app || !method || !path || (!specs && n))
        return -1;
    proute r = {0};
    if (!route_registered(app, method, path))
        return declare_fail(&r, method, path, "no such route (method and pattern)", NULL);
    r.strict = strict;
    r.method = strdup(method);
    r.pattern = strdup(path);
    r.specs = calloc(n ? n : 1, sizeof *r.specs);
    if (!r.method || !r.pattern || !r.specs)
        return declare_fail(&r, method, path, "out of memory", NULL);
    for (size_t i = 0; i < n; i++) {
        const mitsu_param_spec *s = &specs[i];
        if (!s->name || !*s->name)
            return declare_fail(&r, method, path, "a parameter without a name", NULL);
        if ((unsigned)s->type > MITSU_PARAM_PATTERN)
            return declare_fail(&r, method, path, "an unknown type for", s->name);
        if ((s->type == MITSU_PARAM_PATTERN) != (s->pattern != NULL))
            return declare_fail(&r, method, path,
                                "a pattern goes with MITSU_PARAM_PATTERN and only with it:",
                                s->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(specs[j].name, s->name) == 0)
                return declare_fail(&r, method, path, "declared twice:", s->name);
        pspec *p = &r.specs[r.n++];
        p->type = s->type;
        p->max_len = s->max_len;
        p->required = s->required;
        p->name = strdup(s->name);
        if (!p->name)
            return declare_fail(&r, method, path, "out of memory", NULL);
        if (s->pattern) {
            int code;
            PCRE2_SIZE off;
            p->re = pcre2_compile((PCRE2_SPTR)s->pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code,
                                  &off, NULL);
            if (!p->re) {
                char msg[160], what[256];
                pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof msg);
                snprintf(what, sizeof what, "pattern of %s at offset %zu: %s:", s->name,
                         (size_t)off, msg);
                return declare_fail(&r, method, path, what, s->pattern);
            }
            pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE); /* the interpreter when JIT fails */
        }
    }
    pstate *st = hp_engine_state(hp_engine_of(app), &hp_detect_params);
    if (!st) {
        route_free(&r); /* the detector is off; the declaration was still checked */
        return 0;
    }
    proute *old = (proute *)route_find(st, method, path);
    if (old) { /* declared again: the new declaration replaces the old one */
        route_free(old);
        *old = r;
        return 0;
    }
    if (st->nroutes == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        proute *p = realloc(st->routes, cap * sizeof *p);
        if (!p)
            return declare_fail(&r, method, path, "out of memory", NULL);
        st->routes = p;
        st->cap = cap;
    }
    st->routes[st->nroutes++] = r;
    if (reindex(st) < 0) {
        st->nroutes--;
        return declare_fail(&r, method, path, "out of memory", NULL);
    }
    return 0;
}

/* ---- Checking ------------------------------------------------------------------------------- */

static int is_harmless(const char *name)
{
    for (size_t i = 0; i < sizeof harmless / sizeof harmless[0]; i++) {
        size_t n = strlen(harmless[i]);
        if (harmless[i][n - 1] == '*' ? strncmp(name, harmless[i], n - 1) == 0
                                      : strcmp(name, harmless[i]) == 0)
            return 1;
    }
    return 0;
}

/* Attacker's text for evidence: printable ASCII kept, the rest as \xNN, at most SHOWN bytes. */
static void shown(const char *s, size_t len, char *out, size_t outlen)
{
    size_t at = 0;
    for (size_t i = 0; i < len && at + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == SHOWN) {
            memcpy(out + at, "...", 3);
            at += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[at++] = (char)c;
        else
            at += (size_t)snprintf(out + at, outlen - at, "\\x%02x", c);
    }
    out[at] = 0;
}

typedef struct check {
    const pstate *st;
    const proute *route;
    unsigned char *seen;   /* per spec: the name was sent */
    char unexpected[256];  /* the first unexpected names */
    size_t nunexpected;
    char invalid[320];     /* the first invalid value */
    size_t ninvalid;
} check;

static void note_unexpected(check *k, const char *name)
{
    if (k->nunexpected++ >= 4)
        return;
    size_t at = strlen(k->unexpected);
    char text[SHOWN * 4 + 8];
    shown(name, strlen(name), text, sizeof text);
    snprintf(k->unexpected + at, sizeof k->unexpected - at, "%s%s", at ? ", " : "", text);
}

/* One name and value sent by the client (route, query or form). */
static void check_field(check *k, const char *where, const char *name, const char *v,
                        size_t len, int is_file, int from_route)
{
    const proute *r = k->route;
    for (size_t i = 0; i < r->n; i++) {
        const pspec *sp = &r->specs[i];
        if (strcmp(sp->name, name) != 0)
            continue;
        k->seen[i] = 1; /* sent, even empty: a blank form field is not a missing one */
        const char *problem = value_problem(k->st, sp, v, len, is_file);
        if (problem && k->ninvalid++ == 0) {
            char text[SHOWN * 4 + 8];
            shown(v, len, text, sizeof text);
            snprintf(k->invalid, sizeof k->invalid, "%s %s=%s: %s", where, name, text, problem);
        }
        return;
    }
    /* A route parameter's name is the application's; only its value comes from the client. */
    if (!from_route && !is_harmless(name))
        note_unexpected(k, name);
}

static void check_fields(check *k, const char *where, const form_fields *f)
{
    for (size_t i = 0; i < f->count; i++)
        check_field(k, where, f->items[i].name, f->items[i].value, f->items[i].value_len,
                    f->items[i].filename != NULL, 0);
}

static void params_routed(void *state, hp_request *r)
{
    const pstate *st = state;
    mitsu_req *req = r->req;
    if (!st || !st->nroutes || !req || !req->matched)
        return;
    const proute *route = route_find(st, req->match.method, req->match.pattern);
    if (!route)
        return;
    check k = {.st = st, .route = route};
    k.seen = arena_calloc(r->arena, route->n ? route->n : 1, 1);
    if (!k.seen)
        return;
    for (size_t i = 0; i < req->match.nparams; i++) {
        const route_param *p = &req->match.params[i];
        char *v = arena_alloc(r->arena, p->value_len + 1);
        if (v)
            check_field(&k, "path", p->name, v, form_decode(p->value, p->value_len, v, 0, NULL),
                        0, 1);
    }
    mitsu_query(req, ""); /* parses the query string once, for the handler too */
    check_fields(&k, "query", &req->query);
    mitsu_form(req, "");  /* parses an urlencoded or multipart body once */
    check_fields(&k, "form", &req->form);
    char missing[256] = "";
    size_t nmissing = 0;
    for (size_t i = 0; i < route->n; i++)
        if (route->specs[i].required && !k.seen[i] && nmissing++ < 4) {
            size_t at = strlen(missing);
            snprintf(missing + at, sizeof missing - at, "%s%s", at ? ", " : "",
                     route->specs[i].name);
        }
    const char *method = mitsu_req_method(req);
    if (k.ninvalid)
        hp_report(r, &hp_detect_params, HP_ATTACK, st->attack, "%s %s: %s%s", method,
                  route->pattern, k.invalid, k.ninvalid > 1 ? " (and more)" : "");
    if (k.nunexpected)
        hp_report(r, &hp_detect_params, HP_SUSPICIOUS, st->suspicious,
                  "%s %s: unexpected parameter%s %s%s", method, route->pattern,
                  k.nunexpected > 1 ? "s" : "", k.unexpected, k.nunexpected > 4 ? ", ..." : "");
    if (nmissing)
        hp_report(r, &hp_detect_params, HP_SUSPICIOUS, st->suspicious,
                  "%s %s: missing required parameter%s %s%s", method, route->pattern,
                  nmissing > 1 ? "s" : "", missing, nmissing > 4 ? ", ..." : "");
    if (route->strict && (k.ninvalid || k.nunexpected || nmissing) && r->res) {
        reply_error(r->res, 400);
        r->answered = 1;
    }
}

/* ---- Set-up --------------------------------------------------------------------------------- */

static void params_fini(void *state)
{
    pstate *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nroutes; i++)
        route_free(&st->routes[i]);
    free(st->routes);
    free(st->index);
    pcre2_match_context_free(st->mctx);
    free(st);
}

static int params_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)hp;
    *state = NULL;
    if (!config_get_bool(cfg, "params", "enabled"))
        return 0;
    pstate *st = calloc(1, sizeof *st);
    if (st)
        st->mctx = pcre2_match_context_create(NULL);
    if (!st || !st->mctx) {
        params_fini(st);
        snprintf(err, errlen, "params: out of memory");
        return -1;
    }
    pcre2_set_match_limit(st->mctx, PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(st->mctx, PCRE_DEPTH_LIMIT);
    st->suspicious = (double)config_get_int(cfg, "params", "suspicious");
    st->attack = (double)config_get_int(cfg, "params", "attack");
    *state = st;
    return 0;
}

const hp_detector hp_detect_params = {
    .name = "params",
    .phases = HP_ROUTED,
    .init = params_init,
    .fini = params_fini,
    .routed = params_routed,
};
