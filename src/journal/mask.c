/* Masking of secrets in captured requests (query, urlencoded and JSON bodies, credential headers),
 * for the records of clients that turned out not to be attackers. Runs on the writer thread. */
#include <ctype.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journal/internal.h"

static const char masked[] = "[masked]";

/* Appends what stands for the secret value v. */
static int put_secret(buf *out, const jr_mask_rule *rule, const char *v, size_t n)
{
    if (!rule->hash)
        return buf_append(out, masked, sizeof masked - 1);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)v, n, md);
    char text[8 + 2 * SHA256_DIGEST_LENGTH + 2] = "[sha256:";
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(text + 8 + 2 * i, 3, "%02x", md[i]);
    text[8 + 2 * SHA256_DIGEST_LENGTH] = ']';
    return buf_append(out, text, sizeof text - 1);
}

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

int jr_mask_urlencoded(buf *out, const char *s, size_t n, const jr_mask_rule *rule)
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
        if (eq && jr_is_secret(rule->fields, rule->nfields, key, dlen, 0)) {
            rc = buf_append(out, s + i, klen + 1);
            if (rc == 0)
                rc = put_secret(out, rule, eq + 1, end - (size_t)(eq + 1 - s));
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

/* The replacement of a JSON value: a string's bytes are hashed, anything else as JSON text. */
static json_t *json_secret(const json_t *v, const jr_mask_rule *rule)
{
    buf b = BUF_INIT;
    char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = json_is_string(v) ? put_secret(&b, rule, json_string_value(v), json_string_length(v))
                               : put_secret(&b, rule, text ? text : "", text ? strlen(text) : 0);
    free(text);
    json_t *out = rc == 0 ? json_stringn(b.data, b.len) : json_string(masked);
    buf_free(&b);
    return out;
}

/* Replaces the values of secret keys at any depth. */
static void mask_json(json_t *v, const jr_mask_rule *rule)
{
    if (json_is_object(v)) {
        const char *key;
        json_t *item;
        json_object_foreach(v, key, item) {
            if (jr_is_secret(rule->fields, rule->nfields, key, strlen(key), 0))
                json_object_set_new(v, key, json_secret(item, rule));
            else
                mask_json(item, rule);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            mask_json(json_array_get(v, i), rule);
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
                 const jr_mask_rule *rule)
{
    if (n == 0)
        return 0;
    if (ctype && ctype_is(ctype, ctlen, "application/x-www-form-urlencoded"))
        return jr_mask_urlencoded(out, s, n, rule);
    if (ctype && ctype_is(ctype, ctlen, "json")) {
        json_t *v = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        if (v) {
            mask_json(v, rule);
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
    return put_secret(out, rule, s, n);
}

int jr_mask_header(buf *out, const char *name, size_t nlen, const char *v, size_t vlen,
                   const jr_mask_rule *rule)
{
    if ((nlen == 13 && strncasecmp(name, "authorization", 13) == 0) ||
        (nlen == 19 && strncasecmp(name, "proxy-authorization", 19) == 0)) {
        /* The scheme (Basic, Bearer) is evidence of how the client logged in, not a secret. */
        const char *sp = memchr(v, ' ', vlen);
        size_t keep = sp ? (size_t)(sp - v) + 1 : 0;
        if (keep && buf_append(out, v, keep) < 0)
            return -1;
        return put_secret(out, rule, v + keep, vlen - keep);
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
                (eq && put_secret(out, rule, eq + 1, end - (size_t)(eq + 1 - v)) < 0))
                return -1;
            if (!semi)
                break;
            if (buf_append(out, ";", 1) < 0)
                return -1;
            i = end + 1;
        }
        return 0;
    }
    if (jr_is_secret(rule->fields, rule->nfields, name, nlen, 1) ||
        (nlen >= 7 && strncasecmp(name + nlen - 7, "api-key", 7) == 0))
        return put_secret(out, rule, v, vlen);
    return buf_append(out, v, vlen);
}

int jr_mask_target(buf *out, const char *t, size_t n, const jr_mask_rule *rule)
{
    const char *q = memchr(t, '?', n);
    size_t pre = q ? (size_t)(q - t) + 1 : n;
    if (buf_append(out, t, pre) < 0)
        return -1;
    return q ? jr_mask_urlencoded(out, q + 1, n - pre, rule) : 0;
}

int jr_headers_json(buf *out, buf *tmp, const jr_str *pairs, size_t n, const jr_mask_rule *rule)
{
    /* The order and repeats are evidence too: an array of pairs, not an object. */
    int rc = buf_append(out, "[", 1);
    for (size_t i = 0; i < n; i++) {
        jr_str name = pairs[2 * i], value = pairs[2 * i + 1];
        rc |= buf_append_str(out, i ? ",[" : "[");
        rc |= jr_append_json(out, name.p, name.len, 0);
        rc |= buf_append(out, ",", 1);
        if (rule) {
            tmp->len = 0;
            rc |= jr_mask_header(tmp, name.p, name.len, value.p, value.len, rule);
            rc |= jr_append_json(out, tmp->data ? tmp->data : "", tmp->len, 0);
        } else {
            rc |= jr_append_json(out, value.p, value.len, 0);
        }
        rc |= buf_append(out, "]", 1);
    }
    rc |= buf_append(out, "]", 1);
    return rc ? -1 : 0;
}
