/* What the read subcommands share: opening the database and resolving a client with the
 * message on stderr, and reporting a failed query. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mitsu_db *tool_open(const char *cmd, const tool_common *c)
{
    char err[1024];
    mitsu_db *db = tool_open_journal(c->db, c->config, err, sizeof err);
    if (!db)
        fprintf(stderr, "mitsu %s: %s\n", cmd, err);
    return db;
}

int tool_client(const char *cmd, mitsu_db *db, const char *ref, char sid[33])
{
    char err[512];
    if (tool_resolve_client(db, ref, sid, err, sizeof err) == 0)
        return 0;
    fprintf(stderr, "mitsu %s: %s\n", cmd, err);
    return -1;
}

int tool_db_failed(const char *cmd, mitsu_db *db)
{
    const char *why = mitsu_db_error(db);
    fprintf(stderr, "mitsu %s: reading the database: %s\n", cmd, why ? why : "out of memory");
    return TOOL_FAIL;
}

enum { MAX_COLS = 16 }; /* of a table: the widest has 9 */

static int print_json_rows(const char *cmd, mitsu_db *db, mitsu_rows *r)
{
    json_t *all = json_array();
    int rc = 0;
    while (all && (rc = mitsu_rows_next(r)) == 1)
        if (json_array_append_new(all, tool_row_json(r)) != 0) {
            json_decref(all);
            all = NULL;
        }
    if (!all)
        return tool_oom(cmd);
    if (rc < 0) {
        json_decref(all);
        return tool_db_failed(cmd, db);
    }
    return tool_print_json(all);
}

/* The table's cells of the current row, into cells (malloc'ed, ncols of them). */
static int row_cells(const mitsu_rows *r, const tool_col *cols, char **cells, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        if (cols[c].yes) {
            cells[c] = strdup(mitsu_rows_int(r, c) ? cols[c].yes : "");
            if (!cells[c])
                return -1;
            continue;
        }
        cells[c] = mitsu_rows_is_null(r, c) ? NULL : tool_value_text(r, c, 0, 1);
        if (!cells[c] && !mitsu_rows_is_null(r, c))
            return -1;
    }
    return 0;
}

static int print_table_rows(const char *cmd, mitsu_db *db, mitsu_rows *r, const tool_col *cols,
                            int ncols, const char *empty)
{
    tool_table *t = table_new(cols, ncols);
    char *cells[MAX_COLS] = {0};
    int rc = 0;
    while (t && (rc = mitsu_rows_next(r)) == 1) {
        int bad = row_cells(r, cols, cells, ncols) != 0 ||
                  table_add(t, (const char *const *)cells) != 0;
        for (int c = 0; c < ncols; c++) {
            free(cells[c]);
            cells[c] = NULL;
        }
        if (bad)
            break;
    }
    int status = TOOL_OK;
    if (rc < 0)
        status = tool_db_failed(cmd, db);
    else if (!t || rc == 1)
        status = tool_oom(cmd);
    else if (table_rows(t) == 0)
        puts(empty);
    else
        table_print(t, stdout);
    table_free(t);
    return status;
}

int tool_print_rows(const char *cmd, mitsu_db *db, mitsu_rows *r, int json, const tool_col *cols,
                    int ncols, const char *empty)
{
    if (!r)
        return tool_db_failed(cmd, db);
    if (ncols > MAX_COLS) {
        mitsu_rows_free(r);
        fprintf(stderr, "mitsu %s: a table of %d columns is too wide\n", cmd, ncols);
        return TOOL_FAIL;
    }
    int rc = json ? print_json_rows(cmd, db, r) : print_table_rows(cmd, db, r, cols, ncols, empty);
    mitsu_rows_free(r);
    return rc;
}

int tool_oom(const char *cmd)
{
    fprintf(stderr, "mitsu %s: out of memory\n", cmd);
    return TOOL_FAIL;
}

int tool_start(tool_run *run, int argc, char **argv, const tool_opt *opts, size_t nopts,
               const char **pos, int npos, const char *const *client, const char *usage)
{
    int64_t default_limit = run->limit_n;
    int rc = tool_parse_args(argc, argv, opts, nopts, &run->common, pos, npos, usage);
    if (rc || (rc = tool_parse_filters(argv[0], run->since, run->limit, &run->since_ms,
                                       &run->limit_n)))
        return rc;
    if (run->limit_n < 0)
        run->limit_n = default_limit;
    run->db = tool_open(argv[0], &run->common);
    if (!run->db)
        return TOOL_FAIL;
    if (client && *client && tool_client(argv[0], run->db, *client, run->sid) != 0)
        return tool_finish(run, TOOL_FAIL);
    return 0;
}

int tool_finish(tool_run *run, int rc)
{
    mitsu_db_close(run->db);
    run->db = NULL;
    return rc;
}
