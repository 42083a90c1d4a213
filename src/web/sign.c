/* Signed values over an HMAC-SHA256 key ring (format in sign.h), base64url, and random client
 * ids. libcrypto does the MAC and the constant-time comparison. */
#include "web/sign.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char *const sign_status_names[SIGN__MAX] = {
    [SIGN_VALID] = "valid",       [SIGN_ABSENT] = "absent",   [SIGN_UNSIGNED] = "unsigned",
    [SIGN_TAMPERED] = "tampered", [SIGN_EXPIRED] = "expired", [SIGN_ERROR] = "error",
};

struct sign_ring {
    size_t n;
    unsigned char *key[SIGN_MAX_KEYS]; /* each malloc'd, wiped before it is freed */
    size_t len[SIGN_MAX_KEYS];
};

/* ---- HMAC ------------------------------------------------------------------------------- */

/* Fetching an algorithm searches OpenSSL's provider store under a lock: done once, and the
 * fetched object is kept for the life of the process (EVP_MAC is safe to share). */
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
}

typedef struct part {
    const void *data;
    size_t len;
} part;

/* HMAC-SHA256 over the concatenation of parts, so the signed message is never copied. */
static int hmac_parts(const void *key, size_t key_len, const part *parts, size_t n,
                      unsigned char out[SIGN_MAC_LEN])
{
    if (pthread_once(&hmac_once, hmac_fetch) != 0 || !hmac_alg)
        return -1;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_alg);
    if (!ctx)
        return -1;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    /* A NULL key would mean "keep the previous key" to EVP_MAC_init: give an empty one. */
    static const unsigned char no_key[1];
    int ok = EVP_MAC_init(ctx, key_len ? key : no_key, key_len, params);
    for (size_t i = 0; ok && i < n; i++)
        if (parts[i].len)
            ok = EVP_MAC_update(ctx, parts[i].data, parts[i].len);
    size_t out_len = 0;
    ok = ok && EVP_MAC_final(ctx, out, &out_len, SIGN_MAC_LEN) && out_len == SIGN_MAC_LEN;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : -1;
}

int sign_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     unsigned char out[SIGN_MAC_LEN])
{
    part p = {msg, msg_len};
    return hmac_parts(key, key_len, &p, 1, out);
}

/* ---- Key ring --------------------------------------------------------------------------- */

sign_ring *sign_ring_new(const sign_key *keys, size_t n)
{
    if (!keys || n == 0 || n > SIGN_MAX_KEYS)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!keys[i].data || keys[i].len < SIGN_MIN_KEY)
            return NULL;
    sign_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        r->key[i] = malloc(keys[i].len);
        if (!r->key[i]) {
            sign_ring_free(r);
            return NULL;
        }
        memcpy(r->key[i], keys[i].data, keys[i].len);
        r->len[i] = keys[i].len;
        r->n = i + 1;
    }
    return r;
}

void sign_ring_free(sign_ring *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        OPENSSL_cleanse(r->key[i], r->len[i]);
        free(r->key[i]);
    }
    free(r);
}

/* ---- base64url -------------------------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

static size_t b64_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Writes b64_encoded_len(n) characters and a NUL. */
static void b64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
}

/* Strict decoding into out (room for n / 4 * 3 + 2 bytes); -1 on any byte outside the alphabet,
 * a length that no encoding has (n % 4 == 1), or non-zero unused bits in the last character. */
static int b64_decode(const char *s, size_t n, unsigned char *out, size_t *out_len)
{
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits && (acc & ((1u << bits) - 1)))
        return -1; /* a second spelling of the same bytes: refused so encodings are canonical */
    *out_len = o;
    return 0;
}

/* What b64_decode() accepts, checked without decoding. */
static int b64_canonical(const char *s, size_t n)
{
    if (n % 4 == 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (b64_value((unsigned char)s[i]) < 0)
            return 0;
    /* The last character of a 2- or 3-character group carries 4 or 2 unused low bits. */
    unsigned mask = n % 4 == 2 ? 15 : n % 4 == 3 ? 3 : 0;
    return !mask || !((unsigned)b64_value((unsigned char)s[n - 1]) & mask);
}

char *sign_b64url_encode(arena *a, const void *data, size_t len)
{
    if ((!data && len) || len > (SIZE_MAX - 1) / 4 * 3)
        return NULL;
    char *out = arena_alloc(a, b64_encoded_len(len) + 1);
    if (out)
        b64_encode(data, len, out);
    return out;
}

unsigned char *sign_b64url_decode(arena *a, const char *s, size_t len, size_t *out_len)
{
    if (!s && len)
        return NULL;
    unsigned char *out = arena_alloc(a, len / 4 * 3 + 3); /* + 1 for a NUL, for text values */
    size_t n;
    if (!out || b64_decode(s, len, out, &n) < 0)
        return NULL;
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* ---- Signed values ---------------------------------------------------------------------- */

#define SIG_CHARS 43 /* base64url of SIGN_MAC_LEN bytes */

static int mac_fields(const unsigned char *key, size_t key_len, const char *purpose,
                      const char *fields, size_t fields_len, unsigned char out[SIGN_MAC_LEN])
{
    /* The NUL ends the purpose: no purpose can be a prefix that shifts bytes into the fields. */
    part parts[3] = {{purpose, strlen(purpose)}, {"", 1}, {fields, fields_len}};
    return hmac_parts(key, key_len, parts, 3, out);
}

int sign_value(const sign_ring *r, arena *a, const char *purpose, const void *value, size_t len,
               int64_t now, const char **out)
{
    if (!r || !a || !out || now < 0 || (!value && len))
        return -1;
    if (!purpose)
        purpose = "";
    char *b64 = sign_b64url_encode(a, value, len);
    if (!b64)
        return -1;
    char *fields = arena_printf(a, "%s.%" PRId64, b64, now);
    if (!fields)
        return -1;
    unsigned char mac[SIGN_MAC_LEN];
    char sig[SIG_CHARS + 1];
    if (mac_fields(r->key[0], r->len[0], purpose, fields, strlen(fields), mac) < 0)
        return -1;
    b64_encode(mac, sizeof mac, sig);
    char *s = arena_printf(a, "%s.%s", fields, sig);
    if (!s)
        return -1;
    *out = s;
    return 0;
}

static enum sign_status verdict(sign_result *res, enum sign_status st, const char *reason)
{
    res->status = st;
    res->reason = reason;
    return st;
}

/* Canonical decimal: 1 to 19 digits, no leading zero, within int64_t. */
static int parse_timestamp(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

enum sign_status sign_verify(const sign_ring *r, arena *a, const char *purpose, const char *s,
                             size_t len, int64_t now, int64_t max_age, sign_result *res)
{
    *res = (sign_result){.status = SIGN_ERROR, .key_index = -1};
    if (!s || len == 0)
        return verdict(res, SIGN_ABSENT, "no value");
    const char *dot2 = memrchr(s, '.', len);
    if (!dot2)
        return verdict(res, SIGN_UNSIGNED, "no signature");
    if (!r || !a)
        return verdict(res, SIGN_ERROR, "no key ring");
    if (!purpose)
        purpose = "";
    const char *dot1 = memrchr(s, '.', (size_t)(dot2 - s));
    if (!dot1)
        return verdict(res, SIGN_TAMPERED, "not three '.'-separated fields");
    size_t vlen = (size_t)(dot1 - s);
    if (!b64_canonical(s, vlen))
        return verdict(res, SIGN_TAMPERED, "value field is not canonical base64url");
    int64_t ts;
    if (parse_timestamp(dot1 + 1, (size_t)(dot2 - dot1 - 1), &ts) < 0)
        return verdict(res, SIGN_TAMPERED, "timestamp is not canonical decimal");
    const char *sig = dot2 + 1;
    size_t sig_len = len - (size_t)(sig - s);
    unsigned char got[SIGN_MAC_LEN + 3];
    size_t got_len;
    if (sig_len != SIG_CHARS || b64_decode(sig, sig_len, got, &got_len) < 0 ||
        got_len != SIGN_MAC_LEN)
        return verdict(res, SIGN_TAMPERED, "signature is not 43 base64url characters");

    size_t fields_len = (size_t)(dot2 - s);
    int match = -1;
    for (size_t k = 0; k < r->n && match < 0; k++) {
        unsigned char want[SIGN_MAC_LEN];
        if (mac_fields(r->key[k], r->len[k], purpose, s, fields_len, want) < 0)
            return verdict(res, SIGN_ERROR, "HMAC computation failed in libcrypto");
        if (CRYPTO_memcmp(want, got, SIGN_MAC_LEN) == 0)
            match = (int)k;
    }
    if (match < 0)
        return verdict(res, SIGN_TAMPERED, "signature matches no key");

    res->signed_at = ts;
    if (max_age > 0) {
        if (ts > now && ts - now > SIGN_CLOCK_SKEW)
            return verdict(res, SIGN_EXPIRED, "signed in the future");
        if (now > ts && now - ts > max_age)
            return verdict(res, SIGN_EXPIRED, "older than its maximum age");
    }
    size_t n;
    unsigned char *v = sign_b64url_decode(a, s, vlen, &n);
    if (!v) /* the field was checked above: only memory can fail here */
        return verdict(res, SIGN_ERROR, "out of memory decoding the value");
    res->value = (const char *)v;
    res->len = n;
    res->key_index = match;
    return verdict(res, SIGN_VALID, NULL);
}

/* ---- Random ids ------------------------------------------------------------------------- */

int sign_random_hex(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    size_t got = 0;
    out[0] = '\0';
    while (got < sizeof b) {
        /* Flags 0: the urandom pool, blocking only until it is first seeded at boot. */
        ssize_t k = getrandom(b + got, sizeof b - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        got += (size_t)k;
    }
    for (size_t i = 0; i < sizeof b; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[32] = '\0';
    return 0;
}
