/* `mitsu decoy diff`: what one attacker changed in its private copy of an SQLite decoy. The
 * shared decoy is attached to the copy's connection and each table compared by primary key (or
 * rowid): rows added, removed, and changed column by column. What is shown is the attacker's
 * text, names too: control characters are escaped (base/termtext.h), long values cut. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/termtext.h"
#include "db/backend.h"
#include "db/decoy_make.h"
#include "db/decoy_model.h"

enum { SHOWN = 120 };

/* len bytes of the attacker's text for a terminal, cut after about limit bytes with "...":
 * what term_char_len refuses, and '\\', as \xHH, so that it cannot drive the operator's
 * terminal and an escape it wrote itself is told from ours. */
static void put_text(FILE *out, const unsigned char *v, size_t len, size_t limit)
{
    size_t i = 0;
    while (i < len && i < limit) {
        size_t k = v[i] == '\\' ? 0 : term_char_len(v + i, len - i);
        if (k == 0) {
            fprintf(out, "\\x%02x", v[i]);
            k = 1;
        } else {
            fwrite(v + i, 1, k, out);
        }
        i += k;
    }
    if (i < len)
        fputs("...", out);
}

/* A table or column name: the copy's schema is the attacker's too. */
static void put_name(FILE *out, const char *name)
{
    put_text(out, (const unsigned char *)(name ? name : "?"), strlen(name ? name : "?"),
             SIZE_MAX);
}

/* One value for a terminal: 'text' quoted, NULL, numbers as they are. */
static void show(FILE *out, mitsu_rows *r, int col)
{
    if (mitsu_rows_is_null(r, col)) {
        fputs("NULL", out);
        return;
    }
    enum mitsu_type t = mitsu_rows_type(r, col);
    size_t len = 0;
    const unsigned char *v = (const unsigned char *)(t == MITSU_TYPE_BLOB
                                                         ? mitsu_rows_blob(r, col, &len)
                                                         : mitsu_rows_text(r, col));
    if (t != MITSU_TYPE_BLOB)
        len = v ? strlen((const char *)v) : 0;
    int quoted = t == MITSU_TYPE_TEXT || t == MITSU_TYPE_BLOB;
    if (quoted)
        fputc('\'', out);
    put_text(out, v, len, SHOWN);
    if (quoted)
        fputc('\'', out);
}

typedef struct tinfo {
    char **cols;
    size_t ncols;
    const char *key;      /* "a, b" quoted, or rowid */
    const char *key_on;   /* m.a IS b.a AND ... */
    size_t nkey;
} tinfo;

/* The columns of a table on both sides, key first: those compared. A column on one side only
 * (the attacker's ALTER TABLE) is a line of out, counted in *changes, and not compared. */
static const char columns_sql[] =
    "SELECT name, pk, side FROM (SELECT m.name, m.pk, m.cid,"
    "  CASE WHEN b.name IS NULL THEN 'added' ELSE '' END AS side"
    "  FROM pragma_table_info(?, 'main') m"
    "  LEFT JOIN pragma_table_info(?, 'base') b ON b.name = m.name COLLATE NOCASE"
    " UNION ALL SELECT name, 0, cid, 'dropped' FROM pragma_table_info(?, 'base')"
    "  WHERE name COLLATE NOCASE NOT IN (SELECT name FROM pragma_table_info(?, 'main')))"
    " ORDER BY pk = 0, pk, cid";

static int table_info(mitsu_db *db, arena *a, const char *table, tinfo *ti, FILE *out,
                      int64_t *changes)
{
    memset(ti, 0, sizeof *ti);
    mitsu_rows *r = mitsu_db_query(db, columns_sql, MITSU_TEXT(table), MITSU_TEXT(table),
                                   MITSU_TEXT(table), MITSU_TEXT(table));
    if (!r)
        return -1;
    const char *key = "", *on = "";
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        const char *side = mitsu_rows_text(r, 2);
        if (side && *side) {
            fputs("table ", out);
            put_name(out, table);
            fputs(": column ", out);
            put_name(out, mitsu_rows_text(r, 0));
            fprintf(out, " %s by the attacker\n", side);
            ++*changes;
            continue;
        }
        char **c = arena_grow(a, ti->cols, ti->ncols, sizeof *c);
        if (!c)
            break;
        ti->cols = c;
        const char *q = dm_quote(a, mitsu_rows_text(r, 0));
        c[ti->ncols++] = (char *)q;
        if (mitsu_rows_int(r, 1) > 0) {
            key = arena_printf(a, "%s%s%s", key, *key ? ", " : "", q);
            on = arena_printf(a, "%s%sm.%s IS b.%s", on, *on ? " AND " : "", q, q);
            ti->nkey++;
        }
    }
    mitsu_rows_free(r);
    if (ti->nkey == 0) {
        key = "rowid";
        on = "m.rowid = b.rowid";
        ti->nkey = 1;
    }
    ti->key = key;
    ti->key_on = on;
    return rc == 0 && key && on ? 0 : -1;
}

static void show_key(FILE *out, const tinfo *ti, mitsu_rows *r)
{
    for (size_t k = 0; k < ti->nkey; k++) {
        fputs(k ? ", " : "", out);
        put_name(out, ti->nkey == 1 && strcmp(ti->key, "rowid") == 0 ? "rowid"
                                                                     : mitsu_rows_name(r, (int)k));
        fputc('=', out);
        show(out, r, (int)k);
    }
}

/* Rows of `from` whose key is not in `other`, shown with a sign. */
static int64_t only_in(mitsu_db *db, arena *a, const char *table, const tinfo *ti,
                       const char *from, const char *other, char sign, FILE *out)
{
    const char *t = dm_quote(a, table);
    const char *sql = arena_printf(a, "SELECT %s, * FROM %s.%s WHERE (%s) NOT IN"
                                      " (SELECT %s FROM %s.%s) ORDER BY 1",
                                   ti->key, from, t, ti->key, ti->key, other, t);
    mitsu_rows *r = sql ? mitsu_db_query(db, sql) : NULL;
    if (!r)
        return -1;
    int64_t n = 0;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        fprintf(out, "  %c ", sign);
        show_key(out, ti, r);
        fputs(":", out);
        for (int c = (int)ti->nkey; c < mitsu_rows_columns(r); c++) {
            fputc(' ', out);
            put_name(out, mitsu_rows_name(r, c));
            fputc('=', out);
            show(out, r, c);
        }
        fputc('\n', out);
        n++;
    }
    mitsu_rows_free(r);
    return rc == 0 ? n : -1;
}

/* Rows in both whose columns differ: each changed column as old -> new. */
static int64_t changed(mitsu_db *db, arena *a, const char *table, const tinfo *ti, FILE *out)
{
    const char *sel = "", *where = "";
    for (size_t k = 0; k < ti->ncols; k++) {
        const char *c = ti->cols[k];
        sel = arena_printf(a, "%s, b.%s, m.%s", sel, c, c);
        where = arena_printf(a, "%s%sm.%s IS NOT b.%s", where, k ? " OR " : "", c, c);
    }
    const char *key = "";
    if (strcmp(ti->key, "rowid") == 0)
        key = "m.rowid";
    else
        for (size_t k = 0; k < ti->nkey; k++)
            key = arena_printf(a, "%s%sm.%s", key, k ? ", " : "", ti->cols[k]);
    const char *t = dm_quote(a, table);
    const char *sql = arena_printf(a, "SELECT %s%s FROM main.%s m JOIN base.%s b ON %s"
                                      " WHERE %s ORDER BY 1",
                                   key, sel, t, t, ti->key_on, *where ? where : "0");
    mitsu_rows *r = sql ? mitsu_db_query(db, sql) : NULL;
    if (!r)
        return -1;
    int64_t n = 0;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        fputs("  ~ ", out);
        show_key(out, ti, r);
        fputc(':', out);
        for (size_t k = 0; k < ti->ncols; k++) {
            int old = (int)(ti->nkey + 2 * k), new = old + 1;
            if (mitsu_rows_type(r, old) == mitsu_rows_type(r, new) &&
                ((mitsu_rows_is_null(r, old) && mitsu_rows_is_null(r, new)) ||
                 (mitsu_rows_type(r, old) != MITSU_TYPE_BLOB && mitsu_rows_text(r, old) &&
                  mitsu_rows_text(r, new) &&
                  strcmp(mitsu_rows_text(r, old), mitsu_rows_text(r, new)) == 0)))
                continue;
            fputc(' ', out);
            put_name(out, mitsu_rows_name(r, new));
            fputs(": ", out);
            show(out, r, old);
            fputs(" -> ", out);
            show(out, r, new);
        }
        fputc('\n', out);
        n++;
    }
    mitsu_rows_free(r);
    return rc == 0 ? n : -1;
}

/* Every table of either side, with "main" when only the copy has it. */
static const char *tables_sql =
    "SELECT name, MIN(side) FROM (SELECT name, 'main' AS side FROM main.sqlite_schema"
    "  WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    " UNION ALL SELECT name, 'base' FROM base.sqlite_schema"
    "  WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\')"
    " GROUP BY name ORDER BY name";

static int64_t diff_table(mitsu_db *db, arena *a, const char *table, FILE *out)
{
    tinfo ti;
    int64_t columns = 0;
    if (table_info(db, a, table, &ti, out, &columns) != 0)
        return -1;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return -1;
    int64_t add = only_in(db, a, table, &ti, "main", "base", '+', m);
    int64_t del = add < 0 ? -1 : only_in(db, a, table, &ti, "base", "main", '-', m);
    int64_t chg = del < 0 ? -1 : changed(db, a, table, &ti, m);
    fclose(m);
    if (chg > 0 || add > 0 || del > 0) {
        fputs("table ", out);
        put_name(out, table);
        fprintf(out, ": %lld added, %lld removed, %lld changed\n%s", (long long)add,
                (long long)del, (long long)chg, text ? text : "");
    }
    free(text);
    return chg < 0 ? -1 : columns + add + del + chg;
}

int db_decoy_diff(const char *copy_url, const char *base_path, FILE *out, char *err, size_t n)
{
    db_conn *c = db_conn_open_flags(copy_url, NULL, DB_OPEN_EXISTING | DB_OPEN_ROLLBACK, err, n);
    if (!c)
        return -1;
    arena a;
    arena_init(&a, 16384);
    mitsu_db *db = db_handle(c, &a);
    int64_t total = -1;
    if (!db || mitsu_db_exec(db, "ATTACH DATABASE ? AS base", MITSU_TEXT(base_path)) < 0) {
        snprintf(err, n, "attaching the shared decoy: %s",
                 db && mitsu_db_error(db) ? mitsu_db_error(db) : "out of memory");
        goto done;
    }
    mitsu_rows *r = mitsu_db_query(db, tables_sql);
    int rc = r ? 0 : -1;
    total = 0;
    while (r && (rc = mitsu_rows_next(r)) == 1) {
        const char *name = arena_strdup(&a, mitsu_rows_text(r, 0));
        const char *side = mitsu_rows_text(r, 1);
        int64_t d = -1;
        if (name && strcmp(side, "base") == 0) {
            /* MIN('base', 'main') is 'base' whenever the decoy has it: has the copy? */
            mitsu_rows *e = mitsu_db_query(db, "SELECT 1 FROM main.sqlite_schema WHERE"
                                               " type = 'table' AND name = ?", MITSU_TEXT(name));
            int there = e && mitsu_rows_next(e) == 1;
            mitsu_rows_free(e);
            if (!there) {
                fputs("table ", out);
                put_name(out, name);
                fputs(": dropped by the attacker\n", out);
                d = 1;
            }
        }
        if (name && strcmp(side, "main") == 0) {
            fputs("table ", out);
            put_name(out, name);
            fputs(": created by the attacker\n", out);
            d = 1;
        } else if (name && d < 0) {
            d = diff_table(db, &a, name, out);
        }
        if (d < 0) {
            char shown[160] = "?";
            FILE *f = name ? fmemopen(shown, sizeof shown, "w") : NULL;
            if (f) {
                put_text(f, (const unsigned char *)name, strlen(name), 40);
                fclose(f);
            }
            snprintf(err, n, "comparing table %s: %s", shown,
                     mitsu_db_error(db) ? mitsu_db_error(db) : "out of memory");
            total = -1;
            break;
        }
        total += d;
    }
    mitsu_rows_free(r);
    if (rc < 0 && total >= 0) {
        snprintf(err, n, "listing tables: %s", mitsu_db_error(db));
        total = -1;
    }
done:
    arena_free(&a); /* ends the handle */
    db_conn_close(c);
    return total < 0 ? -1 : (int)(total > 1000000000 ? 1000000000 : total);
}
