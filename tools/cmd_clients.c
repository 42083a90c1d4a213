/* mitsu attackers and mitsu clients: the clients of the management database, newest first. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* requests: what the honeypot counted (the client's record is written at its verdict and from
 * time to time); captured: the requests the database holds for it. */
#define CAPTURED "(SELECT COUNT(*) FROM requests r WHERE r.sid = clients.sid) AS captured"

/* The columns after the ones a table shows are for --json (which has them all). */
static const char ATTACKERS_SQL[] =
    "SELECT flagged_at, ip, sid AS session_id, score, requests, " CAPTURED ", flagged_by, state,"
    " n4xx, first_seen, last_seen FROM clients WHERE state = 'attacker' AND flagged_at >= ?"
    " ORDER BY flagged_at DESC, sid LIMIT ?";
static const tool_col ATTACKER_COLS[] = {
    {"FLAGGED", 0, 0, NULL}, {"IP", 0, 0, NULL},       {"SESSION", 0, 0, NULL},
    {"SCORE", 0, 1, NULL},   {"REQUESTS", 0, 1, NULL}, {"CAPTURED", 0, 1, NULL},
    {"FLAGGED BY", 40, 0, NULL},
};

static const char CLIENTS_SQL[] =
    "SELECT last_seen, ip, sid AS session_id, state, score, requests, " CAPTURED ", n4xx,"
    " flagged_by, first_seen, flagged_at FROM clients"
    " WHERE (CAST(? AS TEXT) IS NULL OR state = ?) AND COALESCE(last_seen, 0) >= ?"
    " ORDER BY COALESCE(last_seen, 0) DESC, sid LIMIT ?";
static const tool_col CLIENT_COLS[] = {
    {"LAST SEEN", 0, 0, NULL}, {"IP", 0, 0, NULL},       {"SESSION", 0, 0, NULL}, {"STATE", 0, 0, NULL},
    {"SCORE", 0, 1, NULL},     {"REQUESTS", 0, 1, NULL}, {"CAPTURED", 0, 1, NULL},
    {"4XX", 0, 1, NULL},       {"FLAGGED BY", 40, 0, NULL},
};

#define NCOLS(a) ((int)(sizeof a / sizeof a[0]))

int cmd_attackers(int argc, char **argv)
{
    tool_run run = {.limit_n = INT64_MAX};
    int json = 0;
    const tool_opt opts[] = {{"--json", NULL, &json}, {"--since", &run.since, NULL},
                             {"--limit", &run.limit, NULL}};
    int rc = tool_start(&run, argc, argv, opts, 3, NULL, 0, NULL, USAGE_ATTACKERS);
    if (rc)
        return rc;
    mitsu_rows *r = mitsu_db_query(run.db, ATTACKERS_SQL, MITSU_INT(run.since_ms),
                                   MITSU_INT(run.limit_n));
    return tool_finish(&run, tool_print_rows(argv[0], run.db, r, json, ATTACKER_COLS,
                                             NCOLS(ATTACKER_COLS), "no attackers"));
}

static int known_state(const char *s)
{
    return !s || strcmp(s, "normal") == 0 || strcmp(s, "attacker") == 0 ||
           strcmp(s, "released") == 0;
}

int cmd_clients(int argc, char **argv)
{
    tool_run run = {.limit_n = INT64_MAX};
    const char *state = NULL;
    int json = 0;
    const tool_opt opts[] = {{"--json", NULL, &json}, {"--state", &state, NULL},
                             {"--since", &run.since, NULL}, {"--limit", &run.limit, NULL}};
    int rc = tool_start(&run, argc, argv, opts, 4, NULL, 0, NULL, USAGE_CLIENTS);
    if (rc)
        return rc;
    if (!known_state(state)) {
        fprintf(stderr, "mitsu clients: bad --state '%s' (normal, attacker or released)\n", state);
        return tool_finish(&run, TOOL_USAGE);
    }
    mitsu_rows *r = mitsu_db_query(run.db, CLIENTS_SQL, MITSU_TEXT(state), MITSU_TEXT(state),
                                   MITSU_INT(run.since_ms), MITSU_INT(run.limit_n));
    return tool_finish(&run, tool_print_rows(argv[0], run.db, r, json, CLIENT_COLS,
                                             NCOLS(CLIENT_COLS), "no clients"));
}
