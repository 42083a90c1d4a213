/* Who may use the admin listener: whoever presents the token, as "Authorization: Bearer TOKEN"
 * or once through the login form, which then sets a signed HttpOnly, SameSite=Strict cookie. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admin/internal.h"
#include "web/cookie.h"

#define COOKIE_NAME "mitsu_admin"
#define COOKIE_PURPOSE "admin:login"
#define COOKIE_LIFETIME_S (12 * 3600)

/* Tokens are compared as MACs under a fixed key: equal lengths, so CRYPTO_memcmp takes the
 * same time whatever the guess, and its length leaks nothing either. */
static const char mac_key[] = "mitsu admin token comparison";

static int token_mac(const char *token, size_t len, unsigned char out[SIGN_MAC_LEN])
{
    return sign_hmac_sha256(mac_key, sizeof mac_key - 1, token, len, out);
}

int auth_init(admin_server *a, const char *token)
{
    size_t len = strlen(token);
    if (token_mac(token, len, a->token_mac) < 0)
        return -1;
    sign_key key = {token, len};
    a->cookie_keys = sign_ring_new(&key, 1);
    return a->cookie_keys ? 0 : -1;
}

int auth_token_matches(const admin_server *a, const char *token, size_t len)
{
    unsigned char mac[SIGN_MAC_LEN];
    if (!token || len == 0 || token_mac(token, len, mac) < 0)
        return 0;
    return CRYPTO_memcmp(mac, a->token_mac, sizeof mac) == 0;
}

static int bearer_ok(adm_req *q)
{
    const http_header *h = http_find_header(&q->ex->req, "Authorization");
    if (!h || h->value.len < 7 || strncasecmp(h->value.base, "Bearer ", 7) != 0)
        return 0;
    const char *t = h->value.base + 7;
    size_t len = h->value.len - 7;
    while (len && *t == ' ') {
        t++;
        len--;
    }
    return auth_token_matches(q->a, t, len);
}

static int cookie_ok(adm_req *q)
{
    const http_request *hr = &q->ex->req;
    cookie_jar jar = {0};
    for (size_t i = 0; i < hr->nheaders; i++)
        if (http_slice_ieq(hr->headers[i].name, "Cookie") &&
            cookie_parse(q->ex->arena, hr->headers[i].value.base, hr->headers[i].value.len,
                         &jar) < 0)
            return 0;
    for (const cookie_pair *p = NULL; (p = cookie_next(&jar, COOKIE_NAME, p));) {
        sign_result r;
        if (sign_verify(q->a->cookie_keys, q->ex->arena, COOKIE_PURPOSE, p->value, p->value_len,
                        (int64_t)time(NULL), COOKIE_LIFETIME_S, &r) == SIGN_VALID)
            return 1;
    }
    return 0;
}

int auth_ok(adm_req *q)
{
    return bearer_ok(q) || cookie_ok(q);
}

/* Login and logout carry no CSRF token: a browser's POST is taken only from the dashboard's own
 * origin. Sec-Fetch-Site says so when present (our Referrer-Policy: no-referrer makes a
 * browser send "Origin: null" even from our own form); else an Origin other than null must
 * be this Host's (any scheme, since a proxy may add TLS). A program sending neither is no
 * browser that a page elsewhere could drive. */
int auth_same_origin(adm_req *q)
{
    const http_request *hr = &q->ex->req;
    const http_header *site = http_find_header(hr, "Sec-Fetch-Site");
    if (site)
        return http_slice_ieq(site->value, "same-origin") || http_slice_ieq(site->value, "none");
    const http_header *origin = http_find_header(hr, "Origin");
    if (!origin || http_slice_ieq(origin->value, "null"))
        return 1;
    const http_header *host = http_find_header(hr, "Host");
    const char *o = origin->value.base;
    size_t len = origin->value.len;
    const char *sep = o ? memmem(o, len, "://", 3) : NULL;
    if (!host || !sep)
        return 0;
    size_t at = (size_t)(sep - o) + 3;
    return len - at == host->value.len && len > at &&
           strncasecmp(o + at, host->value.base, host->value.len) == 0;
}

static int login_form(adm_req *q, int status, const char *message)
{
    hbuf h = {0};
    h_raw(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
              "<title>mitsu admin: log in</title><link rel=\"stylesheet\" href=\"/style.css\">"
              "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"></head>"
              "<body class=\"login\"><main><h1>mitsu admin</h1>");
    if (message) {
        h_raw(&h, "<p class=\"error\">");
        h_text(&h, message);
        h_raw(&h, "</p>");
    }
    h_raw(&h, "<form method=\"post\" action=\"/login\"><label for=\"token\">Admin token</label>"
              "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" "
              "required autofocus><button type=\"submit\">Log in</button></form></main>"
              "</body></html>\n");
    int rc = h.oom ? -1 : adm_reply(q, status, "text/html; charset=utf-8", h.b.data, h.b.len);
    buf_free(&h.b);
    return rc;
}

int auth_login_get(adm_req *q)
{
    return login_form(q, 200, NULL);
}

static cookie_attrs login_cookie_attrs(void)
{
    cookie_attrs attrs = {0};
    attrs.path = "/";
    attrs.http_only = 1;
    attrs.same_site = COOKIE_SAMESITE_STRICT;
    return attrs;
}

int auth_login_post(adm_req *q)
{
    form_fields f = {0};
    if (form_parse_urlencoded(q->ex->arena, q->ex->body ? q->ex->body : "", q->ex->body_len, 8,
                              &f) < 0)
        return -1;
    const form_field *t = form_get(&f, "token");
    if (!t || !auth_token_matches(q->a, t->value, t->value_len))
        return login_form(q, 401, "That is not the admin token.");
    const char *value;
    if (sign_value(q->a->cookie_keys, q->ex->arena, COOKIE_PURPOSE, "1", 1, (int64_t)time(NULL),
                   &value) < 0)
        return -1;
    cookie_attrs attrs = login_cookie_attrs();
    attrs.has_max_age = 1;
    attrs.max_age = COOKIE_LIFETIME_S;
    const char *header;
    if (cookie_format(q->ex->arena, &header, COOKIE_NAME, value, &attrs) < 0 ||
        adm_redirect(q, "/") < 0)
        return -1;
    return http_response_header(&q->ex->res, "Set-Cookie", header);
}

int auth_logout(adm_req *q)
{
    cookie_attrs attrs = login_cookie_attrs();
    const char *header;
    if (cookie_format_delete(q->ex->arena, &header, COOKIE_NAME, &attrs) < 0 ||
        adm_redirect(q, "/login") < 0)
        return -1;
    return http_response_header(&q->ex->res, "Set-Cookie", header);
}
