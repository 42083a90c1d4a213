/* Inside the database layer: the connection, cursor and statement-cache structures shared by
 * db.c and the two backends (sqlite.c, pg.c), and the table of functions a backend provides. */
#ifndef MITSU_DB_BACKEND_H
#define MITSU_DB_BACKEND_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdint.h>

#include "db/db.h"

typedef struct db_backend db_backend;
typedef struct db_stmt db_stmt;

/* A prepared statement in a connection's cache. */
struct db_stmt {
    char *sql;              /* the key: the SQL text as the application wrote it */
    size_t len;
    uint64_t hash;          /* of sql and ptypes */
    unsigned char *ptypes;  /* PostgreSQL: the parameter types it was prepared for (key too) */
    size_t nptypes;
    void *handle;           /* sqlite3_stmt *, or the PostgreSQL statement name (char *) */
    int nparams;            /* placeholders */
    int busy;               /* SQLite: a cursor is stepping it; no one else may */
    int cached;             /* 0: a one-off, freed when its cursor is done */
    db_stmt *hnext;         /* hash chain */
    db_stmt *prev, *next;   /* LRU list, most recent first */
};

struct db_conn {
    const db_backend *be;
    sqlite3 *sq;
    PGconn *pg;
    char *url;
    db_opts opts;
    int flags;     /* DB_OPEN_* */
    int no_server; /* PostgreSQL: the session is gone, so its prepared statements are too */

    /* Statement cache: a hash table over an LRU list. */
    db_stmt **buckets;
    size_t nbuckets; /* a power of two */
    db_stmt *lru_head, *lru_tail;
    size_t nstmts;

    char err[512];
    enum mitsu_db_status status;

    mitsu_rows *spare; /* freed cursors kept for reuse, so a query need not malloc */
    int nspare;

    int refs;     /* handles alive on it (one worker thread, so a plain int) */
    int doomed;   /* close it once refs reaches 0 */
    uint64_t pg_next_name;
    char *scratch; /* PostgreSQL: bytes of the parameters being sent */
    size_t scratch_cap;
};

enum db_rows_state { DB_ROWS_PENDING, DB_ROWS_ON_ROW, DB_ROWS_DONE, DB_ROWS_FAILED };

struct mitsu_rows {
    mitsu_db *db;
    db_conn *conn;
    mitsu_rows *prev, *next; /* the handle's open cursors */
    enum db_rows_state state;
    int ncols;
    /* SQLite */
    db_stmt *stmt;
    /* PostgreSQL: the whole result */
    PGresult *res;
    int row, nrows;
    int primed; /* SQLite: the query stepped once already: 1 onto a row, 2 past the end */
    /* PostgreSQL: the row's bytea values, decoded into buf (offsets and lengths per column) */
    unsigned char *buf;
    size_t bufcap;
    size_t *boff, *blen; /* NULL when the result has no bytea column */
};

struct db_backend {
    enum mitsu_db_kind kind;
    const char *begin_sql; /* how a transaction starts */
    int (*open)(db_conn *c, const char *target);
    void (*close)(db_conn *c);
    /* Reconnects when the link is down; 0 when the connection can be used. */
    int (*usable)(db_conn *c);
    /* Parameter types that must be part of the cache key (NULL for none). */
    size_t (*param_types)(const mitsu_value *v, size_t n, unsigned char *out);
    int (*prepare)(db_conn *c, db_stmt *s);
    void (*finalize)(db_conn *c, db_stmt *s);
    /* Executes s and places r before the first row. 0 or -1. */
    int (*query)(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n, mitsu_rows *r);
    int (*step)(mitsu_rows *r); /* 1 row, 0 done, -1 error */
    void (*release)(mitsu_rows *r); /* done with the result: gives the statement back */
    int64_t (*exec)(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n);
    int (*script)(db_conn *c, const char *sql);
    int64_t (*last_id)(db_conn *c);
    int (*in_tx)(db_conn *c);
    const char *(*col_name)(const mitsu_rows *r, int col);
    enum mitsu_type (*col_type)(const mitsu_rows *r, int col);
    int64_t (*col_int)(const mitsu_rows *r, int col);
    double (*col_real)(const mitsu_rows *r, int col);
    const char *(*col_bytes)(const mitsu_rows *r, int col, size_t *len); /* text and blob */
};

extern const db_backend db_sqlite_backend;
extern const db_backend db_pg_backend;

/* Records an error on c (the message is formatted); returns -1 for the caller's return. */
int db_fail(db_conn *c, enum mitsu_db_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void db_clear_error(db_conn *c);

/* The statement for sql with these values, from the cache or prepared now. NULL on failure. */
db_stmt *db_stmt_get(db_conn *c, const char *sql, const mitsu_value *v, size_t n);
/* Gives back a statement taken by a cursor (frees it if it was a one-off). */
void db_stmt_put(db_conn *c, db_stmt *s);
/* Drops every cached statement (at close, and on PostgreSQL after a reconnect). */
void db_stmt_clear(db_conn *c);

/* db_conn_open with flags for per-attacker copies: DB_OPEN_EXISTING fails rather than create
 * the file (a copy removed meanwhile); DB_OPEN_ROLLBACK keeps a rollback journal instead of WAL
 * (see decoy.c). */
enum { DB_OPEN_EXISTING = 1, DB_OPEN_ROLLBACK = 2 };
db_conn *db_conn_open_flags(const char *url, const db_opts *o, int flags, char *err,
                            size_t errlen);

/* The connection behind a handle (tests and metrics look at its statement cache). */
db_conn *db_handle_conn(const mitsu_db *db);

/* The length of a parameter's bytes (resolves SIZE_MAX to strlen). */
size_t db_value_len(const mitsu_value *v);

/* sqlite:PATH -> PATH; NULL when url is not sqlite:. */
const char *db_sqlite_path(const char *url);

/* PostgreSQL: rewrites ? and ?NNN as $n outside literals, quoted identifiers, dollar quotes and
 * comments. Returns malloc'd SQL and the number of parameters, or NULL when out of memory or a
 * number is out of range (0 or above 65535). */
char *pg_translate(const char *sql, int *nparams);

#endif
