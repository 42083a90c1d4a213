/* Password hashes for the intranet demo: PBKDF2-HMAC-SHA256 from OpenSSL with a random salt,
 * the iteration count stored with each hash so that it can be raised later. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intranet.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define PREFIX "pbkdf2-sha256$"

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Exactly 2 * n hex digits into n bytes. 0, or -1. */
static int from_hex(const char *in, size_t len, unsigned char *out, size_t n)
{
    if (len != 2 * n)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] << 4) | v : v);
    }
    return 0;
}

int random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf || RAND_bytes(buf, (int)nbytes) != 1)
        return -1;
    to_hex(buf, nbytes, out);
    return 0;
}

int random_password(char *out, size_t len)
{
    /* No 0/O, 1/l/I: the password is read off a terminal and typed into a form. */
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i < len; i++) {
        unsigned char b;
        do {
            if (RAND_bytes(&b, 1) != 1)
                return -1;
        } while (b >= 256 - 256 % (sizeof alphabet - 1)); /* no modulo bias */
        out[i] = alphabet[b % (sizeof alphabet - 1)];
    }
    out[len] = '\0';
    return 0;
}

static int derive(const char *password, const unsigned char *salt, long iterations,
                  unsigned char out[HASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_LEN, (int)iterations,
                             EVP_sha256(), HASH_LEN, out) == 1
               ? 0
               : -1;
}

int password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
    if (RAND_bytes(salt, SALT_LEN) != 1 || derive(password, salt, PASSWORD_ITERATIONS, hash) < 0)
        return -1;
    to_hex(salt, SALT_LEN, salt_hex);
    to_hex(hash, HASH_LEN, hash_hex);
    int n = snprintf(out, PASSWORD_HASH_MAX, PREFIX "%d$%s$%s", PASSWORD_ITERATIONS, salt_hex,
                     hash_hex);
    return n > 0 && n < PASSWORD_HASH_MAX ? 0 : -1;
}

int password_verify(const char *password, const char *stored)
{
    unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
    if (!password || !stored || strncmp(stored, PREFIX, strlen(PREFIX)) != 0)
        return 0;
    char *end;
    long iterations = strtol(stored + strlen(PREFIX), &end, 10);
    /* Bounded: a stored hash must not be able to make a login take minutes. */
    if (iterations < 1000 || iterations > 10000000 || *end != '$')
        return 0;
    const char *salt_hex = end + 1, *hash_hex = strchr(salt_hex, '$');
    if (!hash_hex || from_hex(salt_hex, (size_t)(hash_hex - salt_hex), salt, SALT_LEN) < 0 ||
        from_hex(hash_hex + 1, strlen(hash_hex + 1), want, HASH_LEN) < 0 ||
        derive(password, salt, iterations, got) < 0)
        return 0;
    return CRYPTO_memcmp(got, want, HASH_LEN) == 0;
}
