/* Making and inspecting decoys for the operator's tools: `mitsu decoy init` (the real schema
 * filled with fake rows and planted honeytokens) and `mitsu decoy diff` (what one attacker
 * changed in its private copy). Tools code: it blocks. */
#ifndef MITSU_DB_DECOY_MAKE_H
#define MITSU_DB_DECOY_MAKE_H

#include <stdint.h>
#include <stdio.h>

#include "mitsu.h"

/* A planted honeytoken: kind "credential" (value: the user name; password: the plain honey
 * password, whose hash is what the decoy stores), "api_key" or "email". where: "TABLE.COLUMN".
 * Returns 0 to go on, -1 to stop the init. */
typedef int decoy_token_fn(void *arg, const char *kind, const char *value, const char *where,
                           const char *password);

typedef struct decoy_init_opts {
    int64_t rows;        /* rows per table; < 0: as many as the real table has, capped */
    int64_t max_rows;    /* that cap (0: 1000) */
    uint64_t seed;       /* the same seed and real schema give the same decoy */
    int force;           /* a decoy that already has tables: drop them first (else refused) */
    int tokens;          /* honeytokens per table and column (0: 3; -1: none) */
    decoy_token_fn *token;
    void *arg;
    FILE *out;           /* progress lines, one per table; NULL: quiet */
} decoy_init_opts;

/* Copies real's schema (tables, columns, types, constraints, indexes; SQLite also views and
 * triggers) into decoy and fills it with fake rows in foreign-key order: keys consistent,
 * unique columns unique, no text or real cell equal to any value of the same real column
 * (vocabulary columns excepted: see docs/databases.md). Both must be of the same backend.
 * 0, or -1 with the reason in err. */
int db_decoy_init(mitsu_db *real, mitsu_db *decoy, const decoy_init_opts *o, char *err,
                  size_t n);

/* Writes, table by table, the rows added, removed and changed in copy_url (an attacker's private
 * copy, "sqlite:PATH", opened as the server opens copies: existing, rollback journal) compared
 * with base_path (the shared decoy's SQLite file, attached). Returns the number of rows that
 * differ, or -1 with err. */
int db_decoy_diff(const char *copy_url, const char *base_path, FILE *out, char *err, size_t n);

#endif
