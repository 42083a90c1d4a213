/* The SQLite backend: a file opened in WAL mode with a busy timeout and foreign keys on,
 * statements prepared once per connection, values bound with the sqlite3_bind_* calls. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "db/backend.h"

/* SQLite's result codes, in mitsu's terms (extended codes: the low byte is the primary). */
static enum mitsu_db_status sqlite_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return MITSU_DB_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return MITSU_DB_BUSY;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return MITSU_DB_MISUSE;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
        return MITSU_DB_UNAVAILABLE;
    default:
        return MITSU_DB_ERROR;
    }
}

static int sqlite_fail(db_conn *c, int rc)
{
    return db_fail(c, sqlite_status(rc), "%s", c->sq ? sqlite3_errmsg(c->sq) : sqlite3_errstr(rc));
}

/* SQLite's memory statistics take a process-wide mutex on every allocation it makes, a dozen
 * times a query; nothing here reads them. Set before SQLite starts (a no-op if something in the
 * process already started it). */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

static int sqlite_open(db_conn *c, const char *path)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    /* NOMUTEX: a connection belongs to one worker thread at a time, so SQLite's own locking
     * of it would be pure cost. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (!(c->flags & DB_OPEN_EXISTING))
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &c->sq, flags, NULL);
    if (rc != SQLITE_OK) {
        db_fail(c, sqlite_status(rc), "sqlite:%s: %s", path,
                c->sq ? sqlite3_errmsg(c->sq) : sqlite3_errstr(rc));
        return -1;
    }
    sqlite3_extended_result_codes(c->sq, 1);
    sqlite3_busy_timeout(c->sq, c->opts.busy_timeout_ms);
    /* WAL lets readers and one writer proceed together across workers; NORMAL sync is safe
     * with WAL (a power cut may lose the last commits, never corrupt). */
    const char *setup = (c->flags & DB_OPEN_ROLLBACK)
                            ? "PRAGMA foreign_keys = ON; PRAGMA journal_mode = DELETE;"
                            : "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;"
                              " PRAGMA synchronous = NORMAL;";
    char *msg = NULL;
    rc = sqlite3_exec(c->sq, setup, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        db_fail(c, sqlite_status(rc), "sqlite:%s: %s", path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void sqlite_close(db_conn *c)
{
    sqlite3_close_v2(c->sq); /* _v2: statements of cursors still alive are finalized later */
    c->sq = NULL;
}

static int sqlite_usable(db_conn *c)
{
    (void)c;
    return 0;
}

static int sqlite_prepare(db_conn *c, db_stmt *s)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v3(c->sq, s->sql, (int)s->len + 1, SQLITE_PREPARE_PERSISTENT, &st,
                                &tail);
    if (rc != SQLITE_OK)
        return sqlite_fail(c, rc);
    if (!st)
        return db_fail(c, MITSU_DB_MISUSE, "empty statement");
    /* One statement per call: what follows may only be blanks, ';' and comments. */
    sqlite3_stmt *more = NULL;
    if (tail && *tail && sqlite3_prepare_v2(c->sq, tail, -1, &more, NULL) == SQLITE_OK && !more) {
        /* nothing but blanks and comments */
    } else if (tail && *tail) {
        sqlite3_finalize(more);
        sqlite3_finalize(st);
        return db_fail(c, MITSU_DB_MISUSE,
                       "one statement per call (use mitsu_db_script for several)");
    }
    s->handle = st;
    s->nparams = sqlite3_bind_parameter_count(st);
    return 0;
}

static void sqlite_finalize(db_conn *c, db_stmt *s)
{
    (void)c;
    sqlite3_finalize(s->handle);
    s->handle = NULL;
}

/* Binds the values. A cursor outlives the call whose values it borrowed, so it gets copies
 * (SQLITE_TRANSIENT); a statement run to the end within the call can use them in place. */
static int sqlite_bind(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n,
                       void (*lifetime)(void *))
{
    sqlite3_stmt *st = s->handle;
    if (n != (size_t)s->nparams)
        return db_fail(c, MITSU_DB_MISUSE, "the statement has %d placeholders, %zu values given",
                       s->nparams, n);
    for (size_t i = 0; i < n; i++) {
        int rc, k = (int)i + 1;
        switch (v[i].type) {
        case MITSU_TYPE_INT:
            rc = sqlite3_bind_int64(st, k, v[i].i);
            break;
        case MITSU_TYPE_REAL:
            rc = sqlite3_bind_double(st, k, v[i].d);
            break;
        case MITSU_TYPE_TEXT:
            rc = v[i].s ? sqlite3_bind_text64(st, k, v[i].s, db_value_len(&v[i]), lifetime,
                                              SQLITE_UTF8)
                        : sqlite3_bind_null(st, k);
            break;
        case MITSU_TYPE_BLOB:
            rc = sqlite3_bind_blob64(st, k, v[i].s ? v[i].s : "", db_value_len(&v[i]),
                                     lifetime);
            break;
        default:
            rc = sqlite3_bind_null(st, k);
            break;
        }
        if (rc != SQLITE_OK)
            return sqlite_fail(c, rc);
    }
    return 0;
}

static int sqlite_query(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n, mitsu_rows *r)
{
    sqlite3_stmt *st = s->handle;
    s->busy = 1;
    r->stmt = s;
    if (sqlite_bind(c, s, v, n, SQLITE_TRANSIENT) != 0)
        goto fail;
    /* The first step runs now, so that a failing query fails here and not at the first
     * mitsu_rows_next: the caller checks one place. */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        r->primed = 1;
    else if (rc == SQLITE_DONE)
        r->primed = 2;
    else {
        sqlite_fail(c, rc);
        goto fail;
    }
    r->ncols = sqlite3_column_count(st);
    return 0;
fail:
    sqlite3_reset(st);
    s->busy = 0;
    r->stmt = NULL;
    db_stmt_put(c, s);
    return -1;
}

static int sqlite_step(mitsu_rows *r)
{
    if (r->primed) {
        int rc = r->primed == 1 ? 1 : 0;
        r->primed = 0;
        return rc;
    }
    int rc = sqlite3_step(r->stmt->handle);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sqlite_fail(r->conn, rc);
}

static void sqlite_release(mitsu_rows *r)
{
    db_stmt *s = r->stmt;
    if (!s)
        return;
    sqlite3_reset(s->handle);
    sqlite3_clear_bindings(s->handle); /* frees the copied values now */
    s->busy = 0;
    r->stmt = NULL;
    db_stmt_put(r->conn, s);
}

static int64_t sqlite_exec(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n)
{
    sqlite3_stmt *st = s->handle;
    if (sqlite_bind(c, s, v, n, SQLITE_STATIC) != 0) {
        sqlite3_clear_bindings(st);
        return -1;
    }
    /* sqlite3_changes() keeps the count of the last INSERT, UPDATE or DELETE: a statement
     * that is none of those (DDL, SELECT) must report 0, not its predecessor's count. */
    sqlite3_int64 before = sqlite3_total_changes64(c->sq);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    int64_t out = -1;
    if (rc == SQLITE_DONE)
        out = sqlite3_total_changes64(c->sq) != before ? sqlite3_changes64(c->sq) : 0;
    else
        sqlite_fail(c, rc);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st); /* SQLITE_STATIC values are the caller's: drop them now */
    return out;
}

static int sqlite_script(db_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->sq, sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return 0;
    db_fail(c, sqlite_status(rc), "%s", msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return -1;
}

static int64_t sqlite_last_id(db_conn *c)
{
    return sqlite3_last_insert_rowid(c->sq);
}

static int sqlite_in_tx(db_conn *c)
{
    return !sqlite3_get_autocommit(c->sq);
}

static const char *sqlite_col_name(const mitsu_rows *r, int col)
{
    return r->stmt ? sqlite3_column_name(r->stmt->handle, col) : NULL;
}

static enum mitsu_type sqlite_col_type(const mitsu_rows *r, int col)
{
    static const enum mitsu_type map[] = {
        [SQLITE_INTEGER] = MITSU_TYPE_INT, [SQLITE_FLOAT] = MITSU_TYPE_REAL,
        [SQLITE_TEXT] = MITSU_TYPE_TEXT,   [SQLITE_BLOB] = MITSU_TYPE_BLOB,
        [SQLITE_NULL] = MITSU_TYPE_NULL,
    };
    int t = sqlite3_column_type(r->stmt->handle, col);
    return t >= 0 && t <= SQLITE_NULL ? map[t] : MITSU_TYPE_NULL;
}

static int64_t sqlite_col_int(const mitsu_rows *r, int col)
{
    return sqlite3_column_int64(r->stmt->handle, col);
}

static double sqlite_col_real(const mitsu_rows *r, int col)
{
    return sqlite3_column_double(r->stmt->handle, col);
}

static const char *sqlite_col_bytes(const mitsu_rows *r, int col, size_t *len)
{
    /* column_text, even for a blob: the same bytes, NUL-terminated, and "" (not NULL) for
     * an empty one. Read the length after the pointer, as SQLite asks. */
    const char *p = (const char *)sqlite3_column_text(r->stmt->handle, col);
    *len = p ? (size_t)sqlite3_column_bytes(r->stmt->handle, col) : 0;
    return p;
}

const db_backend db_sqlite_backend = {
    .kind = MITSU_DB_SQLITE,
    .begin_sql = "BEGIN IMMEDIATE",
    .open = sqlite_open,
    .close = sqlite_close,
    .usable = sqlite_usable,
    .param_types = NULL,
    .prepare = sqlite_prepare,
    .finalize = sqlite_finalize,
    .query = sqlite_query,
    .step = sqlite_step,
    .release = sqlite_release,
    .exec = sqlite_exec,
    .script = sqlite_script,
    .last_id = sqlite_last_id,
    .in_tx = sqlite_in_tx,
    .col_name = sqlite_col_name,
    .col_type = sqlite_col_type,
    .col_int = sqlite_col_int,
    .col_real = sqlite_col_real,
    .col_bytes = sqlite_col_bytes,
};
