/* What the read subcommands (attackers, clients, show, events, requests, export, stats) share:
 * opening the database with a message, and reporting a failed query. */
#ifndef MITSU_TOOLS_CLI_H
#define MITSU_TOOLS_CLI_H

#include "args.h"
#include "commands.h"
#include "json_out.h"
#include "table.h"

/* A read subcommand's run: its common options, --since and --limit as numbers, the open
 * database, and the resolved client. */
typedef struct tool_run {
    tool_common common;
    const char *since, *limit; /* point options here */
    int64_t since_ms;          /* INT64_MIN when not given */
    int64_t limit_n;           /* the default when not given */
    mitsu_db *db;
    char sid[33];              /* the session id of *client (when given) */
} tool_run;

/* The common start: argv parsed against opts (npos positional arguments into pos), --since
 * and --limit checked, the database opened, and when *client is set after parsing (a
 * positional CLIENT or --client) the client resolved into run->sid. 0, or the exit status
 * after a message on stderr (the database is then closed). */
int tool_start(tool_run *run, int argc, char **argv, const tool_opt *opts, size_t nopts,
               const char **pos, int npos, const char *const *client, const char *usage);

/* Closes the run's database and returns rc. */
int tool_finish(tool_run *run, int rc);

/* tool_open_journal for the subcommand cmd, with "mitsu CMD: why" on stderr when it fails. */
mitsu_db *tool_open(const char *cmd, const tool_common *c);

/* Resolves a CLIENT argument into sid, with the message on stderr; 0 or -1. */
int tool_client(const char *cmd, mitsu_db *db, const char *ref, char sid[33]);

/* "mitsu CMD: reading the database: why" on stderr; returns TOOL_FAIL. */
int tool_db_failed(const char *cmd, mitsu_db *db);

/* "mitsu CMD: out of memory" on stderr; returns TOOL_FAIL. */
int tool_oom(const char *cmd);

/* Prints every row of r and frees it: with json one JSON array of tool_row_json objects (every
 * column), else a table of the first ncols columns headed by cols, or the line `empty` when
 * there are no rows. TOOL_OK, or TOOL_FAIL when reading fails. */
int tool_print_rows(const char *cmd, mitsu_db *db, mitsu_rows *r, int json, const tool_col *cols,
                    int ncols, const char *empty);

#endif
