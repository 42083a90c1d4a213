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
