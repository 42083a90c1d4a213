/* Cookies: the Cookie request header parsed into arena pairs, and Set-Cookie values validated
 * before they are built (see cookie.h for the rules). */
#include "web/cookie.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const cookie_samesite_names[COOKIE_SAMESITE__MAX] = {
    [COOKIE_SAMESITE_UNSET] = "",
    [COOKIE_SAMESITE_STRICT] = "Strict",
    [COOKIE_SAMESITE_LAX] = "Lax",
    [COOKIE_SAMESITE_NONE] = "None",
};

/* Byte classes (RFC 9110 §5.6.2 token, RFC 6265 §4.1.1 cookie-octet, RFC 1034 §3.5 host). */
static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_tchar(unsigned char c)
{
    return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_octet(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) ||
           (c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* A value byte the parser accepts: cookie-octets, plus the named leniencies of cookie.h. */
static int parse_value_byte(unsigned char c)
{
    return is_octet(c) || c == ' ' || c == ',' || c >= 0x80;
}

/* The two classes above as one table, for the parser, which runs on every request with a
 * cookie: bit 1 is_tchar(), bit 2 parse_value_byte(); test_cookie checks it against them. */
enum { C_TCHAR = 1, C_VALUE = 2 };
static const unsigned char cookie_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 3, 0, 3, 3, 3, 3, 3, 2, 2, 3, 3, 2, 3, 3, 2,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 2, 2, 2, 2,
    2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 2, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 2, 3, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

int cookie_class_check(void)
{
    for (int c = 0; c < 256; c++)
        if (cookie_class[c] != ((is_tchar((unsigned char)c) ? C_TCHAR : 0) |
                                (parse_value_byte((unsigned char)c) ? C_VALUE : 0)))
            return c;
    return -1;
}

/* Whether every byte of p has class bit cls: a table look-up per byte and a test per four,
 * since the values (ids, signed sessions) are long and almost always valid. */
static int all_of_class(const char *p, size_t n, unsigned char cls)
{
    const unsigned char *u = (const unsigned char *)p;
    unsigned acc = cls;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        acc &= cookie_class[u[i]] & cookie_class[u[i + 1]] & cookie_class[u[i + 2]] &
               cookie_class[u[i + 3]];
        if (!acc)
            return 0;
    }
    for (; i < n; i++)
        acc &= cookie_class[u[i]];
    return acc != 0;
}

/* Splits one trimmed piece into name and value (views into it), or returns 1 when malformed. */
static int parse_piece(const char *p, size_t n, const char **name, size_t *name_len,
                       const char **value, size_t *value_len)
{
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return 1; /* RFC 6265 §4.2.1: cookie-pair = cookie-name "=" cookie-value */
    size_t nl = (size_t)(eq - p);
    while (nl && is_ows(p[nl - 1]))
        nl--;
    if (nl == 0)
        return 1; /* an empty name: not a token */
    if (!all_of_class(p, nl, C_TCHAR))
        return 1; /* cookie-name = token (RFC 6265 §4.1.1) */
    const char *v = eq + 1;
    size_t vl = n - (size_t)(v - p);
    while (vl && is_ows(*v)) {
        v++;
        vl--;
    }
    /* cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ) */
    if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
        v++;
        vl -= 2;
    }
    if (!all_of_class(v, vl, C_VALUE))
        return 1;
    *name = p;
    *name_len = nl;
    *value = v;
    *value_len = vl;
    return 0;
}

static int parse_fresh(arena *a, const char *header, size_t len, cookie_jar *jar)
{
    /* Each pair but the last ends at a ';', so this bounds the pairs added. */
    size_t most = 1;
    for (const char *p = header, *end = header + len; (p = memchr(p, ';', (size_t)(end - p)));
         p++)
        most++;
    cookie_pair *pairs = arena_alloc(a, (jar->count + most) * sizeof *pairs);
    if (!pairs)
        return -1;
    if (jar->count)
        memcpy(pairs, jar->pairs, jar->count * sizeof *pairs);
    size_t count = jar->count, malformed = 0;

    size_t i = 0;
    while (i < len) {
        const char *semi = memchr(header + i, ';', len - i);
        size_t end = semi ? (size_t)(semi - header) : len;
        size_t s = i, e = end;
        while (s < e && is_ows(header[s]))
            s++;
        while (e > s && is_ows(header[e - 1]))
            e--;
        i = end + 1;
        if (s == e)
            continue;
        const char *name, *value;
        size_t nl, vl;
        if (parse_piece(header + s, e - s, &name, &nl, &value, &vl)) {
            malformed++;
            continue;
        }
        /* Name and value NUL-terminated, side by side in one allocation. */
        char *n = arena_alloc(a, nl + vl + 2);
        if (!n)
            return -1;
        memcpy(n, name, nl);
        n[nl] = '\0';
        char *v = n + nl + 1;
        memcpy(v, value, vl);
        v[vl] = '\0';
        pairs[count++] = (cookie_pair){n, nl, v, vl};
    }
    jar->pairs = pairs;
    jar->count = count;
    jar->malformed += malformed;
    return 0;
}

const cookie_pair *cookie_next(const cookie_jar *jar, const char *name, const cookie_pair *prev)
{
    if (!jar || !jar->pairs)
        return NULL;
    /* No strlen(name): a pair's first two bytes rule most names out, and its length bounds the
     * comparison, which stops at the end of a shorter name (strncmp: never read past it) and
     * must end just there. Several look-ups run on every request. */
    size_t i = prev ? (size_t)(prev - jar->pairs) + 1 : 0;
    for (; i < jar->count; i++) {
        const cookie_pair *p = &jar->pairs[i];
        /* name[1] may be read once name[0] matched a pair's first (never NUL) byte */
        if (p->name[0] == name[0] && p->name[1] == name[1] &&
            strncmp(p->name, name, p->name_len) == 0 && name[p->name_len] == '\0')
            return p;
    }
    return NULL;
}

const cookie_pair *cookie_get(const cookie_jar *jar, const char *name)
{
    return cookie_next(jar, name, NULL);
}

/* ---- Set-Cookie ------------------------------------------------------------------------- */

#define MAX_IMF_TIME 253402300799LL /* 9999-12-31T23:59:59Z: the last four-digit year */

static void put_digits(char *p, int width, int64_t v)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}

int cookie_imf_fixdate(int64_t t, char out[30])
{
    static const char days[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (t < 0 || t > MAX_IMF_TIME)
        return -1;
    int64_t z = t / 86400, secs = t % 86400;
    const char *wday = days[z % 7]; /* 1970-01-01 was a Thursday */
    /* Civil date from days since the epoch (H. Hinnant's algorithm), so neither time_t's width
     * nor the C library's gmtime limits matter. */
    z += 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    /* Digits placed by hand: every field is in range by construction, which snprintf's
     * truncation warnings cannot see. */
    memcpy(out, "Www, DD Mmm YYYY HH:MM:SS GMT", 30);
    memcpy(out, wday, 3);
    put_digits(out + 5, 2, d);
    memcpy(out + 8, months[m - 1], 3);
    put_digits(out + 12, 4, y);
    put_digits(out + 17, 2, secs / 3600);
    put_digits(out + 20, 2, secs / 60 % 60);
    put_digits(out + 23, 2, secs % 60);
    return 0;
}

static int is_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Domain: a host name, optionally with the leading '.' that RFC 6265 §5.2.3 tells browsers to
 * ignore. No empty labels, no label starting or ending with '-' (RFC 1123 §2.1). */
static int valid_domain(const char *d)
{
    size_t n = strlen(d);
    if (n && d[0] == '.') {
        d++;
        n--;
    }
    if (n == 0 || n > 253 || d[n - 1] == '.')
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (!is_alnum(c) && c != '-' && c != '.')
            return 0;
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return d[n - 1] != '-';
}

/* Path: av-octet = any CHAR except CTLs or ";" (RFC 6265 §4.1.1), starting with '/' (§5.2.4:
 * browsers replace any other path with a default one, so it would not mean what was asked). */
static int valid_path(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c >= 0x7F || c == ';')
            return 0;
    }
    return 1;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The whole Set-Cookie value, once everything has been checked. */
static int build(arena *a, const char **out, const char *name, const char *value,
                 const cookie_attrs *at, int expires_past)
{
    int secure = at->secure || at->same_site == COOKIE_SAMESITE_NONE || at->partitioned ||
                 has_prefix_ci(name, "__Secure-") || has_prefix_ci(name, "__Host-");
    const char *path = at->path;
    if (!path && has_prefix_ci(name, "__Host-"))
        path = "/"; /* RFC 6265bis §4.1.3.2: a __Host- cookie needs Path=/ */
    char date[30] = "", max_age[24] = "";
    int has_expires = expires_past || at->has_expires;
    if (has_expires && cookie_imf_fixdate(expires_past ? 0 : at->expires, date) < 0)
        return -1;
    if (at->has_max_age) {
        /* by hand, not snprintf: this runs for every new client, on the request path */
        char tmp[24];
        size_t i = sizeof tmp;
        unsigned long long v = (unsigned long long)at->max_age;
        do {
            tmp[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        memcpy(max_age, tmp + i, sizeof tmp - i);
        max_age[sizeof tmp - i] = '\0';
    }
    const char *parts[] = {name, "=", value,
                           has_expires ? "; Expires=" : "", date,
                           at->has_max_age ? "; Max-Age=" : "", max_age,
                           at->domain ? "; Domain=" : "", at->domain ? at->domain : "",
                           path ? "; Path=" : "", path ? path : "", secure ? "; Secure" : "",
                           at->http_only ? "; HttpOnly" : "",
                           at->same_site != COOKIE_SAMESITE_UNSET ? "; SameSite=" : "",
                           at->same_site != COOKIE_SAMESITE_UNSET
                               ? cookie_samesite_names[at->same_site]
                               : "",
                           at->partitioned ? "; Partitioned" : ""};
    enum { NPARTS = sizeof parts / sizeof parts[0] };
    size_t lens[NPARTS], total = 0;
    for (size_t i = 0; i < NPARTS; i++)
        total += lens[i] = strlen(parts[i]);
    char *s = arena_alloc(a, total + 1);
    if (s) {
        char *w = s;
        for (size_t i = 0; i < NPARTS; i++) {
            memcpy(w, parts[i], lens[i]);
            w += lens[i];
        }
        *w = '\0';
    }
    if (!s)
        return -1;
    *out = s;
    return 0;
}

static int check(const char *name, const char *value, const cookie_attrs *at)
{
    if (!name || !value)
        return -1;
    size_t nl = strlen(name), vl = strlen(value);
    if (!is_token(name, nl))
        return -1; /* cookie-name = token */
    for (size_t i = 0; i < vl; i++)
        if (!is_octet((unsigned char)value[i]))
            return -1; /* cookie-value = *cookie-octet: no CR, LF, ';', SP, ',', '"', '\' */
    if (nl + vl > COOKIE_MAX_NAME_VALUE)
        return -1;
    if (at->has_expires && (at->expires < 0 || at->expires > MAX_IMF_TIME))
        return -1;
    if (at->has_max_age && at->max_age < 0)
        return -1; /* max-age-av = "Max-Age=" non-zero-digit *DIGIT; 0 by our deletion convention */
    if ((unsigned)at->same_site >= COOKIE_SAMESITE__MAX)
        return -1;
    if (at->domain && (strlen(at->domain) > COOKIE_MAX_ATTR_VALUE || !valid_domain(at->domain)))
        return -1;
    if (at->path && (strlen(at->path) > COOKIE_MAX_ATTR_VALUE || !valid_path(at->path)))
        return -1;
    if (has_prefix_ci(name, "__Host-") && (at->domain || (at->path && strcmp(at->path, "/"))))
        return -1; /* RFC 6265bis §4.1.3.2: browsers drop such a cookie */
    return 0;
}

int cookie_format(arena *a, const char **out, const char *name, const char *value,
                  const cookie_attrs *attrs)
{
    static const cookie_attrs none;
    const cookie_attrs *at = attrs ? attrs : &none;
    if (check(name, value, at) < 0)
        return -1;
    return build(a, out, name, value, at, 0);
}

int cookie_format_delete(arena *a, const char **out, const char *name, const cookie_attrs *attrs)
{
    cookie_attrs at = attrs ? *attrs : (cookie_attrs){0};
    at.has_expires = 0;
    at.has_max_age = 1;
    at.max_age = 0;
    if (check(name, "", &at) < 0)
        return -1;
    return build(a, out, name, "", &at, 1);
}

/* A browser sends the same Cookie header request after request: each thread remembers the last
 * one it parsed into an empty jar (when small), and an identical header is answered by copying
 * that result into the request's arena instead of parsing it again. */
enum { MEMO_HEADER = 512, MEMO_PAIRS = 16 };
typedef struct parse_memo {
    size_t len; /* of header; 0: nothing remembered */
    char header[MEMO_HEADER];
    size_t count, malformed, blob_len;
    char blob[MEMO_HEADER + 2 * MEMO_PAIRS]; /* each name and value, NUL-terminated */
    struct {
        uint16_t name, name_len, value, value_len; /* offsets into blob */
    } pairs[MEMO_PAIRS];
} parse_memo;
static _Thread_local parse_memo memo;

static void memo_keep(const char *header, size_t len, const cookie_jar *jar)
{
    parse_memo *m = &memo;
    m->len = 0;
    if (len > MEMO_HEADER || jar->count > MEMO_PAIRS)
        return;
    size_t at = 0;
    for (size_t i = 0; i < jar->count; i++) {
        const cookie_pair *p = &jar->pairs[i];
        m->pairs[i].name = (uint16_t)at;
        m->pairs[i].name_len = (uint16_t)p->name_len;
        memcpy(m->blob + at, p->name, p->name_len + 1);
        at += p->name_len + 1;
        m->pairs[i].value = (uint16_t)at;
        m->pairs[i].value_len = (uint16_t)p->value_len;
        memcpy(m->blob + at, p->value, p->value_len + 1);
        at += p->value_len + 1;
    }
    memcpy(m->header, header, len);
    m->count = jar->count;
    m->malformed = jar->malformed;
    m->blob_len = at;
    m->len = len;
}

static int memo_answer(arena *a, cookie_jar *jar)
{
    const parse_memo *m = &memo;
    if (m->count) {
        /* the pairs, then their text: one allocation */
        cookie_pair *pairs = arena_alloc(a, m->count * sizeof *pairs + m->blob_len);
        if (!pairs)
            return -1;
        char *blob = (char *)(pairs + m->count);
        memcpy(blob, m->blob, m->blob_len);
        for (size_t i = 0; i < m->count; i++)
            pairs[i] = (cookie_pair){blob + m->pairs[i].name, m->pairs[i].name_len,
                                     blob + m->pairs[i].value, m->pairs[i].value_len};
        jar->pairs = pairs;
        jar->count = m->count;
    }
    jar->malformed += m->malformed;
    return 0;
}

int cookie_parse(arena *a, const char *header, size_t len, cookie_jar *jar)
{
    if (len == 0)
        return 0;
    if (jar->count || jar->malformed) /* a second Cookie field: appended, as parsed */
        return parse_fresh(a, header, len, jar);
    if (len == memo.len && memcmp(header, memo.header, len) == 0)
        return memo_answer(a, jar);
    int rc = parse_fresh(a, header, len, jar);
    if (rc == 0)
        memo_keep(header, len, jar);
    return rc;
}
