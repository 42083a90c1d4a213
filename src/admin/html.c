/* HTML built by appending to a buffer: every piece of data is escaped on its way in, since what
 * the dashboard shows (paths, payloads, evidence) was written by attackers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/internal.h"
#include "web/template.h"

static void put(hbuf *h, const char *s, size_t len)
{
    if (!h->oom && buf_append(&h->b, s, len) < 0)
        h->oom = 1;
}

void h_raw(hbuf *h, const char *s)
{
    put(h, s, strlen(s));
}

void h_textn(hbuf *h, const char *s, size_t len)
{
    if (!h->oom && tmpl_html_escape(&h->b, s, len) < 0)
        h->oom = 1;
}

void h_text(hbuf *h, const char *s)
{
    if (s)
        h_textn(h, s, strlen(s));
}

void h_text_cut(hbuf *h, const char *s, size_t max)
{
    size_t len = s ? strlen(s) : 0;
    if (len <= max) {
        h_textn(h, s ? s : "", len);
        return;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--; /* at a character, not inside one */
    h_textn(h, s, max);
    h_raw(h, "\xe2\x80\xa6"); /* … */
}

void h_printf(hbuf *h, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        h->oom = 1;
    else
        put(h, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void h_url_segment(hbuf *h, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            put(h, s, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            put(h, esc, 3);
        }
    }
}

void adm_time_text(int64_t ms, char *out, size_t n)
{
    struct tm tm;
    time_t t = (time_t)(ms / 1000);
    char date[24];
    if (ms <= 0 || !gmtime_r(&t, &tm) || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        snprintf(out, n, "%s", "");
    else
        snprintf(out, n, "%s.%03dZ", date, (int)(ms % 1000));
}
