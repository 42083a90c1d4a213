/* The start-up schema check in detail, on SQLite: what counts as a difference, what does not,
 * and the exact lines an operator reads. (test_db.c runs the common cases on PostgreSQL too.) */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/backend.h"
#include "db/db.h"

static char dir[64];
static char real_url[128], decoy_url[128];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/mitsu-test-schema-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(real_url, sizeof real_url, "sqlite:%s/real.db", dir);
    snprintf(decoy_url, sizeof decoy_url, "sqlite:%s/decoy.db", dir);
}

static void teardown(void)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(schema, .init = setup, .fini = teardown);

static void run_script(const char *url, const char *sql)
{
    char err[256];
    mitsu_db *db = mitsu_db_open(url, err, sizeof err);
    cr_assert_not_null(db, "%s", err);
    cr_assert_eq(mitsu_db_script(db, sql), 0, "%s", mitsu_db_error(db));
    mitsu_db_close(db);
}

/* The report for these two schemas (malloc'd), and the count in *n. */
static char *compare(const char *real_sql, const char *decoy_sql, int *n)
{
    run_script(real_url, real_sql);
    run_script(decoy_url, decoy_sql);
    char err[256];
    db_conn *r = db_conn_open(real_url, NULL, err, sizeof err);
    db_conn *d = db_conn_open(decoy_url, NULL, err, sizeof err);
    cr_assert(r && d, "%s", err);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    *n = db_schema_compare(r, d, "", f);
    fclose(f);
    db_conn_close(r);
    db_conn_close(d);
    return out;
}

static void differs(const char *real_sql, const char *decoy_sql, const char *want, int want_n)
{
    int n;
    char *out = compare(real_sql, decoy_sql, &n);
    cr_expect_str_eq(out, want);
    cr_expect_eq(n, want_n, "%s", out);
    free(out);
}

static const char *const rich =
    "CREATE TABLE a (x INTEGER NOT NULL, y TEXT NOT NULL, z BLOB, PRIMARY KEY (x, y));"
    "CREATE TABLE b (id INTEGER PRIMARY KEY AUTOINCREMENT, ax INTEGER, ay TEXT, note,"
    " FOREIGN KEY (ax, ay) REFERENCES a (x, y) ON UPDATE SET NULL ON DELETE RESTRICT);"
    "CREATE INDEX b_note ON b (lower(note)) WHERE note IS NOT NULL;"
    "CREATE UNIQUE INDEX b_pair ON b (ax, ay);";

Test(schema, identical_schemas_have_no_difference)
{
    differs(rich, rich, "", 0);
}

Test(schema, empty_databases_are_equal)
{
    differs("", "", "", 0);
}

Test(schema, internal_tables_and_case_of_types_do_not_count)
{
    /* AUTOINCREMENT makes sqlite_sequence in one of them only; "integer" is "INTEGER". */
    differs("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v varchar(10));"
            "INSERT INTO t (v) VALUES ('x')",
            "CREATE TABLE t (id integer PRIMARY KEY AUTOINCREMENT, v VARCHAR(10))", "", 0);
    differs("CREATE TABLE t2 (id INTEGER PRIMARY KEY AUTOINCREMENT)",
            "CREATE TABLE t2 (id INTEGER PRIMARY KEY)", "", 0);
}

Test(schema, tables_on_one_side_are_named)
{
    differs("CREATE TABLE users (id INTEGER); CREATE TABLE zz (id INTEGER)",
            "CREATE TABLE zz (id INTEGER); CREATE TABLE aa (id INTEGER)",
            "table aa: only in decoy\n"
            "table users: only in real\n",
            2);
}

Test(schema, renamed_column_is_one_missing_and_one_extra)
{
    differs("CREATE TABLE t (a INTEGER, b TEXT)", "CREATE TABLE t (a INTEGER, c TEXT)",
            "table t: column b: only in real\n"
            "table t: column c: only in decoy\n",
            2);
}

Test(schema, types_and_null_constraints)
{
    differs("CREATE TABLE t (a INTEGER NOT NULL, b, c TEXT)",
            "CREATE TABLE t (a INTEGER, b TEXT, c TEXT NOT NULL)",
            "table t: column a: NOT NULL in real, nullable in decoy\n"
            "table t: column b: type (none) in real, TEXT in decoy\n"
            "table t: column c: nullable in real, NOT NULL in decoy\n",
            3);
}

Test(schema, column_order_counts)
{
    differs("CREATE TABLE t (a INTEGER, b INTEGER)", "CREATE TABLE t (b INTEGER, a INTEGER)",
            "table t: column order: a, b in real, b, a in decoy\n", 1);
}

Test(schema, primary_keys_and_their_order)
{
    differs("CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a, b));"
            "CREATE TABLE u (id INTEGER)",
            "CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (b, a));"
            "CREATE TABLE u (id INTEGER PRIMARY KEY)",
            "table t: primary key (a, b) in real, (b, a) in decoy\n"
            "table u: primary key none in real, (id) in decoy\n",
            2);
}

Test(schema, foreign_keys_with_their_actions)
{
    differs("CREATE TABLE p (id INTEGER PRIMARY KEY);"
            "CREATE TABLE c (p_id INTEGER REFERENCES p (id) ON UPDATE CASCADE, q INTEGER REFERENCES p)",
            "CREATE TABLE p (id INTEGER PRIMARY KEY);"
            "CREATE TABLE c (p_id INTEGER REFERENCES p (id), q INTEGER REFERENCES p)",
            "table c: foreign key (p_id) -> p(id): only in decoy\n"
            "table c: foreign key (p_id) -> p(id) ON UPDATE CASCADE: only in real\n",
            2);
}

Test(schema, indexes_by_name_uniqueness_columns_and_predicate)
{
    differs("CREATE TABLE t (a INTEGER, b INTEGER);"
            "CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b); CREATE INDEX t_e ON t (a + b);"
            "CREATE INDEX t_p ON t (a) WHERE b > 0; CREATE INDEX t_only ON t (a, b)",
            "CREATE TABLE t (a INTEGER, b INTEGER);"
            "CREATE UNIQUE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b, a);"
            "CREATE INDEX t_e ON t (a + b); CREATE INDEX t_p ON t (a)",
            "table t: index t_a: (a) in real, UNIQUE (a) in decoy\n"
            "table t: index t_b: (b) in real, (b, a) in decoy\n"
            "table t: index t_only: only in real\n"
            "table t: index t_p: (a) WHERE ... in real, (a) in decoy\n",
            4);
}

Test(schema, expression_indexes_are_shown_as_such)
{
    int n;
    char *out = compare("CREATE TABLE t (a TEXT); CREATE INDEX t_l ON t (lower(a))",
                        "CREATE TABLE t (a TEXT); CREATE INDEX t_l ON t (a)", &n);
    cr_expect_str_eq(out, "table t: index t_l: ((expression)) in real, (a) in decoy\n");
    free(out);
}

Test(schema, pairs_check_prefixes_each_line_with_the_database)
{
    char u[4][160];
    const char *names[] = {"one", "two"};
    for (int i = 0; i < 4; i++)
        snprintf(u[i], sizeof u[i], "sqlite:%s/%d.db", dir, i);
    run_script(u[0], "CREATE TABLE t (a INTEGER)");
    run_script(u[1], "CREATE TABLE t (a INTEGER)");
    run_script(u[2], "CREATE TABLE t (a INTEGER)");
    run_script(u[3], "CREATE TABLE t (a TEXT)");
    db_pairs *p = db_pairs_new(2, NULL);
    char err[256];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(db_pairs_add(p, names[i], u[2 * i], u[2 * i + 1], 0, NULL, err, sizeof err), 0,
                     "%s", err);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cr_expect_eq(db_pairs_check(p, f), 1);
    fclose(f);
    cr_expect_str_eq(out, "db.two: table t: column a: type INTEGER in real, TEXT in decoy\n");
    free(out);
    db_pairs_free(p);
}

Test(schema, a_file_that_is_no_database_stops_the_start)
{
    char path[128], url[160], err[256];
    snprintf(path, sizeof path, "%s/junk.db", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("this is not an SQLite database, not at all, no; padding padding padding padding", f);
    fclose(f);
    snprintf(url, sizeof url, "sqlite:%s", path);
    db_pairs *p = db_pairs_new(1, NULL);
    cr_expect_eq(db_pairs_add(p, "main", real_url, url, 0, NULL, err, sizeof err), -1);
    cr_expect_not_null(strstr(err, "db.main: decoy:"), "%s", err);
    cr_expect_not_null(strstr(err, "not a database"), "%s", err);
    db_pairs_free(p);
}
