/* Sessions in a signed cookie: JSON (jansson) signed by sign_value(), loaded into the request
 * arena (format in session.h). */
#include "web/session.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct session {
    arena *a;
    const sign_ring *ring;
    const char *name;    /* cookie name, copied into the arena */
    const char *purpose; /* "session:" name */
    json_t *data;        /* object of strings; released by an arena cleanup */
    enum sign_status status;
    const char *reason;
    int dirty;
};

static void release(void *p)
{
    json_decref(p);
}

/* A payload session_save() writes: {"d": {string...}, "e": integer}, and nothing else. */
static json_t *parse_payload(const char *text, size_t len, int64_t now, enum sign_status *st,
                             const char **reason)
{
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *d = json_object_get(root, "d");
    json_t *e = json_object_get(root, "e");
    int ok = json_is_object(root) && json_object_size(root) == 2 && json_is_object(d) &&
             json_is_integer(e);
    const char *k;
    json_t *v;
    json_object_foreach(d, k, v) {
        if (!json_is_string(v))
            ok = 0;
    }
    if (!ok) {
        /* Only our key can have signed it: a bug of ours or a stolen key, so report it. */
        *st = SIGN_TAMPERED;
        *reason = "session payload is not what session_save writes";
        json_decref(root);
        return NULL;
    }
    if (json_integer_value(e) <= now) {
        *st = SIGN_EXPIRED;
        *reason = "session lifetime is over";
        json_decref(root);
        return NULL;
    }
    json_incref(d);
    json_decref(root);
    return d;
}

session *session_load(arena *a, const sign_ring *r, const cookie_jar *jar, const char *name,
                      int64_t now)
{
    session *s = arena_calloc(a, 1, sizeof *s);
    if (!s)
        return NULL;
    s->a = a;
    s->ring = r;
    s->name = arena_strdup(a, name);
    s->purpose = arena_printf(a, "session:%s", name);
    if (!s->name || !s->purpose)
        return NULL;

    const cookie_pair *c = cookie_get(jar, name);
    sign_result res;
    s->status = sign_verify(r, a, s->purpose, c ? c->value : NULL, c ? c->value_len : 0, now, 0,
                            &res);
    s->reason = res.reason;
    json_t *d = NULL;
    if (s->status == SIGN_VALID) {
        d = parse_payload(res.value, res.len, now, &s->status, &s->reason);
        s->dirty = d && res.key_index > 0;
    }
    if (!d)
        d = json_object();
    if (!d)
        return NULL;
    if (arena_defer(a, release, d) < 0) {
        json_decref(d);
        return NULL;
    }
    s->data = d;
    return s;
}

enum sign_status session_status(const session *s)
{
    return s->status;
}

int session_tampered(const session *s)
{
    return s->status == SIGN_TAMPERED;
}

const char *session_reason(const session *s)
{
    return s->reason;
}

const char *session_get(const session *s, const char *key)
{
    return json_string_value(json_object_get(s->data, key));
}

size_t session_count(const session *s)
{
    return json_object_size(s->data);
}

int session_set(session *s, const char *key, const char *value)
{
    json_t *v = json_string(value); /* NULL on invalid UTF-8 */
    if (!v || json_object_set_new(s->data, key, v) < 0) /* steals v even on failure */
        return -1;
    s->dirty = 1;
    return 0;
}

int session_remove(session *s, const char *key)
{
    if (json_object_del(s->data, key) == 0)
        s->dirty = 1;
    return 0;
}

void session_invalidate(session *s)
{
    json_object_clear(s->data);
    s->dirty = 1;
}

int session_dirty(const session *s)
{
    return s->dirty;
}

int session_save(session *s, const cookie_attrs *attrs, int64_t lifetime, int64_t now,
                 const char **set_cookie)
{
    cookie_attrs at = attrs ? *attrs
                            : (cookie_attrs){.path = "/",
                                             .http_only = 1,
                                             .same_site = COOKIE_SAMESITE_LAX};
    if (lifetime <= 0 || now < 0 || now > INT64_MAX - lifetime)
        return -1;
    if (json_object_size(s->data) == 0)
        return cookie_format_delete(s->a, set_cookie, s->name, &at);

    json_t *root = json_pack("{s:O,s:I}", "d", s->data, "e", (json_int_t)(now + lifetime));
    char *text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(root);
    if (!text)
        return -1;
    const char *signed_value;
    int rc = sign_value(s->ring, s->a, s->purpose, text, strlen(text), now, &signed_value);
    free(text);
    if (rc < 0)
        return -1;
    at.has_expires = 0;
    at.has_max_age = 1;
    at.max_age = lifetime;
    return cookie_format(s->a, set_cookie, s->name, signed_value, &at);
}
