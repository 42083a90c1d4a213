/* Query strings, urlencoded and multipart/form-data bodies (see form.h). */
#include "web/form.h"

#include <string.h>
#include <strings.h>

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

size_t form_decode(const char *in, size_t len, char *out, int plus_is_space, size_t *bad)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int hi = i + 2 < len ? hex_value((unsigned char)in[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value((unsigned char)in[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi << 4 | lo);
                i += 2;
                continue;
            }
            if (bad)
                (*bad)++;
            out[o++] = '%';
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

static char *decode_dup(arena *a, const char *s, size_t len, size_t *out_len, size_t *bad)
{
    char *p = arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    size_t n = form_decode(s, len, p, 1, bad);
    if (out_len)
        *out_len = n;
    return p;
}

static int fields_push(arena *a, form_fields *f, size_t *cap, form_field **slot)
{
    if (f->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        form_field *items = arena_alloc(a, ncap * sizeof *items);
        if (!items)
            return -1;
        if (f->count)
            memcpy(items, f->items, f->count * sizeof *items);
        f->items = items;
        *cap = ncap;
    }
    *slot = &f->items[f->count++];
    memset(*slot, 0, sizeof **slot);
    return 0;
}

int form_parse_urlencoded(arena *a, const char *s, size_t len, size_t max_fields,
                          form_fields *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    const char *end = s + len;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *stop = amp ? amp : end;
        if (stop > s) {
            if (out->count >= max_fields) {
                out->truncated = 1;
                break;
            }
            const char *eq = memchr(s, '=', (size_t)(stop - s));
            const char *name_end = eq ? eq : stop;
            form_field *f;
            if (fields_push(a, out, &cap, &f) < 0)
                return -1;
            f->name = decode_dup(a, s, (size_t)(name_end - s), NULL, &out->bad_escapes);
            f->value = eq ? decode_dup(a, eq + 1, (size_t)(stop - eq - 1), &f->value_len,
                                       &out->bad_escapes)
                          : "";
            if (!f->name || !f->value)
                return -1;
        }
        s = amp ? amp + 1 : end;
    }
    return 0;
}

const form_field *form_get(const form_fields *f, const char *name)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->items[i].name, name) == 0)
            return &f->items[i];
    return NULL;
}

/* ---- multipart/form-data (RFC 7578, RFC 2046 §5.1) ------------------------------------- */

/* Finds parameter `param` (e.g. "boundary") in a header value like
 * `multipart/form-data; boundary="abc"`. Returns an arena copy without quotes, or NULL. */
static char *header_param(arena *a, const char *value, size_t len, const char *param)
{
    size_t plen = strlen(param);
    const char *p = value, *end = value + len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi)
            return NULL;
        p = semi + 1;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(end - p) > plen && strncasecmp(p, param, plen) == 0 && p[plen] == '=') {
            p += plen + 1;
            if (p < end && *p == '"') {
                const char *q = ++p;
                char *outp = arena_alloc(a, (size_t)(end - p) + 1);
                if (!outp)
                    return NULL;
                size_t o = 0;
                while (q < end && *q != '"') {
                    if (*q == '\\' && q + 1 < end)
                        q++;
                    outp[o++] = *q++;
                }
                if (q >= end)
                    return NULL; /* unterminated quoted-string */
                outp[o] = '\0';
                return outp;
            }
            const char *v = p;
            while (p < end && *p != ';' && *p != ' ' && *p != '\t')
                p++;
            return arena_strndup(a, v, (size_t)(p - v));
        }
    }
    return NULL;
}

/* A file name as a browser sends it may carry a client path ("C:\x\a.txt"): keep the last
 * component only, so no caller is tempted to use it as a path. */
static const char *base_name(const char *name)
{
    const char *b = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    return b;
}

static const char *find_bytes(const char *hay, size_t hay_len, const char *needle, size_t nlen)
{
    if (nlen == 0 || hay_len < nlen)
        return NULL;
    return memmem(hay, hay_len, needle, nlen);
}

/* Parses one part's header block [p, end): Content-Disposition and Content-Type. */
static int parse_part_headers(arena *a, const char *p, const char *end, form_field *f,
                              const char **err)
{
    int have_disposition = 0;
    while (p < end) {
        const char *eol = find_bytes(p, (size_t)(end - p), "\r\n", 2);
        const char *line_end = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (!colon) {
            *err = "multipart part header without a colon";
            return -1;
        }
        const char *v = colon + 1;
        while (v < line_end && (*v == ' ' || *v == '\t'))
            v++;
        size_t nlen = (size_t)(colon - p);
        if (nlen == 19 && strncasecmp(p, "Content-Disposition", 19) == 0) {
            if ((size_t)(line_end - v) < 9 || strncasecmp(v, "form-data", 9) != 0) {
                *err = "multipart part is not form-data";
                return -1;
            }
            char *name = header_param(a, v, (size_t)(line_end - v), "name");
            if (!name) {
                *err = "multipart part without a name";
                return -1;
            }
            f->name = name;
            char *filename = header_param(a, v, (size_t)(line_end - v), "filename");
            if (filename)
                f->filename = base_name(filename);
            have_disposition = 1;
        } else if (nlen == 12 && strncasecmp(p, "Content-Type", 12) == 0) {
            f->content_type = arena_strndup(a, v, (size_t)(line_end - v));
        }
        p = eol ? eol + 2 : end;
    }
    if (!have_disposition) {
        *err = "multipart part without Content-Disposition";
        return -1;
    }
    return 0;
}

int form_parse_multipart(arena *a, const char *content_type, const char *body, size_t len,
                         const multipart_limits *limits, form_fields *out, const char **err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    *err = NULL;
    char *boundary = content_type ? header_param(a, content_type, strlen(content_type),
                                                 "boundary")
                                  : NULL;
    if (!boundary || !*boundary || strlen(boundary) > 70) {
        *err = "multipart body without a valid boundary (RFC 2046 §5.1.1)";
        return -1;
    }
    /* Delimiters are CRLF "--" boundary; the first may start the body without the CRLF. */
    size_t blen = strlen(boundary);
    char *delim = arena_alloc(a, blen + 5);
    if (!delim)
        return -1;
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, blen + 1);
    size_t dlen = blen + 4;

    const char *end = body + len;
    const char *p;
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
        p = body + dlen - 2;
    } else {
        const char *first = find_bytes(body, len, delim, dlen);
        if (!first) {
            *err = "multipart body without its first boundary";
            return -1;
        }
        p = first + dlen;
    }
    for (;;) {
        /* After a delimiter: "--" closes the body, else optional whitespace and CRLF. */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            *err = "multipart boundary not followed by CRLF";
            return -1;
        }
        p += 2;
        const char *head_end = find_bytes(p, (size_t)(end - p), "\r\n\r\n", 4);
        const char *data;
        if (head_end) {
            data = head_end + 4;
        } else if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
            head_end = p; /* no header lines at all */
            data = p + 2;
        } else {
            *err = "multipart part headers not terminated";
            return -1;
        }
        if ((size_t)(head_end - p) > limits->max_header_bytes) {
            *err = "multipart part headers too large";
            return -1;
        }
        if (out->count >= limits->max_parts) {
            *err = "too many multipart parts";
            return -1;
        }
        form_field *f;
        if (fields_push(a, out, &cap, &f) < 0)
            return -1;
        if (parse_part_headers(a, p, head_end, f, err) < 0)
            return -1;
        const char *next = find_bytes(data, (size_t)(end - data), delim, dlen);
        if (!next) {
            *err = "multipart body without its closing boundary";
            return -1;
        }
        /* Values are copied so they can be NUL-terminated; files stay in place. */
        f->value_len = (size_t)(next - data);
        if (f->filename) {
            f->value = data;
        } else {
            char *v = arena_strndup(a, data, f->value_len);
            if (!v)
                return -1;
            f->value = v;
        }
        p = next + dlen;
    }
}
