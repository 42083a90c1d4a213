/* What the dashboard shows, as JSON: the API serves these values as they are and the pages are
 * drawn from them, so both always agree. History comes from the management database (read
 * only), the present from the live counters. */
#include <stdio.h>
#include <string.h>

#include "admin/internal.h"
#include "honeypot/hp.h"
#include "honeypot/metrics.h"
#include "web/metrics.h"

/* How a column becomes a JSON member: text, integer, real, or a Unix-ms time as RFC 3339. */
typedef struct col {
    const char *name;
    char type; /* 'T', 'I', 'R', 'D' */
} col;

static json_t *cell(mitsu_rows *r, int i, char type)
{
    if (mitsu_rows_is_null(r, i))
        return json_null();
    switch (type) {
    case 'I':
        return json_integer(mitsu_rows_int(r, i));
    case 'R':
        return json_real(mitsu_rows_real(r, i));
    case 'D': {
        char t[32];
        adm_time_text(mitsu_rows_int(r, i), t, sizeof t);
        return *t ? json_string(t) : json_null();
    }
    default: {
        const char *s = mitsu_rows_text(r, i);
        return json_string(s ? s : ""); /* the journal stores valid UTF-8 only */
    }
    }
}

/* Every row of r as an object of cols; frees r. NULL on a database error or out of memory. */
static json_t *rows_array(mitsu_rows *r, const col *cols, int ncols)
{
    if (!r)
        return NULL;
    json_t *out = json_array();
    int rc = 0;
    while (out && (rc = mitsu_rows_next(r)) == 1) {
        json_t *o = json_object();
        for (int i = 0; o && i < ncols; i++)
            if (json_object_set_new(o, cols[i].name, cell(r, i, cols[i].type)) < 0) {
                json_decref(o);
                o = NULL;
            }
        if (!o || json_array_append_new(out, o) < 0) {
            json_decref(out);
            out = NULL;
        }
    }
    if (out && rc < 0) {
        json_decref(out);
        out = NULL;
    }
    mitsu_rows_free(r);
    return out;
}

/* Without a management database (the honeypot off), lists are empty rather than errors. */
static json_t *select_rows(adm_req *q, const col *cols, int ncols, mitsu_rows *r)
{
    return q->db ? rows_array(r, cols, ncols) : json_array();
}

static json_int_t one_int(mitsu_rows *r)
{
    json_int_t v = 0;
    if (r && mitsu_rows_next(r) == 1)
        v = mitsu_rows_int(r, 0);
    mitsu_rows_free(r);
    return v;
}

/* Counts per bucket, from "SELECT bucket, count" rows; rows out of range are ignored. */
static json_t *series(mitsu_rows *r, int buckets)
{
    if (!r)
        return NULL;
    int64_t counts[512] = {0};
    while (mitsu_rows_next(r) == 1) {
        int64_t b = mitsu_rows_int(r, 0);
        if (b >= 0 && b < buckets)
            counts[b] += mitsu_rows_int(r, 1);
    }
    mitsu_rows_free(r);
    json_t *a = json_array();
    for (int i = 0; a && i < buckets; i++)
        json_array_append_new(a, json_integer(counts[i]));
    return a;
}

static json_t *fail(json_t *partial, int *status, int code)
{
    json_decref(partial);
    *status = code;
    return NULL;
}

json_t *data_live(adm_req *q)
{
    web_metrics w;
    web_metrics_get(&w);
    uint64_t classes[5] = {0};
    for (int i = 0; i <= WEB_METRICS_MAX_STATUS - WEB_METRICS_MIN_STATUS; i++)
        classes[(i + WEB_METRICS_MIN_STATUS) / 100 - 1] += w.status[i];
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "1xx", (json_int_t)classes[0], "2xx",
                          (json_int_t)classes[1], "3xx", (json_int_t)classes[2], "4xx",
                          (json_int_t)classes[3], "5xx", (json_int_t)classes[4], "diverted",
                          (json_int_t)w.diverted);
    if (o && q->a->hp) {
        hp_client_stats s;
        hp_client_stats_get(hp_engine_clients(q->a->hp), &s);
        json_object_set_new(o, "clients", json_integer((json_int_t)s.clients));
        json_object_set_new(o, "attackers", json_integer((json_int_t)s.attackers));
    }
    if (o && q->a->jr) {
        jr_stats js;
        jr_stats_get(q->a->jr, &js);
        json_object_set_new(o, "journal_pending", json_integer((json_int_t)js.pending));
        json_object_set_new(o, "journal_dropped", json_integer((json_int_t)js.dropped));
    }
    return o;
}

json_t *data_overview(adm_req *q, int64_t now, int64_t range_ms, int buckets, int *status)
{
    if (buckets < 1 || buckets > 512)
        buckets = 24;
    int64_t bucket_ms = range_ms / buckets > 0 ? range_ms / buckets : 1;
    int64_t start = now - bucket_ms * buckets;
    json_t *o = json_pack("{s:I,s:I,s:I,s:i}", "now", (json_int_t)now, "start", (json_int_t)start,
                          "bucket_ms", (json_int_t)bucket_ms, "buckets", buckets);
    if (!o)
        return fail(NULL, status, 500);
    json_t *totals = json_object();
    json_object_set_new(o, "totals", totals);
    json_object_set_new(o, "live", data_live(q));
    if (!q->db) {
        json_t *zero = json_array();
        for (int i = 0; i < buckets; i++)
            json_array_append_new(zero, json_integer(0));
        json_object_set(o, "requests", zero);
        json_object_set(o, "attackers", zero);
        json_object_set_new(o, "flags", zero);
        return o;
    }
    static const char *const counts[][2] = {
        {"clients", "SELECT COUNT(*) FROM clients"},
        {"attackers", "SELECT COUNT(*) FROM clients WHERE state = 'attacker'"},
        {"released", "SELECT COUNT(*) FROM clients WHERE state = 'released'"},
        {"events", "SELECT COUNT(*) FROM events"},
        {"requests", "SELECT COUNT(*) FROM requests"},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        json_object_set_new(totals, counts[i][0],
                            json_integer(one_int(mitsu_db_query(q->db, counts[i][1]))));
    json_t *req = series(mitsu_db_query(q->db, "SELECT (time - ?) / ?, COUNT(*) FROM requests"
                                               " WHERE time >= ? GROUP BY 1",
                                        MITSU_INT(start), MITSU_INT(bucket_ms), MITSU_INT(start)),
                         buckets);
    json_t *att = series(mitsu_db_query(q->db, "SELECT (COALESCE(flagged_at, first_seen) - ?) / ?,"
                                               " COUNT(*) FROM clients WHERE state <> 'normal'"
                                               " AND COALESCE(flagged_at, first_seen) >= ?"
                                               " GROUP BY 1",
                                        MITSU_INT(start), MITSU_INT(bucket_ms), MITSU_INT(start)),
                         buckets);
    json_t *flags = series(mitsu_db_query(q->db, "SELECT (time - ?) / ?, COUNT(*) FROM events"
                                                 " WHERE time >= ? GROUP BY 1",
                                          MITSU_INT(start), MITSU_INT(bucket_ms),
                                          MITSU_INT(start)),
                           buckets);
    if (!req || !att || !flags) {
        json_decref(req);
        json_decref(att);
        json_decref(flags);
        return fail(o, status, 500);
    }
    json_object_set_new(o, "requests", req);
    json_object_set_new(o, "attackers", att);
    json_object_set_new(o, "flags", flags);
    return o;
}

static const col client_cols[] = {
    {"session_id", 'T'}, {"ip", 'T'}, {"state", 'T'}, {"score", 'R'}, {"requests", 'I'},
    {"n4xx", 'I'}, {"first_seen", 'D'}, {"last_seen", 'D'}, {"flagged_at", 'D'},
    {"flagged_by", 'T'},
};
#define CLIENT_COLUMNS \
    "sid, ip, state, score, requests, n4xx, first_seen, last_seen, flagged_at, flagged_by"

json_t *data_attackers(adm_req *q, long limit, int *status)
{
    json_t *a = select_rows(q, client_cols, 10,
                            mitsu_db_query(q->db, "SELECT " CLIENT_COLUMNS " FROM clients"
                                                  " WHERE state <> 'normal'"
                                                  " ORDER BY flagged_at DESC, last_seen DESC"
                                                  " LIMIT ?",
                                           MITSU_INT(limit)));
    return a ? a : fail(NULL, status, 500);
}

/* A whole session id, a prefix of one (6+ hex digits, naming one client), or an IP address
 * (its client seen last): as the mitsu command takes a CLIENT. */
static json_t *find_client(adm_req *q, const char *ref)
{
    size_t len = strlen(ref);
    int hex = len >= 6 && len <= 32 && strspn(ref, "0123456789abcdef") == len;
    char pattern[40];
    snprintf(pattern, sizeof pattern, "%s%%", ref);
    json_t *found = rows_array(
        hex ? mitsu_db_query(q->db, "SELECT " CLIENT_COLUMNS " FROM clients WHERE sid LIKE ?"
                                    " ORDER BY sid LIMIT 2", MITSU_TEXT(pattern))
            : mitsu_db_query(q->db, "SELECT " CLIENT_COLUMNS " FROM clients"
                                    " WHERE ip = ? ORDER BY last_seen DESC LIMIT 1",
                             MITSU_TEXT(ref)),
        client_cols, 10);
    if (found && json_array_size(found) > 1)
        json_array_clear(found); /* an ambiguous prefix names nobody */
    return found;
}

json_t *data_client(adm_req *q, const char *ref, long limit, int *status)
{
    if (!q->db || !ref)
        return fail(NULL, status, 404);
    json_t *found = find_client(q, ref);
    if (!found)
        return fail(NULL, status, 500);
    if (json_array_size(found) == 0)
        return fail(found, status, 404);
    json_t *client = json_incref(json_array_get(found, 0));
    json_decref(found);
    const char *sid = json_string_value(json_object_get(client, "session_id"));
    static const col event_cols[] = {{"time", 'D'}, {"event", 'T'}, {"detector", 'T'},
                                     {"kind", 'T'}, {"score", 'R'}, {"evidence", 'T'},
                                     {"action", 'T'}};
    json_t *events = rows_array(mitsu_db_query(q->db, "SELECT time, event, detector, kind, score,"
                                                      " evidence, action FROM events WHERE sid = ?"
                                                      " ORDER BY time DESC, id DESC LIMIT ?",
                                               MITSU_TEXT(sid), MITSU_INT(limit)),
                                event_cols, 7);
    static const col request_cols[] = {{"time", 'D'}, {"method", 'T'}, {"target", 'T'},
                                       {"status", 'I'}, {"response_size", 'I'},
                                       {"latency_us", 'I'}, {"served", 'T'}, {"preflag", 'I'}};
    json_t *requests = rows_array(mitsu_db_query(q->db, "SELECT time, method, target, status,"
                                                        " response_size, latency_us, served,"
                                                        " preflag FROM requests WHERE sid = ?"
                                                        " ORDER BY time DESC, id DESC LIMIT ?",
                                                 MITSU_TEXT(sid), MITSU_INT(limit)),
                                  request_cols, 8);
    json_t *o = json_pack("{s:o,s:o*,s:o*}", "client", client, "events", events, "requests",
                          requests);
    if (!o || !events || !requests)
        return fail(o, status, 500);
    return o;
}

/* The members of the row of rows whose "detector" is name, into d. */
static void merge_rows(json_t *d, json_t *rows, const char *name)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *det = json_string_value(json_object_get(row, "detector"));
        if (d && det && strcmp(det, name) == 0)
            json_object_update(d, row);
    }
}

json_t *data_detectors(adm_req *q, int *status)
{
    static const col cols[] = {{"detector", 'T'}, {"events", 'I'}, {"clients", 'I'},
                               {"last", 'D'}};
    json_t *rows = select_rows(q, cols, 4,
                               mitsu_db_query(q->db, "SELECT detector, COUNT(*),"
                                                     " COUNT(DISTINCT sid), MAX(time) FROM events"
                                                     " WHERE detector IS NOT NULL"
                                                     " GROUP BY detector ORDER BY 2 DESC"));
    static const col last_cols[] = {{"detector", 'T'}, {"last_session_id", 'T'},
                                    {"last_ip", 'T'}};
    json_t *last = rows ? select_rows(q, last_cols, 3,
                                      mitsu_db_query(q->db, "SELECT detector, sid, ip FROM events e"
                                                            " WHERE time = (SELECT MAX(time)"
                                                            " FROM events"
                                                            " WHERE detector = e.detector)"))
                        : NULL;
    if (!last)
        return fail(rows, status, 500);
    /* Every detector, with its live hits since start and what the journal holds of it. */
    uint64_t hits[HP_METRICS_IDS];
    hp_metrics_get(hits);
    json_t *out = json_array();
    for (int id = 0; out && id < HP_METRICS_IDS; id++) {
        const char *name = hp_detector_name((uint8_t)id);
        if (strcmp(name, "unknown") == 0)
            continue;
        json_t *d = json_pack("{s:s,s:I,s:I,s:I,s:n,s:n,s:n}", "detector", name, "hits",
                              (json_int_t)hits[id], "events", (json_int_t)0, "clients",
                              (json_int_t)0, "last", "last_session_id", "last_ip");
        merge_rows(d, rows, name);
        merge_rows(d, last, name);
        if (!d || json_array_append_new(out, d) < 0) {
            json_decref(last);
            return fail(rows, status, 500);
        }
    }
    json_decref(rows);
    json_decref(last);
    return out ? out : fail(NULL, status, 500);
}

json_t *data_top(adm_req *q, long limit, int *status)
{
    int pg = q->db && mitsu_db_kind(q->db) == MITSU_DB_POSTGRESQL;
    static const col path_cols[] = {{"path", 'T'}, {"count", 'I'}};
    json_t *paths = select_rows(
        q, path_cols, 2,
        mitsu_db_query(q->db,
                       pg ? "SELECT split_part(target, '?', 1) AS p, COUNT(*) FROM requests"
                            " WHERE target <> '' GROUP BY p ORDER BY 2 DESC, p LIMIT ?"
                          : "SELECT CASE WHEN instr(target, '?') > 0"
                            " THEN substr(target, 1, instr(target, '?') - 1) ELSE target END"
                            " AS p, COUNT(*) FROM requests WHERE target <> ''"
                            " GROUP BY p ORDER BY 2 DESC, p LIMIT ?",
                       MITSU_INT(limit)));
    static const col query_cols[] = {{"query", 'T'}, {"count", 'I'}};
    json_t *queries = select_rows(
        q, query_cols, 2,
        mitsu_db_query(q->db,
                       pg ? "SELECT substr(target, strpos(target, '?') + 1) AS p, COUNT(*)"
                            " FROM requests WHERE strpos(target, '?') > 0"
                            " GROUP BY p ORDER BY 2 DESC, p LIMIT ?"
                          : "SELECT substr(target, instr(target, '?') + 1) AS p, COUNT(*)"
                            " FROM requests WHERE instr(target, '?') > 0"
                            " GROUP BY p ORDER BY 2 DESC, p LIMIT ?",
                       MITSU_INT(limit)));
    static const col evidence_cols[] = {{"detector", 'T'}, {"evidence", 'T'}, {"count", 'I'}};
    json_t *evidence = select_rows(
        q, evidence_cols, 3,
        mitsu_db_query(q->db, "SELECT detector, evidence, COUNT(*) FROM events"
                              " WHERE evidence IS NOT NULL AND evidence <> ''"
                              " GROUP BY detector, evidence ORDER BY 3 DESC, 2 LIMIT ?",
                       MITSU_INT(limit)));
    static const col client_count_cols[] = {{"session_id", 'T'}, {"ip", 'T'}, {"count", 'I'}};
    json_t *clients = select_rows(
        q, client_count_cols, 3,
        mitsu_db_query(q->db, "SELECT sid, ip, COUNT(*) FROM requests WHERE sid IS NOT NULL"
                              " GROUP BY sid, ip ORDER BY 3 DESC, 1 LIMIT ?",
                       MITSU_INT(limit)));
    json_t *o = json_pack("{s:o*,s:o*,s:o*,s:o*}", "paths", paths, "queries", queries,
                          "evidence", evidence, "clients", clients);
    if (!o || !paths || !queries || !evidence || !clients)
        return fail(o, status, 500);
    return o;
}
