/* The signing module's specification as Criterion tests: HMAC against RFC 4231, the signed-value
 * format, tamper detection distinct from absence, key rotation, ages, sessions and random ids. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/session.h"
#include "web/sign.h"

static arena A;
static sign_ring *ring;

static const char key_old[] = "old-key-0123456789abcdef0123456789abcdef";
static const char key_new[] = "new-key-fedcba9876543210fedcba9876543210";

static sign_ring *ring_of(const char *k1, const char *k2)
{
    sign_key keys[2] = {{k1, strlen(k1)}, {k2, k2 ? strlen(k2) : 0}};
    sign_ring *r = sign_ring_new(keys, k2 ? 2 : 1);
    cr_assert_not_null(r);
    return r;
}

static void setup(void)
{
    arena_init(&A, 1024);
    ring = ring_of(key_old, NULL);
}

static void teardown(void)
{
    sign_ring_free(ring);
    arena_free(&A);
}

TestSuite(sign, .init = setup, .fini = teardown);

#define T0 1700000000LL

static const char *sign_at(const sign_ring *r, const char *purpose, const char *v, int64_t now)
{
    const char *out = NULL;
    cr_assert_eq(sign_value(r, &A, purpose, v, strlen(v), now, &out), 0);
    return out;
}

/* Verifies from an exact-size heap copy, so ASan sees any read past the end. */
static enum sign_status verify(const sign_ring *r, const char *purpose, const char *s, size_t n,
                               int64_t now, int64_t max_age, sign_result *res)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, s, n);
    sign_result local;
    enum sign_status st = sign_verify(r, &A, purpose, copy, n, now, max_age, res ? res : &local);
    free(copy);
    return st;
}

static enum sign_status check(const char *s)
{
    return verify(ring, "p", s, strlen(s), T0, 0, NULL);
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* ---- HMAC --------------------------------------------------------------------------------- */

Test(sign, hmac_matches_rfc4231_test_case_1)
{
    unsigned char key[20], mac[SIGN_MAC_LEN];
    char h[2 * SIGN_MAC_LEN + 1];
    memset(key, 0x0b, sizeof key);
    cr_assert_eq(sign_hmac_sha256(key, sizeof key, "Hi There", 8, mac), 0);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

Test(sign, hmac_matches_rfc4231_test_case_2)
{
    unsigned char mac[SIGN_MAC_LEN];
    char h[2 * SIGN_MAC_LEN + 1];
    const char *msg = "what do ya want for nothing?";
    cr_assert_eq(sign_hmac_sha256("Jefe", 4, msg, strlen(msg), mac), 0);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Test(sign, hmac_matches_rfc4231_test_case_6_with_a_key_longer_than_a_block)
{
    unsigned char key[131], mac[SIGN_MAC_LEN];
    char h[2 * SIGN_MAC_LEN + 1];
    memset(key, 0xaa, sizeof key);
    const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    cr_assert_eq(sign_hmac_sha256(key, sizeof key, msg, strlen(msg), mac), 0);
    hex(mac, sizeof mac, h);
    cr_assert_str_eq(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(sign, signature_is_hmac_of_purpose_nul_and_fields_under_the_first_key)
{
    const char *s = sign_at(ring, "p", "hi", T0);
    const char *dot = strrchr(s, '.');
    char msg[64];
    size_t n = (size_t)snprintf(msg, sizeof msg, "p%c%.*s", 0, (int)(dot - s), s);
    unsigned char mac[SIGN_MAC_LEN];
    cr_assert_eq(sign_hmac_sha256(key_old, strlen(key_old), msg, n, mac), 0);
    cr_assert_str_eq(dot + 1, sign_b64url_encode(&A, mac, sizeof mac));
}

/* ---- Key ring ---------------------------------------------------------------------------- */

Test(sign, ring_refuses_keys_shorter_than_32_bytes)
{
    char k[SIGN_MIN_KEY];
    memset(k, 'k', sizeof k);
    sign_key keys[2] = {{k, sizeof k}, {k, sizeof k - 1}};
    cr_assert_null(sign_ring_new(keys + 1, 1));
    cr_assert_null(sign_ring_new(keys, 2), "one short key refuses the whole ring");
    sign_ring *r = sign_ring_new(keys, 1);
    cr_assert_not_null(r);
    sign_ring_free(r);
}

Test(sign, ring_refuses_no_keys_null_keys_and_too_many)
{
    char k[SIGN_MIN_KEY] = {0};
    sign_key keys[SIGN_MAX_KEYS + 1];
    for (size_t i = 0; i <= SIGN_MAX_KEYS; i++)
        keys[i] = (sign_key){k, sizeof k};
    cr_assert_null(sign_ring_new(keys, 0));
    cr_assert_null(sign_ring_new(NULL, 1));
    cr_assert_null(sign_ring_new(keys, SIGN_MAX_KEYS + 1));
    sign_key null_key = {NULL, 40};
    cr_assert_null(sign_ring_new(&null_key, 1));
    sign_ring *r = sign_ring_new(keys, SIGN_MAX_KEYS);
    cr_assert_not_null(r);
    sign_ring_free(r);
    sign_ring_free(NULL);
}

/* ---- Signed values ----------------------------------------------------------------------- */

Test(sign, round_trip_gives_back_the_value_time_and_key)
{
    const char *s = sign_at(ring, "p", "user=42", T0);
    sign_result res;
    cr_assert_eq(verify(ring, "p", s, strlen(s), T0 + 10, 3600, &res), SIGN_VALID);
    cr_assert_str_eq(res.value, "user=42");
    cr_assert_eq(res.len, 7);
    cr_assert_eq(res.signed_at, T0);
    cr_assert_eq(res.key_index, 0);
    cr_assert_null(res.reason);
}

Test(sign, format_is_b64url_value_dot_decimal_time_dot_43_char_mac)
{
    const char *s = sign_at(ring, "p", "42", T0);
    cr_assert_eq(strncmp(s, "NDI.1700000000.", 15), 0, "%s", s);
    cr_assert_eq(strlen(s), 15 + 43);
    for (const char *c = s; *c; c++)
        cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", *c));
}

Test(sign, round_trip_of_empty_and_binary_values)
{
    const char *s = sign_at(ring, NULL, "", T0);
    sign_result res;
    cr_assert_eq(verify(ring, NULL, s, strlen(s), T0, 0, &res), SIGN_VALID);
    cr_assert_eq(res.len, 0);
    cr_assert_str_eq(res.value, "");

    unsigned char bin[256];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    const char *out;
    for (size_t n = 0; n <= sizeof bin; n += 1 + n / 8) {
        cr_assert_eq(sign_value(ring, &A, "bin", bin, n, T0, &out), 0);
        cr_assert_eq(verify(ring, "bin", out, strlen(out), T0, 0, &res), SIGN_VALID);
        cr_assert_eq(res.len, n);
        cr_assert_eq(memcmp(res.value, bin, n), 0);
    }
}

Test(sign, absent_value_is_absent_not_tampered)
{
    sign_result res;
    cr_assert_eq(sign_verify(ring, &A, "p", NULL, 0, T0, 0, &res), SIGN_ABSENT);
    cr_assert_eq(verify(ring, "p", "", 0, T0, 0, &res), SIGN_ABSENT);
    cr_assert_null(res.value);
}

Test(sign, value_without_a_dot_is_unsigned_not_tampered)
{
    sign_result res;
    cr_assert_eq(verify(ring, "p", "plain-value", 11, T0, 0, &res), SIGN_UNSIGNED);
    cr_assert_null(res.value);
    cr_assert_str_eq(sign_status_names[res.status], "unsigned");
}

/* Replaces byte i of a signed value with c, and expects tampering to be seen. */
static void expect_mutation_tampered(const char *s, size_t i, char c)
{
    char *m = strdup(s);
    m[i] = c;
    sign_result res;
    enum sign_status st = verify(ring, "p", m, strlen(m), T0, 0, &res);
    cr_assert_eq(st, SIGN_TAMPERED, "byte %zu -> '%c' of %s gave %s", i, c, s,
                 sign_status_names[st]);
    cr_assert_null(res.value);
    cr_assert_not_null(res.reason);
    free(m);
}

Test(sign, tampered_value_field_is_tampered)
{
    const char *s = sign_at(ring, "p", "role=user", T0);
    const char *v2 = sign_at(ring, "p", "role=admin", T0);
    /* The value of another signed string, with this one's time and MAC. */
    char *swap = arena_printf(&A, "%.*s%s", (int)(strchr(v2, '.') - v2), v2, strchr(s, '.'));
    cr_assert_eq(check(swap), SIGN_TAMPERED);
    expect_mutation_tampered(s, 0, s[0] == 'A' ? 'B' : 'A');
}

Test(sign, tampered_timestamp_is_tampered)
{
    const char *s = sign_at(ring, "p", "v", T0);
    size_t t = (size_t)(strchr(s, '.') - s) + 1;
    expect_mutation_tampered(s, t + 9, '9'); /* 1700000000 -> 1700000009 */
    /* Same number, other spelling: leading zero. */
    const char *dot2 = strrchr(s, '.');
    char *zero = arena_printf(&A, "%.*s0%s", (int)t, s, s + t);
    cr_assert_eq(check(zero), SIGN_TAMPERED);
    char *plus = arena_printf(&A, "%.*s+%s", (int)t, s, s + t);
    cr_assert_eq(check(plus), SIGN_TAMPERED);
    char *none = arena_printf(&A, "%.*s%s", (int)t, s, dot2);
    cr_assert_eq(check(none), SIGN_TAMPERED);
}

Test(sign, tampered_signature_is_tampered)
{
    const char *s = sign_at(ring, "p", "v", T0);
    size_t sig = (size_t)(strrchr(s, '.') - s) + 1;
    expect_mutation_tampered(s, sig, s[sig] == 'x' ? 'y' : 'x');
    expect_mutation_tampered(s, strlen(s) - 1, s[strlen(s) - 1] == 'A' ? 'E' : 'A');
}

Test(sign, every_single_byte_change_is_tampered)
{
    const char *s = sign_at(ring, "p", "some value!", T0);
    static const char alphabet[] = "Aa0-_.+/= \x80";
    for (size_t i = 0; s[i]; i++)
        for (const char *c = alphabet; *c; c++)
            if (*c != s[i])
                expect_mutation_tampered(s, i, *c);
}

Test(sign, truncated_values_are_tampered_until_no_dot_is_left)
{
    const char *s = sign_at(ring, "p", "value", T0);
    size_t n = strlen(s), first_dot = (size_t)(strchr(s, '.') - s);
    for (size_t k = 1; k < n; k++) {
        enum sign_status st = verify(ring, "p", s, k, T0, 0, NULL);
        cr_assert_eq(st, k <= first_dot ? SIGN_UNSIGNED : SIGN_TAMPERED, "prefix %zu: %s", k,
                     sign_status_names[st]);
    }
    /* Dropping any single byte. */
    for (size_t i = 0; i < n; i++) {
        char *m = arena_printf(&A, "%.*s%s", (int)i, s, s + i + 1);
        cr_assert_eq(check(m), SIGN_TAMPERED, "without byte %zu", i);
    }
}

Test(sign, garbage_and_wrong_length_signatures_are_tampered)
{
    const char *bad[] = {
        ".", "..", "a.b", "a.b.c", "NDI.1700000000.", "NDI.1700000000.!!!",
        "NDI.1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "NDI.1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "NDI.1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "NDI.1700000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "NDI.99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "NDI.-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "N D.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "a.b.c.d.e", "NDI.1700000000.%00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(check(bad[i]), SIGN_TAMPERED, "%s", bad[i]);
}

Test(sign, value_signed_for_another_purpose_is_tampered)
{
    const char *s = sign_at(ring, "session:sid", "v", T0);
    cr_assert_eq(verify(ring, "form:csrf", s, strlen(s), T0, 0, NULL), SIGN_TAMPERED);
    cr_assert_eq(verify(ring, "session:sid", s, strlen(s), T0, 0, NULL), SIGN_VALID);
}

Test(sign, value_signed_by_a_foreign_key_is_tampered)
{
    sign_ring *other = ring_of(key_new, NULL);
    const char *s = sign_at(other, "p", "v", T0);
    cr_assert_eq(check(s), SIGN_TAMPERED);
    sign_ring_free(other);
}

Test(sign, rotation_new_key_signs_and_old_key_still_verifies)
{
    const char *old_signed = sign_at(ring, "p", "v", T0);
    sign_ring *rotated = ring_of(key_new, key_old);
    sign_result res;
    cr_assert_eq(verify(rotated, "p", old_signed, strlen(old_signed), T0, 0, &res), SIGN_VALID);
    cr_assert_eq(res.key_index, 1, "an old-key value asks to be re-signed");

    const char *new_signed = sign_at(rotated, "p", "v", T0);
    cr_assert_eq(verify(rotated, "p", new_signed, strlen(new_signed), T0, 0, &res), SIGN_VALID);
    cr_assert_eq(res.key_index, 0);
    cr_assert_eq(check(new_signed), SIGN_TAMPERED, "the old ring does not know the new key");

    sign_ring *retired = ring_of(key_new, NULL);
    cr_assert_eq(verify(retired, "p", old_signed, strlen(old_signed), T0, 0, NULL), SIGN_TAMPERED,
                 "once the old key is dropped its values no longer verify");
    sign_ring_free(retired);
    sign_ring_free(rotated);
}

Test(sign, max_age_expires_old_values)
{
    const char *s = sign_at(ring, "p", "v", T0);
    size_t n = strlen(s);
    sign_result res;
    cr_assert_eq(verify(ring, "p", s, n, T0 + 60, 60, &res), SIGN_VALID);
    cr_assert_eq(verify(ring, "p", s, n, T0 + 61, 60, &res), SIGN_EXPIRED);
    cr_assert_eq(res.signed_at, T0);
    cr_assert_null(res.value, "an expired value is not handed out");
    cr_assert_eq(verify(ring, "p", s, n, T0 + 100000000, 0, NULL), SIGN_VALID, "0: no limit");
}

Test(sign, values_dated_beyond_the_clock_skew_are_expired)
{
    const char *s = sign_at(ring, "p", "v", T0);
    size_t n = strlen(s);
    cr_assert_eq(verify(ring, "p", s, n, T0 - SIGN_CLOCK_SKEW, 60, NULL), SIGN_VALID);
    cr_assert_eq(verify(ring, "p", s, n, T0 - SIGN_CLOCK_SKEW - 1, 60, NULL), SIGN_EXPIRED);
}

Test(sign, sign_refuses_bad_arguments)
{
    const char *out = "untouched";
    cr_assert_eq(sign_value(NULL, &A, "p", "v", 1, T0, &out), -1);
    cr_assert_eq(sign_value(ring, &A, "p", "v", 1, -1, &out), -1);
    cr_assert_eq(sign_value(ring, &A, "p", NULL, 1, T0, &out), -1);
    cr_assert_str_eq(out, "untouched");
}

Test(sign, signed_value_is_a_valid_cookie_value)
{
    const char *s = sign_at(ring, "p", "any \"bytes\"; \r\n here", T0);
    const char *out;
    cr_assert_eq(cookie_format(&A, &out, "sid", s, NULL), 0);
}

/* ---- base64url ---------------------------------------------------------------------------- */

Test(sign, b64url_matches_rfc4648_vectors_without_padding)
{
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff"};
    const char *want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy", "-_8"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        cr_assert_str_eq(sign_b64url_encode(&A, in[i], strlen(in[i])), want[i]);
        size_t n;
        unsigned char *d = sign_b64url_decode(&A, want[i], strlen(want[i]), &n);
        cr_assert_not_null(d);
        cr_assert_eq(n, strlen(in[i]));
        cr_assert_eq(memcmp(d, in[i], n), 0);
    }
}

Test(sign, b64url_decode_is_strict)
{
    const char *bad[] = {"Zg==", "Z", "Zm9vY", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm 9v", "Zm9\n"};
    /* "Zh" and "Zm9" have non-zero unused bits: second spellings of "f" and "fo". */
    const char *ok[] = {"Zg", "Zg", "Zm9v", "Zg", "Zm8", "Zm-v", "Zm_v", "Zm9v", "Zm8"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n;
        cr_assert_null(sign_b64url_decode(&A, bad[i], strlen(bad[i]), &n), "%s", bad[i]);
        cr_assert_not_null(sign_b64url_decode(&A, ok[i], strlen(ok[i]), &n), "%s", ok[i]);
    }
}

/* ---- Random ids --------------------------------------------------------------------------- */

Test(sign, random_hex_is_32_lowercase_hex_digits)
{
    char id[33];
    memset(id, 'Z', sizeof id);
    cr_assert_eq(sign_random_hex(id), 0);
    cr_assert_eq(strlen(id), 32);
    for (int i = 0; i < 32; i++)
        cr_assert(strchr("0123456789abcdef", id[i]), "%s", id);
}

static int cmp_id(const void *a, const void *b)
{
    return memcmp(a, b, 33);
}

Test(sign, random_hex_ids_are_unique_and_use_every_digit)
{
    enum { N = 10000 };
    char(*ids)[33] = malloc(N * sizeof *ids);
    unsigned seen[16] = {0};
    for (int i = 0; i < N; i++) {
        cr_assert_eq(sign_random_hex(ids[i]), 0);
        for (int j = 0; j < 32; j++)
            seen[ids[i][j] <= '9' ? ids[i][j] - '0' : ids[i][j] - 'a' + 10]++;
    }
    qsort(ids, N, sizeof *ids, cmp_id);
    for (int i = 1; i < N; i++)
        cr_assert_neq(memcmp(ids[i - 1], ids[i], 33), 0, "duplicate id %s", ids[i]);
    /* 320000 digits, 20000 expected per value: a stuck nibble would stand out. */
    for (int d = 0; d < 16; d++)
        cr_assert(seen[d] > 18000 && seen[d] < 22000, "digit %x seen %u times", d, seen[d]);
    free(ids);
}

/* ---- Sessions ----------------------------------------------------------------------------- */

/* The cookie value of a Set-Cookie, as a browser would send it back. */
static cookie_jar jar_from(const char *set_cookie)
{
    const char *semi = strchr(set_cookie, ';');
    cookie_jar jar = COOKIE_JAR_INIT;
    cr_assert_eq(cookie_parse(&A, set_cookie, semi ? (size_t)(semi - set_cookie)
                                                    : strlen(set_cookie), &jar), 0);
    return jar;
}

static const char *saved_session(int64_t lifetime)
{
    session *s = session_load(&A, ring, NULL, "sid", T0);
    cr_assert_eq(session_status(s), SIGN_ABSENT);
    cr_assert_eq(session_set(s, "user", "alice"), 0);
    cr_assert_eq(session_set(s, "role", "admin"), 0);
    const char *sc;
    cr_assert_eq(session_save(s, NULL, lifetime, T0, &sc), 0);
    return sc;
}

Test(sign, session_round_trip_reads_back_fields)
{
    const char *sc = saved_session(3600);
    cr_assert(strstr(sc, "; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax"), "%s", sc);
    cookie_jar jar = jar_from(sc);
    session *s = session_load(&A, ring, &jar, "sid", T0 + 3599);
    cr_assert_eq(session_status(s), SIGN_VALID);
    cr_assert_not(session_tampered(s));
    cr_assert_str_eq(session_get(s, "user"), "alice");
    cr_assert_str_eq(session_get(s, "role"), "admin");
    cr_assert_null(session_get(s, "other"));
    cr_assert_eq(session_count(s), 2);
    cr_assert_not(session_dirty(s));
}

Test(sign, session_absent_cookie_is_empty_and_not_tampered)
{
    cookie_jar jar = jar_from("other=1");
    session *s = session_load(&A, ring, &jar, "sid", T0);
    cr_assert_eq(session_status(s), SIGN_ABSENT);
    cr_assert_not(session_tampered(s));
    cr_assert_eq(session_count(s), 0);
}

Test(sign, session_expired_is_empty_and_not_tampered)
{
    cookie_jar jar = jar_from(saved_session(60));
    session *s = session_load(&A, ring, &jar, "sid", T0 + 60);
    cr_assert_eq(session_status(s), SIGN_EXPIRED);
    cr_assert_not(session_tampered(s));
    cr_assert_eq(session_count(s), 0);
    cr_assert_null(session_get(s, "user"));
}

Test(sign, session_tampered_is_empty_with_the_flag_set)
{
    const char *sc = saved_session(3600);
    char *m = arena_strdup(&A, sc);
    m[5] = m[5] == 'A' ? 'B' : 'A'; /* inside the base64url payload */
    cookie_jar jar = jar_from(m);
    session *s = session_load(&A, ring, &jar, "sid", T0);
    cr_assert_eq(session_status(s), SIGN_TAMPERED);
    cr_assert(session_tampered(s));
    cr_assert_not_null(session_reason(s));
    cr_assert_eq(session_count(s), 0);
}

Test(sign, session_value_signed_for_another_purpose_is_tampered)
{
    const char *payload = "{\"d\":{\"user\":\"admin\"},\"e\":9999999999}";
    const char *forged = sign_at(ring, "form:sid", payload, T0);
    cookie_jar jar = jar_from(arena_printf(&A, "sid=%s", forged));
    session *s = session_load(&A, ring, &jar, "sid", T0);
    cr_assert(session_tampered(s));
    cr_assert_null(session_get(s, "user"));
}

Test(sign, session_payload_of_the_wrong_shape_is_tampered)
{
    const char *payloads[] = {"[]", "{\"d\":{\"u\":1},\"e\":9999999999}", "{\"d\":{}}",
                              "{\"d\":{},\"e\":9999999999,\"x\":1}", "not json"};
    for (size_t i = 0; i < sizeof payloads / sizeof *payloads; i++) {
        const char *v = sign_at(ring, "session:sid", payloads[i], T0);
        cookie_jar jar = jar_from(arena_printf(&A, "sid=%s", v));
        session *s = session_load(&A, ring, &jar, "sid", T0);
        cr_assert(session_tampered(s), "%s", payloads[i]);
        cr_assert_eq(session_count(s), 0);
    }
}

Test(sign, session_invalidate_deletes_the_cookie)
{
    cookie_jar jar = jar_from(saved_session(3600));
    session *s = session_load(&A, ring, &jar, "sid", T0);
    session_invalidate(s);
    cr_assert_eq(session_count(s), 0);
    cr_assert(session_dirty(s));
    const char *sc;
    cr_assert_eq(session_save(s, NULL, 3600, T0, &sc), 0);
    cr_assert_str_eq(sc, "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; "
                         "HttpOnly; SameSite=Lax");
}

Test(sign, session_remove_and_set_mark_it_dirty)
{
    cookie_jar jar = jar_from(saved_session(3600));
    session *s = session_load(&A, ring, &jar, "sid", T0);
    cr_assert_eq(session_remove(s, "role"), 0);
    cr_assert(session_dirty(s));
    cr_assert_null(session_get(s, "role"));
    cr_assert_eq(session_set(s, "user", "bob"), 0);
    const char *sc;
    cr_assert_eq(session_save(s, NULL, 60, T0, &sc), 0);
    cookie_jar jar2 = jar_from(sc);
    session *s2 = session_load(&A, ring, &jar2, "sid", T0 + 1);
    cr_assert_str_eq(session_get(s2, "user"), "bob");
    cr_assert_eq(session_count(s2), 1);
}

Test(sign, session_signed_by_an_old_key_loads_and_asks_to_be_resigned)
{
    cookie_jar jar = jar_from(saved_session(3600));
    sign_ring *rotated = ring_of(key_new, key_old);
    session *s = session_load(&A, rotated, &jar, "sid", T0);
    cr_assert_eq(session_status(s), SIGN_VALID);
    cr_assert(session_dirty(s));
    sign_ring_free(rotated);
}

Test(sign, session_refuses_invalid_utf8_and_oversized_data)
{
    session *s = session_load(&A, ring, NULL, "sid", T0);
    cr_assert_eq(session_set(s, "k", "\xff\xfe"), -1);
    cr_assert_eq(session_set(s, "\xc3", "v"), -1);
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(session_set(s, "k", big), 0);
    const char *sc = "untouched";
    cr_assert_eq(session_save(s, NULL, 60, T0, &sc), -1, "would exceed 4096 bytes");
    cr_assert_str_eq(sc, "untouched");
    cr_assert_eq(session_save(s, NULL, 0, T0, &sc), -1, "lifetime must be positive");
}

Test(sign, session_fields_may_hold_any_text)
{
    session *s = session_load(&A, ring, NULL, "sid", T0);
    const char *v = "a;b, \"c\" \\ \r\n caf\xc3\xa9 =&%";
    cr_assert_eq(session_set(s, "k=;", v), 0);
    const char *sc;
    cr_assert_eq(session_save(s, NULL, 60, T0, &sc), 0);
    cookie_jar jar = jar_from(sc);
    session *s2 = session_load(&A, ring, &jar, "sid", T0);
    cr_assert_str_eq(session_get(s2, "k=;"), v);
}
