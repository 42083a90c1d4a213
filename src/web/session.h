/* Sessions: an application's login state as a small string map carried in a signed cookie, with
 * a lifetime checked on the server. Expired or tampered cookies read as an empty session. */
#ifndef MITSU_WEB_SESSION_H
#define MITSU_WEB_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "web/cookie.h"
#include "web/sign.h"

/* Cookie value: sign_value() (purpose "session:" NAME) of the compact JSON
 *     {"d":{"key":"value",...},"e":EXPIRES}
 * where EXPIRES is Unix seconds. The expiry travels inside the signed payload, so a client that
 * keeps the cookie past its Max-Age still gets an empty session. The data is readable by the
 * client (signed, not encrypted): keep secrets out of it. The whole Set-Cookie must fit
 * COOKIE_MAX_NAME_VALUE, so a few hundred bytes of data at most. */

typedef struct session session;

/* Reads the session from the first cookie called name in jar (jar may be NULL). Lives in the
 * arena, like all it returns. Never NULL but when out of memory. The session is empty unless the
 * status is SIGN_VALID; a cookie whose payload is not what session_save() writes is TAMPERED. */
session *session_load(arena *a, const sign_ring *r, const cookie_jar *jar, const char *name,
                      int64_t now);

/* How the cookie read: SIGN_VALID, SIGN_ABSENT, SIGN_UNSIGNED, SIGN_TAMPERED, SIGN_EXPIRED (past
 * its lifetime) or SIGN_ERROR. session_tampered() is 1 for SIGN_TAMPERED: the honeypot's tamper
 * signal. session_reason() is a static text, NULL when valid. */
enum sign_status session_status(const session *s);
int session_tampered(const session *s);
const char *session_reason(const session *s);

/* The value of key, or NULL. Valid until the key is set or removed, or the arena is reset. */
const char *session_get(const session *s, const char *key);
size_t session_count(const session *s);
/* Sets key to value (both UTF-8 text). -1 on invalid UTF-8 or out of memory. */
int session_set(session *s, const char *key, const char *value);
/* Removes key; 0 even when it was not there. */
int session_remove(session *s, const char *key);
/* Logs out: removes every key, so that session_save() deletes the cookie. */
void session_invalidate(session *s);
/* 1 when the Set-Cookie should be sent: the session was changed, or it was signed by an older
 * key of the ring (re-signing it moves it to the current key). */
int session_dirty(const session *s);

/* The Set-Cookie value to send: the signed session, valid for lifetime seconds from now (as
 * Max-Age and as the expiry inside the payload), or a deletion when the session is empty. attrs
 * gives the other attributes (NULL: Path=/, HttpOnly, SameSite=Lax); its expiry fields are
 * ignored. 0, or -1 when the cookie would exceed the size limit, lifetime <= 0, or out of
 * memory (*set_cookie untouched). */
int session_save(session *s, const cookie_attrs *attrs, int64_t lifetime, int64_t now,
                 const char **set_cookie);

#endif
