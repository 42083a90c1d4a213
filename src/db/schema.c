/* The start-up schema check: reads the tables, columns, keys and indexes of a database (SQLite
 * pragmas, PostgreSQL catalogs) into one model and writes the differences of two as lines. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "db/backend.h"

typedef struct sc_col {
    const char *name, *type;
    int notnull;
} sc_col;

/* An index (name, "UNIQUE (a, b)") or a foreign key (its description twice). */
typedef struct sc_named {
    const char *name, *def;
} sc_named;

typedef struct sc_table {
    const char *name;
    sc_col *cols;
    size_t ncols;
    const char *pk; /* "(a, b)", or "none" */
    sc_named *fks, *idx;
    size_t nfks, nidx;
} sc_table;

typedef struct sc_schema {
    sc_table *t;
    size_t n;
} sc_schema;

/* Everything is allocated in one arena (arrays with arena_grow), freed after the comparison. */

static const char *dup(arena *a, const char *s)
{
    return arena_strdup(a, s ? s : "");
}

/* Types are shown in capitals whatever the backend wrote ("integer", "varchar(20)"): SQLite
 * keeps the declaration's spelling, PostgreSQL writes lower case, and case means nothing. */
static const char *upper(arena *a, const char *s)
{
    char *u = arena_strdup(a, s ? s : "");
    for (char *p = u; p && *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return u;
}

/* Appends ", word" (or "word" first) to a list text. */
static const char *join(arena *a, const char *list, const char *word)
{
    return *list ? arena_printf(a, "%s, %s", list, word) : dup(a, word);
}

/* ---- Reading ---------------------------------------------------------------------------- */

typedef struct sc_sql {
    const char *tables, *columns, *pk, *fks, *indexes;
} sc_sql;

/* Columns of `columns`: name, type, notnull, pk position (SQLite) or just the first three. */
static const sc_sql sqlite_sql = {
    .tables = "SELECT name FROM sqlite_schema WHERE type = 'table'"
              " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    .columns = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid",
    .pk = NULL, /* from pragma_table_info's pk column */
    /* One row per key column: id groups a key; NULL "to" means the referenced primary key. */
    .fks = "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete"
           " FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    .indexes = NULL, /* two pragmas, see sqlite_indexes */
};

static const sc_sql pg_sql = {
    .tables = "SELECT c.relname FROM pg_catalog.pg_class c"
              " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
              " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
              " ORDER BY c.relname COLLATE \"C\"",
    .columns = "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull"
               " FROM pg_catalog.pg_attribute a"
               " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
               " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
               " WHERE n.nspname = current_schema() AND c.relname = ?"
               " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    .pk = "SELECT a.attname FROM pg_catalog.pg_constraint con"
          " JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
          " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
          " CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)"
          " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum"
          " WHERE n.nspname = current_schema() AND c.relname = ? AND con.contype = 'p'"
          " ORDER BY k.ord",
    .fks = "SELECT (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)"
           "   FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)"
           "   JOIN pg_catalog.pg_attribute a"
           "     ON a.attrelid = con.conrelid AND a.attnum = k.attnum),"
           " r.relname,"
           " (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)"
           "   FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)"
           "   JOIN pg_catalog.pg_attribute a"
           "     ON a.attrelid = con.confrelid AND a.attnum = k.attnum),"
           " con.confupdtype::text, con.confdeltype::text"
           " FROM pg_catalog.pg_constraint con"
           " JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
           " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
           " JOIN pg_catalog.pg_class r ON r.oid = con.confrelid"
           " WHERE n.nspname = current_schema() AND c.relname = ? AND con.contype = 'f'",
    .indexes = "SELECT i.relname, x.indisunique, x.indpred IS NOT NULL,"
               " (SELECT string_agg(COALESCE(a.attname, '(expression)'), ', ' ORDER BY k.ord)"
               "   FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
               "   LEFT JOIN pg_catalog.pg_attribute a"
               "     ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0)"
               " FROM pg_catalog.pg_index x"
               " JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid"
               " JOIN pg_catalog.pg_class c ON c.oid = x.indrelid"
               " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
               " WHERE n.nspname = current_schema() AND c.relname = ?"
               " AND NOT x.indisprimary ORDER BY i.relname COLLATE \"C\"",
};

/* A referential action in one spelling for both backends: PostgreSQL's one-letter codes
 * (pg_constraint.confdeltype) become SQLite's words. NO ACTION, the default, is left out. */
static const char *fk_action(const char *a)
{
    static const struct {
        const char *code, *word;
    } map[] = {{"a", NULL},          {"NO ACTION", NULL},   {"r", "RESTRICT"},
               {"c", "CASCADE"},     {"n", "SET NULL"},     {"d", "SET DEFAULT"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (a && strcmp(a, map[i].code) == 0)
            return map[i].word;
    return a && *a ? a : NULL;
}

static const char *fk_def(arena *a, const char *from, const char *table, const char *to,
                          const char *on_update, const char *on_delete)
{
    const char *def = *to ? arena_printf(a, "(%s) -> %s(%s)", from, table, to)
                          : arena_printf(a, "(%s) -> %s", from, table);
    const char *upd = fk_action(on_update), *del = fk_action(on_delete);
    if (def && del)
        def = arena_printf(a, "%s ON DELETE %s", def, del);
    if (def && upd)
        def = arena_printf(a, "%s ON UPDATE %s", def, upd);
    return def;
}

static int cmp_named(const void *x, const void *y)
{
    return strcmp(((const sc_named *)x)->name, ((const sc_named *)y)->name);
}

static int cmp_table(const void *x, const void *y)
{
    return strcmp(((const sc_table *)x)->name, ((const sc_table *)y)->name);
}

static int add_named(arena *a, sc_named **list, size_t *n, const char *name, const char *def)
{
    sc_named *l = arena_grow(a, *list, *n, sizeof *l);
    if (!l || !name || !def)
        return -1;
    l[*n].name = name;
    l[*n].def = def;
    *list = l;
    (*n)++;
    return 0;
}

static int read_columns(mitsu_db *db, arena *a, const sc_sql *q, sc_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, q->columns, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    /* SQLite gives each column's place in the primary key (pk = 1, 2...; 0: not in it). */
    const char *pkcols[64] = {0};
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        sc_col *c = arena_grow(a, t->cols, t->ncols, sizeof *c);
        if (!c)
            return -1;
        t->cols = c;
        c[t->ncols].name = dup(a, mitsu_rows_text(r, 0));
        c[t->ncols].type = upper(a, mitsu_rows_text(r, 1));
        c[t->ncols].notnull = mitsu_rows_int(r, 2) != 0;
        int64_t pk = mitsu_rows_columns(r) > 3 ? mitsu_rows_int(r, 3) : 0;
        if (pk > 0 && pk <= 64)
            pkcols[pk - 1] = c[t->ncols].name;
        t->ncols++;
    }
    mitsu_rows_free(r);
    if (rc < 0)
        return -1;
    const char *pk = "";
    if (q->pk) {
        if (!(r = mitsu_db_query(db, q->pk, MITSU_TEXT(t->name))))
            return -1;
        while ((rc = mitsu_rows_next(r)) == 1)
            pk = join(a, pk, mitsu_rows_text(r, 0));
        mitsu_rows_free(r);
        if (rc < 0)
            return -1;
    } else {
        for (int i = 0; i < 64 && pkcols[i]; i++)
            pk = join(a, pk, pkcols[i]);
    }
    t->pk = *pk ? arena_printf(a, "(%s)", pk) : "none";
    return t->pk ? 0 : -1;
}

static int sqlite_fks(mitsu_db *db, arena *a, const sc_sql *q, sc_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, q->fks, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int64_t id = -1;
    const char *from = "", *to = "", *table = "", *upd = NULL, *del = NULL;
    int rc;
    while ((rc = mitsu_rows_next(r)) >= 0) {
        /* One key ends where the next id starts, or at the end. */
        if (id >= 0 && (rc == 0 || mitsu_rows_int(r, 0) != id)) {
            const char *def = fk_def(a, from, table, to, upd, del);
            if (add_named(a, &t->fks, &t->nfks, def, def) != 0)
                break;
            from = to = "";
        }
        if (rc == 0)
            break;
        id = mitsu_rows_int(r, 0);
        table = dup(a, mitsu_rows_text(r, 1));
        from = join(a, from, mitsu_rows_text(r, 2));
        if (!mitsu_rows_is_null(r, 3))
            to = join(a, to, mitsu_rows_text(r, 3));
        upd = dup(a, mitsu_rows_text(r, 4));
        del = dup(a, mitsu_rows_text(r, 5));
    }
    mitsu_rows_free(r);
    return rc == 0 ? 0 : -1;
}

static int pg_fks(mitsu_db *db, arena *a, const sc_sql *q, sc_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, q->fks, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        const char *def = fk_def(a, mitsu_rows_text(r, 0), mitsu_rows_text(r, 1),
                                 mitsu_rows_text(r, 2), mitsu_rows_text(r, 3),
                                 mitsu_rows_text(r, 4));
        if (add_named(a, &t->fks, &t->nfks, def, def) != 0)
            rc = -1;
    }
    mitsu_rows_free(r);
    return rc;
}

static const char *index_def(arena *a, int unique, int partial, const char *cols)
{
    return arena_printf(a, "%s(%s)%s", unique ? "UNIQUE " : "", cols, partial ? " WHERE ..." : "");
}

/* The primary key's own index is left out: the primary key is compared by itself. */
static int sqlite_indexes(mitsu_db *db, arena *a, sc_table *t)
{
    mitsu_rows *r = mitsu_db_query(db,
                                   "SELECT name, \"unique\", partial FROM pragma_index_list(?)"
                                   " WHERE origin <> 'pk'",
                                   MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        const char *name = dup(a, mitsu_rows_text(r, 0));
        int unique = mitsu_rows_int(r, 1) != 0, partial = mitsu_rows_int(r, 2) != 0;
        /* A second cursor while the first is open: the statement cache hands out another. */
        mitsu_rows *c = mitsu_db_query(db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
                                       MITSU_TEXT(name));
        const char *cols = "";
        int crc = c ? 0 : -1;
        while (c && (crc = mitsu_rows_next(c)) == 1)
            cols = join(a, cols, mitsu_rows_is_null(c, 0) ? "(expression)" : mitsu_rows_text(c, 0));
        mitsu_rows_free(c);
        if (crc < 0 || add_named(a, &t->idx, &t->nidx, name, index_def(a, unique, partial, cols)))
            rc = -1;
    }
    mitsu_rows_free(r);
    return rc;
}

static int pg_indexes(mitsu_db *db, arena *a, const sc_sql *q, sc_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, q->indexes, MITSU_TEXT(t->name));
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        const char *cols = mitsu_rows_text(r, 3);
        if (add_named(a, &t->idx, &t->nidx, dup(a, mitsu_rows_text(r, 0)),
                      index_def(a, mitsu_rows_int(r, 1) != 0, mitsu_rows_int(r, 2) != 0,
                                cols ? cols : "")) != 0)
            rc = -1;
    }
    mitsu_rows_free(r);
    return rc;
}

/* Reads c's schema into s. 0, or -1 with the reason in c's error. */
static int sc_load(db_conn *c, arena *a, sc_schema *s)
{
    mitsu_db *db = db_handle(c, a);
    if (!db)
        return db_fail(c, MITSU_DB_ERROR, "out of memory");
    int pg = c->be->kind == MITSU_DB_POSTGRESQL;
    const sc_sql *q = pg ? &pg_sql : &sqlite_sql;
    memset(s, 0, sizeof *s);
    mitsu_rows *r = mitsu_db_query(db, q->tables);
    if (!r)
        return -1;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        sc_table *t = arena_grow(a, s->t, s->n, sizeof *t);
        if (!t)
            return db_fail(c, MITSU_DB_ERROR, "out of memory");
        s->t = t;
        memset(&t[s->n], 0, sizeof *t);
        t[s->n++].name = dup(a, mitsu_rows_text(r, 0));
    }
    mitsu_rows_free(r);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        sc_table *t = &s->t[i];
        if (read_columns(db, a, q, t) != 0 ||
            (pg ? pg_fks(db, a, q, t) : sqlite_fks(db, a, q, t)) != 0 ||
            (pg ? pg_indexes(db, a, q, t) : sqlite_indexes(db, a, t)) != 0) {
            if (c->status == MITSU_DB_OK)
                db_fail(c, MITSU_DB_ERROR, "out of memory");
            return -1;
        }
        if (t->nfks)
            qsort(t->fks, t->nfks, sizeof *t->fks, cmp_named);
        if (t->nidx)
            qsort(t->idx, t->nidx, sizeof *t->idx, cmp_named);
    }
    if (s->n)
        qsort(s->t, s->n, sizeof *s->t, cmp_table);
    return 0;
}

/* ---- Comparing ---------------------------------------------------------------------------- */

typedef struct sc_out {
    FILE *f;
    const char *prefix;
    int count;
} sc_out;

static void say(sc_out *o, const char *table, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(sc_out *o, const char *table, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(o->f, "%stable %s: ", o->prefix, table);
    vfprintf(o->f, fmt, ap);
    fputc('\n', o->f);
    va_end(ap);
    o->count++;
}

static const sc_col *find_col(const sc_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

static const char *shown_type(const char *type)
{
    return *type ? type : "(none)";
}

static void diff_columns(sc_out *o, const sc_table *r, const sc_table *d)
{
    for (size_t i = 0; i < r->ncols; i++) {
        const sc_col *rc = &r->cols[i], *dc = find_col(d, rc->name);
        if (!dc) {
            say(o, r->name, "column %s: only in real", rc->name);
            continue;
        }
        if (strcmp(rc->type, dc->type) != 0)
            say(o, r->name, "column %s: type %s in real, %s in decoy", rc->name,
                shown_type(rc->type), shown_type(dc->type));
        if (rc->notnull != dc->notnull)
            say(o, r->name, "column %s: %s in real, %s in decoy", rc->name,
                rc->notnull ? "NOT NULL" : "nullable", dc->notnull ? "NOT NULL" : "nullable");
    }
    for (size_t i = 0; i < d->ncols; i++)
        if (!find_col(r, d->cols[i].name))
            say(o, r->name, "column %s: only in decoy", d->cols[i].name);
    /* SELECT * and INSERT without a column list see the order, so it counts. */
    size_t ir = 0, id = 0;
    int same = 1;
    while (same) {
        while (ir < r->ncols && !find_col(d, r->cols[ir].name))
            ir++;
        while (id < d->ncols && !find_col(r, d->cols[id].name))
            id++;
        if (ir == r->ncols || id == d->ncols)
            break;
        same = strcmp(r->cols[ir++].name, d->cols[id++].name) == 0;
    }
    if (!same) {
        char *a = NULL, *b = NULL;
        size_t al = 0, bl = 0;
        FILE *fa = open_memstream(&a, &al), *fb = open_memstream(&b, &bl);
        for (size_t i = 0; fa && i < r->ncols; i++)
            fprintf(fa, "%s%s", i ? ", " : "", r->cols[i].name);
        for (size_t i = 0; fb && i < d->ncols; i++)
            fprintf(fb, "%s%s", i ? ", " : "", d->cols[i].name);
        if (fa)
            fclose(fa);
        if (fb)
            fclose(fb);
        say(o, r->name, "column order: %s in real, %s in decoy", a ? a : "?", b ? b : "?");
        free(a);
        free(b);
    }
}

/* Items matched by name: those on one side only, and (for indexes) definitions that differ. */
static void diff_named(sc_out *o, const char *table, const char *what, const sc_named *r,
                       size_t nr, const sc_named *d, size_t nd, int show_defs)
{
    size_t i = 0, j = 0;
    while (i < nr || j < nd) {
        int c = i == nr ? 1 : j == nd ? -1 : strcmp(r[i].name, d[j].name);
        if (c < 0) {
            say(o, table, "%s %s: only in real", what, r[i++].name);
        } else if (c > 0) {
            say(o, table, "%s %s: only in decoy", what, d[j++].name);
        } else {
            if (show_defs && strcmp(r[i].def, d[j].def) != 0)
                say(o, table, "%s %s: %s in real, %s in decoy", what, r[i].name, r[i].def,
                    d[j].def);
            i++;
            j++;
        }
    }
}

static void diff_table(sc_out *o, const sc_table *r, const sc_table *d)
{
    diff_columns(o, r, d);
    if (strcmp(r->pk, d->pk) != 0)
        say(o, r->name, "primary key %s in real, %s in decoy", r->pk, d->pk);
    diff_named(o, r->name, "foreign key", r->fks, r->nfks, d->fks, d->nfks, 0);
    diff_named(o, r->name, "index", r->idx, r->nidx, d->idx, d->nidx, 1);
}

static int sc_diff(const sc_schema *r, const sc_schema *d, const char *prefix, FILE *f)
{
    sc_out o = {f, prefix ? prefix : "", 0};
    size_t i = 0, j = 0;
    while (i < r->n || j < d->n) {
        int c = i == r->n ? 1 : j == d->n ? -1 : strcmp(r->t[i].name, d->t[j].name);
        if (c < 0)
            say(&o, r->t[i++].name, "only in real");
        else if (c > 0)
            say(&o, d->t[j++].name, "only in decoy");
        else
            diff_table(&o, &r->t[i++], &d->t[j++]);
    }
    return o.count;
}

int db_schema_compare(db_conn *real, db_conn *decoy, const char *prefix, FILE *out)
{
    arena a;
    arena_init(&a, 16384);
    sc_schema rs, ds;
    int n = -1;
    if (sc_load(real, &a, &rs) != 0)
        fprintf(out, "%sreal database: cannot read the schema: %s\n", prefix ? prefix : "",
                real->err);
    else if (sc_load(decoy, &a, &ds) != 0)
        fprintf(out, "%sdecoy database: cannot read the schema: %s\n", prefix ? prefix : "",
                decoy->err);
    else
        n = sc_diff(&rs, &ds, prefix, out);
    arena_free(&a); /* ends the two handles too */
    return n;
}
