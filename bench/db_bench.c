/* Benchmark: a one-row SELECT by primary key through mitsu_db against the raw sqlite3 API with
 * its prepared statement reused, on the same database, in interleaved rounds. Goal: mitsu_db at
 * most 10% slower. Usage: db_bench [ITERATIONS] (default 1000000 per side). Build:
 *   cc -O2 -Iinclude -Isrc bench/db_bench.c build/libmitsu.a $(pkg-config --libs sqlite3 \
 *      libpq jansson libcrypto inih libpcre2-8) -pthread -o build/db_bench */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"

enum { ROWS = 10000, ROUNDS = 10 };

static const char *const select_sql = "SELECT name, email, score FROM users WHERE id = ?";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What both sides do with a row, so that neither can skip reading it. */
static size_t sink;
static void consume(const char *name, const char *email, double score)
{
    sink += (size_t)name[0] + (size_t)email[1] + (size_t)score;
}

static void create(const char *path)
{
    char url[1100], err[256];
    snprintf(url, sizeof url, "sqlite:%s", path);
    mitsu_db *db = mitsu_db_open(url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "db_bench: %s\n", err);
        exit(1);
    }
    mitsu_db_script(db, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " email TEXT NOT NULL, score REAL)");
    mitsu_db_begin(db);
    for (int i = 1; i <= ROWS; i++) {
        char name[32], email[64];
        snprintf(name, sizeof name, "user %d", i);
        snprintf(email, sizeof email, "user%d@example.com", i);
        mitsu_db_exec(db, "INSERT INTO users VALUES (?, ?, ?, ?)", MITSU_INT(i), MITSU_TEXT(name),
                      MITSU_TEXT(email), MITSU_REAL(i * 0.5));
    }
    if (mitsu_db_commit(db) != 0) {
        fprintf(stderr, "db_bench: %s\n", mitsu_db_error(db));
        exit(1);
    }
    mitsu_db_close(db);
}

static double run_raw(sqlite3_stmt *st, long n, long offset)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, (i + offset) % ROWS + 1);
        if (sqlite3_step(st) != SQLITE_ROW)
            abort();
        consume((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                sqlite3_column_double(st, 2));
        sqlite3_reset(st);
    }
    return now() - t0;
}

static double run_mitsu(mitsu_db *db, long n, long offset)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        mitsu_rows *r = mitsu_db_query(db, select_sql, MITSU_INT((i + offset) % ROWS + 1));
        if (!r || mitsu_rows_next(r) != 1)
            abort();
        consume(mitsu_rows_text(r, 0), mitsu_rows_text(r, 1), mitsu_rows_real(r, 2));
        mitsu_rows_free(r);
    }
    return now() - t0;
}

/* The request path: a handle from a per-request arena, reset after each "request". */
static double run_request(db_conn *c, long n, long offset)
{
    arena a;
    arena_init(&a, 4096);
    double t0 = now();
    for (long i = 0; i < n; i++) {
        mitsu_db *db = db_handle(c, &a);
        mitsu_rows *r = mitsu_db_query(db, select_sql, MITSU_INT((i + offset) % ROWS + 1));
        if (!r || mitsu_rows_next(r) != 1)
            abort();
        consume(mitsu_rows_text(r, 0), mitsu_rows_text(r, 1), mitsu_rows_real(r, 2));
        arena_reset(&a); /* the cursor is freed here, as a handler that forgets it */
    }
    double t = now() - t0;
    arena_free(&a);
    return t;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 1000000;
    if (iterations < ROUNDS)
        iterations = ROUNDS;
    char dir[] = "/tmp/mitsu-db-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[256], url[300], err[256];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    create(path);

    /* The raw side gets the same connection settings as mitsu's. */
    sqlite3 *raw = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(raw, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                          " PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(raw, select_sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "db_bench: %s\n", sqlite3_errmsg(raw));
        return 1;
    }
    mitsu_db *db = mitsu_db_open(url, err, sizeof err);
    db_conn *c = db_conn_open(url, NULL, err, sizeof err);
    if (!db || !c) {
        fprintf(stderr, "db_bench: %s\n", err);
        return 1;
    }

    /* Warm-up, then rounds in turn so that drift (frequency, cache) hits all sides alike. */
    run_raw(st, ROWS, 0);
    run_mitsu(db, ROWS, 0);
    run_request(c, ROWS, 0);
    long per = iterations / ROUNDS;
    double t_raw = 0, t_mitsu = 0, t_req = 0;
    for (int r = 0; r < ROUNDS; r++) {
        t_raw += run_raw(st, per, r * per);
        t_mitsu += run_mitsu(db, per, r * per);
        t_req += run_request(c, per, r * per);
    }
    long n = per * ROUNDS;
    double raw_rate = (double)n / t_raw, mitsu_rate = (double)n / t_mitsu,
           req_rate = (double)n / t_req;
    printf("db_bench: one-row SELECT by primary key, SQLite, %ld iterations each, %d rounds\n", n,
           ROUNDS);
    printf("  raw sqlite3 (statement reused)   %12.0f queries/s\n", raw_rate);
    printf("  mitsu_db (cursor, freed)         %12.0f queries/s  ratio %.3f\n", mitsu_rate,
           mitsu_rate / raw_rate);
    printf("  mitsu_db per request (arena)     %12.0f queries/s  ratio %.3f\n", req_rate,
           req_rate / raw_rate);
    printf("  goal: mitsu_db at most 10%% slower (ratio >= 0.90): %s\n",
           mitsu_rate / raw_rate >= 0.90 ? "met" : "NOT met");

    sqlite3_finalize(st);
    sqlite3_close(raw);
    mitsu_db_close(db);
    db_conn_close(c);
    static const char *const files[] = {"bench.db", "bench.db-wal", "bench.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return sink == 0; /* never: keeps the compiler from dropping the reads */
}
