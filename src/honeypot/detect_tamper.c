/* Detector tamper: signed values the client altered (signed cookies, the session cookie, signed
 * hidden form fields), and a honeypot client id cookie that mitsu cannot have sent. Also the
 * signed hidden form fields themselves: mitsu_signed_field() and mitsu_form_signed(). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "honeypot/hp.h"

enum { SHOWN = 60, MAX_COOKIES = 32 };

typedef struct tamper {
    double weight;
    const char *id_cookie;   /* [honeypot] cookie_name */
    const char *session;     /* [session] cookie_name */
    const sign_ring *keys;
    /* Without [app] secret_keys the key is random per process: after a restart every value the
     * previous process signed matches no key. Those carry a time before ours: not evidence. */
    int random_keys;
    int64_t started;         /* Unix s */
    uint8_t id;
} tamper;

static int tamper_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!config_get_bool(cfg, "tamper", "enabled"))
        return 0;
    tamper *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    const char *const *items;
    t->weight = (double)config_get_int(cfg, "tamper", "weight");
    t->id_cookie = config_get_str(cfg, "honeypot", "cookie_name");
    t->session = config_get_str(cfg, "session", "cookie_name");
    t->keys = hp_engine_app(hp)->keys;
    t->random_keys = config_get_list(cfg, "app", "secret_keys", &items) == 0;
    t->started = (int64_t)time(NULL);
    for (unsigned i = 1; i < HP_BY_OPERATOR; i++) {
        const char *n = hp_detector_name((uint8_t)i);
        if (n == hp_detect_tamper.name) {
            t->id = (uint8_t)i;
            break;
        }
        if (strcmp(n, "unknown") == 0)
            break;
    }
    *state = t;
    return 0;
}

static void tamper_fini(void *state)
{
    free(state);
}

/* ---- Judging a signed value ---------------------------------------------------------------- */

enum grade {
    NOTHING,  /* genuine, absent, expired, or signed by a key we no longer have */
    FOREIGN,  /* not in mitsu's format at all: perhaps another application's cookie */
    ALTERED,  /* mitsu's format, but the signature matches no key: a client's edit */
};

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/* sign_verify() calls both cases SIGN_TAMPERED; the shape tells them apart. A value ending the
 * way sign_value() ends it ("." DIGITS "." 43 base64url characters) was signed by mitsu and then
 * changed: nobody else writes that tail (a JWT's middle part is base64, itsdangerous' time too).
 * The value part is not checked: an edit often re-encodes it with padding or '+'. Anything else
 * holding a '.' never was ours. The signing time is returned for the restart case. */
static int ours_in_shape(const char *s, size_t len, uint64_t *signed_at)
{
    const char *dot2 = memrchr(s, '.', len);
    const char *dot1 = dot2 ? memrchr(s, '.', (size_t)(dot2 - s)) : NULL;
    if (!dot1 || len - (size_t)(dot2 + 1 - s) != 43 || dot2 - dot1 < 2 || dot2 - dot1 > 20)
        return 0;
    uint64_t ts = 0; /* 19 digits at most: fits */
    for (const char *p = dot1 + 1; p < dot2; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        ts = ts * 10 + (uint64_t)(*p - '0');
    }
    for (const char *p = dot2 + 1; p < s + len; p++)
        if (!b64url_char(*p))
            return 0;
    *signed_at = ts;
    return 1;
}

/* How suspicious a signed value that failed verification is. */
static enum grade grade_of(const tamper *t, enum sign_status st, const char *s, size_t len)
{
    if (st != SIGN_TAMPERED)
        return NOTHING;
    uint64_t at;
    if (!ours_in_shape(s, len, &at))
        return FOREIGN;
    return t->random_keys && at < (uint64_t)t->started ? NOTHING : ALTERED;
}

static int clip(const char *s, size_t len, int n)
{
    if (len <= (size_t)n)
        return (int)len;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

static int reported(const tamper *t, const hp_request *r)
{
    for (size_t i = 0; i < r->nhits; i++)
        if (r->hits[i].detector == t->id)
            return 1;
    return 0;
}

static void report(const tamper *t, hp_request *r, enum grade g, const char *what,
                   const char *name, const char *value, size_t len, const char *reason)
{
    if (g == NOTHING)
        return;
    /* A foreign value is a quarter of the weight, never a flag on its own. */
    hp_report(r, &hp_detect_tamper, g == ALTERED ? HP_ATTACK : HP_SUSPICIOUS,
              g == ALTERED ? t->weight : t->weight / 4, "%s %s %s: %s: \"%.*s\"",
              g == ALTERED ? "altered" : "foreign value in", what, name, reason,
              clip(value, len, SHOWN), value);
}

/* ---- The phases ----------------------------------------------------------------------------- */

/* The honeypot's id cookie is 32 lowercase hex digits, set HttpOnly: a browser sends it back
 * unchanged. Something else in its place is a hand at work, or another application's cookie of
 * the same name, which the browser sends along or instead (cookies are per host, not per port,
 * and a parent domain's cookies come too). So: nothing when a well-formed one is there as well,
 * and a quarter of the weight otherwise. Repeats do not add up for a browser: the table never
 * adopts such a value, so each lands on a fresh client; they add up for a tool that replays one
 * bad value without keeping cookies, which is the IP's client every time. */
static void tamper_before(void *state, hp_request *r)
{
    const tamper *t = state;
    if (!t || !r->req || r->client.cookie != HP_COOKIE_MALFORMED)
        return;
    const cookie_jar *jar = req_cookies(r->req);
    const cookie_pair *bad = NULL;
    uint8_t sid[HP_SID_LEN];
    for (const cookie_pair *p = NULL; (p = cookie_next(jar, t->id_cookie, p));) {
        if (hp_client_sid_parse(p->value, p->value_len, sid) == 0)
            return;
        if (!bad)
            bad = p;
    }
    if (bad)
        report(t, r, FOREIGN, "client id cookie", t->id_cookie, bad->value, bad->value_len,
               "not 32 lowercase hex digits");
}

/* Signed cookies are verified when the handler reads them, so this runs after it. The web layer
 * only says that something was tampered with; the cookies are graded again here to say which
 * and how. Only an ALTERED one counts: a FOREIGN one comes back on every request when another
 * application on the host or a parent domain uses the same cookie name (Flask's "session", say),
 * and would add up to a flag on a user who did nothing. For the same reason a name with one
 * genuine value among duplicates is left alone. */
static void tamper_after(void *state, hp_request *r)
{
    const tamper *t = state;
    mitsu_req *req = r->req;
    if (!t || !req || reported(t, r))
        return;
    const cookie_jar *jar = req_cookies(req);
    /* The session is read here when the handler did not: an altered session cookie is an attack
     * whatever the route. One HMAC, for the dynamic requests that carry it. */
    if (!req->session_loaded && !r->is_static && jar->count && cookie_get(jar, t->session))
        req_session(req);
    if (!mitsu_req_tampered(req))
        return;
    size_t n = jar->count < MAX_COOKIES ? jar->count : MAX_COOKIES;
    for (size_t i = 0; i < n; i++) {
        const cookie_pair *p = &jar->pairs[i];
        if (!memchr(p->value, '.', p->value_len) || cookie_get(jar, p->name) != p)
            continue; /* unsigned, or a duplicate graded with its first */
        char purpose[160];
        snprintf(purpose, sizeof purpose, "%s:%s",
                 strcmp(p->name, t->session) == 0 ? "session" : "cookie", p->name);
        const cookie_pair *altered = NULL;
        const char *why = NULL;
        for (const cookie_pair *d = NULL; (d = cookie_next(jar, p->name, d));) {
            sign_result res;
            enum sign_status st = sign_verify(t->keys, req->ex->arena, purpose, d->value,
                                              d->value_len, r->now / 1000, 0, &res);
            if (st == SIGN_VALID) {
                altered = NULL;
                break;
            }
            if (!altered && grade_of(t, st, d->value, d->value_len) == ALTERED) {
                altered = d;
                why = res.reason;
            }
        }
        if (altered) {
            report(t, r, ALTERED, "signed cookie", altered->name, altered->value,
                   altered->value_len, why);
            return;
        }
    }
}

const hp_detector hp_detect_tamper = {
    .name = "tamper",
    .phases = HP_BEFORE | HP_AFTER,
    .init = tamper_init,
    .fini = tamper_fini,
    .before = tamper_before,
    .after = tamper_after,
};

/* ---- Signed hidden form fields (include/mitsu.h) ---------------------------------------------
 * Here rather than next to mitsu_signed_cookie() in the web layer: the tamper detector is their
 * reason to exist, and an altered one is graded and reported as it is read. The purpose
 * "form:NAME" binds a value to its field, so a value signed for one field does not verify in
 * another. */

const char *mitsu_signed_field(mitsu_res *res, const char *name, const char *value)
{
    if (!res || !name || !value)
        return NULL;
    char purpose[160];
    snprintf(purpose, sizeof purpose, "form:%s", name);
    const char *out = NULL;
    if (sign_value(res->req->app->keys, res->ex->arena, purpose, value, strlen(value),
                   (int64_t)time(NULL), &out) < 0)
        return NULL;
    return out;
}

const char *mitsu_form_signed(mitsu_req *req, const char *name, int64_t max_age_s)
{
    if (!req || !name)
        return NULL;
    const char *v = mitsu_form(req, name);
    if (!v)
        v = mitsu_query(req, name);
    if (!v)
        return NULL;
    char purpose[160];
    snprintf(purpose, sizeof purpose, "form:%s", name);
    sign_result res;
    size_t len = strlen(v);
    enum sign_status st = sign_verify(req->app->keys, req->ex->arena, purpose, v, len,
                                      (int64_t)time(NULL), max_age_s, &res);
    if (st == SIGN_VALID)
        return res.value;
    if (st == SIGN_TAMPERED)
        req->tampered = 1;
    hp_request *r = req->client;
    const tamper *t = r && r->has_client && !r->whitelisted
                          ? hp_engine_state(r->hp, &hp_detect_tamper)
                          : NULL;
    if (!t || reported(t, r))
        return NULL;
    /* The page that carried the field was ours, so any change is the client's: a value out of
     * shape too. One without a signature at all may come from a form rendered before the
     * application signed that field: a quarter. */
    enum grade g = st == SIGN_TAMPERED ? grade_of(t, st, v, len) : NOTHING;
    if (g == FOREIGN)
        g = ALTERED;
    if (st == SIGN_UNSIGNED)
        g = FOREIGN;
    report(t, r, g, "signed form field", name, v, len, res.reason);
    return NULL;
}
