/* Masking of secrets in captured requests (query, urlencoded and JSON bodies, credential headers),
 * for the records of clients that turned out not to be attackers. Runs on the writer thread. */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journal/internal.h"

static const char masked[] = "[masked]";

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes a form key (%XX and '+') into out (at most cap bytes); returns its length. A key
 * longer than cap cannot be one of the field names anyway. */
static size_t form_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = hexval(s[i + 1]) * 16 + hexval(s[i + 2]);
            i += 2;
        }
        out[o++] = (char)c;
    }
    return o;
}

int jr_mask_urlencoded(buf *out, const char *s, size_t n, const char *const *fields,
                       size_t nfields)
{
    size_t i = 0;
    while (i <= n) {
        const char *amp = memchr(s + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - s) : n;
        const char *eq = memchr(s + i, '=', end - i);
        size_t klen = eq ? (size_t)(eq - (s + i)) : end - i;
        char key[128];
        size_t dlen = form_decode(s + i, klen, key, sizeof key);
        int rc;
        if (eq && jr_is_secret(fields, nfields, key, dlen, 0)) {
            rc = buf_append(out, s + i, klen + 1);
            if (rc == 0)
                rc = buf_append(out, masked, sizeof masked - 1);
        } else {
            rc = buf_append(out, s + i, end - i);
        }
        if (rc < 0)
            return -1;
        if (!amp)
            break;
        if (buf_append(out, "&", 1) < 0)
            return -1;
        i = end + 1;
    }
    return 0;
}

/* Replaces the values of secret keys at any depth. */
static void mask_json(json_t *v, const char *const *fields, size_t nfields)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item) {
            if (jr_is_secret(fields, nfields, key, strlen(key), 0))
                json_object_set_new(v, key, json_string(masked));
            else
                mask_json(item, fields, nfields);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            mask_json(json_array_get(v, i), fields, nfields);
    }
}

static int ctype_is(const char *ct, size_t n, const char *what)
{
    size_t m = strlen(what);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(ct + i, what, m) == 0)
            return 1;
    return 0;
}

int jr_mask_body(buf *out, const char *ctype, size_t ctlen, const char *s, size_t n,
                 const char *const *fields, size_t nfields)
{
    if (n == 0)
        return 0;
    if (ctype && ctype_is(ctype, ctlen, "application/x-www-form-urlencoded"))
        return jr_mask_urlencoded(out, s, n, fields, nfields);
    if (ctype && ctype_is(ctype, ctlen, "json")) {
        json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (v) {
            mask_json(v, fields, nfields);
            char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
            json_decref(v);
            if (!text)
                return -1;
            int rc = buf_append_str(out, text);
            free(text);
            return rc;
        }
    }
    /* Another type, or JSON that does not parse (truncated, say): a secret could be anywhere
     * in it, so none of it is kept. */
    return buf_append(out, masked, sizeof masked - 1);
}

int jr_mask_header(buf *out, const char *name, size_t nlen, const char *v, size_t vlen,
                   const char *const *fields, size_t nfields)
{
    if ((nlen == 13 && strncasecmp(name, "authorization", 13) == 0) ||
        (nlen == 19 && strncasecmp(name, "proxy-authorization", 19) == 0)) {
        /* The scheme (Basic, Bearer) is evidence of how the client logged in, not a secret. */
        const char *sp = memchr(v, ' ', vlen);
        if (sp && buf_append(out, v, (size_t)(sp - v) + 1) < 0)
            return -1;
        return buf_append(out, masked, sizeof masked - 1);
    }
    if (nlen == 6 && strncasecmp(name, "cookie", 6) == 0) {
        /* Every cookie can be a session: keep the names, mask every value. */
        size_t i = 0;
        while (i < vlen) {
            const char *semi = memchr(v + i, ';', vlen - i);
            size_t end = semi ? (size_t)(semi - v) : vlen;
            const char *eq = memchr(v + i, '=', end - i);
            size_t keep = eq ? (size_t)(eq - (v + i)) + 1 : end - i;
            if (buf_append(out, v + i, keep) < 0 ||
                (eq && buf_append(out, masked, sizeof masked - 1) < 0))
                return -1;
            if (!semi)
                break;
            if (buf_append(out, ";", 1) < 0)
                return -1;
            i = end + 1;
        }
        return 0;
    }
    if (jr_is_secret(fields, nfields, name, nlen, 1) ||
        (nlen >= 7 && strncasecmp(name + nlen - 7, "api-key", 7) == 0))
        return buf_append(out, masked, sizeof masked - 1);
    return buf_append(out, v, vlen);
}
