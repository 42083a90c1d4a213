/* The backend-neutral half of mitsu_db: handles and their lifetime, cursors, the per-connection
 * prepared-statement cache, errors, and rows as JSON. The backends are in sqlite.c and pg.c. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/backend.h"

enum { DB_SPARE_ROWS = 4 }; /* freed cursors a connection keeps for reuse */

struct mitsu_db {
    db_conn *conn;
    arena *a;          /* where its JSON values live: the request's, or own */
    mitsu_rows *open;  /* cursors not freed yet */
    int standalone;    /* from mitsu_db_open: owns conn and own */
    arena own;
};

void db_opts_defaults(db_opts *o)
{
    o->busy_timeout_ms = 5000;
    o->stmt_cache = 64;
    o->attacker_conns = 8;
    o->max_attacker_copies = 1000;
    o->max_attacker_bytes = (uint64_t)1 << 30;
    o->attacker_copy_growth = (uint64_t)64 << 20;
}

/* ---- Errors --------------------------------------------------------------------------- */

int db_fail(db_conn *c, enum mitsu_db_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->status = status;
    return -1;
}

void db_clear_error(db_conn *c)
{
    c->status = MITSU_DB_OK;
    c->err[0] = '\0';
}

const char *mitsu_db_error(const mitsu_db *db)
{
    if (!db)
        return "no database: unknown name, unreachable, or a diverted request without a decoy";
    return db->conn->status == MITSU_DB_OK ? NULL : db->conn->err;
}

enum mitsu_db_status mitsu_db_errcode(const mitsu_db *db)
{
    return db ? db->conn->status : MITSU_DB_UNAVAILABLE;
}

int mitsu_db_kind(const mitsu_db *db)
{
    return db ? (int)db->conn->be->kind : -1;
}

size_t db_value_len(const mitsu_value *v)
{
    if (!v->s)
        return 0;
    return v->len == SIZE_MAX ? strlen(v->s) : v->len;
}

/* ---- Connections ---------------------------------------------------------------------- */

const char *db_sqlite_path(const char *url)
{
    return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : NULL;
}

static const db_backend *backend_for(const char *url, const char **target)
{
    if (db_sqlite_path(url)) {
        *target = db_sqlite_path(url);
        return &db_sqlite_backend;
    }
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        *target = url;
        return &db_pg_backend;
    }
    return NULL;
}

db_conn *db_conn_open_flags(const char *url, const db_opts *o, int flags, char *err,
                            size_t errlen)
{
    const char *target = NULL;
    const db_backend *be = url ? backend_for(url, &target) : NULL;
    if (!be || !*target) {
        /* The URL is not repeated: a PostgreSQL URL may hold a password. */
        snprintf(err, errlen, "database URL: expected sqlite:PATH or postgresql://...");
        return NULL;
    }
    db_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->url = strdup(url))) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->be = be;
    if (o)
        c->opts = *o;
    else
        db_opts_defaults(&c->opts);
    c->flags = flags;
    size_t want = c->opts.stmt_cache > 0 ? (size_t)c->opts.stmt_cache : 1;
    c->nbuckets = 16;
    while (c->nbuckets < 2 * want)
        c->nbuckets *= 2;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c->url);
        free(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (be->open(c, target) != 0) {
        snprintf(err, errlen, "%s", c->err);
        db_conn_close(c);
        return NULL;
    }
    return c;
}

db_conn *db_conn_open(const char *url, const db_opts *o, char *err, size_t errlen)
{
    return db_conn_open_flags(url, o, 0, err, errlen);
}

static void rows_destroy(mitsu_rows *r)
{
    free(r->buf);
    free(r->boff);
    free(r);
}

void db_conn_close(db_conn *c)
{
    if (!c)
        return;
    c->no_server = 1; /* the session ends with its prepared statements: no DEALLOCATE each */
    db_stmt_clear(c);
    c->be->close(c);
    while (c->spare) {
        mitsu_rows *r = c->spare;
        c->spare = r->next;
        rows_destroy(r);
    }
    free(c->buckets);
    free(c->scratch);
    free(c->url);
    free(c);
}

/* ---- Statement cache ------------------------------------------------------------------ */

/* The cache key's hash runs on every query, so it takes 8 bytes a step (a multiply and a
 * shift each), not one; collisions only cost a string comparison. */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (; n >= 8; n -= 8, b += 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    if (n)
        memcpy(&w, b, n);
    h = (h ^ w ^ n) * 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 32);
}

static void lru_unlink(db_conn *c, db_stmt *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->lru_head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        c->lru_tail = s->prev;
    s->prev = s->next = NULL;
}

static void lru_push_front(db_conn *c, db_stmt *s)
{
    s->prev = NULL;
    s->next = c->lru_head;
    if (c->lru_head)
        c->lru_head->prev = s;
    c->lru_head = s;
    if (!c->lru_tail)
        c->lru_tail = s;
}

static void stmt_destroy(db_conn *c, db_stmt *s)
{
    if (s->handle)
        c->be->finalize(c, s);
    free(s->sql);
    free(s->ptypes);
    free(s);
}

/* Takes s out of the cache (hash chain and LRU list) without freeing it. */
static void cache_remove(db_conn *c, db_stmt *s)
{
    db_stmt **pp = &c->buckets[s->hash & (c->nbuckets - 1)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    lru_unlink(c, s);
    c->nstmts--;
    s->cached = 0;
}

/* Evicts least recently used statements beyond the bound; a busy one is only marked a one-off,
 * to be freed when its cursor gives it back. */
static void cache_trim(db_conn *c)
{
    size_t cap = c->opts.stmt_cache > 0 ? (size_t)c->opts.stmt_cache : 0;
    db_stmt *s = c->lru_tail;
    while (c->nstmts > cap && s) {
        db_stmt *prev = s->prev;
        cache_remove(c, s);
        if (!s->busy)
            stmt_destroy(c, s);
        s = prev;
    }
}

void db_stmt_clear(db_conn *c)
{
    while (c->lru_head) {
        db_stmt *s = c->lru_head;
        cache_remove(c, s);
        if (!s->busy)
            stmt_destroy(c, s);
    }
}

db_stmt *db_stmt_get(db_conn *c, const char *sql, const mitsu_value *v, size_t n)
{
    unsigned char small[32];
    unsigned char *types = NULL;
    size_t ntypes = 0;
    if (c->be->param_types && n) {
        types = n <= sizeof small ? small : malloc(n);
        if (!types) {
            db_fail(c, MITSU_DB_ERROR, "out of memory");
            return NULL;
        }
        ntypes = c->be->param_types(v, n, types);
    }
    size_t len = strlen(sql);
    uint64_t h = hash_bytes(0x243f6a8885a308d3ULL, sql, len);
    h = hash_bytes(h, types, ntypes);

    db_stmt *found = c->buckets[h & (c->nbuckets - 1)];
    for (; found; found = found->hnext)
        if (found->hash == h && found->len == len && found->nptypes == ntypes &&
            memcmp(found->sql, sql, len) == 0 &&
            (!ntypes || memcmp(found->ptypes, types, ntypes) == 0))
            break;
    if (found && !found->busy) {
        if (c->lru_head != found) {
            lru_unlink(c, found);
            lru_push_front(c, found);
        }
        if (types != small)
            free(types);
        return found;
    }

    /* A miss, or the cached one is being stepped by an open cursor: prepare another. */
    db_stmt *s = calloc(1, sizeof *s);
    if (s) {
        s->sql = malloc(len + 1);
        s->ptypes = ntypes ? malloc(ntypes) : NULL;
    }
    if (!s || !s->sql || (ntypes && !s->ptypes)) {
        if (s) {
            free(s->sql);
            free(s->ptypes);
        }
        free(s);
        if (types != small)
            free(types);
        db_fail(c, MITSU_DB_ERROR, "out of memory");
        return NULL;
    }
    memcpy(s->sql, sql, len + 1);
    s->len = len;
    s->hash = h;
    if (ntypes)
        memcpy(s->ptypes, types, ntypes);
    s->nptypes = ntypes;
    if (types != small)
        free(types);
    if (c->be->prepare(c, s) != 0) {
        stmt_destroy(c, s);
        return NULL;
    }
    if (found || c->opts.stmt_cache <= 0)
        return s; /* a one-off, freed by db_stmt_put */
    s->cached = 1;
    db_stmt **bucket = &c->buckets[h & (c->nbuckets - 1)];
    s->hnext = *bucket;
    *bucket = s;
    lru_push_front(c, s);
    c->nstmts++;
    cache_trim(c);
    return s;
}

void db_stmt_put(db_conn *c, db_stmt *s)
{
    if (!s->cached && !s->busy)
        stmt_destroy(c, s);
}

/* ---- Handles -------------------------------------------------------------------------- */

static void rows_unlink(mitsu_rows *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (r->db)
        r->db->open = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
}

static void rows_finish(mitsu_rows *r)
{
    if (r->state != DB_ROWS_DONE && r->state != DB_ROWS_FAILED)
        r->conn->be->release(r);
    r->state = DB_ROWS_DONE;
}

/* Ends a cursor: gives its statement or result back and keeps the memory for the next one. */
static void rows_free(mitsu_rows *r)
{
    db_conn *c = r->conn;
    rows_finish(r);
    rows_unlink(r);
    if (c->nspare < DB_SPARE_ROWS) {
        r->db = NULL;
        r->next = c->spare;
        c->spare = r;
        c->nspare++;
    } else {
        rows_destroy(r);
    }
}

void mitsu_rows_free(mitsu_rows *rows)
{
    if (rows)
        rows_free(rows);
}

/* What every handle does when its request (or its own life) ends: cursors end, a transaction
 * left open is rolled back (the connection serves the worker's next request), and a connection
 * condemned meanwhile (a forgotten attacker's copy) is closed once nobody holds it. */
static void handle_end(mitsu_db *db)
{
    db_conn *c = db->conn;
    while (db->open)
        rows_free(db->open);
    if (c->be->in_tx(c)) {
        c->be->script(c, "ROLLBACK");
        db_clear_error(c);
    }
    c->refs--;
    if (c->doomed && c->refs == 0)
        db_conn_close(c);
}

static void handle_end_cb(void *db)
{
    handle_end(db);
}

mitsu_db *db_handle(db_conn *c, arena *a)
{
    mitsu_db *db = arena_alloc(a, sizeof *db);
    if (!db)
        return NULL;
    memset(db, 0, sizeof *db);
    db->conn = c;
    db->a = a;
    if (arena_defer(a, handle_end_cb, db) != 0)
        return NULL;
    c->refs++;
    return db;
}

db_conn *db_handle_conn(const mitsu_db *db)
{
    return db ? db->conn : NULL;
}

mitsu_db *mitsu_db_open(const char *url, char *err, size_t errlen)
{
    char scratch[8];
    if (!err) {
        err = scratch;
        errlen = sizeof scratch;
    }
    db_conn *c = db_conn_open(url, NULL, err, errlen);
    if (!c)
        return NULL;
    mitsu_db *db = calloc(1, sizeof *db);
    if (!db) {
        db_conn_close(c);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    db->conn = c;
    db->standalone = 1;
    arena_init(&db->own, 4096);
    db->a = &db->own;
    c->refs = 1;
    return db;
}

void mitsu_db_close(mitsu_db *db)
{
    if (!db || !db->standalone)
        return;
    arena_free(&db->own);
    db_conn *c = db->conn;
    handle_end(db);
    if (!c->doomed)
        db_conn_close(c);
    free(db);
}

/* ---- Queries -------------------------------------------------------------------------- */

/* Checks what the backends rely on: SQL present, values well formed. */
static int check_call(db_conn *c, const char *sql, const mitsu_value *v, size_t n)
{
    if (!sql)
        return db_fail(c, MITSU_DB_MISUSE, "no SQL");
    if (n && !v)
        return db_fail(c, MITSU_DB_MISUSE, "%zu values announced, none given", n);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)v[i].type >= MITSU_TYPE__MAX)
            return db_fail(c, MITSU_DB_MISUSE, "value %zu: unknown type %d", i + 1,
                           (int)v[i].type);
        if (v[i].type == MITSU_TYPE_BLOB && !v[i].s && v[i].len && v[i].len != SIZE_MAX)
            return db_fail(c, MITSU_DB_MISUSE, "value %zu: blob of %zu bytes at NULL", i + 1,
                           v[i].len);
    }
    return 0;
}

static mitsu_rows *rows_new(mitsu_db *db)
{
    db_conn *c = db->conn;
    mitsu_rows *r = c->spare;
    if (r) {
        c->spare = r->next;
        c->nspare--;
    } else if (!(r = calloc(1, sizeof *r))) {
        db_fail(c, MITSU_DB_ERROR, "out of memory");
        return NULL;
    }
    /* Keep the buffers of a recycled cursor, reset the rest. */
    unsigned char *keep = r->buf;
    size_t keepcap = r->buf ? r->bufcap : 0;
    free(r->boff);
    memset(r, 0, sizeof *r);
    r->buf = keep;
    r->bufcap = keepcap;
    r->db = db;
    r->conn = c;
    r->state = DB_ROWS_PENDING;
    r->next = db->open;
    if (db->open)
        db->open->prev = r;
    db->open = r;
    return r;
}

mitsu_rows *mitsu_db_queryv(mitsu_db *db, const char *sql, const mitsu_value *params, size_t n)
{
    if (!db)
        return NULL;
    db_conn *c = db->conn;
    db_clear_error(c);
    if (check_call(c, sql, params, n) != 0)
        return NULL;
    db_stmt *s = db_stmt_get(c, sql, params, n);
    if (!s)
        return NULL;
    mitsu_rows *r = rows_new(db);
    if (!r) {
        db_stmt_put(c, s);
        return NULL;
    }
    if (c->be->query(c, s, params, n, r) != 0) {
        r->state = DB_ROWS_FAILED; /* the backend gave everything back already */
        rows_free(r);
        return NULL;
    }
    return r;
}

int mitsu_rows_next(mitsu_rows *r)
{
    if (!r || r->state == DB_ROWS_FAILED)
        return -1;
    if (r->state == DB_ROWS_DONE)
        return 0;
    db_clear_error(r->conn);
    int rc = r->conn->be->step(r);
    if (rc > 0) {
        r->state = DB_ROWS_ON_ROW;
        return 1;
    }
    rows_finish(r);
    r->state = rc == 0 ? DB_ROWS_DONE : DB_ROWS_FAILED;
    return rc;
}

int mitsu_rows_columns(const mitsu_rows *r)
{
    return r ? r->ncols : 0;
}

const char *mitsu_rows_name(const mitsu_rows *r, int col)
{
    if (!r || col < 0 || col >= r->ncols || r->state == DB_ROWS_DONE ||
        r->state == DB_ROWS_FAILED)
        return NULL;
    return r->conn->be->col_name(r, col);
}

int mitsu_rows_index(const mitsu_rows *r, const char *name)
{
    for (int i = 0; name && i < mitsu_rows_columns(r); i++) {
        const char *n = mitsu_rows_name(r, i);
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return -1;
}

static int on_row(const mitsu_rows *r, int col)
{
    return r && r->state == DB_ROWS_ON_ROW && col >= 0 && col < r->ncols;
}

enum mitsu_type mitsu_rows_type(const mitsu_rows *r, int col)
{
    return on_row(r, col) ? r->conn->be->col_type(r, col) : MITSU_TYPE_NULL;
}

int mitsu_rows_is_null(const mitsu_rows *r, int col)
{
    return mitsu_rows_type(r, col) == MITSU_TYPE_NULL;
}

int64_t mitsu_rows_int(const mitsu_rows *r, int col)
{
    return on_row(r, col) ? r->conn->be->col_int(r, col) : 0;
}

double mitsu_rows_real(const mitsu_rows *r, int col)
{
    return on_row(r, col) ? r->conn->be->col_real(r, col) : 0.0;
}

const char *mitsu_rows_text(const mitsu_rows *r, int col)
{
    size_t len;
    return on_row(r, col) ? r->conn->be->col_bytes(r, col, &len) : NULL;
}

const void *mitsu_rows_blob(const mitsu_rows *r, int col, size_t *len)
{
    size_t ignored;
    if (!len)
        len = &ignored;
    *len = 0;
    return on_row(r, col) ? r->conn->be->col_bytes(r, col, len) : NULL;
}

int64_t mitsu_db_execv(mitsu_db *db, const char *sql, const mitsu_value *params, size_t n)
{
    if (!db)
        return -1;
    db_conn *c = db->conn;
    db_clear_error(c);
    if (check_call(c, sql, params, n) != 0)
        return -1;
    db_stmt *s = db_stmt_get(c, sql, params, n);
    if (!s)
        return -1;
    int64_t rc = c->be->exec(c, s, params, n);
    db_stmt_put(c, s);
    return rc;
}

int mitsu_db_script(mitsu_db *db, const char *sql)
{
    if (!db)
        return -1;
    db_clear_error(db->conn);
    if (!sql)
        return db_fail(db->conn, MITSU_DB_MISUSE, "no SQL");
    return db->conn->be->script(db->conn, sql);
}

/* The backends disagree on misplaced transaction commands (PostgreSQL warns and goes on,
 * SQLite fails), so they are refused here, the same way on both. */
static int tx_check(mitsu_db *db, int want_open, const char *what)
{
    if (!db)
        return -1;
    db_clear_error(db->conn);
    if ((db->conn->be->in_tx(db->conn) != 0) != want_open)
        return db_fail(db->conn, MITSU_DB_MISUSE, "%s: %s", what,
                       want_open ? "no transaction is open" : "a transaction is already open");
    return 0;
}

int mitsu_db_begin(mitsu_db *db)
{
    if (tx_check(db, 0, "begin") != 0)
        return -1;
    return mitsu_db_execv(db, db->conn->be->begin_sql, NULL, 0) >= 0 ? 0 : -1;
}

int mitsu_db_commit(mitsu_db *db)
{
    if (tx_check(db, 1, "commit") != 0)
        return -1;
    /* PostgreSQL answers COMMIT of a failed transaction with a silent ROLLBACK: say so. */
    if (db->conn->be->in_tx(db->conn) == 2) {
        mitsu_db_execv(db, "ROLLBACK", NULL, 0);
        return db_fail(db->conn, MITSU_DB_ERROR,
                       "commit: the transaction failed earlier and was rolled back");
    }
    return mitsu_db_execv(db, "COMMIT", NULL, 0) >= 0 ? 0 : -1;
}

int mitsu_db_rollback(mitsu_db *db)
{
    if (tx_check(db, 1, "rollback") != 0)
        return -1;
    return mitsu_db_execv(db, "ROLLBACK", NULL, 0) >= 0 ? 0 : -1;
}

int64_t mitsu_db_last_id(mitsu_db *db)
{
    if (!db)
        return 0;
    db_clear_error(db->conn);
    return db->conn->be->last_id(db->conn);
}

/* ---- JSON ----------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when it is not one:
 * no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629 §4). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf; /* the range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* A JSON string of text that may not be valid UTF-8 (SQLite stores any bytes): each bad byte
 * becomes U+FFFD, so what a template shows is always well formed. */
static json_t *json_text(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_seq(s + i, len - i);
        if (!k)
            break;
        i += k;
    }
    if (i == len)
        return json_stringn(p, len);
    char *out = malloc(3 * len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (i = 0; i < len;) {
        size_t k = utf8_seq(s + i, len - i);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

static json_t *json_base64(const void *p, size_t len)
{
    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    unsigned char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock(out, p, (int)len);
    json_t *j = json_stringn((const char *)out, (size_t)n);
    free(out);
    return j;
}

static json_t *value_json(const mitsu_rows *r, int col)
{
    size_t len = 0;
    const char *p;
    switch (mitsu_rows_type(r, col)) {
    case MITSU_TYPE_INT:
        return json_integer(mitsu_rows_int(r, col));
    case MITSU_TYPE_REAL: {
        json_t *j = json_real(mitsu_rows_real(r, col)); /* NULL for NaN and infinities */
        return j ? j : json_null();
    }
    case MITSU_TYPE_TEXT:
        p = mitsu_rows_blob(r, col, &len);
        return json_text(p ? p : "", len);
    case MITSU_TYPE_BLOB:
        p = mitsu_rows_blob(r, col, &len);
        return json_base64(p ? p : "", len);
    default:
        return json_null();
    }
}

/* The current row as a new JSON object (a reference the caller owns). */
static json_t *row_json(db_conn *c, const mitsu_rows *r)
{
    json_t *o = json_object();
    for (int i = 0; o && i < r->ncols; i++) {
        const char *name = mitsu_rows_name(r, i);
        json_t *v = value_json(r, i);
        if (!name || !v || json_object_set_new(o, name, v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    if (!o)
        db_fail(c, MITSU_DB_ERROR, "out of memory");
    return o;
}

static void json_free_cb(void *j)
{
    json_decref(j);
}

/* Hands a new reference to the handle's arena, which drops it when the request ends. */
static json_t *adopt(mitsu_db *db, json_t *j)
{
    if (j && arena_defer(db->a, json_free_cb, j) != 0) {
        json_decref(j);
        db_fail(db->conn, MITSU_DB_ERROR, "out of memory");
        return NULL;
    }
    return j;
}

json_t *mitsu_rows_json(mitsu_rows *r)
{
    if (!r || r->state != DB_ROWS_ON_ROW)
        return NULL;
    return adopt(r->db, row_json(r->conn, r));
}

json_t *mitsu_db_onev(mitsu_db *db, const char *sql, const mitsu_value *params, size_t n)
{
    mitsu_rows *r = mitsu_db_queryv(db, sql, params, n);
    if (!r)
        return NULL;
    json_t *o = NULL;
    if (mitsu_rows_next(r) == 1)
        o = row_json(db->conn, r);
    rows_free(r);
    return adopt(db, o);
}

json_t *mitsu_db_allv(mitsu_db *db, const char *sql, const mitsu_value *params, size_t n)
{
    mitsu_rows *r = mitsu_db_queryv(db, sql, params, n);
    if (!r)
        return NULL;
    json_t *all = json_array();
    int rc = 0;
    while (all && (rc = mitsu_rows_next(r)) == 1) {
        json_t *o = row_json(db->conn, r);
        if (!o || json_array_append_new(all, o) != 0) {
            json_decref(all);
            all = NULL;
        }
    }
    if (all && rc < 0) {
        json_decref(all);
        all = NULL;
    } else if (!all && db->conn->status == MITSU_DB_OK) {
        db_fail(db->conn, MITSU_DB_ERROR, "out of memory");
    }
    rows_free(r);
    return adopt(db, all);
}
