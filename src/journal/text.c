/* Text the journal stores or logs: UTF-8 validation, JSON escaping of attacker bytes, times,
 * secret field names. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/termtext.h"
#include "journal/internal.h"

size_t jr_utf8_len(const unsigned char *p, size_t n)
{
    if (n == 0 || p[0] == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min, cp;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, cp = c & 0x07;
    } else {
        return 0; /* a continuation byte, an overlong lead (c0, c1) or past U+10FFFF */
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms and surrogates are not UTF-8 (RFC 3629 section 3). */
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

int jr_append_utf8(buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        size_t k;
        while (run < n && (k = jr_utf8_len(p + run, n - run)) > 0)
            run += k;
        if (buf_append(b, s + i, run - i) < 0)
            return -1;
        if (run < n && buf_append(b, replacement, 3) < 0)
            return -1;
        i = run + 1;
    }
    return 0;
}

int jr_append_json(buf *b, const char *s, size_t n, int bytes_as_hex)
{
    if (!s)
        return buf_append(b, "null", 4);
    if (buf_reserve(b, n + 2) < 0 || buf_append(b, "\"", 1) < 0)
        return -1;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k = jr_utf8_len(p + i, n - i);
        char esc[8];
        int rc;
        if (k > 1 && term_char_len(p + i, n - i) == 0) {
            /* A C1 or bidi control (two or three bytes): the same string to a JSON reader,
             * inert on the terminal of whoever tails the log. */
            unsigned cp = k == 2 ? (c & 0x1fu) << 6 | (p[i + 1] & 0x3fu)
                                 : (c & 0x0fu) << 12 | (p[i + 1] & 0x3fu) << 6 | (p[i + 2] & 0x3fu);
            snprintf(esc, sizeof esc, "\\u%04x", cp);
            rc = buf_append(b, esc, 6);
        } else if (k > 1) {
            rc = buf_append(b, s + i, k);
        } else if (k == 0 && c != 0) {
            /* Not UTF-8: shown as the text \xHH so that nothing the attacker sent is lost. */
            snprintf(esc, sizeof esc, "\\\\x%02x", c);
            rc = bytes_as_hex ? buf_append(b, esc, 5) : buf_append(b, replacement, 3);
            k = 1;
        } else if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            rc = buf_append(b, esc, 2);
            k = 1;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            rc = buf_append(b, esc, 6);
            k = 1;
        } else {
            rc = buf_append(b, s + i, 1);
            k = 1;
        }
        if (rc < 0)
            return -1;
        i += k;
    }
    return buf_append(b, "\"", 1);
}

int jr_append_time(buf *b, int64_t ms)
{
    time_t sec = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0)
        frac += 1000, sec -= 1;
    struct tm tm;
    char out[64];
    if (!gmtime_r(&sec, &tm))
        return buf_append(b, "null", 4);
    size_t len = strftime(out, sizeof out, "\"%Y-%m-%dT%H:%M:%S", &tm);
    len += (size_t)snprintf(out + len, sizeof out - len, ".%03dZ\"", frac);
    return buf_append(b, out, len);
}

static int has_substring_ci(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++)
        if (strncasecmp(s + i, needle, m) == 0)
            return 1;
    return 0;
}

int jr_is_secret(const char *const *fields, size_t nfields, const char *name, size_t len,
                 int contains)
{
    for (size_t i = 0; i < nfields; i++) {
        size_t m = strlen(fields[i]);
        if (m == len && strncasecmp(fields[i], name, len) == 0)
            return 1;
        if (contains && has_substring_ci(name, len, fields[i]))
            return 1;
    }
    return 0;
}
