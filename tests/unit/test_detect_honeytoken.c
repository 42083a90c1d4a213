/* Specification of the honeytoken detector (src/honeypot/detect_honeytoken.c): exact values
 * only, in every input it reads, evidence that names the kind but not the whole value, and a
 * set that is replaced whole. Included whole, to reach its static functions. */
#include <criterion/criterion.h>

#include "../../src/honeypot/detect_honeytoken.c"

static htok *fresh(void)
{
    htok *h = calloc(1, sizeof *h);
    cr_assert_not_null(h);
    h->key[0] = 11;
    h->key[1] = 22;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

static const hp_token tokens[] = {
    {1, HP_TOKEN_CREDENTIAL, "jkeller17"},
    {2, HP_TOKEN_API_KEY, "sk_live_d4mjJTaOtaMwsnKWSmu89WGYTMPRmwek"},
    {3, HP_TOKEN_EMAIL, "nora.berg4@corp.example.com"},
    {4, HP_TOKEN_EMAIL, "a@b.c"}, /* too short to be told from chance: never installed */
};

typedef struct probe {
    htok *h;
    token_set *s;
    arena a;
    hp_request r;
    look l;
} probe;

static void start(probe *p)
{
    memset(p, 0, sizeof *p);
    p->h = fresh();
    p->s = set_build(p->h, tokens, 4);
    cr_assert_not_null(p->s);
    arena_init(&p->a, 4096);
    p->r.arena = &p->a;
    p->l = (look){p->h, p->s, &p->r, 0, 0};
}

static void stop(probe *p)
{
    arena_free(&p->a);
    set_free(p->s);
    ht_fini(p->h);
}

Test(honeytoken, exact_values_hit_and_flag_at_once)
{
    probe p;
    start(&p);
    check(&p.l, "form", "username", "jkeller17", 9);
    cr_assert_eq(p.r.nhits, 1);
    cr_assert_eq(p.r.hits[0].score, HP_FLAGS);
    cr_assert_eq(p.r.hits[0].kind, HP_ATTACK);
    cr_assert(strstr(p.r.hits[0].evidence, "honeytoken credential #1 in form username"),
              "%s", p.r.hits[0].evidence);
    stop(&p);
}

Test(honeytoken, evidence_shows_only_the_first_characters)
{
    probe p;
    start(&p);
    const char *key = tokens[1].value;
    check(&p.l, "query", "key", key, strlen(key));
    cr_assert_eq(p.r.nhits, 1);
    cr_assert_null(strstr(p.r.hits[0].evidence, key), "%s", p.r.hits[0].evidence);
    cr_assert(strstr(p.r.hits[0].evidence, "api_key #2 in query key: sk_l..."), "%s",
              p.r.hits[0].evidence);
    stop(&p);
}

Test(honeytoken, values_that_merely_resemble_a_token_do_not_hit)
{
    probe p;
    start(&p);
    static const char *const near[] = {"jkeller", "jkeller1", "jkeller170", "JKELLER17",
                                       " jkeller17", "jkeller17 ", "nora.berg4@corp.example.co",
                                       "sk_live_d4mjJTaOtaMwsnKWSmu89WGYTMPRmwe", "a@b.c", ""};
    for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
        check(&p.l, "form", "q", near[i], strlen(near[i]));
    cr_assert_eq(p.r.nhits, 0);
    cr_assert_eq(p.s->count, 3, "the 5-byte value was left out");
    stop(&p);
}

Test(honeytoken, one_hit_per_request_is_enough)
{
    probe p;
    start(&p);
    check(&p.l, "form", "a", "jkeller17", 9);
    check(&p.l, "form", "b", tokens[2].value, strlen(tokens[2].value));
    cr_assert_eq(p.r.nhits, 1);
    stop(&p);
}

Test(honeytoken, basic_credentials_are_decoded)
{
    probe p;
    start(&p);
    /* base64("jkeller17:Winter-2026!") */
    const char *b = "amtlbGxlcjE3OldpbnRlci0yMDI2IQ==";
    basic(&p.l, b, strlen(b));
    cr_assert_eq(p.r.nhits, 1);
    cr_assert(strstr(p.r.hits[0].evidence, "authorization basic user"), "%s",
              p.r.hits[0].evidence);
    stop(&p);
}

Test(honeytoken, basic_password_and_garbage)
{
    probe p;
    start(&p);
    /* base64("someone:nora.berg4@corp.example.com") */
    const char *b = "c29tZW9uZTpub3JhLmJlcmc0QGNvcnAuZXhhbXBsZS5jb20=";
    basic(&p.l, "!!!!", 4);
    basic(&p.l, "", 0);
    cr_assert_eq(p.r.nhits, 0);
    basic(&p.l, b, strlen(b));
    cr_assert_eq(p.r.nhits, 1);
    cr_assert(strstr(p.r.hits[0].evidence, "email #3 in authorization basic password"), "%s",
              p.r.hits[0].evidence);
    stop(&p);
}

Test(honeytoken, json_strings_at_any_depth)
{
    probe p;
    start(&p);
    json_error_t e;
    json_t *j = json_loads("{\"a\": [1, {\"user\": {\"mail\": \"nora.berg4@corp.example.com\"}}]}",
                           0, &e);
    cr_assert_not_null(j);
    json_values(&p.l, j, "", 0);
    json_decref(j);
    cr_assert_eq(p.r.nhits, 1);
    cr_assert(strstr(p.r.hits[0].evidence, "in json mail"), "%s", p.r.hits[0].evidence);
    stop(&p);
}

Test(honeytoken, lookups_per_request_are_bounded)
{
    probe p;
    start(&p);
    for (int i = 0; i < MAX_VALUES; i++)
        check(&p.l, "form", "x", "nothing-here", 12);
    check(&p.l, "form", "username", "jkeller17", 9);
    cr_assert_eq(p.r.nhits, 0, "past MAX_VALUES inputs nothing more is looked up");
    stop(&p);
}

Test(honeytoken, kinds_parse_and_an_empty_set_finds_nothing)
{
    cr_assert_eq(hp_token_kind_parse("credential"), HP_TOKEN_CREDENTIAL);
    cr_assert_eq(hp_token_kind_parse("api_key"), HP_TOKEN_API_KEY);
    cr_assert_eq(hp_token_kind_parse("email"), HP_TOKEN_EMAIL);
    cr_assert_eq(hp_token_kind_parse("password"), -1);
    htok *h = fresh();
    token_set *s = set_build(h, NULL, 0);
    cr_assert_not_null(s);
    cr_assert_null(set_find(h, s, "jkeller17", 9));
    set_free(s);
    ht_fini(h);
}

/* Authorization with any scheme, Basic decoded, the usual API key headers; other headers are
 * not read (their values are not the client's secrets). */
static int header_hits(const char *name, const char *value)
{
    probe p;
    start(&p);
    http_header h = {{name, strlen(name)}, {value, strlen(value)}};
    http_request hr;
    memset(&hr, 0, sizeof hr);
    hr.headers = &h;
    hr.nheaders = 1;
    headers(&p.l, &hr);
    int n = (int)p.r.nhits;
    stop(&p);
    return n;
}

Test(honeytoken, authorization_and_api_key_headers)
{
    const char *key = tokens[1].value;
    char v[128];
    snprintf(v, sizeof v, "Bearer %s", key);
    cr_assert_eq(header_hits("Authorization", v), 1);
    snprintf(v, sizeof v, "Token  %s", key);
    cr_assert_eq(header_hits("authorization", v), 1, "any scheme, spaces after it");
    cr_assert_eq(header_hits("Authorization", "basic amtlbGxlcjE3OldpbnRlci0yMDI2IQ=="), 1);
    cr_assert_eq(header_hits("X-API-Key", key), 1);
    cr_assert_eq(header_hits("x-auth-token", key), 1);
    cr_assert_eq(header_hits("X-Other", key), 0);
    cr_assert_eq(header_hits("Authorization", key), 0, "no scheme: not a credential");
    snprintf(v, sizeof v, "Bearer %sX", key);
    cr_assert_eq(header_hits("Authorization", v), 0);
}

Test(honeytoken, a_new_set_replaces_the_old_one_whole)
{
    htok *h = fresh();
    cr_assert_eq(install(h, tokens, 2), 0);
    const token_set *before = atomic_load(&h->set);
    cr_assert_not_null(set_find(h, before, "jkeller17", 9));
    hp_token next[] = {{9, HP_TOKEN_EMAIL, "someone.new@example.org"}};
    cr_assert_eq(install(h, next, 1), 0);
    const token_set *now = atomic_load(&h->set);
    cr_assert_null(set_find(h, now, "jkeller17", 9), "the old tokens are gone");
    cr_assert_not_null(set_find(h, now, "someone.new@example.org", 23));
    /* a request that loaded the old set before the swap still reads it safely */
    cr_assert_not_null(set_find(h, before, "jkeller17", 9));
    cr_assert_eq(h->nretired, 1);
    ht_fini(h);
}
