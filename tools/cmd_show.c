/* mitsu show CLIENT: one client's record, the timeline of its requests and events merged in
 * time order (pre-flag evidence marked), and the event that flagged it with its evidence. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char CLIENT_SQL[] =
    "SELECT sid AS session_id, ip, state, score, requests, n4xx, first_seen, last_seen,"
    " flagged_at, flagged_by, updated_at FROM clients WHERE sid = ?";
static const char REQUESTS_SQL[] =
    "SELECT time, id, method, target, status, served, preflag, response_size, latency_us"
    " FROM requests WHERE sid = ? ORDER BY time, id";
static const char EVENTS_SQL[] =
    "SELECT time, id, event, detector, kind, score, evidence, action, ip, uid"
    " FROM events WHERE sid = ? ORDER BY time, id";
static const char FLAG_SQL[] =
    "SELECT time, id, event, detector, kind, score, evidence, action, ip, uid"
    " FROM events WHERE sid = ? AND event = 'flag' ORDER BY time DESC, id DESC LIMIT 1";

static const tool_col TIMELINE_COLS[] = {
    {"TIME", 0, 0, NULL},   {"WHAT", 0, 0, NULL},    {"DETAIL", 60, 0, NULL},
    {"STATUS", 0, 1, NULL}, {"SERVED", 0, 0, NULL},  {"NOTE", 80, 0, NULL},
};
enum { NTIMELINE = sizeof TIMELINE_COLS / sizeof TIMELINE_COLS[0] };

/* The timeline: two cursors in time order, merged. */
typedef struct timeline {
    mitsu_rows *req, *ev;
    int have_req, have_ev; /* 1 on a row, 0 done, -1 failed */
} timeline;

/* Which cursor holds the next entry: 'r', 'e', or 0 at the end. A request goes before an event
 * of the same millisecond: the request is what the detector saw. */
static int next_source(const timeline *tl)
{
    if (tl->have_req == 1 && tl->have_ev == 1)
        return mitsu_rows_int(tl->req, 0) <= mitsu_rows_int(tl->ev, 0) ? 'r' : 'e';
    return tl->have_req == 1 ? 'r' : tl->have_ev == 1 ? 'e' : 0;
}

static void advance(timeline *tl, int source)
{
    if (source == 'r')
        tl->have_req = mitsu_rows_next(tl->req);
    else
        tl->have_ev = mitsu_rows_next(tl->ev);
}

/* The cells of a request entry. */
static void request_cells(const mitsu_rows *r, char **cells)
{
    const char *method = mitsu_rows_text(r, 2), *target = mitsu_rows_text(r, 3);
    size_t n = strlen(method ? method : "") + strlen(target ? target : "") + 2;
    cells[0] = tool_value_text(r, 0, 0, 1);
    cells[1] = strdup("request");
    cells[2] = malloc(n);
    if (cells[2])
        snprintf(cells[2], n, "%s %s", method ? method : "", target ? target : "");
    cells[3] = tool_value_text(r, 4, 0, 1);
    cells[4] = tool_value_text(r, 5, 0, 1);
    cells[5] = strdup(mitsu_rows_int(r, 6) ? "pre-flag evidence" : "");
}

/* The cells of an event entry: "event flag", "trap (attack) score 100.0", evidence. */
static void event_cells(const mitsu_rows *r, char **cells)
{
    const char *event = mitsu_rows_text(r, 2), *detector = mitsu_rows_text(r, 3);
    const char *kind = mitsu_rows_text(r, 4);
    char what[64], detail[256];
    snprintf(what, sizeof what, "event %s", event ? event : "?");
    snprintf(detail, sizeof detail, "%s (%s) score %.1f", detector ? detector : "-",
             kind ? kind : "-", mitsu_rows_real(r, 5));
    cells[0] = tool_value_text(r, 0, 0, 1);
    cells[1] = strdup(what);
    cells[2] = strdup(detail);
    cells[3] = strdup("");
    cells[4] = strdup("");
    cells[5] = tool_value_text(r, 6, 0, 1);
}

/* Adds the current entry of source to the table (text) or the array (JSON). 0 or -1. */
static int add_entry(const timeline *tl, int source, tool_table *t, json_t *arr)
{
    const mitsu_rows *r = source == 'r' ? tl->req : tl->ev;
    if (arr) {
        json_t *o = tool_row_json(r);
        if (!o)
            return -1;
        if (json_object_set_new(o, "type", json_string(source == 'r' ? "request" : "event"))) {
            json_decref(o);
            return -1;
        }
        return json_array_append_new(arr, o); /* takes o, also when it fails */
    }
    char *cells[NTIMELINE] = {0};
    (source == 'r' ? request_cells : event_cells)(r, cells);
    int rc = 0;
    for (int c = 0; c < NTIMELINE; c++)
        rc |= cells[c] == NULL;
    rc = rc ? -1 : table_add(t, (const char *const *)cells);
    for (int c = 0; c < NTIMELINE; c++)
        free(cells[c]);
    return rc;
}

/* Walks the merged timeline into t or arr. 0, -1 when out of memory, -2 when reading fails. */
static int walk_timeline(mitsu_db *db, const char *sid, tool_table *t, json_t *arr)
{
    timeline tl = {mitsu_db_query(db, REQUESTS_SQL, MITSU_TEXT(sid)), NULL, 0, 0};
    tl.ev = tl.req ? mitsu_db_query(db, EVENTS_SQL, MITSU_TEXT(sid)) : NULL;
    int rc = tl.req && tl.ev ? 0 : -2;
    if (rc == 0) {
        tl.have_req = mitsu_rows_next(tl.req);
        tl.have_ev = mitsu_rows_next(tl.ev);
    }
    int source;
    while (rc == 0 && (source = next_source(&tl)) != 0) {
        rc = add_entry(&tl, source, t, arr);
        advance(&tl, source);
    }
    if (rc == 0 && (tl.have_req < 0 || tl.have_ev < 0))
        rc = -2;
    mitsu_rows_free(tl.req);
    mitsu_rows_free(tl.ev);
    return rc;
}

/* The client's record as "  name  value" lines. */
static void print_record(const mitsu_rows *r)
{
    static const char *const labels[] = {"session id", "ip",        "state",      "score",
                                         "requests",   "4xx",       "first seen", "last seen",
                                         "flagged at", "flagged by", "updated at"};
    for (int c = 0; c < mitsu_rows_columns(r) && c < 11; c++) {
        char *v = mitsu_rows_is_null(r, c) ? NULL : tool_value_text(r, c, 0, 1);
        char *clean = tool_clean(v ? v : "-", 0);
        printf("  %-11s %s\n", labels[c], clean ? clean : "?");
        free(clean);
        free(v);
    }
}

/* The verdict's event: detector, time and evidence, whole. */
static void print_flag(const mitsu_rows *f)
{
    char t[40];
    char *detector = tool_clean(mitsu_rows_text(f, 3), 0);
    char *action = tool_clean(mitsu_rows_text(f, 7), 0);
    printf("\nflagged by %s at %s (score %.1f, action %s)\n  evidence: ", detector ? detector : "?",
           tool_format_time(mitsu_rows_int(f, 0), 0, t, sizeof t), mitsu_rows_real(f, 5),
           action ? action : "?");
    const char *ev = mitsu_rows_text(f, 6);
    tool_print_block(stdout, ev ? ev : "-", ev ? strlen(ev) : 1, "    ");
    puts("");
    free(detector);
    free(action);
}

static int show_text(mitsu_db *db, const char *sid, mitsu_rows *client, mitsu_rows *flag)
{
    printf("client %s\n", sid);
    print_record(client);
    tool_table *t = table_new(TIMELINE_COLS, NTIMELINE);
    int rc = t ? walk_timeline(db, sid, t, NULL) : -1;
    if (rc == 0) {
        printf("\ntimeline (%d entries)\n", table_rows(t));
        table_print(t, stdout);
        if (mitsu_rows_next(flag) == 1)
            print_flag(flag);
        else
            puts("\nnot flagged");
    }
    table_free(t);
    return rc == 0 ? TOOL_OK : rc == -1 ? tool_oom("show") : tool_db_failed("show", db);
}

static int show_json(mitsu_db *db, const char *sid, mitsu_rows *client, mitsu_rows *flag)
{
    json_t *out = json_object();
    if (!out)
        return tool_oom("show");
    /* out owns every value from here: a set that fails leaves a key out, counted below. */
    json_t *arr = json_array();
    json_object_set_new(out, "client", tool_row_json(client));
    json_object_set_new(out, "timeline", arr);
    int rc = json_object_size(out) == 2 ? walk_timeline(db, sid, NULL, arr) : -1;
    json_object_set_new(out, "flag", mitsu_rows_next(flag) == 1 ? tool_row_json(flag) : json_null());
    if (rc == 0 && json_object_size(out) != 3)
        rc = -1;
    if (rc != 0) {
        json_decref(out);
        return rc == -1 ? tool_oom("show") : tool_db_failed("show", db);
    }
    return tool_print_json(out);
}

int cmd_show(int argc, char **argv)
{
    tool_run run = {0};
    const char *ref = NULL;
    int json = 0;
    const tool_opt opts[] = {{"--json", NULL, &json}};
    int rc = tool_start(&run, argc, argv, opts, 1, &ref, 1, &ref, USAGE_SHOW);
    if (rc)
        return rc;
    mitsu_rows *client = mitsu_db_query(run.db, CLIENT_SQL, MITSU_TEXT(run.sid));
    mitsu_rows *flag = client ? mitsu_db_query(run.db, FLAG_SQL, MITSU_TEXT(run.sid)) : NULL;
    if (!flag || mitsu_rows_next(client) != 1)
        rc = tool_db_failed(argv[0], run.db);
    else
        rc = json ? show_json(run.db, run.sid, client, flag) : show_text(run.db, run.sid, client, flag);
    mitsu_rows_free(client);
    mitsu_rows_free(flag);
    return tool_finish(&run, rc);
}
