/* The management database's schema: numbered migrations, applied at start in order, each in one
 * transaction with its row in schema_version. One text for both backends, with {id}, {real} and
 * {blob} filled in per backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal/internal.h"

/* Migrations are append-only: a released one is never edited, a change is a new one. */
static const char *const migrations[] = {
    /* 1: the tables of DESIGN.md section 6. Times are Unix ms. */
    "CREATE TABLE clients ("
    " sid TEXT PRIMARY KEY,"
    " ip TEXT,"
    " state TEXT NOT NULL DEFAULT 'normal' CHECK (state IN ('normal', 'attacker', 'released')),"
    " score {real} NOT NULL DEFAULT 0,"
    " n4xx BIGINT NOT NULL DEFAULT 0,"
    " requests BIGINT NOT NULL DEFAULT 0,"
    " first_seen BIGINT, last_seen BIGINT,"
    " flagged_at BIGINT, flagged_by TEXT,"
    " updated_at BIGINT);"
    /* The operator's lists: attackers by verdict time, clients by activity or address. */
    "CREATE INDEX clients_state ON clients (state, flagged_at);"
    "CREATE INDEX clients_last_seen ON clients (last_seen);"
    "CREATE INDEX clients_ip ON clients (ip);"
    "CREATE TABLE events ("
    " id {id},"
    " uid TEXT,"        /* the log line's event_id, to join the two */
    " time BIGINT NOT NULL,"
    " event TEXT NOT NULL," /* hit, flag, release */
    " sid TEXT, ip TEXT,"
    " detector TEXT, kind TEXT, score {real},"
    " evidence TEXT, action TEXT);"
    "CREATE INDEX events_sid ON events (sid, time);"
    "CREATE INDEX events_time ON events (time);"
    "CREATE INDEX events_detector ON events (detector, time);"
    "CREATE TABLE requests ("
    " id {id},"
    " time BIGINT NOT NULL,"
    " sid TEXT, ip TEXT,"
    " method TEXT, target TEXT,"
    " headers TEXT,"     /* JSON: [[name, value], ...] in the order received */
    " body {blob},"      /* at most [journal] body_max bytes */
    " raw {blob},"       /* the bytes of a request the parser refused */
    " status INTEGER, response_size BIGINT, latency_us BIGINT,"
    " served TEXT CHECK (served IN ('real', 'decoy')),"
    " preflag INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX requests_sid ON requests (sid, time);"
    "CREATE INDEX requests_time ON requests (time);"
    "CREATE TABLE honeytokens ("
    " id {id},"
    " kind TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " planted_at BIGINT NOT NULL,"
    " db TEXT);"
    "CREATE INDEX honeytokens_value ON honeytokens (value);",
    /* 2: the log of verdict changes that running instances follow (polled by id; on PostgreSQL
     * they are woken by NOTIFY mitsu_verdicts). origin: the instance id that wrote it, or
     * "operator" for the mitsu tool. */
    "CREATE TABLE verdicts ("
    " id {id},"
    " time BIGINT NOT NULL,"
    " sid TEXT, ip TEXT,"
    " state TEXT NOT NULL CHECK (state IN ('attacker', 'released')),"
    " score {real},"
    " by TEXT,"
    " origin TEXT);",
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(NMIGRATIONS == JR_SCHEMA_VERSION, "JR_SCHEMA_VERSION is the last migration");

/* The template with its placeholders replaced for the backend, into a malloc'ed string. */
static char *expand(const char *tmpl, int pg)
{
    static const char *const keys[] = {"{id}", "{real}", "{blob}"};
    const char *vals[] = {pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY",
                          pg ? "DOUBLE PRECISION" : "REAL", pg ? "BYTEA" : "BLOB"};
    buf b = BUF_INIT;
    for (const char *p = tmpl; *p;) {
        size_t k;
        for (k = 0; k < 3; k++)
            if (strncmp(p, keys[k], strlen(keys[k])) == 0)
                break;
        int rc = k < 3 ? buf_append_str(&b, vals[k]) : buf_append(&b, p, 1);
        if (rc < 0) {
            buf_free(&b);
            return NULL;
        }
        p += k < 3 ? strlen(keys[k]) : 1;
    }
    if (buf_append(&b, "", 1) < 0) {
        buf_free(&b);
        return NULL;
    }
    return b.data;
}

int jr_db_version(mitsu_db *db)
{
    mitsu_rows *r = mitsu_db_query(db, "SELECT MAX(version) FROM schema_version");
    if (!r)
        return -1;
    int v = mitsu_rows_next(r) == 1 ? (int)mitsu_rows_int(r, 0) : -1;
    mitsu_rows_free(r);
    return v;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int jr_migrate(mitsu_db *db, char *err, size_t n)
{
    int pg = mitsu_db_kind(db) == MITSU_DB_POSTGRESQL;
    if (mitsu_db_script(db, "CREATE TABLE IF NOT EXISTS schema_version ("
                            " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)") != 0) {
        snprintf(err, n, "schema_version: %s", mitsu_db_error(db));
        return -1;
    }
    /* The version is read again inside the transaction: instances starting together on one
     * PostgreSQL database wait on the advisory lock (SQLite: on BEGIN IMMEDIATE), and the
     * later ones find the work done. */
    if (mitsu_db_begin(db) != 0) {
        snprintf(err, n, "begin: %s", mitsu_db_error(db));
        return -1;
    }
    if (pg && !mitsu_db_one(db, "SELECT pg_advisory_xact_lock(7365827312)")) {
        snprintf(err, n, "lock: %s", mitsu_db_error(db));
        goto fail;
    }
    int have = jr_db_version(db);
    if (have < 0) {
        snprintf(err, n, "schema_version: %s", mitsu_db_error(db));
        goto fail;
    }
    if (have > (int)NMIGRATIONS) {
        snprintf(err, n, "the database has schema version %d, newer than this mitsu's (%d)", have,
                 (int)NMIGRATIONS);
        goto fail;
    }
    for (int v = have + 1; v <= (int)NMIGRATIONS; v++) {
        char *sql = expand(migrations[v - 1], pg);
        if (!sql) {
            snprintf(err, n, "out of memory");
            goto fail;
        }
        int rc = mitsu_db_script(db, sql);
        free(sql);
        if (rc != 0 || mitsu_db_exec(db, "INSERT INTO schema_version (version, applied_at)"
                                         " VALUES (?, ?)",
                                     MITSU_INT(v), MITSU_INT(now_ms())) < 0) {
            snprintf(err, n, "migration %d: %s", v, mitsu_db_error(db));
            goto fail;
        }
    }
    if (mitsu_db_commit(db) != 0) {
        snprintf(err, n, "commit: %s", mitsu_db_error(db));
        goto fail;
    }
    return 0;
fail:
    mitsu_db_rollback(db);
    return -1;
}
