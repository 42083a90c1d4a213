/* For suites that run once on SQLite and once on PostgreSQL (test_db, test_journal): the
 * PostgreSQL server comes from MITSU_TEST_PG_URL (scripts/pg-test-server.sh), and without it the
 * PostgreSQL half is skipped and said so. A suite defines setup_sqlite, setup_pg and teardown,
 * then writes BACKEND_TEST(name) { body } and BACKENDS_REPORT("suite"). */
#ifndef MITSU_TESTS_BACKENDS_H
#define MITSU_TESTS_BACKENDS_H

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mitsu.h"

/* A database the test needs: its failure to open fails the test with the reason. */
static inline mitsu_db *must_open(const char *url)
{
    char err[512] = "";
    mitsu_db *db = mitsu_db_open(url, err, sizeof err);
    cr_assert_not_null(db, "open %s: %s", url, err);
    return db;
}

static const char *pg_base(void)
{
    const char *u = getenv("MITSU_TEST_PG_URL");
    return u && *u ? u : NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a test's temporary directory and everything in it. */
static inline void remove_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh schema named schema on the PostgreSQL server, and into url a URL that puts it first
 * on the search path: each test gets empty tables. */
static inline void pg_schema_create(const char *schema, char *url, size_t n)
{
    mitsu_db *db = mitsu_db_open(pg_base(), NULL, 0);
    cr_assert_not_null(db, "cannot open MITSU_TEST_PG_URL");
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema,
             schema);
    cr_assert_eq(mitsu_db_script(db, sql), 0, "%s", mitsu_db_error(db));
    mitsu_db_close(db);
    snprintf(url, n, "%s%soptions=-csearch_path%%3D%s", pg_base(),
             strchr(pg_base(), '?') ? "&" : "?", schema);
}

static inline void pg_schema_drop(const char *schema)
{
    mitsu_db *db = mitsu_db_open(pg_base(), NULL, 0);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    if (db)
        mitsu_db_script(db, sql);
    mitsu_db_close(db);
}

#define BACKEND_TEST(name)                                                               \
    static void name##_body(void);                                                       \
    Test(sqlite, name, .init = setup_sqlite, .fini = teardown) { name##_body(); }        \
    Test(postgresql, name, .init = setup_pg, .fini = teardown)                           \
    {                                                                                    \
        if (!pg_base())                                                                  \
            cr_skip_test("MITSU_TEST_PG_URL is not set");                                \
        name##_body();                                                                   \
    }                                                                                    \
    static void name##_body(void)

#define BACKENDS_REPORT(suite)                                                           \
    ReportHook(PRE_ALL)(struct criterion_test_set *set)                                  \
    {                                                                                    \
        (void)set;                                                                       \
        if (pg_base())                                                                   \
            fprintf(stderr, suite ": PostgreSQL tests RUN against MITSU_TEST_PG_URL\n"); \
        else                                                                             \
            fprintf(stderr, suite ": PostgreSQL tests SKIPPED (MITSU_TEST_PG_URL is not " \
                                  "set; see scripts/pg-test-server.sh)\n");              \
    }

#endif
