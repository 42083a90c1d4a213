/* mitsu requests CLIENT: the requests captured from one client, the latest N oldest first; a
 * table, each request whole (--full), or JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { DEFAULT_LIMIT = 100 };

#define NO_REQUESTS "no captured requests (only an attacker's requests are captured)"

/* The latest N in time order: the inner query picks them, the outer one orders them. Body and
 * raw bytes are read only for --full (the second statement). */
#define REQUESTS_SQL(extra)                                                                    \
    "SELECT * FROM (SELECT time, method, target, status, response_size, latency_us, served,"   \
    " preflag, id, ip, sid AS session_id, headers" extra " FROM requests WHERE sid = ?"        \
    " ORDER BY time DESC, id DESC LIMIT ?) AS latest ORDER BY time, id"
static const tool_col REQUEST_COLS[] = {
    {"TIME", 0, 0, NULL},  {"METHOD", 12, 0, NULL},  {"TARGET", 60, 0, NULL},
    {"STATUS", 0, 1, NULL}, {"SIZE", 0, 1, NULL},     {"LATENCY US", 0, 1, NULL},
    {"SERVED", 0, 0, NULL}, {"EVIDENCE", 0, 0, "pre-flag"},
};

static void print_headers(const char *headers)
{
    json_t *h = json_loads(headers ? headers : "[]", 0, NULL);
    size_t i;
    json_t *pair;
    json_array_foreach(h, i, pair) {
        const char *name = json_string_value(json_array_get(pair, 0));
        const char *value = json_string_value(json_array_get(pair, 1));
        tool_print_escaped(stdout, name ? name : "", name ? strlen(name) : 0);
        fputs(": ", stdout);
        tool_print_escaped(stdout, value ? value : "", value ? strlen(value) : 0);
        fputc('\n', stdout);
    }
    json_decref(h);
}

/* The blob column col, escaped and indented, after a title; nothing when it is NULL or
 * empty. */
static void print_bytes(const mitsu_rows *r, int col, const char *title)
{
    size_t len = 0;
    const void *p = mitsu_rows_blob(r, col, &len);
    if (mitsu_rows_is_null(r, col) || len == 0)
        return;
    printf("%s  ", title);
    tool_print_block(stdout, p, len, "  ");
    puts("");
}

/* One request as a block: a summary line, the request line, headers, body, raw bytes. */
static void print_full(const mitsu_rows *r)
{
    char t[40];
    printf("#%lld  %s  %s  served %s  status %lld  %lld bytes  %lld us%s\n",
           (long long)mitsu_rows_int(r, 8), tool_format_time(mitsu_rows_int(r, 0), 1, t, sizeof t),
           mitsu_rows_text(r, 9), mitsu_rows_text(r, 6), (long long)mitsu_rows_int(r, 3),
           (long long)mitsu_rows_int(r, 4), (long long)mitsu_rows_int(r, 5),
           mitsu_rows_int(r, 7) ? "  (pre-flag evidence)" : "");
    const char *method = mitsu_rows_text(r, 1), *target = mitsu_rows_text(r, 2);
    tool_print_escaped(stdout, method ? method : "", method ? strlen(method) : 0);
    fputc(' ', stdout);
    tool_print_escaped(stdout, target ? target : "", target ? strlen(target) : 0);
    fputc('\n', stdout);
    print_headers(mitsu_rows_text(r, 11));
    print_bytes(r, 12, "\n");
    print_bytes(r, 13, "raw bytes (refused by the parser):\n");
    puts("");
}

static int print_all_full(mitsu_db *db, mitsu_rows *r)
{
    int rc, any = 0;
    while ((rc = mitsu_rows_next(r)) == 1) {
        print_full(r);
        any = 1;
    }
    mitsu_rows_free(r);
    if (rc < 0)
        return tool_db_failed("requests", db);
    if (!any)
        puts(NO_REQUESTS);
    return TOOL_OK;
}

int cmd_requests(int argc, char **argv)
{
    tool_run run = {.limit_n = DEFAULT_LIMIT};
    const char *client = NULL;
    int json = 0, full = 0;
    const tool_opt opts[] = {{"--json", NULL, &json}, {"--full", NULL, &full},
                             {"--limit", &run.limit, NULL}};
    int rc = tool_start(&run, argc, argv, opts, 3, &client, 1, &client, USAGE_REQUESTS);
    if (rc)
        return rc;
    mitsu_rows *r = mitsu_db_query(run.db, full ? REQUESTS_SQL(", body, raw") : REQUESTS_SQL(""),
                                   MITSU_TEXT(run.sid), MITSU_INT(run.limit_n));
    if (full && !json && r)
        return tool_finish(&run, print_all_full(run.db, r));
    return tool_finish(&run, tool_print_rows(argv[0], run.db, r, json, REQUEST_COLS,
                                             (int)(sizeof REQUEST_COLS / sizeof REQUEST_COLS[0]),
                                             NO_REQUESTS));
}
