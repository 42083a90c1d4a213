/* mitsu events: the detector events (hit, flag, release), the latest N oldest first. */
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

enum { DEFAULT_LIMIT = 100 };

/* The latest N in time order: the inner query picks them, the outer one orders them. */
static const char EVENTS_SQL[] =
    "SELECT * FROM (SELECT time, event, ip, sid AS session_id, detector, kind, score, evidence,"
    " action, id, uid FROM events WHERE time >= ?"
    " AND (CAST(? AS TEXT) IS NULL OR detector = ?) AND (CAST(? AS TEXT) IS NULL OR sid = ?)"
    " ORDER BY time DESC, id DESC LIMIT ?) AS latest ORDER BY time, id";
static const tool_col EVENT_COLS[] = {
    {"TIME", 0, 0, NULL},     {"EVENT", 0, 0, NULL}, {"IP", 0, 0, NULL},
    {"SESSION", 0, 0, NULL},  {"DETECTOR", 24, 0, NULL}, {"KIND", 0, 0, NULL},
    {"SCORE", 0, 1, NULL},    {"EVIDENCE", 60, 0, NULL},
};

int cmd_events(int argc, char **argv)
{
    tool_run run = {.limit_n = DEFAULT_LIMIT};
    const char *detector = NULL, *client = NULL;
    int json = 0;
    const tool_opt opts[] = {{"--json", NULL, &json},        {"--since", &run.since, NULL},
                             {"--detector", &detector, NULL}, {"--client", &client, NULL},
                             {"--limit", &run.limit, NULL}};
    int rc = tool_start(&run, argc, argv, opts, 5, NULL, 0, &client, USAGE_EVENTS);
    if (rc)
        return rc;
    const char *sid = client ? run.sid : NULL;
    mitsu_rows *r = mitsu_db_query(run.db, EVENTS_SQL, MITSU_INT(run.since_ms),
                                   MITSU_TEXT(detector), MITSU_TEXT(detector), MITSU_TEXT(sid),
                                   MITSU_TEXT(sid), MITSU_INT(run.limit_n));
    return tool_finish(&run, tool_print_rows(argv[0], run.db, r, json, EVENT_COLS,
                                             (int)(sizeof EVENT_COLS / sizeof EVENT_COLS[0]),
                                             "no events"));
}
