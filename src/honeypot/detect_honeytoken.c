/* Detector honeytoken: values planted in the decoy by `mitsu decoy init` (fake credentials, API
 * keys, e-mail addresses) that nobody can know without having read the decoy. A request that
 * carries one, in any input, flags at once. The tokens are an immutable hash set swapped
 * atomically when replaced; a request looks each of its input values up once. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/siphash.h"
#include "honeypot/honeytoken.h"
#include "honeypot/hp.h"

enum {
    MAX_VALUES = 512,      /* input values looked up per request, at most */
    MIN_LEN = 6,           /* shorter values are never tokens (nor looked up) */
    MAX_LEN = 512,         /* nor longer ones */
    JSON_DEPTH = 16,
    JSON_BODY_MAX = 1 << 20,
    SHOWN = 4,             /* characters of a token shown in evidence */
};

const char *const hp_token_kind_names[HP_TOKEN__MAX] = {"credential", "api_key", "email"};

int hp_token_kind_parse(const char *word)
{
    for (int k = 0; k < HP_TOKEN__MAX; k++)
        if (word && strcmp(word, hp_token_kind_names[k]) == 0)
            return k;
    return -1;
}

/* One installed token: its keyed hash, where its bytes are, what it is. */
typedef struct slot {
    uint64_t hash; /* 0: free */
    const char *value;
    uint32_t len;
    uint8_t kind;
    int64_t id;
} slot;

/* Never changed once published: readers need no lock. */
typedef struct token_set {
    slot *slots;
    size_t mask;  /* slots - 1, a power of two minus one */
    size_t count;
    char *bytes;  /* every value, NUL-separated */
} token_set;

typedef struct htok {
    _Atomic(token_set *) set;
    uint64_t key[2];
    pthread_mutex_t lock;  /* installs, one at a time */
    token_set **retired;   /* replaced sets: a request may still read one, so they live on
                            * until the detector's end (replacements are rare) */
    size_t nretired;
} htok;

static void set_free(token_set *s)
{
    if (!s)
        return;
    free(s->slots);
    free(s->bytes);
    free(s);
}

static uint64_t token_hash(const htok *h, const char *v, size_t len)
{
    uint64_t x = siphash13(h->key, v, len);
    return x ? x : 1;
}

static token_set *set_build(const htok *h, const hp_token *t, size_t n)
{
    token_set *s = calloc(1, sizeof *s);
    size_t cap = 16, bytes = 1;
    while (cap < 2 * n)
        cap *= 2;
    for (size_t i = 0; i < n; i++)
        bytes += (t[i].value ? strlen(t[i].value) : 0) + 1;
    if (!s || !(s->slots = calloc(cap, sizeof *s->slots)) || !(s->bytes = malloc(bytes))) {
        set_free(s);
        return NULL;
    }
    s->mask = cap - 1;
    char *p = s->bytes;
    for (size_t i = 0; i < n; i++) {
        size_t len = t[i].value ? strlen(t[i].value) : 0;
        if (len < MIN_LEN || len > MAX_LEN || (unsigned)t[i].kind >= HP_TOKEN__MAX)
            continue; /* too short to be told from chance, or not a token */
        memcpy(p, t[i].value, len + 1);
        uint64_t hash = token_hash(h, p, len);
        size_t j = hash & s->mask;
        while (s->slots[j].hash && !(s->slots[j].hash == hash && s->slots[j].len == len &&
                                     memcmp(s->slots[j].value, p, len) == 0))
            j = (j + 1) & s->mask;
        if (!s->slots[j].hash)
            s->count++;
        s->slots[j] = (slot){hash, p, (uint32_t)len, (uint8_t)t[i].kind, t[i].id};
        p += len + 1;
    }
    return s;
}

static const slot *set_find(const htok *h, const token_set *s, const char *v, size_t len)
{
    if (!s || !s->count || len < MIN_LEN || len > MAX_LEN)
        return NULL;
    uint64_t hash = token_hash(h, v, len);
    for (size_t j = hash & s->mask; s->slots[j].hash; j = (j + 1) & s->mask) {
        const slot *x = &s->slots[j];
        if (x->hash == hash && x->len == len && memcmp(x->value, v, len) == 0)
            return x;
    }
    return NULL;
}

/* ---- Lifecycle --------------------------------------------------------------------------- */

static int ht_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)hp;
    if (!config_get_bool(cfg, "honeytoken", "enabled"))
        return 0;
    htok *h = calloc(1, sizeof *h);
    if (!h || getrandom(h->key, sizeof h->key, 0) != (ssize_t)sizeof h->key) {
        free(h);
        snprintf(err, errlen, "honeytoken: no memory or no randomness");
        return -1;
    }
    pthread_mutex_init(&h->lock, NULL);
    atomic_init(&h->set, NULL);
    *state = h;
    return 0;
}

static void ht_fini(void *state)
{
    htok *h = state;
    if (!h)
        return;
    set_free(atomic_load(&h->set));
    for (size_t i = 0; i < h->nretired; i++)
        set_free(h->retired[i]);
    free(h->retired);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int install(htok *h, const hp_token *tokens, size_t n)
{
    token_set *s = set_build(h, tokens, n);
    if (!s)
        return -1;
    pthread_mutex_lock(&h->lock);
    token_set **r = realloc(h->retired, (h->nretired + 1) * sizeof *r);
    if (!r) {
        pthread_mutex_unlock(&h->lock);
        set_free(s);
        return -1;
    }
    h->retired = r;
    token_set *old = atomic_exchange_explicit(&h->set, s, memory_order_acq_rel);
    if (old)
        h->retired[h->nretired++] = old;
    pthread_mutex_unlock(&h->lock);
    return 0;
}

int hp_honeytokens_install(hp_engine *hp, const hp_token *tokens, size_t n)
{
    htok *h = hp_engine_state(hp, &hp_detect_honeytoken);
    return h ? install(h, tokens, n) : -1;
}

size_t hp_honeytokens_count(hp_engine *hp)
{
    htok *h = hp_engine_state(hp, &hp_detect_honeytoken);
    token_set *s = h ? atomic_load_explicit(&h->set, memory_order_acquire) : NULL;
    return s ? s->count : 0;
}

/* ---- Looking ---------------------------------------------------------------------------- */

typedef struct look {
    const htok *h;
    const token_set *set;
    hp_request *r;
    int values;
    int reported;
} look;

/* Evidence names the token's kind, its row in the honeytokens table and where it came, and
 * only its first characters: event lines go to logs and SIEMs read by many, and a token
 * echoed there whole would leak the tripwire itself (the attacker's whole request is in the
 * requests table for whoever needs the rest). */
static void check(look *l, const char *where, const char *name, const char *v, size_t len)
{
    if (l->reported || l->values >= MAX_VALUES || !v)
        return;
    l->values++;
    const slot *x = set_find(l->h, l->set, v, len);
    if (!x)
        return;
    char label[64];
    hp_printable(name ? name : "", name ? strlen(name) : 0, label, sizeof label);
    hp_report(l->r, &hp_detect_honeytoken, HP_ATTACK, HP_FLAGS,
              "honeytoken %s #%lld in %s%s%s: %.*s...", hp_token_kind_names[x->kind],
              (long long)x->id, where, *label ? " " : "", label, SHOWN, x->value);
    l->reported = 1; /* one hit flags: the rest adds nothing */
}

static void fields(look *l, const char *where, const form_fields *f)
{
    for (size_t i = 0; i < f->count; i++)
        if (!f->items[i].filename)
            check(l, where, f->items[i].name, f->items[i].value, f->items[i].value_len);
}

static void json_values(look *l, json_t *j, const char *name, int depth)
{
    if (depth > JSON_DEPTH || l->reported)
        return;
    if (json_is_string(j)) {
        check(l, "json", name, json_string_value(j), json_string_length(j));
    } else if (json_is_array(j)) {
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x) json_values(l, x, name, depth + 1);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *x;
        json_object_foreach(j, k, x) json_values(l, x, k, depth + 1);
    }
}

/* Basic credentials: "user:password" decoded; the user, the password and the pair. */
static void basic(look *l, const char *b64, size_t len)
{
    if (len == 0 || len > 4 * MAX_LEN)
        return;
    unsigned char out[3 * MAX_LEN + 4];
    int n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
    if (n < 0)
        return;
    for (size_t i = len; i > 0 && b64[i - 1] == '=' && n > 0; i--)
        n--; /* EVP_DecodeBlock counts the padding as bytes */
    const char *s = (const char *)out, *colon = memchr(s, ':', (size_t)n);
    if (!colon)
        return;
    check(l, "authorization", "basic user", s, (size_t)(colon - s));
    check(l, "authorization", "basic password", colon + 1, (size_t)(s + n - colon - 1));
}

/* Authorization ("Bearer T", "Basic B64", "Token T" ...) and the usual API key headers. */
static void headers(look *l, const http_request *hr)
{
    static const char *const key_headers[] = {"X-API-Key", "Api-Key", "X-Auth-Token",
                                              "X-Access-Token", "X-Api-Token"};
    for (size_t i = 0; i < hr->nheaders; i++) {
        const http_header *hd = &hr->headers[i];
        const char *v = hd->value.base;
        size_t len = hd->value.len;
        if (http_slice_ieq(hd->name, "Authorization")) {
            const char *sp = v ? memchr(v, ' ', len) : NULL;
            if (!sp)
                continue;
            size_t scheme = (size_t)(sp - v), rest = len - scheme - 1;
            while (rest && *++sp == ' ')
                rest--;
            if (scheme == 5 && strncasecmp(v, "basic", 5) == 0)
                basic(l, sp, rest);
            else
                check(l, "authorization", "", sp, rest);
            continue;
        }
        for (size_t k = 0; k < sizeof key_headers / sizeof key_headers[0]; k++)
            if (http_slice_ieq(hd->name, key_headers[k]))
                check(l, "header", key_headers[k], v, len);
    }
}

static void ht_before(void *state, hp_request *r)
{
    const htok *h = state;
    const token_set *s = h ? atomic_load_explicit(&h->set, memory_order_acquire) : NULL;
    if (!s || !s->count)
        return;
    look l = {h, s, r, 0, 0};
    mitsu_req *req = r->req;
    headers(&l, &req->ex->req);
    const cookie_jar *jar = req_cookies(req);
    for (size_t i = 0; i < jar->count; i++)
        check(&l, "cookie", jar->pairs[i].name, jar->pairs[i].value, jar->pairs[i].value_len);
    mitsu_query(req, "");
    fields(&l, "query", &req->query);
    mitsu_form(req, "");
    fields(&l, "form", &req->form);
    if (!l.reported && req->ex->body_len && req->ex->body_len <= JSON_BODY_MAX) {
        json_t *j = mitsu_json_body(req);
        if (j)
            json_values(&l, j, "", 0);
    }
}

void hp_honeytoken_user(hp_request *r, const char *user)
{
    const htok *h = r ? hp_engine_state(r->hp, &hp_detect_honeytoken) : NULL;
    const token_set *s = h ? atomic_load_explicit(&h->set, memory_order_acquire) : NULL;
    if (!s || !user)
        return;
    look l = {h, s, r, 0, 0};
    check(&l, "login", "user", user, strlen(user));
}

const hp_detector hp_detect_honeytoken = {
    .name = "honeytoken",
    .phases = HP_BEFORE,
    .init = ht_init,
    .fini = ht_fini,
    .before = ht_before,
};
