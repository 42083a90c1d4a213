/* `decoy init`, first half: reads the real schema (tables, columns, keys, unique columns) and
 * copies it into the decoy as DDL so that the start-up schema check finds no difference.
 * SQLite: the CREATE statements as written. PostgreSQL: statements rebuilt from the catalogs. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db/decoy_model.h"

char *dm_quote(arena *a, const char *ident)
{
    size_t len = strlen(ident), q = 0;
    for (size_t i = 0; i < len; i++)
        q += ident[i] == '"';
    char *out = arena_alloc(a, len + q + 3);
    if (!out)
        return NULL;
    char *p = out;
    *p++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (ident[i] == '"')
            *p++ = '"';
        *p++ = ident[i];
    }
    *p++ = '"';
    *p = '\0';
    return out;
}

static char *dup(arena *a, const char *s)
{
    return arena_strdup(a, s ? s : "");
}

/* Appends s (which may be NULL: a foreign key's unnamed parent column). */
static int push_any(arena *a, char ***list, size_t *n, char *s)
{
    char **l = arena_grow(a, *list, *n, sizeof *l);
    if (!l)
        return -1;
    l[(*n)++] = s;
    *list = l;
    return 0;
}

static int push(arena *a, char ***list, size_t *n, char *s)
{
    return s ? push_any(a, list, n, s) : -1;
}

static int fail(mitsu_db *db, const char *what, char *err, size_t n)
{
    snprintf(err, n, "%s: %s", what, mitsu_db_error(db) ? mitsu_db_error(db) : "out of memory");
    return -1;
}

/* ---- The catalog queries, per backend ---------------------------------------------------- */

typedef struct dm_sql {
    const char *tables;  /* name, CREATE sql (SQLite) */
    const char *columns; /* name, type, notnull, pk position, default, identity */
    const char *fks;     /* group id, referenced table, from column, to column (NULL: its key) */
    const char *unique;  /* one-column unique indexes: the column */
} dm_sql;

static const dm_sql sqlite_q = {
    .tables = "SELECT name, sql FROM sqlite_schema WHERE type = 'table'"
              " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    .columns = "SELECT name, type, \"notnull\", pk, dflt_value, '' FROM pragma_table_info(?)"
               " ORDER BY cid",
    .fks = "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?)"
           " ORDER BY id, seq",
    .unique = "SELECT ii.name FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii"
              " WHERE il.\"unique\" = 1 AND il.partial = 0"
              " AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1",
};

#define PG_REL "(quote_ident(current_schema()) || '.' || quote_ident(?1))::regclass"
static const dm_sql pg_q = {
    .tables = "SELECT c.relname, NULL FROM pg_catalog.pg_class c"
              " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
              " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
              " ORDER BY c.relname COLLATE \"C\"",
    .columns = "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,"
               " COALESCE((SELECT array_position(con.conkey, a.attnum)"
               "   FROM pg_catalog.pg_constraint con"
               "   WHERE con.conrelid = a.attrelid AND con.contype = 'p'), 0),"
               " pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text"
               " FROM pg_catalog.pg_attribute a"
               " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
               " WHERE a.attrelid = " PG_REL " AND a.attnum > 0 AND NOT a.attisdropped"
               " ORDER BY a.attnum",
    .fks = "SELECT con.oid::bigint, r.relname, af.attname, at.attname"
           " FROM pg_catalog.pg_constraint con"
           " JOIN pg_catalog.pg_class r ON r.oid = con.confrelid"
           " CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(f, t, ord)"
           " JOIN pg_catalog.pg_attribute af ON af.attrelid = con.conrelid AND af.attnum = k.f"
           " JOIN pg_catalog.pg_attribute at ON at.attrelid = con.confrelid AND at.attnum = k.t"
           " WHERE con.conrelid = " PG_REL " AND con.contype = 'f' ORDER BY con.oid, k.ord",
    .unique = "SELECT a.attname FROM pg_catalog.pg_index x"
              " JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid"
              "  AND a.attnum = x.indkey[0]"
              " WHERE x.indrelid = " PG_REL " AND x.indisunique AND x.indnatts = 1"
              " AND x.indpred IS NULL",
};

/* ---- Reading ------------------------------------------------------------------------------- */

static dm_col *find_col(dm_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* A column the database fills by itself: SQLite's INTEGER PRIMARY KEY (the rowid), a
 * PostgreSQL serial (nextval default) or identity column. */
static int generated(int pg, const char *type, int pk, int pkcols, const char *dflt,
                     const char *identity)
{
    if (pg)
        return (identity && *identity) || (dflt && strncmp(dflt, "nextval(", 8) == 0);
    return pk == 1 && pkcols == 1 && strcasecmp(type, "INTEGER") == 0;
}

/* The PostgreSQL column definition: type, NOT NULL, default; a serial becomes an identity
 * column (the same type and the same lastval(); the sequence comes with it). */
static char *pg_column_def(arena *a, const char *name, const char *type, int notnull,
                           const char *dflt, const char *identity)
{
    const char *extra = "";
    if (identity && *identity == 'a')
        extra = " GENERATED ALWAYS AS IDENTITY";
    else if ((identity && *identity == 'd') || (dflt && strncmp(dflt, "nextval(", 8) == 0))
        extra = " GENERATED BY DEFAULT AS IDENTITY";
    else if (dflt)
        extra = arena_printf(a, " DEFAULT %s", dflt);
    return arena_printf(a, "%s %s%s%s", dm_quote(a, name), type, notnull ? " NOT NULL" : "",
                        extra ? extra : "");
}

static int read_columns(mitsu_db *db, arena *a, const dm_sql *q, int pg, dm_table *t,
                        char **defs)
{
    mitsu_rows *r = mitsu_db_query(db, q->columns, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc, pkcols = 0;
    char *list = "";
    while ((rc = mitsu_rows_next(r)) == 1) {
        dm_col *c = arena_grow(a, t->cols, t->ncols, sizeof *c);
        if (!c)
            break;
        t->cols = c;
        c += t->ncols++;
        memset(c, 0, sizeof *c);
        c->name = dup(a, mitsu_rows_text(r, 0));
        c->type = dup(a, mitsu_rows_text(r, 1));
        c->notnull = mitsu_rows_int(r, 2) != 0;
        c->pk = (int)mitsu_rows_int(r, 3);
        c->fk = -1;
        pkcols += c->pk > 0;
        const char *dflt = mitsu_rows_text(r, 4), *ident = mitsu_rows_text(r, 5);
        c->generated = generated(pg, c->type, c->pk, 0, dflt, ident); /* SQLite: below */
        if (pg)
            list = arena_printf(a, "%s%s%s", list, *list ? ", " : "",
                                pg_column_def(a, c->name, c->type, c->notnull, dflt, ident));
    }
    mitsu_rows_free(r);
    for (size_t i = 0; !pg && i < t->ncols; i++)
        t->cols[i].generated = generated(0, t->cols[i].type, t->cols[i].pk, pkcols, NULL, NULL);
    for (size_t i = 0; i < t->ncols; i++)
        t->cols[i].unique = pkcols == 1 && t->cols[i].pk == 1;
    *defs = list;
    return rc < 0 || !list ? -1 : 0;
}

static int read_fks(mitsu_db *db, arena *a, const dm_sql *q, dm_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, q->fks, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int64_t id = INT64_MIN;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        if (mitsu_rows_int(r, 0) != id || t->nfks == 0) {
            dm_fk *f = arena_grow(a, t->fks, t->nfks, sizeof *f);
            if (!f)
                break;
            t->fks = f;
            f += t->nfks++;
            memset(f, 0, sizeof *f);
            f->table = dup(a, mitsu_rows_text(r, 1));
            id = mitsu_rows_int(r, 0);
        }
        dm_fk *f = &t->fks[t->nfks - 1];
        size_t k = f->ncols, k1 = k;
        /* A NULL "to" (SQLite: the parent's primary key) is resolved in dm_load. */
        if (push(a, &f->from, &k1, dup(a, mitsu_rows_text(r, 2))) < 0 ||
            push_any(a, &f->to, &f->ncols,
                     mitsu_rows_is_null(r, 3) ? NULL : dup(a, mitsu_rows_text(r, 3))) < 0)
            break;
        dm_col *c = find_col(t, f->from[k]);
        if (c) {
            c->fk = (int)(t->nfks - 1);
            c->fk_part = k;
        }
    }
    mitsu_rows_free(r);
    return rc == 0 ? 0 : -1;
}

static int read_unique(mitsu_db *db, const dm_sql *q, dm_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, q->unique, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        dm_col *c = find_col(t, mitsu_rows_text(r, 0) ? mitsu_rows_text(r, 0) : "");
        if (c)
            c->unique = 1;
    }
    mitsu_rows_free(r);
    return rc;
}

static int count_rows(mitsu_db *db, arena *a, dm_table *t)
{
    const char *sql = arena_printf(a, "SELECT COUNT(*) FROM %s", dm_quote(a, t->name));
    mitsu_rows *r = sql ? mitsu_db_query(db, sql) : NULL;
    int ok = r && mitsu_rows_next(r) == 1;
    t->real_rows = ok ? mitsu_rows_int(r, 0) : 0;
    mitsu_rows_free(r);
    return ok ? 0 : -1;
}

/* PostgreSQL: primary key, unique and check constraints go into CREATE TABLE; foreign keys
 * into ALTER TABLE once every table exists (so cycles are no problem). */
static int pg_constraints(mitsu_db *db, arena *a, dm_table *t, char **defs)
{
    mitsu_rows *r = mitsu_db_query(db,
                                   "SELECT conname, pg_catalog.pg_get_constraintdef(oid), contype::text"
                                   " FROM pg_catalog.pg_constraint WHERE conrelid = " PG_REL
                                   " AND contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY conname",
                                   MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        char *c = arena_printf(a, "CONSTRAINT %s %s", dm_quote(a, mitsu_rows_text(r, 0)),
                               mitsu_rows_text(r, 1));
        const char *type = mitsu_rows_text(r, 2);
        if (!c)
            break;
        if (type && *type == 'f') {
            if (push(a, &t->alter, &t->nalter,
                     arena_printf(a, "ALTER TABLE %s ADD %s", dm_quote(a, t->name), c)) < 0)
                break;
        } else if (!(*defs = arena_printf(a, "%s, %s", *defs, c))) {
            break;
        }
    }
    mitsu_rows_free(r);
    return rc;
}

/* pg_get_indexdef names the table with its schema ("ON public.t USING"): the decoy's may be
 * another, so the name becomes the bare table's. */
static char *pg_unqualify(arena *a, const char *def, const char *table)
{
    const char *on = strstr(def, " ON "), *using = on ? strstr(on, " USING ") : NULL;
    if (!using)
        return dup(a, def);
    const char *only = strncmp(on + 4, "ONLY ", 5) == 0 ? "ONLY " : "";
    return arena_printf(a, "%.*s ON %s%s%s", (int)(on - def), def, only, dm_quote(a, table),
                        using);
}

static int pg_indexes(mitsu_db *db, arena *a, dm_schema *s, dm_table *t)
{
    mitsu_rows *r = mitsu_db_query(db,
                                   "SELECT pg_catalog.pg_get_indexdef(x.indexrelid)"
                                   " FROM pg_catalog.pg_index x WHERE x.indrelid = " PG_REL
                                   " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c"
                                   "  WHERE c.conindid = x.indexrelid)",
                                   MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1)
        if (push(a, &s->before_fill, &s->nbefore,
                 pg_unqualify(a, mitsu_rows_text(r, 0), t->name)) < 0)
            break;
    mitsu_rows_free(r);
    return rc;
}

/* SQLite: indexes before the rows, views and triggers after. */
static int sqlite_extras(mitsu_db *db, arena *a, dm_schema *s)
{
    mitsu_rows *r = mitsu_db_query(db, "SELECT type, sql FROM sqlite_schema"
                                       " WHERE type IN ('index', 'view', 'trigger')"
                                       " AND sql IS NOT NULL"
                                       " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid");
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        int index = strcmp(mitsu_rows_text(r, 0), "index") == 0;
        if (push(a, index ? &s->before_fill : &s->after_fill, index ? &s->nbefore : &s->nafter,
                 dup(a, mitsu_rows_text(r, 1))) < 0)
            break;
    }
    mitsu_rows_free(r);
    return rc;
}

/* SQLite's foreign keys may name no parent column: the parent's primary key is meant. */
static void resolve_fk_targets(dm_schema *s)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < s->t[i].nfks; k++) {
            dm_fk *f = &s->t[i].fks[k];
            for (size_t j = 0; j < s->n; j++) {
                if (strcmp(s->t[j].name, f->table) != 0)
                    continue;
                for (size_t c = 0; c < f->ncols; c++)
                    for (size_t p = 0; !f->to[c] && p < s->t[j].ncols; p++)
                        if (s->t[j].cols[p].pk == (int)c + 1)
                            f->to[c] = s->t[j].cols[p].name;
            }
        }
}

int dm_load(mitsu_db *real, arena *a, dm_schema *s, char *err, size_t n)
{
    memset(s, 0, sizeof *s);
    s->pg = mitsu_db_kind(real) == MITSU_DB_POSTGRESQL;
    const dm_sql *q = s->pg ? &pg_q : &sqlite_q;
    mitsu_rows *r = mitsu_db_query(real, q->tables);
    if (!r)
        return fail(real, "reading the real tables", err, n);
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        dm_table *t = arena_grow(a, s->t, s->n, sizeof *t);
        if (!t)
            break;
        s->t = t;
        t += s->n++;
        memset(t, 0, sizeof *t);
        t->name = dup(a, mitsu_rows_text(r, 0));
        t->create_sql = dup(a, mitsu_rows_text(r, 1));
    }
    mitsu_rows_free(r);
    if (rc != 0)
        return fail(real, "reading the real tables", err, n);
    for (size_t i = 0; i < s->n; i++) {
        dm_table *t = &s->t[i];
        char *defs = NULL;
        if (read_columns(real, a, q, s->pg, t, &defs) != 0 || read_fks(real, a, q, t) != 0 ||
            read_unique(real, q, t) != 0 || count_rows(real, a, t) != 0 ||
            (s->pg && (pg_constraints(real, a, t, &defs) != 0 ||
                       pg_indexes(real, a, s, t) != 0))) {
            char what[300];
            snprintf(what, sizeof what, "reading real table %s", t->name);
            return fail(real, what, err, n);
        }
        if (s->pg && !(t->create_sql = arena_printf(a, "CREATE TABLE %s (%s)",
                                                    dm_quote(a, t->name), defs)))
            return fail(real, "out of memory", err, n);
    }
    if (!s->pg && sqlite_extras(real, a, s) != 0)
        return fail(real, "reading the real indexes", err, n);
    resolve_fk_targets(s);
    return 0;
}

/* ---- Writing ------------------------------------------------------------------------------- */

int dm_decoy_tables(mitsu_db *decoy, int drop, char *err, size_t n)
{
    int pg = mitsu_db_kind(decoy) == MITSU_DB_POSTGRESQL;
    arena a;
    arena_init(&a, 4096);
    mitsu_rows *r = mitsu_db_query(decoy, (pg ? &pg_q : &sqlite_q)->tables);
    char **names = NULL;
    size_t count = 0;
    int rc = r ? 0 : -1;
    while (r && (rc = mitsu_rows_next(r)) == 1)
        if (push(&a, &names, &count, dup(&a, mitsu_rows_text(r, 0))) < 0)
            rc = -1;
    mitsu_rows_free(r);
    size_t tables = count;
    if (rc == 0 && drop && !pg) { /* views too: they would be made again */
        rc = mitsu_db_script(decoy, "PRAGMA foreign_keys = OFF");
        r = rc == 0 ? mitsu_db_query(decoy, "SELECT name FROM sqlite_schema WHERE type = 'view'")
                    : NULL;
        while (r && (rc = mitsu_rows_next(r)) == 1)
            if (push(&a, &names, &count, dup(&a, mitsu_rows_text(r, 0))) < 0)
                rc = -1;
        mitsu_rows_free(r);
    }
    for (size_t i = 0; rc == 0 && drop && i < count; i++) {
        const char *sql = arena_printf(&a, "DROP %s %s%s", i < tables ? "TABLE" : "VIEW",
                                       dm_quote(&a, names[i]), pg ? " CASCADE" : "");
        rc = sql && mitsu_db_script(decoy, sql) == 0 ? 0 : -1;
    }
    if (drop && !pg && mitsu_db_script(decoy, "PRAGMA foreign_keys = ON") != 0)
        rc = -1;
    arena_free(&a);
    if (rc != 0)
        return fail(decoy, "reading the decoy's tables", err, n);
    return (int)tables;
}

static int run_all(mitsu_db *db, char *const *sql, size_t count, char *err, size_t n)
{
    for (size_t i = 0; i < count; i++)
        if (mitsu_db_script(db, sql[i]) != 0) {
            char what[200];
            snprintf(what, sizeof what, "in the decoy: %.120s", sql[i]);
            return fail(db, what, err, n);
        }
    return 0;
}

int dm_create(mitsu_db *decoy, const dm_schema *s, char *err, size_t n)
{
    for (size_t i = 0; i < s->n; i++)
        if (run_all(decoy, &s->t[i].create_sql, 1, err, n) != 0)
            return -1;
    for (size_t i = 0; i < s->n; i++)
        if (run_all(decoy, s->t[i].alter, s->t[i].nalter, err, n) != 0)
            return -1;
    return run_all(decoy, s->before_fill, s->nbefore, err, n);
}

int dm_finish(mitsu_db *decoy, const dm_schema *s, char *err, size_t n)
{
    return run_all(decoy, s->after_fill, s->nafter, err, n);
}

/* Depth first over the references; a table already on the path (a cycle) is left for later,
 * so its rows see a parent without rows, and take NULL where the column allows it. */
static void place(dm_schema *s, size_t i, size_t *out, size_t *k, int depth)
{
    dm_table *t = &s->t[i];
    if (t->placed || depth > 64)
        return;
    t->placed = 2; /* on the path */
    for (size_t f = 0; f < t->nfks; f++)
        for (size_t j = 0; j < s->n; j++)
            if (j != i && !s->t[j].placed && strcmp(s->t[j].name, t->fks[f].table) == 0)
                place(s, j, out, k, depth + 1);
    t->placed = 1;
    out[(*k)++] = i;
}

void dm_fill_order(dm_schema *s, size_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        s->t[i].placed = 0;
    for (size_t i = 0; i < s->n; i++)
        place(s, i, out, &k, 0);
}
