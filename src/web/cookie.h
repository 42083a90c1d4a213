/* Cookies: parsing the Cookie request header into arena-allocated pairs, and building Set-Cookie
 * values that a browser will accept as written (RFC 6265, with the limits of RFC 6265bis). */
#ifndef MITSU_WEB_COOKIE_H
#define MITSU_WEB_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

/* One name=value pair of a Cookie header. Both strings are NUL-terminated copies in the arena
 * (the lengths are there so callers need not strlen). */
typedef struct cookie_pair {
    const char *name;  /* a token (RFC 9110 §5.6.2); case-sensitive */
    size_t name_len;
    const char *value; /* surrounding DQUOTEs removed */
    size_t value_len;
} cookie_pair;

/* Every well-formed pair of one or more Cookie headers, in the order sent; duplicates kept. */
typedef struct cookie_jar {
    cookie_pair *pairs;
    size_t count;
    size_t malformed; /* pairs skipped as malformed: a signal for the honeypot */
} cookie_jar;

#define COOKIE_JAR_INIT {NULL, 0, 0}

/* Parses one Cookie header value (RFC 6265 §4.2.1: `a=1; b=2`) and appends its pairs to *jar,
 * which starts as COOKIE_JAR_INIT; call again for each further Cookie header. The input need not
 * be NUL-terminated and is not kept. Rules, each leniency named:
 *   - pairs are split at ';'; SP and HTAB around names, values and separators are ignored, so a
 *     missing space after ';' is accepted;
 *   - empty pieces (`a=1;;b=2`, a trailing `;`) are skipped and not counted as malformed;
 *   - a piece without '=', or whose name is empty or not a token, is skipped and counted in
 *     jar->malformed; the pairs around it are kept;
 *   - the value is everything after the first '=' (so `a=b=c` gives value "b=c"); one pair of
 *     surrounding DQUOTEs is removed;
 *   - the value may hold cookie-octets (RFC 6265 §4.1.1) and, as browsers send them, SP and ','
 *     inside and bytes >= 0x80 (UTF-8 set from script); a value with a CTL, DEL, '\' or a DQUOTE
 *     other than the surrounding pair makes the pair malformed.
 * 0, or -1 when out of memory (the jar then holds the pairs of earlier calls only). Memory use is
 * at most proportional to len, which the HTTP parser's head limit already bounds. */
int cookie_parse(arena *a, const char *header, size_t len, cookie_jar *jar);

/* For the tests: -1 when the parser's byte table agrees with the RFC classes it stands for,
 * else the first byte where it does not. */
int cookie_class_check(void);

/* The first pair named `name` (exact, case-sensitive match), or NULL. Browsers send the cookie
 * with the longest Path first, so the first is the most specific one. */
const cookie_pair *cookie_get(const cookie_jar *jar, const char *name);
/* The next pair named `name` after prev (NULL: the first), for iterating over duplicates:
 *     for (const cookie_pair *p = NULL; (p = cookie_next(jar, "id", p)); ) ...
 * Iterate over every pair through jar->pairs[0 .. count-1]. */
const cookie_pair *cookie_next(const cookie_jar *jar, const char *name, const cookie_pair *prev);

/* SameSite attribute (RFC 6265bis §5.4.7); indexes cookie_samesite_names[]. */
enum cookie_samesite {
    COOKIE_SAMESITE_UNSET, /* no attribute: the browser's default (Lax in current browsers) */
    COOKIE_SAMESITE_STRICT,
    COOKIE_SAMESITE_LAX,
    COOKIE_SAMESITE_NONE,  /* forces Secure: browsers drop SameSite=None cookies without it */
    COOKIE_SAMESITE__MAX
};
extern const char *const cookie_samesite_names[COOKIE_SAMESITE__MAX]; /* "", "Strict", ... */

/* Attributes of a Set-Cookie header. Zero-initialised means: a session cookie with no
 * attributes at all. */
typedef struct cookie_attrs {
    int has_expires;
    int64_t expires;        /* Unix seconds, 0 .. 253402300799 (year 9999); IMF-fixdate */
    int has_max_age;
    int64_t max_age;        /* seconds, >= 0; 0 deletes */
    const char *domain;     /* NULL: host-only. Letters, digits, '-' and '.', at most 253 bytes */
    const char *path;       /* NULL: none. Must start with '/'; no CTL or ';' */
    int secure;
    int http_only;
    enum cookie_samesite same_site;
    int partitioned;        /* CHIPS; forces Secure, which browsers require for it */
} cookie_attrs;

/* Limits that browsers enforce by silently dropping the cookie (RFC 6265bis §5.6), refused here. */
#define COOKIE_MAX_NAME_VALUE 4096 /* bytes of name plus value */
#define COOKIE_MAX_ATTR_VALUE 1024 /* bytes of the Domain or Path value */

/* Builds a Set-Cookie field value, e.g.
 *     "sid=abc; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=Lax"
 * Attributes appear in the order Expires, Max-Age, Domain, Path, Secure, HttpOnly, SameSite,
 * Partitioned. Secure is added when SameSite=None, Partitioned or a "__Secure-"/"__Host-" name
 * prefix (matched case-insensitively) requires it; a "__Host-" cookie gets Path=/ when no path is
 * given. On success *out is a NUL-terminated string in the arena and 0 is returned.
 * -1, with nothing allocated and *out untouched, when: the name is empty or not a token; the value
 * holds anything but cookie-octets (so CR, LF, ';', ',', SP, DQUOTE, '\', NUL and non-ASCII are all
 * refused: a header is never emitted broken or split); name plus value exceed
 * COOKIE_MAX_NAME_VALUE; an attribute is out of range or malformed; a "__Host-" cookie has a
 * Domain or a Path other than "/"; or out of memory. The value may be empty. Values that are not
 * cookie-octets should be encoded first (sign_value() output always is). */
int cookie_format(arena *a, const char **out, const char *name, const char *value,
                  const cookie_attrs *attrs);

/* A Set-Cookie value that deletes the cookie: empty value, Max-Age=0 and an Expires in 1970
 * (for the rare clients that ignore Max-Age). attrs may be NULL; its Domain and Path must be those
 * the cookie was set with, or the browser keeps it; its expiry fields are ignored. Returns as
 * cookie_format(). */
int cookie_format_delete(arena *a, const char **out, const char *name, const cookie_attrs *attrs);

/* Writes t (Unix seconds, 0 .. 253402300799) as an IMF-fixdate (RFC 9110 §5.6.7),
 * "Sun, 06 Nov 1994 08:49:37 GMT", 29 characters plus NUL. -1 when t is out of range. */
int cookie_imf_fixdate(int64_t t, char out[30]);

#endif
