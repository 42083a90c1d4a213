/* mitsu export: a whole table to stdout as JSON lines or CSV, in constant memory. Rows are read
 * in batches by key (WHERE key > last ORDER BY key LIMIT batch) so that neither backend holds
 * more than one batch: PostgreSQL results are fetched whole, a SQLite cursor would also do. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { BATCH = 500 };

typedef struct export_table {
    const char *name;
    const char *sql; /* params: the last key, the --since time, the batch size */
    int text_key;    /* the key (column 0) is text (clients.sid), else an integer id */
} export_table;

static const export_table TABLES[] = {
    {"requests",
     "SELECT id, time, sid, ip, method, target, headers, body, raw, status, response_size,"
     " latency_us, served, preflag FROM requests WHERE id > ? AND time >= ? ORDER BY id LIMIT ?",
     0},
    {"events",
     "SELECT id, uid, time, event, sid, ip, detector, kind, score, evidence, action FROM events"
     " WHERE id > ? AND time >= ? ORDER BY id LIMIT ?",
     0},
    {"clients",
     "SELECT sid, ip, state, score, n4xx, requests, first_seen, last_seen, flagged_at,"
     " flagged_by, updated_at FROM clients WHERE sid > ? AND COALESCE(last_seen, 0) >= ?"
     " ORDER BY sid LIMIT ?",
     1},
};

/* Where the next batch starts: after the last row's key. */
typedef struct cursor_key {
    int64_t id;
    char sid[80];
} cursor_key;

static void write_jsonl(const mitsu_rows *r)
{
    json_t *o = tool_row_json(r);
    if (o)
        json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII); /* see tool_print_json */
    json_decref(o);
    fputc('\n', stdout);
}

static void write_csv_row(const mitsu_rows *r, int header)
{
    for (int c = 0; c < mitsu_rows_columns(r); c++) {
        if (c)
            fputc(',', stdout);
        char *v = header ? NULL : tool_value_text(r, c, 1, -1);
        tool_csv_field(stdout, header ? mitsu_rows_name(r, c) : v ? v : "");
        free(v);
    }
    fputs("\r\n", stdout);
}

/* One batch after *key: written, *key moved on. The number of rows, or -1 on failure. */
static int64_t export_batch(mitsu_db *db, const export_table *t, cursor_key *key, int64_t since,
                            int csv, int *header_done)
{
    mitsu_rows *r = mitsu_db_query(db, t->sql, t->text_key ? MITSU_TEXT(key->sid) : MITSU_INT(key->id),
                                   MITSU_INT(since), MITSU_INT(BATCH));
    if (!r)
        return -1;
    int64_t n = 0;
    int rc;
    while ((rc = mitsu_rows_next(r)) == 1) {
        if (csv && !*header_done) {
            write_csv_row(r, 1);
            *header_done = 1;
        }
        if (csv)
            write_csv_row(r, 0);
        else
            write_jsonl(r);
        if (t->text_key)
            snprintf(key->sid, sizeof key->sid, "%s", mitsu_rows_text(r, 0));
        else
            key->id = mitsu_rows_int(r, 0);
        n++;
    }
    mitsu_rows_free(r);
    return rc < 0 ? -1 : n;
}

static const export_table *find_table(const char *name)
{
    for (size_t i = 0; i < sizeof TABLES / sizeof TABLES[0]; i++)
        if (strcmp(TABLES[i].name, name) == 0)
            return &TABLES[i];
    return NULL;
}

/* A header row even for an empty table: the same query, with no rows. */
static int empty_csv_header(mitsu_db *db, const export_table *t)
{
    mitsu_rows *r = mitsu_db_query(db, t->sql, t->text_key ? MITSU_TEXT("") : MITSU_INT(0),
                                   MITSU_INT(INT64_MAX), MITSU_INT(1));
    if (!r)
        return -1;
    const char *sep = "";
    for (int c = 0; c < mitsu_rows_columns(r); c++, sep = ",") {
        fputs(sep, stdout);
        tool_csv_field(stdout, mitsu_rows_name(r, c));
    }
    fputs("\r\n", stdout);
    mitsu_rows_free(r);
    return 0;
}

static int export_all(mitsu_db *db, const export_table *t, int64_t since, int csv)
{
    cursor_key key = {-1, ""};
    int header_done = 0;
    int64_t n;
    while ((n = export_batch(db, t, &key, since, csv, &header_done)) == BATCH)
        ;
    if (n < 0)
        return tool_db_failed("export", db);
    if (csv && !header_done && empty_csv_header(db, t) != 0)
        return tool_db_failed("export", db);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mitsu export: writing the output failed\n");
        return TOOL_FAIL;
    }
    return TOOL_OK;
}

int cmd_export(int argc, char **argv)
{
    tool_run run = {0};
    const char *format = NULL, *table = "requests";
    const tool_opt opts[] = {{"--format", &format, NULL}, {"--since", &run.since, NULL},
                             {"--table", &table, NULL}};
    /* --format and --table are checked before the database is opened: usage errors first. */
    tool_common ignored = {0};
    int rc = tool_parse_args(argc, argv, opts, 3, &ignored, NULL, 0, USAGE_EXPORT);
    if (rc)
        return rc;
    const export_table *t = find_table(table);
    int csv = format && strcmp(format, "csv") == 0;
    if (!format || (!csv && strcmp(format, "jsonl") != 0) || !t) {
        fprintf(stderr, "mitsu export: %s\nusage: %s\n",
                !format ? "--format is required"
                : !t    ? "--table is requests, events or clients"
                        : "--format is jsonl or csv",
                USAGE_EXPORT);
        return TOOL_USAGE;
    }
    rc = tool_start(&run, argc, argv, opts, 3, NULL, 0, NULL, USAGE_EXPORT);
    if (rc)
        return rc;
    return tool_finish(&run, export_all(run.db, t, run.since_ms, csv));
}
