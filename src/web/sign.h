/* Signed values (HMAC-SHA256 over a key ring, for cookies and hidden form fields) and the random
 * client ids of the honeypot. A forged or altered value is told apart from a missing one. */
#ifndef MITSU_WEB_SIGN_H
#define MITSU_WEB_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

/* ---- Format -------------------------------------------------------------------------------
 * A signed value is three fields joined by '.':
 *
 *     B64(value) "." TIMESTAMP "." B64(HMAC-SHA256(key, purpose 0x00 B64(value) "." TIMESTAMP))
 *
 * B64 is base64url without padding (RFC 4648 §5); TIMESTAMP is the signing time in decimal Unix
 * seconds, no sign, no leading zeros; the MAC is 32 bytes, so 43 characters. purpose is bound into
 * the MAC but not sent: a value signed for one cookie or form field (say "session:sid" or
 * "form:csrf") does not verify for another. Every byte of the output is a cookie-octet and needs no
 * URL or HTML escaping, so it goes as is into a cookie or a hidden <input>. Example, for "42" signed
 * at 1700000000: "NDI.1700000000.<43 characters>". */

#define SIGN_MIN_KEY 32 /* bytes; shorter keys are refused: HMAC-SHA256's full strength needs 32 */
#define SIGN_MAX_KEYS 8 /* keys tried per verification: bounds what a forged value costs us */
#define SIGN_MAC_LEN 32
#define SIGN_CLOCK_SKEW 300 /* seconds a timestamp may lie in the future before it is refused */

typedef struct sign_key {
    const void *data;
    size_t len;
} sign_key;

/* An immutable set of keys: keys[0] signs, every key verifies. Rotate by putting the new key
 * first and keeping the old ones behind it until the values they signed have expired. Safe to
 * share between threads once built. */
typedef struct sign_ring sign_ring;

/* Copies the keys. NULL when n is 0 or over SIGN_MAX_KEYS, a key is shorter than SIGN_MIN_KEY, or
 * out of memory. */
sign_ring *sign_ring_new(const sign_key *keys, size_t n);
/* Wipes the copies of the keys and frees the ring. NULL is allowed. */
void sign_ring_free(sign_ring *r);

/* Verification outcome; indexes sign_status_names[]. */
enum sign_status {
    SIGN_VALID,    /* signed by a key of the ring for this purpose, and not too old */
    SIGN_ABSENT,   /* no value at all (NULL or empty) */
    SIGN_UNSIGNED, /* a value with no '.': never signed (e.g. set before signing was enabled) */
    SIGN_TAMPERED, /* has a '.' but is not a value we signed: altered, truncated, forged */
    SIGN_EXPIRED,  /* genuine, but older than max_age or dated over SIGN_CLOCK_SKEW ahead */
    SIGN_ERROR,    /* could not be checked (out of memory, libcrypto failed): not valid, and
                    * not evidence of tampering either */
    SIGN__MAX
};
extern const char *const sign_status_names[SIGN__MAX]; /* "valid", "absent", ... */

typedef struct sign_result {
    enum sign_status status;
    const char *reason; /* static text: why not valid (for the honeypot's evidence); NULL if valid */
    const char *value;  /* VALID only: the decoded value, NUL-terminated in the arena; else NULL */
    size_t len;
    int64_t signed_at;  /* VALID and EXPIRED: the signing time */
    int key_index;      /* VALID: the key that verified; > 0 means re-sign with the current key */
} sign_result;

/* Signs len bytes of value (binary allowed) at time now (Unix seconds, >= 0; usually time(NULL))
 * for purpose (NULL means ""); *out is the NUL-terminated signed value, in the arena. 0, or -1 on
 * bad arguments, a failure in libcrypto or out of memory (*out untouched). Hidden form fields
 * use the same call with their own purpose. */
int sign_value(const sign_ring *r, arena *a, const char *purpose, const void *value, size_t len,
               int64_t now, const char **out);

/* Verifies a signed value (s, len; need not be NUL-terminated; s may be NULL when len is 0) for
 * purpose, at time now; max_age <= 0 means no age limit. Fills *res and returns res->status.
 * The MAC is compared in constant time. A value shaped wrongly in any way once it holds a '.'
 * (bad base64url, a timestamp that is not canonical decimal, a signature of the wrong length) is
 * TAMPERED: only a value we signed has that shape. A caller that needs a value takes it only on
 * SIGN_VALID; the honeypot's tamper detector acts only on SIGN_TAMPERED. */
enum sign_status sign_verify(const sign_ring *r, arena *a, const char *purpose, const char *s,
                             size_t len, int64_t now, int64_t max_age, sign_result *res);

/* HMAC-SHA256 (RFC 2104) of msg under key, any key length: the primitive under sign_value(), given
 * for tests against RFC 4231 and for callers that need a raw MAC. 0, or -1 on a libcrypto error. */
int sign_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     unsigned char out[SIGN_MAC_LEN]);

/* base64url without padding (RFC 4648 §5), into the arena, NUL-terminated. Decoding is strict:
 * no padding, no whitespace, and unused trailing bits must be zero, so each byte string has
 * exactly one encoding. NULL on bad input or out of memory. */
char *sign_b64url_encode(arena *a, const void *data, size_t len);
unsigned char *sign_b64url_decode(arena *a, const char *s, size_t len, size_t *out_len);

/* 32 lowercase hex digits and a NUL from 16 bytes of getrandom(): the honeypot's client ids.
 * May block only at boot, until the kernel's pool is first seeded. 0, or -1 (errno set, out is
 * "") when the kernel gives no randomness: never a weak id. */
int sign_random_hex(char out[33]);

#endif
