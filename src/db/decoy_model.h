/* Inside `decoy init`: the model of the real schema that decoy_schema.c reads (and copies as
 * DDL) and decoy_fill.c fills with fake rows. Everything lives in one arena. */
#ifndef MITSU_DB_DECOY_MODEL_H
#define MITSU_DB_DECOY_MODEL_H

#include "base/arena.h"
#include "db/decoy_make.h"
#include "db/fake.h"

typedef struct dm_fk {
    char *table;           /* referenced table */
    char **from, **to;     /* ncols column names each; to[i] resolved to the parent's key */
    size_t ncols;
} dm_fk;

typedef struct dm_col {
    char *name, *type;
    int notnull;
    int pk;         /* place in the primary key, 1-based; 0: not in it */
    int unique;     /* a one-column UNIQUE index or primary key */
    int generated;  /* the database fills it (INTEGER PRIMARY KEY, serial, identity): omitted */
    int fk;         /* index into the table's fks, or -1 */
    size_t fk_part; /* which column of that key */
} dm_col;

typedef struct dm_table {
    char *name;
    char *create_sql;  /* SQLite: as written; PostgreSQL: built from the catalogs */
    char **alter;      /* PostgreSQL: foreign keys, added once every table exists */
    size_t nalter;
    dm_col *cols;
    size_t ncols;
    dm_fk *fks;
    size_t nfks;
    int64_t real_rows;
    int placed;        /* already in the fill order */
} dm_table;

typedef struct dm_schema {
    int pg;
    dm_table *t;
    size_t n;
    char **before_fill;  /* indexes: unique ones must hold while rows go in */
    size_t nbefore;
    char **after_fill;   /* SQLite views and triggers: a trigger must not fire on fake rows */
    size_t nafter;
} dm_schema;

/* Reads real's schema into s. 0, or -1 with err. */
int dm_load(mitsu_db *real, arena *a, dm_schema *s, char *err, size_t n);

/* Tables of decoy, for the emptiness check and --force: count, or -1. With drop, drops them. */
int dm_decoy_tables(mitsu_db *decoy, int drop, char *err, size_t n);

/* Creates s's tables and indexes in decoy (views and triggers: dm_finish). 0 or -1 with err. */
int dm_create(mitsu_db *decoy, const dm_schema *s, char *err, size_t n);
int dm_finish(mitsu_db *decoy, const dm_schema *s, char *err, size_t n);

/* Table indexes in an order where every table comes after the tables it references (cycles
 * broken where found). out has s->n slots. */
void dm_fill_order(dm_schema *s, size_t *out);

/* "name" with embedded quotes doubled, in a. */
char *dm_quote(arena *a, const char *ident);

#endif
