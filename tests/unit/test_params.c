/* Specification of the inner rules of src/honeypot/detect_params.c (the value types, harmless
 * names, evidence escaping) and src/honeypot/detect_transition.c (what is a legal transition,
 * and its bounded per-client table). Both are included to reach their static functions. */
#include <criterion/criterion.h>

#include "honeypot/detect_params.c"
#include "honeypot/detect_transition.c"

#define T0 1700000000000ll

static int ok(int (*fn)(const char *, size_t), const char *s)
{
    return fn(s, strlen(s));
}

Test(params, integers)
{
    const char *good[] = {"0", "42", "-1", "+7", "9223372036854775807", "-9223372036854775808",
                          "007"};
    const char *bad[] = {"", "-", "+", "1a", " 1", "1 ", "9223372036854775808",
                         "-9223372036854775809", "1.0", "0x10", "1e3", "--1"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_expect(ok(is_int, good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect(!ok(is_int, bad[i]), "%s", bad[i]);
    cr_expect(ok(is_uint, "18446744073709551615"));
    cr_expect(!ok(is_uint, "18446744073709551616"));
    cr_expect(!ok(is_uint, "-1"));
    cr_expect(!ok(is_uint, "+1"));
    cr_expect(!ok(is_uint, "1'--"));
}

Test(params, floats_are_decimal_only)
{
    const char *good[] = {"1", "-1.5", ".5", "5.", "1e10", "1E-3", "+0.0", "6.02e+23"};
    const char *bad[] = {"", ".", "e5", "1e", "1e+", "inf", "nan", "0x1p3", "1.2.3", "1,5",
                         "- 1"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_expect(ok(is_float, good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect(!ok(is_float, bad[i]), "%s", bad[i]);
}

Test(params, booleans)
{
    const char *good[] = {"true", "FALSE", "1", "0", "on", "Off"};
    const char *bad[] = {"yes", "2", "", "truee", "o"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_expect(ok(is_bool, good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect(!ok(is_bool, bad[i]), "%s", bad[i]);
}

Test(params, emails)
{
    const char *good[] = {"a@b.co", "ann.lee+x@example.org", "o'brien@example.ie",
                          "\xc3\xbc@ex\xc3\xa4mple.de", "x@localhost", "a-b@a-b.c-d.e"};
    const char *bad[] = {"", "a", "a@", "@b.c", "a..b@c.d", ".a@b.c", "a.@b.c", "a@b..c",
                         "a@-b.c", "a@b-.c", "a b@c.d", "a@b@c.d", "a@b.c.", "<a>@b.c",
                         "a@b_c.d"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        cr_expect(ok(is_email, good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect(!ok(is_email, bad[i]), "%s", bad[i]);
}

Test(params, uuids)
{
    cr_expect(ok(is_uuid, "123e4567-e89b-12d3-a456-426614174000"));
    cr_expect(ok(is_uuid, "123E4567-E89B-12D3-A456-426614174000"));
    cr_expect(!ok(is_uuid, "123e4567e89b12d3a456426614174000"));
    cr_expect(!ok(is_uuid, "{123e4567-e89b-12d3-a456-426614174000}"));
    cr_expect(!ok(is_uuid, "123e4567-e89b-12d3-a456-42661417400g"));
}

static pstate *state_new(void)
{
    pstate *st = calloc(1, sizeof *st);
    cr_assert_not_null(st);
    st->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(st->mctx, PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(st->mctx, PCRE_DEPTH_LIMIT);
    return st;
}

static pspec pattern_spec(const char *re, size_t max_len)
{
    int code;
    PCRE2_SIZE off;
    pspec sp = {.name = "x", .type = MITSU_PARAM_PATTERN, .max_len = max_len};
    sp.re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    cr_assert_not_null(sp.re);
    pcre2_jit_compile(sp.re, PCRE2_JIT_COMPLETE);
    return sp;
}

Test(params, patterns_match_the_whole_value)
{
    pstate *st = state_new();
    pspec sp = pattern_spec("[A-Z]{3}-[0-9]{4}", 0);
    cr_expect_null(value_problem(st, &sp, "ABC-1234", 8, 0));
    cr_expect_not_null(value_problem(st, &sp, "xABC-1234", 9, 0));
    cr_expect_not_null(value_problem(st, &sp, "ABC-12345", 9, 0));
    cr_expect_not_null(value_problem(st, &sp, "ABC-1234\n", 9, 0));
    cr_expect_null(value_problem(st, &sp, "", 0, 0), "a blank field is not a wrong type");
    pcre2_code_free(sp.re);
    /* Invalid UTF-8 is no match, not an error or a crash. */
    sp = pattern_spec(".*", 0);
    cr_expect_not_null(value_problem(st, &sp, "a\xff", 2, 0));
    cr_expect_null(value_problem(st, &sp, "caf\xc3\xa9", 5, 0));
    pcre2_code_free(sp.re);
    /* A runaway pattern stops at the match limit. */
    sp = pattern_spec("(a+)+b", 0);
    char v[64];
    memset(v, 'a', sizeof v);
    cr_expect_not_null(value_problem(st, &sp, v, sizeof v, 0));
    pcre2_code_free(sp.re);
    params_fini(st);
}

Test(params, length_nul_and_files)
{
    pstate *st = state_new();
    pspec sp = {.name = "q", .type = MITSU_PARAM_STRING, .max_len = 3};
    cr_expect_null(value_problem(st, &sp, "abc", 3, 0));
    cr_expect_str_eq(value_problem(st, &sp, "abcd", 4, 0), "too long");
    cr_expect_str_eq(value_problem(st, &sp, "a\0b", 3, 0), "a NUL byte");
    pspec file = {.name = "f", .type = MITSU_PARAM_UINT, .max_len = 0};
    cr_expect_null(value_problem(st, &file, "\x89PNG\0", 5, 1), "file contents have no type");
    params_fini(st);
}

Test(params, harmless_names)
{
    cr_expect(is_harmless("utm_source"));
    cr_expect(is_harmless("utm_"));
    cr_expect(is_harmless("_"));
    cr_expect(is_harmless("fbclid"));
    cr_expect(!is_harmless("__"));
    cr_expect(!is_harmless("utm"));
    cr_expect(!is_harmless("debug"));
}

Test(params, evidence_is_escaped_and_bounded)
{
    char out[SHOWN * 4 + 8];
    shown("a'\"<\x01\\\xff", 7, out, sizeof out);
    cr_expect_str_eq(out, "a'\"<\\x01\\x5c\\xff");
    char big[500];
    memset(big, 'z', sizeof big);
    shown(big, sizeof big, out, sizeof out);
    cr_expect_eq(strlen(out), SHOWN + 3);
}

/* ---- transition ---------------------------------------------------------------------------- */

static tr_state *graph(void)
{
    config *cfg = config_load(NULL, NULL, stderr);
    cr_assert_not_null(cfg);
    void *p = NULL;
    char err[128];
    cr_assert_eq(tr_init(NULL, cfg, &p, err, sizeof err), 0);
    config_free(cfg);
    tr_state *s = p;
    s->per_shard = 16;
    /* / is an entry; / -> /cart -> /checkout -> /pay -> /done */
    uint16_t home = page_add(s, "/"), cart = page_add(s, "/cart"),
             checkout = page_add(s, "/checkout"), pay = page_add(s, "/pay"),
             done = page_add(s, "/done");
    s->nodes[home].entry = 1;
    pred_add(&s->nodes[cart], home);
    pred_add(&s->nodes[checkout], cart);
    pred_add(&s->nodes[pay], checkout);
    pred_add(&s->nodes[done], pay);
    return s;
}

/* Visits pattern as client c records pages; returns whether it was legal. */
static int go(tr_state *s, tr_client *c, const char *pattern)
{
    uint16_t before[TR_RECENT];
    uint16_t id = page_id(s, pattern);
    cr_assert(id, "%s", pattern);
    return visit(s, c, id, 1, before);
}

Test(transition, rules)
{
    tr_state *s = graph();
    tr_client c = {0};
    cr_expect(!go(s, &c, "/pay"), "no previous page, not an entry");
    cr_expect(go(s, &c, "/pay"), "a refresh");
    cr_expect(go(s, &c, "/done"), "a page reached illegally still leads on: one hit per skip");
    cr_expect(go(s, &c, "/"), "an entry");
    cr_expect(!go(s, &c, "/pay"), "back to a page reached illegally, from elsewhere");
    tr_client d = {0};
    const char *flow[] = {"/", "/cart", "/checkout", "/pay", "/done", "/done", "/checkout",
                          "/cart", "/pay", "/done"};
    for (size_t i = 0; i < sizeof flow / sizeof *flow; i++)
        cr_expect(go(s, &d, flow[i]), "%s", flow[i]);
    tr_fini(s);
}

Test(transition, recent_pages_are_distinct_and_bounded)
{
    tr_state *s = graph();
    tr_client c = {0};
    for (int i = 0; i < 3; i++)
        go(s, &c, "/");
    go(s, &c, "/cart");
    cr_expect_eq(c.pages[0] & TR_ID, page_id(s, "/cart"));
    cr_expect_eq(c.pages[1] & TR_ID, page_id(s, "/"));
    cr_expect_eq(c.pages[2], 0);
    char names[8][16];
    for (int i = 0; i < 8; i++) {
        snprintf(names[i], sizeof names[i], "/p%d", i);
        s->nodes[page_add(s, names[i])].entry = 1;
    }
    for (int i = 0; i < 8; i++)
        go(s, &c, names[i]);
    cr_expect_eq(c.pages[0] & TR_ID, page_id(s, "/p7"));
    cr_expect_eq(c.pages[TR_RECENT - 1] & TR_ID, page_id(s, names[8 - TR_RECENT]));
    tr_fini(s);
}

static void sid_of(uint8_t sid[HP_SID_LEN], unsigned n)
{
    memset(sid, 0, HP_SID_LEN);
    sid[0] = 5; /* one shard */
    memcpy(sid + 8, &n, sizeof n);
}

Test(transition, table_evicts_the_least_recently_seen)
{
    tr_state *s = graph();
    tr_shard *sh = &s->shards[5];
    uint8_t sid[HP_SID_LEN];
    for (unsigned i = 0; i < 16; i++) {
        sid_of(sid, i);
        tr_client *c = client_get(s, sh, sid, T0 + i);
        cr_assert_not_null(c);
        go(s, c, "/");
    }
    sid_of(sid, 0);
    client_get(s, sh, sid, T0 + 100); /* 0 is now the most recent: 1 goes first */
    sid_of(sid, 99);
    client_get(s, sh, sid, T0 + 101);
    cr_expect_eq(sh->n, 16);
    sid_of(sid, 0);
    cr_expect_neq(client_get(s, sh, sid, T0 + 102)->pages[0], 0, "kept");
    sid_of(sid, 1);
    cr_expect_eq(client_get(s, sh, sid, T0 + 103)->pages[0], 0, "evicted, now new");
    /* Churn: every client in the table is found by its id, once. */
    for (unsigned i = 0; i < 1000; i++) {
        sid_of(sid, i * 7919u);
        client_get(s, sh, sid, T0 + 200 + i);
    }
    cr_expect_eq(sh->n, 16);
    size_t chained = 0;
    for (uint32_t b = 0; b < sh->nbuckets; b++)
        for (uint32_t i = sh->bucket[b]; i; i = sh->pool[i - 1].chain)
            chained++;
    cr_expect_eq(chained, 16);
    size_t listed = 0;
    for (uint32_t i = sh->oldest; i; i = sh->pool[i - 1].newer)
        listed++;
    cr_expect_eq(listed, 16);
    tr_fini(s);
}

Test(transition, idle_clients_start_afresh)
{
    tr_state *s = graph();
    uint8_t sid[HP_SID_LEN];
    sid_of(sid, 1);
    tr_client *c = client_get(s, &s->shards[5], sid, T0);
    go(s, c, "/");
    cr_expect_neq(client_get(s, &s->shards[5], sid, T0 + s->ttl_ms)->pages[0], 0);
    cr_expect_eq(client_get(s, &s->shards[5], sid, T0 + 2 * s->ttl_ms + 1)->pages[0], 0);
    tr_fini(s);
}
