/* mitsu stats: what the management database holds, counted. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Each number: a name (the JSON key path "group.name") and the query that counts it. */
typedef struct stat_query {
    const char *group, *name, *sql;
} stat_query;

static const stat_query COUNTS[] = {
    {"clients", "total", "SELECT COUNT(*) FROM clients"},
    {"clients", "normal", "SELECT COUNT(*) FROM clients WHERE state = 'normal'"},
    {"clients", "attacker", "SELECT COUNT(*) FROM clients WHERE state = 'attacker'"},
    {"clients", "released", "SELECT COUNT(*) FROM clients WHERE state = 'released'"},
    {"events", "total", "SELECT COUNT(*) FROM events"},
    {"events", "hit", "SELECT COUNT(*) FROM events WHERE event = 'hit'"},
    {"events", "flag", "SELECT COUNT(*) FROM events WHERE event = 'flag'"},
    {"events", "release", "SELECT COUNT(*) FROM events WHERE event = 'release'"},
    {"requests", "total", "SELECT COUNT(*) FROM requests"},
    {"requests", "decoy", "SELECT COUNT(*) FROM requests WHERE served = 'decoy'"},
    {"requests", "real", "SELECT COUNT(*) FROM requests WHERE served = 'real'"},
    {"requests", "preflag", "SELECT COUNT(*) FROM requests WHERE preflag <> 0"},
    {"requests", "malformed", "SELECT COUNT(*) FROM requests WHERE raw IS NOT NULL"},
    {"honeytokens", "total", "SELECT COUNT(*) FROM honeytokens"},
};
enum { NCOUNTS = sizeof COUNTS / sizeof COUNTS[0] };

static const char DETECTORS_SQL[] =
    "SELECT detector, COUNT(*) AS n FROM events WHERE detector IS NOT NULL"
    " GROUP BY detector ORDER BY n DESC, detector";
static const char SPAN_SQL[] =
    "SELECT MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen FROM clients";

/* Sets out[group][name] = v, making the group object when needed. 0 or -1. */
static int put(json_t *out, const char *group, const char *name, json_t *v)
{
    json_t *g = json_object_get(out, group);
    if (!g && json_object_set_new(out, group, g = json_object()) != 0) {
        json_decref(v);
        return -1;
    }
    return json_object_set_new(g, name, v);
}

/* Every count, the events per detector and the span, into one JSON object. -1 on a failed
 * query (the handle says why), -2 when out of memory. */
static int collect(mitsu_db *db, json_t *out)
{
    for (int i = 0; i < NCOUNTS; i++) {
        mitsu_rows *r = mitsu_db_query(db, COUNTS[i].sql);
        int ok = r && mitsu_rows_next(r) == 1;
        json_int_t n = ok ? (json_int_t)mitsu_rows_int(r, 0) : 0;
        mitsu_rows_free(r);
        if (!ok)
            return -1;
        if (put(out, COUNTS[i].group, COUNTS[i].name, json_integer(n)) != 0)
            return -2;
    }
    mitsu_rows *r = mitsu_db_query(db, DETECTORS_SQL);
    int rc = r ? 0 : -1;
    json_t *det = json_object();
    while (rc == 0 && (rc = mitsu_rows_next(r)) == 1)
        rc = json_object_set_new(det, mitsu_rows_text(r, 0), json_integer(mitsu_rows_int(r, 1)))
                 ? -2 : 0;
    mitsu_rows_free(r);
    if (rc != 0) {
        json_decref(det);
        return rc;
    }
    if (put(out, "events", "by_detector", det) != 0) /* put takes det, also when it fails */
        return -2;
    r = mitsu_db_query(db, SPAN_SQL);
    rc = r && mitsu_rows_next(r) == 1 ? 0 : -1;
    json_t *span = rc == 0 ? tool_row_json(r) : NULL;
    mitsu_rows_free(r);
    if (rc == 0 && json_object_set_new(out, "span", span) != 0)
        rc = -2;
    return rc;
}

static void print_group(json_t *out, const char *group)
{
    json_t *g = json_object_get(out, group);
    const char *key;
    json_t *v;
    printf("%s\n", group);
    json_object_foreach(g, key, v) {
        if (json_is_integer(v)) {
            char *clean = tool_clean(key, 40);
            printf("  %-22s %10lld\n", clean ? clean : "?", (long long)json_integer_value(v));
            free(clean);
        } else if (json_is_object(v)) {
            printf("  %s:\n", key);
            const char *k2;
            json_t *v2;
            json_object_foreach(v, k2, v2) {
                char *clean = tool_clean(k2, 36);
                printf("    %-20s %10lld\n", clean ? clean : "?", (long long)json_integer_value(v2));
                free(clean);
            }
        } else {
            printf("  %-22s %s\n", key, json_is_string(v) ? json_string_value(v) : "-");
        }
    }
}

int cmd_stats(int argc, char **argv)
{
    tool_run run = {0};
    int json = 0;
    const tool_opt opts[] = {{"--json", NULL, &json}};
    int rc = tool_start(&run, argc, argv, opts, 1, NULL, 0, NULL, USAGE_STATS);
    if (rc)
        return rc;
    json_t *out = json_object();
    int got = out ? collect(run.db, out) : -2;
    if (got != 0) {
        json_decref(out);
        return tool_finish(&run, got == -1 ? tool_db_failed(argv[0], run.db) : tool_oom(argv[0]));
    }
    if (json)
        return tool_finish(&run, tool_print_json(out));
    static const char *const groups[] = {"clients", "events", "requests", "honeytokens", "span"};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        print_group(out, groups[i]);
    json_decref(out);
    return tool_finish(&run, TOOL_OK);
}
