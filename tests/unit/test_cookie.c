/* The cookie module's specification as Criterion tests: Cookie header parsing (RFC 6265 §4.2 and
 * our named leniencies) and Set-Cookie building, including every refusal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/cookie.h"

static arena A;

static void setup(void)
{
    arena_init(&A, 1024);
}

static void teardown(void)
{
    arena_free(&A);
}

TestSuite(cookie, .init = setup, .fini = teardown);

/* Parses from an exact-size heap copy, so ASan sees any read past the header's end. */
static cookie_jar parse(const char *h)
{
    size_t n = strlen(h);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, h, n);
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, copy, n, &jar), 0);
    free(copy);
    return jar;
}

static void expect_pair(const cookie_jar *jar, size_t i, const char *name, const char *value)
{
    cr_assert_lt(i, jar->count, "pair %zu missing (count %zu)", i, jar->count);
    cr_assert_str_eq(jar->pairs[i].name, name);
    cr_assert_str_eq(jar->pairs[i].value, value);
    cr_assert_eq(jar->pairs[i].name_len, strlen(name));
    cr_assert_eq(jar->pairs[i].value_len, strlen(value));
}

/* ---- Parsing ---------------------------------------------------------------------------- */

Test(cookie, parse_empty_header_gives_no_pairs)
{
    cookie_jar jar = parse("");
    cr_assert_eq(jar.count, 0);
    cr_assert_eq(jar.malformed, 0);
    cr_assert_null(cookie_get(&jar, "a"));
}

Test(cookie, parse_only_separators_and_spaces_gives_no_pairs_and_no_malformed)
{
    cookie_jar jar = parse(" ; ;\t;;  ");
    cr_assert_eq(jar.count, 0);
    cr_assert_eq(jar.malformed, 0);
}

Test(cookie, parse_reads_pairs_in_order)
{
    cookie_jar jar = parse("a=1; b=2; c=3");
    cr_assert_eq(jar.count, 3);
    expect_pair(&jar, 0, "a", "1");
    expect_pair(&jar, 1, "b", "2");
    expect_pair(&jar, 2, "c", "3");
}

Test(cookie, parse_tolerates_missing_and_extra_spaces)
{
    cookie_jar jar = parse("  a=1;b=2 ;   c = 3\t;\td=4  ");
    cr_assert_eq(jar.count, 4);
    expect_pair(&jar, 0, "a", "1");
    expect_pair(&jar, 1, "b", "2");
    expect_pair(&jar, 2, "c", "3");
    expect_pair(&jar, 3, "d", "4");
    cr_assert_eq(jar.malformed, 0);
}

Test(cookie, parse_removes_surrounding_quotes)
{
    cookie_jar jar = parse("a=\"quoted\"; b=\"\"; c=\"");
    expect_pair(&jar, 0, "a", "quoted");
    expect_pair(&jar, 1, "b", "");
    /* A lone DQUOTE is not a quoted value, and DQUOTE is no cookie-octet. */
    cr_assert_eq(jar.count, 2);
    cr_assert_eq(jar.malformed, 1);
}

Test(cookie, parse_refuses_quote_inside_value)
{
    cookie_jar jar = parse("a=x\"y; b=\"x\"y\"; c=ok");
    cr_assert_eq(jar.count, 1);
    expect_pair(&jar, 0, "c", "ok");
    cr_assert_eq(jar.malformed, 2);
}

Test(cookie, parse_keeps_equals_signs_in_value)
{
    cookie_jar jar = parse("tok=a=b==; b64=YWJj==");
    expect_pair(&jar, 0, "tok", "a=b==");
    expect_pair(&jar, 1, "b64", "YWJj==");
}

Test(cookie, parse_accepts_empty_value)
{
    cookie_jar jar = parse("a=; b=2");
    expect_pair(&jar, 0, "a", "");
    expect_pair(&jar, 1, "b", "2");
}

Test(cookie, parse_skips_malformed_pairs_and_keeps_the_rest)
{
    cookie_jar jar = parse("a=1; novalue; =nameless; b@d=x; sp ace=y; b=2");
    cr_assert_eq(jar.count, 2);
    expect_pair(&jar, 0, "a", "1");
    expect_pair(&jar, 1, "b", "2");
    cr_assert_eq(jar.malformed, 4);
}

Test(cookie, parse_refuses_control_bytes_and_backslash_in_value)
{
    cookie_jar jar = parse("a=x\x01y; b=x\\y; c=x\x7fy; d=ok");
    cr_assert_eq(jar.count, 1);
    expect_pair(&jar, 0, "d", "ok");
    cr_assert_eq(jar.malformed, 3);
}

Test(cookie, parse_refuses_embedded_nul_in_value)
{
    static const char h[] = "a=x\0y; b=2";
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, h, sizeof h - 1, &jar), 0);
    cr_assert_eq(jar.count, 1);
    expect_pair(&jar, 0, "b", "2");
    cr_assert_eq(jar.malformed, 1);
}

Test(cookie, parse_accepts_space_and_comma_inside_value_as_browsers_send)
{
    cookie_jar jar = parse("a=x y,z; b=2");
    expect_pair(&jar, 0, "a", "x y,z");
    expect_pair(&jar, 1, "b", "2");
}

Test(cookie, parse_keeps_non_ascii_bytes_in_values_verbatim)
{
    cookie_jar jar = parse("name=caf\xc3\xa9; emoji=\xf0\x9f\x8d\xaf");
    expect_pair(&jar, 0, "name", "caf\xc3\xa9");
    expect_pair(&jar, 1, "emoji", "\xf0\x9f\x8d\xaf");
}

Test(cookie, parse_refuses_non_ascii_names)
{
    cookie_jar jar = parse("caf\xc3\xa9=1; ok=2");
    cr_assert_eq(jar.count, 1);
    expect_pair(&jar, 0, "ok", "2");
    cr_assert_eq(jar.malformed, 1);
}

Test(cookie, parse_names_are_case_sensitive)
{
    cookie_jar jar = parse("SID=upper; sid=lower");
    cr_assert_str_eq(cookie_get(&jar, "SID")->value, "upper");
    cr_assert_str_eq(cookie_get(&jar, "sid")->value, "lower");
    cr_assert_null(cookie_get(&jar, "Sid"));
}

Test(cookie, get_returns_first_of_duplicate_names_and_next_iterates_all)
{
    cookie_jar jar = parse("id=first; x=0; id=second; id=third");
    cr_assert_str_eq(cookie_get(&jar, "id")->value, "first");
    const char *want[] = {"first", "second", "third"};
    size_t n = 0;
    for (const cookie_pair *p = NULL; (p = cookie_next(&jar, "id", p));)
        cr_assert_str_eq(p->value, want[n++]);
    cr_assert_eq(n, 3);
    cr_assert_eq(jar.count, 4);
}

Test(cookie, get_on_empty_or_null_jar_is_null)
{
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_null(cookie_get(&jar, "a"));
    cr_assert_null(cookie_get(NULL, "a"));
}

Test(cookie, parse_appends_the_pairs_of_further_cookie_headers)
{
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, "a=1; b=2", 8, &jar), 0);
    cr_assert_eq(cookie_parse(&A, "bad; c=3", 8, &jar), 0);
    cr_assert_eq(jar.count, 3);
    expect_pair(&jar, 0, "a", "1");
    expect_pair(&jar, 2, "c", "3");
    cr_assert_eq(jar.malformed, 1);
}

Test(cookie, parse_respects_the_given_length_not_the_nul)
{
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, "a=1; b=2", 3, &jar), 0);
    cr_assert_eq(jar.count, 1);
    expect_pair(&jar, 0, "a", "1");
}

Test(cookie, parse_handles_very_long_headers)
{
    /* 5000 pairs and one 100 KB value: everything kept, nothing overflows. */
    size_t cap = 5000 * 16 + 100050;
    char *h = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < 5000; i++)
        n += (size_t)snprintf(h + n, cap - n, "k%d=v%d; ", i, i);
    n += (size_t)snprintf(h + n, cap - n, "big=");
    memset(h + n, 'x', 100000);
    n += 100000;
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, h, n, &jar), 0);
    free(h);
    cr_assert_eq(jar.count, 5001);
    expect_pair(&jar, 4999, "k4999", "v4999");
    cr_assert_eq(cookie_get(&jar, "big")->value_len, 100000);
}

Test(cookie, parse_handles_a_header_of_only_semicolons)
{
    size_t n = 65536;
    char *h = malloc(n);
    memset(h, ';', n);
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, h, n, &jar), 0);
    free(h);
    cr_assert_eq(jar.count, 0);
}

/* ---- Set-Cookie -------------------------------------------------------------------------- */

static const char *fmt(const char *name, const char *value, const cookie_attrs *at)
{
    const char *out = NULL;
    cr_assert_eq(cookie_format(&A, &out, name, value, at), 0, "refused %s=%s", name, value);
    return out;
}

static void refused(const char *name, const char *value, const cookie_attrs *at)
{
    const char *out = "untouched";
    size_t used = A.used_total;
    cr_assert_eq(cookie_format(&A, &out, name, value, at), -1, "accepted %s=%s", name, value);
    cr_assert_str_eq(out, "untouched");
    cr_assert_eq(A.used_total, used, "allocated on refusal");
}

Test(cookie, format_plain_pair_without_attributes)
{
    cr_assert_str_eq(fmt("sid", "abc", NULL), "sid=abc");
    cookie_attrs none = {0};
    cr_assert_str_eq(fmt("sid", "", &none), "sid=");
}

Test(cookie, format_expires_is_imf_fixdate)
{
    cookie_attrs at = {.has_expires = 1, .expires = 784111777};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT");
}

Test(cookie, imf_fixdate_known_dates_and_range)
{
    char d[30];
    cr_assert_eq(cookie_imf_fixdate(0, d), 0);
    cr_assert_str_eq(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    cr_assert_eq(cookie_imf_fixdate(951782400, d), 0); /* leap day */
    cr_assert_str_eq(d, "Tue, 29 Feb 2000 00:00:00 GMT");
    cr_assert_eq(cookie_imf_fixdate(4102444799, d), 0);
    cr_assert_str_eq(d, "Thu, 31 Dec 2099 23:59:59 GMT");
    cr_assert_eq(cookie_imf_fixdate(253402300799, d), 0);
    cr_assert_str_eq(d, "Fri, 31 Dec 9999 23:59:59 GMT");
    cr_assert_eq(cookie_imf_fixdate(253402300800, d), -1);
    cr_assert_eq(cookie_imf_fixdate(-1, d), -1);
}

Test(cookie, imf_fixdate_agrees_with_gmtime)
{
    char d[30], want[64];
    for (int64_t t = 0; t < 253402300799; t += 1000003 + t / 64) {
        time_t tt = (time_t)t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm); /* C locale */
        cr_assert_eq(cookie_imf_fixdate(t, d), 0);
        cr_assert_str_eq(d, want, "at %lld", (long long)t);
    }
}

Test(cookie, format_max_age)
{
    cookie_attrs at = {.has_max_age = 1, .max_age = 3600};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Max-Age=3600");
    at.max_age = 0;
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Max-Age=0");
}

Test(cookie, format_domain_and_path)
{
    cookie_attrs at = {.domain = "example.com", .path = "/app"};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Domain=example.com; Path=/app");
    at.domain = ".sub-1.example.com";
    at.path = "/";
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Domain=.sub-1.example.com; Path=/");
}

Test(cookie, format_secure_and_httponly)
{
    cookie_attrs at = {.secure = 1};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Secure");
    at = (cookie_attrs){.http_only = 1};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; HttpOnly");
}

Test(cookie, format_samesite_strict_and_lax)
{
    cookie_attrs at = {.same_site = COOKIE_SAMESITE_STRICT};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; SameSite=Strict");
    at.same_site = COOKIE_SAMESITE_LAX;
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; SameSite=Lax");
}

Test(cookie, format_samesite_none_forces_secure)
{
    cookie_attrs at = {.same_site = COOKIE_SAMESITE_NONE};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Secure; SameSite=None");
}

Test(cookie, format_partitioned_forces_secure)
{
    cookie_attrs at = {.partitioned = 1};
    cr_assert_str_eq(fmt("a", "1", &at), "a=1; Secure; Partitioned");
}

Test(cookie, format_every_attribute_in_order)
{
    cookie_attrs at = {.has_expires = 1, .expires = 0, .has_max_age = 1, .max_age = 60,
                       .domain = "example.org", .path = "/x", .secure = 1, .http_only = 1,
                       .same_site = COOKIE_SAMESITE_LAX, .partitioned = 1};
    cr_assert_str_eq(fmt("n", "v", &at),
                     "n=v; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; "
                     "Domain=example.org; Path=/x; Secure; HttpOnly; SameSite=Lax; Partitioned");
}

Test(cookie, format_accepts_every_cookie_octet_in_value)
{
    char v[128];
    size_t n = 0;
    for (int c = 0x21; c <= 0x7E; c++)
        if (c != '"' && c != ',' && c != ';' && c != '\\')
            v[n++] = (char)c;
    v[n] = '\0';
    const char *out = fmt("a", v, NULL);
    cr_assert_eq(strlen(out), n + 2);
}

Test(cookie, format_refuses_cr_lf_semicolon_and_other_non_octets_in_value)
{
    const char *bad[] = {"a\rb", "a\nb", "a\r\nSet-Cookie: x=y", "a;b", "a b", "a,b", "a\"b",
                         "a\\b", "a\tb", "a\x7f", "caf\xc3\xa9", "\"quoted\"", "a\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        refused("a", bad[i], NULL);
}

Test(cookie, format_refuses_names_that_are_not_tokens)
{
    const char *bad[] = {"", "a b", "a=b", "a;b", "a\r\n", "(a)", "a/b", "a\"", "a,b", "caf\xc3\xa9",
                         "a\x7f", "a:b", "[a]", "a?b", "{a}", "a@b"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        refused(bad[i], "1", NULL);
    refused(NULL, "1", NULL);
    refused("a", NULL, NULL);
    cr_assert_str_eq(fmt("!#$%&'*+-.^_`|~09azAZ", "1", NULL), "!#$%&'*+-.^_`|~09azAZ=1");
}

Test(cookie, format_refuses_bad_attributes)
{
    cookie_attrs at;
    at = (cookie_attrs){.domain = "exa mple.com"};
    refused("a", "1", &at);
    at = (cookie_attrs){.domain = "example.com;secure"};
    refused("a", "1", &at);
    at = (cookie_attrs){.domain = ""};
    refused("a", "1", &at);
    at = (cookie_attrs){.domain = "a..b"};
    refused("a", "1", &at);
    at = (cookie_attrs){.domain = "-a.b"};
    refused("a", "1", &at);
    at = (cookie_attrs){.domain = "a.b."};
    refused("a", "1", &at);
    at = (cookie_attrs){.path = "relative"};
    refused("a", "1", &at);
    at = (cookie_attrs){.path = "/a;b"};
    refused("a", "1", &at);
    at = (cookie_attrs){.path = "/a\r\nX: y"};
    refused("a", "1", &at);
    at = (cookie_attrs){.has_max_age = 1, .max_age = -1};
    refused("a", "1", &at);
    at = (cookie_attrs){.has_expires = 1, .expires = -1};
    refused("a", "1", &at);
    at = (cookie_attrs){.has_expires = 1, .expires = 253402300800};
    refused("a", "1", &at);
    at = (cookie_attrs){.same_site = COOKIE_SAMESITE__MAX};
    refused("a", "1", &at);
}

Test(cookie, format_refuses_oversized_cookie_and_attributes)
{
    char *v = malloc(COOKIE_MAX_NAME_VALUE + 2);
    memset(v, 'x', COOKIE_MAX_NAME_VALUE + 1);
    v[COOKIE_MAX_NAME_VALUE - 1] = '\0'; /* "a" + 4095 bytes: exactly the limit */
    fmt("a", v, NULL);
    v[COOKIE_MAX_NAME_VALUE - 1] = 'x';
    v[COOKIE_MAX_NAME_VALUE] = '\0';
    refused("a", v, NULL);
    free(v);
    char path[COOKIE_MAX_ATTR_VALUE + 2];
    memset(path, 'p', sizeof path);
    path[0] = '/';
    path[COOKIE_MAX_ATTR_VALUE + 1] = '\0';
    cookie_attrs at = {.path = path};
    refused("a", "1", &at);
}

Test(cookie, format_secure_prefix_forces_secure)
{
    cr_assert_str_eq(fmt("__Secure-id", "1", NULL), "__Secure-id=1; Secure");
}

Test(cookie, format_host_prefix_forces_secure_and_root_path_and_refuses_domain)
{
    cr_assert_str_eq(fmt("__Host-id", "1", NULL), "__Host-id=1; Path=/; Secure");
    cookie_attrs at = {.domain = "example.com"};
    refused("__Host-id", "1", &at);
    at = (cookie_attrs){.path = "/app"};
    refused("__host-id", "1", &at);
}

Test(cookie, delete_emits_max_age_zero_and_past_expires)
{
    const char *out = NULL;
    cr_assert_eq(cookie_format_delete(&A, &out, "sid", NULL), 0);
    cr_assert_str_eq(out, "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0");
}

Test(cookie, delete_keeps_domain_and_path_and_ignores_expiry_fields)
{
    cookie_attrs at = {.domain = "example.com", .path = "/a", .has_max_age = 1, .max_age = 99,
                       .has_expires = 1, .expires = 99999, .http_only = 1};
    const char *out = NULL;
    cr_assert_eq(cookie_format_delete(&A, &out, "sid", &at), 0);
    cr_assert_str_eq(out, "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "
                          "Domain=example.com; Path=/a; HttpOnly");
}

Test(cookie, delete_refuses_bad_name)
{
    const char *out = "untouched";
    cr_assert_eq(cookie_format_delete(&A, &out, "a;b", NULL), -1);
    cr_assert_str_eq(out, "untouched");
}

Test(cookie, formatted_cookie_parses_back)
{
    cookie_attrs at = {.path = "/", .http_only = 1};
    const char *out = fmt("sid", "v-1.2_3", &at);
    const char *semi = strchr(out, ';');
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, out, (size_t)(semi - out), &jar), 0);
    cr_assert_str_eq(cookie_get(&jar, "sid")->value, "v-1.2_3");
}

Test(cookie, the_parsers_byte_table_agrees_with_the_rfc_classes)
{
    cr_assert_eq(cookie_class_check(), -1, "first byte that differs: %d", cookie_class_check());
}

/* A thread remembers the last header it parsed: the same header again gives the same pairs (and
 * malformed count) in memory of its own; a header a byte away is parsed for itself. */
Test(cookie, parse_of_the_same_header_again_gives_the_same_pairs_in_fresh_memory)
{
    const char *h = "sid=0123456789abcdef0123456789abcdef; bad\"=x; theme=\"dark\"; e=";
    cookie_jar first = parse(h), again = parse(h);
    cr_assert_eq(again.count, 3);
    cr_assert_eq(again.malformed, first.malformed);
    cr_assert_eq(again.malformed, 1);
    for (size_t i = 0; i < first.count; i++) {
        expect_pair(&again, i, first.pairs[i].name, first.pairs[i].value);
        cr_assert_eq(again.pairs[i].value_len, first.pairs[i].value_len);
        cr_assert_neq(again.pairs[i].value, first.pairs[i].value, "a copy of its own");
        cr_assert_eq(again.pairs[i].value[again.pairs[i].value_len], '\0');
    }
    cookie_jar other = parse("sid=0123456789abcdef0123456789abcdeX; bad\"=x; theme=\"dark\"; e=");
    expect_pair(&other, 0, "sid", "0123456789abcdef0123456789abcdeX");
    cookie_jar none = parse("junk; more junk");
    cr_assert_eq(none.count, 0);
    cr_assert_eq(parse("junk; more junk").malformed, 2, "the malformed count, remembered too");
}

Test(cookie, parse_of_a_second_header_appends_even_when_remembered)
{
    cookie_jar jar = parse("a=1");
    cr_assert_eq(cookie_parse(&A, "a=1", 3, &jar), 0);
    cr_assert_eq(jar.count, 2);
    expect_pair(&jar, 1, "a", "1");
}
