/* Verdict changes in the management database: the verdicts log that running instances follow,
 * and the operator's flag and release (one implementation for the mitsu tool and a running
 * instance), with the masking of a released client's captured requests. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journal/internal.h"

int jr_verdict_insert(mitsu_db *db, int64_t time, mitsu_value sid, mitsu_value ip,
                      const char *state, double score, mitsu_value by, const char *origin)
{
    return mitsu_db_exec(db,
                         "INSERT INTO verdicts (time, sid, ip, state, score, by, origin)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)",
                         MITSU_INT(time), sid, ip, MITSU_TEXT(state), MITSU_REAL(score), by,
                         MITSU_TEXT(origin)) < 0
               ? -1
               : 0;
}

int jr_verdict_lock(mitsu_db *db)
{
    if (mitsu_db_kind(db) != MITSU_DB_POSTGRESQL)
        return 0; /* SQLite: one writer at a time already, ids in commit order */
    mitsu_rows *r = mitsu_db_query(db, "SELECT pg_advisory_xact_lock(7365827313)");
    int rc = r && mitsu_rows_next(r) == 1 ? 0 : -1;
    mitsu_rows_free(r);
    return rc;
}

int jr_verdict_notify(mitsu_db *db)
{
    /* Inside the transaction: PostgreSQL delivers it at commit, and only then. */
    if (mitsu_db_kind(db) != MITSU_DB_POSTGRESQL)
        return 0;
    return mitsu_db_script(db, "NOTIFY " JR_VERDICT_CHANNEL);
}

/* ---- Masking a released client's requests --------------------------------------------------- */

typedef struct stored_request {
    int64_t id;
    char *target, *headers, *body; /* copies; NULL where the column is */
    size_t body_len;
    int has_raw;                   /* raw bytes are there: they become [masked] */
} stored_request;

static void stored_free(stored_request *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(q[i].target);
        free(q[i].headers);
        free(q[i].body);
    }
    free(q);
}

/* A copy of n bytes (NUL-terminated) of p, or of the text p when n is (size_t)-1. 0, or -1 out
 * of memory; a NULL p is copied as NULL. */
static int copy(char **out, const void *p, size_t n)
{
    *out = NULL;
    if (!p)
        return 0;
    if (n == (size_t)-1)
        n = strlen(p);
    if (!(*out = malloc(n + 1)))
        return -1;
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    return 0;
}

/* Requests rewritten per batch: each holds up to [journal] body_max bytes twice (body, raw)
 * and its headers, and a released client may have sent many thousands. */
enum { MASK_BATCH = 100 };

/* The next captured requests of sid after id `after`, at most MASK_BATCH, read whole before
 * any is rewritten (a cursor and updates of its table do not mix on every backend). 0, or -1
 * (database error, out of memory). */
static int read_requests(mitsu_db *db, const char *sid, int64_t after, stored_request **out,
                         size_t *n)
{
    *out = NULL;
    *n = 0;
    mitsu_rows *r = mitsu_db_query(db, "SELECT id, target, headers, body, raw FROM requests"
                                       " WHERE sid = ? AND id > ? ORDER BY id LIMIT ?",
                                   MITSU_TEXT(sid), MITSU_INT(after), MITSU_INT(MASK_BATCH));
    size_t cap = 0;
    int rc = r ? 0 : -1, more = 0;
    while (rc == 0 && (more = mitsu_rows_next(r)) == 1) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            stored_request *grown = realloc(*out, ncap * sizeof *grown);
            if (!grown) {
                rc = -1;
                break;
            }
            *out = grown;
            cap = ncap;
        }
        stored_request *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        e->id = mitsu_rows_int(r, 0);
        size_t blen = 0, rlen = 0;
        const void *b = mitsu_rows_blob(r, 3, &blen);
        e->body_len = blen;
        e->has_raw = mitsu_rows_blob(r, 4, &rlen) && rlen;
        if (copy(&e->target, mitsu_rows_text(r, 1), (size_t)-1) ||
            copy(&e->headers, mitsu_rows_text(r, 2), (size_t)-1) || copy(&e->body, b, blen))
            rc = -1;
    }
    mitsu_rows_free(r);
    return rc == 0 && more >= 0 ? 0 : -1;
}

/* The stored headers JSON back into name/value pairs (pointing into v), masked into out. */
static int mask_headers(buf *out, buf *tmp, const char *json, const jr_mask_rule *rule,
                        jr_str *ctype, json_t **keep)
{
    json_t *v = json ? json_loads(json, 0, NULL) : NULL;
    *keep = v;
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    jr_str *pairs = calloc(2 * n + 1, sizeof *pairs);
    if (!pairs)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(v, i);
        json_t *name = json_array_get(p, 0), *value = json_array_get(p, 1);
        if (!json_is_string(name) || !json_is_string(value))
            continue;
        pairs[2 * k] = (jr_str){json_string_value(name), json_string_length(name)};
        pairs[2 * k + 1] = (jr_str){json_string_value(value), json_string_length(value)};
        if (pairs[2 * k].len == 12 && strncasecmp(pairs[2 * k].p, "content-type", 12) == 0)
            *ctype = pairs[2 * k + 1];
        k++;
    }
    int rc = jr_headers_json(out, tmp, pairs, k, rule);
    free(pairs);
    return rc;
}

static int mask_one(mitsu_db *db, const stored_request *q, const jr_mask_rule *rule)
{
    buf h = BUF_INIT, t = BUF_INIT, b = BUF_INIT, tmp = BUF_INIT;
    jr_str ctype = {NULL, 0};
    json_t *keep = NULL;
    int rc = mask_headers(&h, &tmp, q->headers, rule, &ctype, &keep);
    if (q->target)
        rc |= jr_mask_target(&t, q->target, strlen(q->target), rule);
    if (q->body)
        rc |= jr_mask_body(&b, ctype.p, ctype.len, q->body, q->body_len, rule);
    if (rc == 0)
        rc = mitsu_db_exec(db, "UPDATE requests SET headers = ?, target = ?, body = ?, raw = ?"
                               " WHERE id = ?",
                           MITSU_TEXTN(h.data ? h.data : "", h.len),
                           q->target ? MITSU_TEXTN(t.data ? t.data : "", t.len) : MITSU_NULL,
                           q->body ? MITSU_BLOB(b.data ? b.data : "", b.len) : MITSU_NULL,
                           q->has_raw ? MITSU_BLOB("[masked]", 8) : MITSU_NULL,
                           MITSU_INT(q->id)) < 0
                 ? -1
                 : 0;
    json_decref(keep);
    buf_free(&h);
    buf_free(&t);
    buf_free(&b);
    buf_free(&tmp);
    return rc;
}

int jr_mask_client_requests(mitsu_db *db, const char *sid, const char *const *fields,
                            size_t nfields)
{
    if (!fields) {
        fields = jr_default_secrets;
        nfields = jr_ndefault_secrets;
    }
    jr_mask_rule rule = {fields, nfields, 0};
    int64_t after = INT64_MIN;
    for (;;) {
        stored_request *q;
        size_t n;
        int rc = read_requests(db, sid, after, &q, &n);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = mask_one(db, &q[i], &rule);
        if (n)
            after = q[n - 1].id;
        stored_free(q, n);
        if (rc != 0 || n < MASK_BATCH)
            return rc;
    }
}

/* ---- The operator's verdicts ---------------------------------------------------------------- */

typedef struct client_row {
    char ip[64];
    double score;
} client_row;

static int find_client(mitsu_db *db, const char *sid, client_row *c, char *err, size_t n)
{
    mitsu_rows *r = mitsu_db_query(db, "SELECT ip, score FROM clients WHERE sid = ?",
                                   MITSU_TEXT(sid));
    int rc = r ? mitsu_rows_next(r) : -1;
    if (rc == 1) {
        const char *ip = mitsu_rows_text(r, 0);
        snprintf(c->ip, sizeof c->ip, "%s", ip ? ip : "");
        c->score = mitsu_rows_real(r, 1);
    } else if (rc == 0) {
        snprintf(err, n, "no client %s", sid);
    } else {
        snprintf(err, n, "reading clients: %s", mitsu_db_error(db));
    }
    mitsu_rows_free(r);
    return rc == 1 ? 0 : -1;
}

/* The client row, the verdicts row and the event of one operator verdict. */
static int operator_rows(mitsu_db *db, const char *sid, const client_row *c, int release,
                         const char *reason, int64_t now)
{
    static const char by[] = "operator";
    int64_t changed =
        release ? mitsu_db_exec(db, "UPDATE clients SET state = 'released', score = 0,"
                                    " updated_at = ? WHERE sid = ?",
                                MITSU_INT(now), MITSU_TEXT(sid))
                : mitsu_db_exec(db, "UPDATE clients SET state = 'attacker',"
                                    " flagged_at = CASE WHEN state = 'attacker' AND flagged_at"
                                    " IS NOT NULL THEN flagged_at ELSE ? END,"
                                    " flagged_by = CASE WHEN state = 'attacker' AND flagged_by"
                                    " IS NOT NULL THEN flagged_by ELSE ? END,"
                                    " updated_at = ? WHERE sid = ?",
                                MITSU_INT(now), MITSU_TEXT(by), MITSU_INT(now), MITSU_TEXT(sid));
    if (changed < 0)
        return -1;
    double score = release ? 0 : c->score;
    mitsu_value ip = c->ip[0] ? MITSU_TEXT(c->ip) : MITSU_NULL;
    if (jr_verdict_insert(db, now, MITSU_TEXT(sid), ip, release ? "released" : "attacker", score,
                          MITSU_TEXT(by), by) != 0)
        return -1;
    char uid[48];
    snprintf(uid, sizeof uid, "operator-%lld", (long long)now);
    const char *event = jr_event_names[release ? JR_EVENT_RELEASE : JR_EVENT_FLAG];
    return mitsu_db_exec(db,
                         "INSERT INTO events (uid, time, event, sid, ip, detector, score,"
                         " evidence, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         MITSU_TEXT(uid), MITSU_INT(now), MITSU_TEXT(event), MITSU_TEXT(sid), ip,
                         MITSU_TEXT(by), MITSU_REAL(score),
                         reason ? MITSU_TEXT(reason) : MITSU_NULL, MITSU_TEXT(event)) < 0
               ? -1
               : 0;
}

static int operator_verdict(mitsu_db *db, const char *sid, int release, const char *reason,
                            const char *const *fields, size_t nfields, int64_t now, char *err,
                            size_t n)
{
    char dummy[8];
    if (!err)
        err = dummy, n = sizeof dummy;
    if (mitsu_db_begin(db) != 0 || jr_verdict_lock(db) != 0) {
        snprintf(err, n, "begin: %s", mitsu_db_error(db));
        mitsu_db_rollback(db);
        return -1;
    }
    client_row c;
    if (find_client(db, sid, &c, err, n) != 0) {
        mitsu_db_rollback(db);
        return -1;
    }
    if (operator_rows(db, sid, &c, release, reason, now) != 0 ||
        (release && jr_mask_client_requests(db, sid, fields, nfields) != 0) ||
        jr_verdict_notify(db) != 0 || mitsu_db_commit(db) != 0) {
        snprintf(err, n, "%s", mitsu_db_error(db) ? mitsu_db_error(db) : "database error");
        mitsu_db_rollback(db);
        return -1;
    }
    return 0;
}

int jr_flag(mitsu_db *db, const char *sid, const char *reason, int64_t now, char *err,
            size_t n)
{
    return operator_verdict(db, sid, 0, reason, NULL, 0, now, err, n);
}

int jr_release(mitsu_db *db, const char *sid, const char *const *fields, size_t nfields,
               int64_t now, char *err, size_t n)
{
    return operator_verdict(db, sid, 1, NULL, fields, nfields, now, err, n);
}
