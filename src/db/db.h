/* The database layer's internal API for the layers above: named real/decoy pairs with
 * per-worker connections, per-attacker decoy copies, the start-up schema check. */
#ifndef MITSU_DB_DB_H
#define MITSU_DB_DB_H

#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "mitsu.h"
#include "web/config.h"

/* Tunables of a pair's connections. db_opts_defaults() fills the documented defaults. */
typedef struct db_opts {
    int busy_timeout_ms;           /* SQLite: wait this long for a lock (5000) */
    int stmt_cache;                /* prepared statements kept per connection (64) */
    int attacker_conns;            /* per-attacker connections kept open per worker (8) */
    int64_t max_attacker_copies;   /* per pair: private decoy copies at most (1000) */
    uint64_t max_attacker_bytes;   /* per pair: their total size at most (1 GiB) */
    uint64_t attacker_copy_growth; /* a copy may grow this far past the decoy's size (64 MiB) */
} db_opts;

void db_opts_defaults(db_opts *o);

/* ---- One connection ------------------------------------------------------------------- */

typedef struct db_conn db_conn;

/* Opens url ("sqlite:PATH", "postgresql://...", "postgres://..."). NULL on failure with the
 * reason in err. o may be NULL (defaults). */
db_conn *db_conn_open(const char *url, const db_opts *o, char *err, size_t errlen);
void db_conn_close(db_conn *c);

/* A handle on c for one request: its cursors and JSON values are freed, and an open transaction
 * rolled back, when a is reset. c must outlive a's reset. NULL when out of memory. */
mitsu_db *db_handle(db_conn *c, arena *a);

/* ---- Named pairs ---------------------------------------------------------------------- */

typedef struct db_pairs db_pairs;

/* An empty set for nworkers worker threads (indexes 0..nworkers-1). o may be NULL. */
db_pairs *db_pairs_new(int nworkers, const db_opts *o);

/* Adds the pair name (real, decoy) and opens worker 0's connections to both, so that a wrong
 * URL or an unreachable server is found at start-up. decoy may be NULL: diverted requests are
 * then refused. per_attacker needs an sqlite: decoy. o: this pair's tunables (NULL: the set's).
 * 0, or -1 with the reason in err. */
int db_pairs_add(db_pairs *p, const char *name, const char *real, const char *decoy,
                 int per_attacker, const db_opts *o, char *err, size_t errlen);

/* db_pairs_new + db_pairs_add for every [db.NAME] of cfg. NULL with the reason in err. */
db_pairs *db_pairs_open(const config *cfg, int nworkers, const db_opts *o, char *err,
                        size_t errlen);

/* The start-up check: compares the schemas of each pair's real database and decoy and writes
 * every difference to out as one line "db.NAME: table t: column c: type INTEGER in real, TEXT
 * in decoy". Returns the number of differences (the caller exits 2 when it is not 0), or -1
 * when a schema cannot be read (the reason on out). */
int db_pairs_check(db_pairs *p, FILE *out);

/* The handle a request on `worker` gets for database `name`: the real database, or for a
 * diverted request (decoy = 1) the decoy, or with decoy_mode = per_attacker the private copy of
 * attacker_id (32 lowercase hex; NULL: the shared decoy). NULL when the name is unknown, the
 * pair has no decoy and the request is diverted (real data is never used instead), or the
 * database cannot be reached; why (whylen bytes, may be NULL) then says which.
 * Call it only from the thread of that worker: it is what makes it lock-free. */
mitsu_db *db_pairs_get(db_pairs *p, const char *name, int worker, int decoy,
                       const char *attacker_id, arena *a, char *why, size_t whylen);

/* Removes attacker_id's private copies (every per_attacker pair): the honeypot calls it when
 * the attacker's record expires. Workers close their connections to them on their next use.
 * Returns the number of copies removed. Any thread. */
int db_pairs_forget(db_pairs *p, const char *attacker_id);

/* Counters for metrics. copies_refused counts diverted requests that got the shared decoy
 * because the per-attacker caps were reached. */
typedef struct db_pairs_stats {
    int64_t copies;         /* private copies that exist, all pairs */
    int64_t copies_created; /* since start */
    int64_t copies_refused; /* since start */
} db_pairs_stats;
void db_pairs_get_stats(db_pairs *p, db_pairs_stats *out);

/* Closes every connection. No worker may use the pairs any more. */
void db_pairs_free(db_pairs *p);

/* ---- Schemas -------------------------------------------------------------------------- */

/* Writes the differences between the schemas of two connections to out, each line prefixed
 * with prefix (may be ""). The number of differences, or -1 when a schema cannot be read. */
int db_schema_compare(db_conn *real, db_conn *decoy, const char *prefix, FILE *out);

/* The path of attacker_id's private copy of an sqlite: decoy, "DECOY.attackers/ID.db", into
 * out. -1 when decoy_url is not sqlite: or the id is not 32 lowercase hex digits. */
int db_attacker_copy_path(const char *decoy_url, const char *attacker_id, char *out, size_t n);

#endif
