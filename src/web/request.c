/* What a handler reads: method, path, headers, parameters, forms, uploads, cookies, JSON, the
 * session and the client address. Everything is parsed on first use and kept in the arena. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "web/web.h"

enum { MAX_FIELDS = 1000, MAX_PARTS = 100, MAX_PART_HEADER = 8192 };

static const char *lazy_copy(mitsu_req *req, char **slot, http_slice s)
{
    if (!*slot)
        *slot = arena_strndup(req->ex->arena, s.base ? s.base : "", s.len);
    return *slot ? *slot : "";
}

const char *mitsu_req_method(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->method_z, req->ex->req.method_name);
}

const char *mitsu_req_path(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->path_z, req->path);
}

const char *mitsu_req_target(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->target_z, req->ex->req.target);
}

const char *mitsu_req_query(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    return lazy_copy(r, &r->query_z, req->ex->req.query);
}

const char *mitsu_req_header(const mitsu_req *req, const char *name)
{
    const http_header *h = http_find_header(&req->ex->req, name);
    if (!h)
        return NULL;
    return arena_strndup(req->ex->arena, h->value.base, h->value.len);
}

const char *mitsu_req_body(const mitsu_req *req, size_t *len)
{
    if (len)
        *len = req->ex->body_len;
    return req->ex->body_len ? req->ex->body : "";
}

void *mitsu_alloc(mitsu_req *req, size_t size)
{
    return arena_alloc(req->ex->arena, size);
}

const char *mitsu_client_ip(const mitsu_req *req)
{
    mitsu_req *r = (mitsu_req *)req;
    if (!r->client_ip[0]) {
        char peer[64];
        cidr_peer_text(&req->ex->peer, req->ex->peer_len, peer);
        const char *fwd = NULL, *xff = NULL;
        if (r->app->trusted.count) {
            fwd = mitsu_req_header(req, "Forwarded");
            xff = mitsu_req_header(req, "X-Forwarded-For");
        }
        cidr_client_address(&r->app->trusted, peer, fwd, xff, r->client_ip);
    }
    return r->client_ip;
}

int mitsu_rewrite(mitsu_req *req, const char *path)
{
    if (!path || path[0] != '/')
        return -1;
    char *copy = arena_strdup(req->ex->arena, path);
    if (!copy)
        return -1;
    req->path.base = copy;
    req->path.len = strlen(copy);
    req->path_z = copy;
    return 0;
}

const char *mitsu_param(mitsu_req *req, const char *name)
{
    if (!req->matched)
        return NULL;
    const route_param *p = route_match_param(&req->match, name);
    if (!p)
        return NULL;
    char *out = arena_alloc(req->ex->arena, p->value_len + 1);
    if (!out)
        return NULL;
    form_decode(p->value, p->value_len, out, 0, NULL);
    return out;
}

const char *mitsu_query(mitsu_req *req, const char *name)
{
    if (!req->query_parsed) {
        req->query_parsed = 1;
        const http_slice q = req->ex->req.query;
        if (form_parse_urlencoded(req->ex->arena, q.base ? q.base : "", q.len, MAX_FIELDS,
                                  &req->query) < 0)
            memset(&req->query, 0, sizeof req->query);
    }
    const form_field *f = form_get(&req->query, name);
    return f ? f->value : NULL;
}

static int content_type_is(const mitsu_req *req, const char *type)
{
    const http_header *h = http_find_header(&req->ex->req, "Content-Type");
    size_t n = strlen(type);
    return h && h->value.len >= n && strncasecmp(h->value.base, type, n) == 0 &&
           (h->value.len == n || h->value.base[n] == ';' || h->value.base[n] == ' ');
}

static void parse_form(mitsu_req *req)
{
    req->form_parsed = 1;
    memset(&req->form, 0, sizeof req->form);
    arena *a = req->ex->arena;
    if (content_type_is(req, "application/x-www-form-urlencoded")) {
        if (form_parse_urlencoded(a, req->ex->body, req->ex->body_len, MAX_FIELDS, &req->form) < 0)
            memset(&req->form, 0, sizeof req->form);
    } else if (content_type_is(req, "multipart/form-data")) {
        const char *ct = mitsu_req_header(req, "Content-Type");
        multipart_limits lim = {MAX_PARTS, MAX_PART_HEADER};
        const char *err = NULL;
        if (form_parse_multipart(a, ct, req->ex->body, req->ex->body_len, &lim, &req->form,
                                 &err) < 0)
            memset(&req->form, 0, sizeof req->form);
    }
}

const char *mitsu_form(mitsu_req *req, const char *name)
{
    if (!req->form_parsed)
        parse_form(req);
    const form_field *f = form_get(&req->form, name);
    return f && !f->filename ? f->value : NULL;
}

const mitsu_upload *mitsu_file(mitsu_req *req, const char *name)
{
    if (!req->form_parsed)
        parse_form(req);
    for (size_t i = 0; i < req->form.count; i++) {
        const form_field *f = &req->form.items[i];
        if (f->filename && strcmp(f->name, name) == 0) {
            mitsu_upload *u = arena_alloc(req->ex->arena, sizeof *u);
            if (!u)
                return NULL;
            u->filename = f->filename;
            u->content_type = f->content_type;
            u->data = f->value;
            u->len = f->value_len;
            return u;
        }
    }
    return NULL;
}

const cookie_jar *req_cookies(mitsu_req *req)
{
    if (!req->cookies_parsed) {
        req->cookies_parsed = 1;
        const http_request *hr = &req->ex->req;
        /* Several Cookie fields are joined as one list (RFC 6265 §5.4). */
        for (size_t i = 0; i < hr->nheaders; i++)
            if (http_slice_ieq(hr->headers[i].name, "Cookie"))
                cookie_parse(req->ex->arena, hr->headers[i].value.base, hr->headers[i].value.len,
                             &req->jar);
    }
    return &req->jar;
}

const char *mitsu_cookie(mitsu_req *req, const char *name)
{
    const cookie_pair *p = cookie_get(req_cookies(req), name);
    return p ? arena_strndup(req->ex->arena, p->value, p->value_len) : NULL;
}

const char *mitsu_signed_cookie(mitsu_req *req, const char *name, int64_t max_age_s)
{
    const cookie_pair *p = cookie_get(req_cookies(req), name);
    if (!p)
        return NULL;
    char purpose[160];
    snprintf(purpose, sizeof purpose, "cookie:%s", name);
    sign_result r;
    enum sign_status st = sign_verify(req->app->keys, req->ex->arena, purpose, p->value,
                                      p->value_len, (int64_t)time(NULL), max_age_s, &r);
    if (st == SIGN_TAMPERED)
        req->tampered = 1;
    return st == SIGN_VALID ? r.value : NULL;
}

int mitsu_req_tampered(const mitsu_req *req)
{
    return req->tampered || (req->sess && session_tampered(req->sess));
}

static void json_cleanup(void *p)
{
    json_decref(p);
}

json_t *mitsu_json_body(mitsu_req *req)
{
    if (!req->json_parsed) {
        req->json_parsed = 1;
        if (content_type_is(req, "application/json") && req->ex->body_len) {
            json_error_t err;
            req->json = json_loadb(req->ex->body, req->ex->body_len, JSON_REJECT_DUPLICATES,
                                   &err);
            if (req->json && arena_defer(req->ex->arena, json_cleanup, req->json) < 0) {
                json_decref(req->json);
                req->json = NULL;
            }
        }
    }
    return req->json;
}

session *req_session(mitsu_req *req)
{
    if (!req->session_loaded) {
        req->session_loaded = 1;
        req->sess = session_load(req->ex->arena, req->app->keys, req_cookies(req),
                                 req->app->session_cookie, (int64_t)time(NULL));
        if (req->sess && session_tampered(req->sess))
            req->tampered = 1;
    }
    return req->sess;
}

const char *mitsu_session_get(mitsu_req *req, const char *key)
{
    session *s = req_session(req);
    return s ? session_get(s, key) : NULL;
}

int mitsu_session_set(mitsu_req *req, const char *key, const char *value)
{
    session *s = req_session(req);
    return s ? session_set(s, key, value) : -1;
}

void mitsu_session_clear(mitsu_req *req)
{
    session *s = req_session(req);
    if (s)
        session_invalidate(s);
}
