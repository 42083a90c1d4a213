/* libFuzzer target for src/web/cookie.c, sign.c and session.c: Cookie headers, signed values and
 * session cookies from fuzz bytes, with the round-trip contracts checked (abort on violation). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/cookie.h"
#include "web/session.h"
#include "web/sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1700000000LL

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_cookie: contract violated: %s\n", what);
        abort();
    }
}

static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static sign_ring *the_ring(void)
{
    static sign_ring *ring;
    if (!ring) {
        static const char k1[] = "fuzz-key-one-0123456789abcdef-0123456789";
        static const char k2[] = "fuzz-key-two-0123456789abcdef-0123456789";
        sign_key keys[2] = {{k1, sizeof k1 - 1}, {k2, sizeof k2 - 1}};
        ring = sign_ring_new(keys, 2);
        require(ring != NULL, "ring");
    }
    return ring;
}

/* Every pair is a token name and a value without separators or control bytes. */
static void check_jar(const cookie_jar *jar)
{
    for (size_t i = 0; i < jar->count; i++) {
        const cookie_pair *p = &jar->pairs[i];
        require(p->name_len > 0 && strlen(p->name) == p->name_len, "name length");
        require(strlen(p->value) == p->value_len, "value length");
        for (size_t k = 0; k < p->name_len; k++)
            require(is_tchar((unsigned char)p->name[k]), "name is a token");
        for (size_t k = 0; k < p->value_len; k++) {
            unsigned char c = (unsigned char)p->value[k];
            require(c >= 0x20 && c != 0x7F && c != ';' && c != '\\', "value bytes");
        }
        require(cookie_get(jar, p->name) <= p, "cookie_get gives the first");
    }
}

/* name NUL value: if cookie_format accepts, the header is clean and parses back to the pair. */
static void check_format(arena *a, const char *in, size_t n)
{
    const char *nul = memchr(in, '\0', n);
    if (!nul)
        return;
    char *name = arena_strndup(a, in, (size_t)(nul - in));
    char *value = arena_strndup(a, nul + 1, n - (size_t)(nul + 1 - in));
    if (!name || !value)
        return;
    cookie_attrs at = {.path = "/", .http_only = 1, .same_site = COOKIE_SAMESITE_NONE};
    const char *out = NULL;
    if (cookie_format(a, &out, name, value, &at) < 0)
        return;
    for (const char *c = out; *c; c++)
        require((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7F, "header bytes");
    require(strstr(out, "; Secure") != NULL, "SameSite=None forces Secure");
    cookie_jar jar = COOKIE_JAR_INIT;
    const char *semi = strchr(out, ';');
    require(cookie_parse(a, out, (size_t)(semi - out), &jar) == 0, "parse back");
    require(jar.count == 1 && strcmp(jar.pairs[0].name, name) == 0 &&
                strcmp(jar.pairs[0].value, value) == 0,
            "round trip");
}

/* Signs the input, verifies it, then changes one byte: never valid again. */
static void check_sign(arena *a, const uint8_t *in, size_t n)
{
    sign_ring *r = the_ring();
    const char *s;
    require(sign_value(r, a, "fuzz", in, n, NOW, &s) == 0, "sign");
    size_t sl = strlen(s);
    sign_result res;
    require(sign_verify(r, a, "fuzz", s, sl, NOW, 60, &res) == SIGN_VALID, "verify own");
    require(res.len == n && memcmp(res.value, in, n) == 0, "same bytes back");
    require(sign_verify(r, a, "other", s, sl, NOW, 60, &res) == SIGN_TAMPERED, "purpose bound");
    if (n == 0)
        return;
    char *m = arena_strndup(a, s, sl);
    if (!m)
        return;
    size_t at = in[0] % sl;
    m[at] = (char)(m[at] ^ (in[n - 1] | 1));
    enum sign_status st = sign_verify(r, a, "fuzz", m, sl, NOW, 60, &res);
    require(st != SIGN_VALID && st != SIGN_EXPIRED, "a changed byte is never accepted");
    require(st == SIGN_TAMPERED || (st == SIGN_UNSIGNED && !memchr(m, '.', sl)),
            "a changed byte is tampering");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 4096);
    const char *in = (const char *)data;

    cookie_jar jar = COOKIE_JAR_INIT;
    if (cookie_parse(&a, in, size, &jar) == 0) {
        check_jar(&jar);
        /* Every cookie value as a signed value, and the sid cookie as a session. */
        for (size_t i = 0; i < jar.count; i++) {
            sign_result res;
            enum sign_status st = sign_verify(the_ring(), &a, "p", jar.pairs[i].value,
                                              jar.pairs[i].value_len, NOW, 3600, &res);
            require(st < SIGN__MAX && (st == SIGN_VALID) == (res.value != NULL), "verify");
        }
        session *s = session_load(&a, the_ring(), &jar, "sid", NOW);
        if (s && session_status(s) != SIGN_VALID)
            require(session_count(s) == 0, "an invalid session is empty");
    }

    /* The raw input as a signed value. */
    sign_result res;
    enum sign_status st = sign_verify(the_ring(), &a, "p", in, size, NOW, 0, &res);
    require(st < SIGN__MAX && (st == SIGN_VALID) == (res.value != NULL), "verify raw");
    require((st == SIGN_VALID) == (res.reason == NULL), "reason iff not valid");

    /* base64url: decoding then encoding gives back the input (one spelling per byte string). */
    size_t dn;
    unsigned char *d = sign_b64url_decode(&a, in, size, &dn);
    if (d) {
        char *e = sign_b64url_encode(&a, d, dn);
        require(e && strlen(e) == size && memcmp(e, in, size) == 0, "canonical base64url");
    }

    check_format(&a, in, size);
    if (size <= 1024)
        check_sign(&a, data, size);
    arena_free(&a);
    return 0;
}
