/* Inside the database layer: the registry of per-attacker decoy copies of one pair (decoy.c),
 * shared by all workers under one mutex taken only when a copy is made, found or removed. */
#ifndef MITSU_DB_DECOY_H
#define MITSU_DB_DECOY_H

#include <stdint.h>

#include "db/backend.h"

typedef struct db_copies db_copies;

/* The registry for an sqlite: decoy: creates DECOY.attackers/ (mode 0700) and takes in the
 * copies already there, so they survive a restart as the attackers' records do. */
db_copies *db_copies_new(const char *decoy_url, const db_opts *o, char *err, size_t errlen);
void db_copies_free(db_copies *cp);

/* A new connection to attacker id's copy, made from the decoy when it does not exist yet.
 * *gen identifies that copy (a new copy after a forget has another). NULL with *capped = 1
 * when the caps forbid a new copy; NULL with the reason in err on failure. */
db_conn *db_copies_open(db_copies *cp, const char *id, uint64_t *gen, int *capped, char *err,
                        size_t errlen);

/* Bumped by every forget: a worker whose last seen value differs revalidates its connections. */
uint64_t db_copies_epoch(db_copies *cp);
/* 1 while the copy (id, gen) exists. */
int db_copies_valid(db_copies *cp, const char *id, uint64_t gen);
/* Removes id's copy: 1, or 0 when it had none. */
int db_copies_forget(db_copies *cp, const char *id);

void db_copies_stats(db_copies *cp, int64_t *copies, int64_t *created, int64_t *refused);

/* 1 when id is 32 lowercase hex digits (a client id; it becomes a file name). */
int db_attacker_id_ok(const char *id);

#endif
