/* The dashboard's pages, drawn on the server from the same JSON values the API serves: a page
 * is the value, escaped into HTML tables and SVG charts. */
#include <stdlib.h>
#include <string.h>

#include "admin/internal.h"
#include "honeypot/hp.h"

static void page_begin(hbuf *h, const char *title)
{
    h_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mitsu admin: ");
    h_text(h, title);
    h_raw(h, "</title><link rel=\"stylesheet\" href=\"/style.css\">"
             "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"></head><body>"
             "<header><nav><strong>mitsu admin</strong> <a href=\"/\">Overview</a> "
             "<a href=\"/attackers\">Attackers</a> <a href=\"/detectors\">Detectors</a> "
             "<a href=\"/top\">Top paths and payloads</a> <a href=\"/metrics\">Metrics</a>"
             "<form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button>"
             "</form></nav></header><main><h1>");
    h_text(h, title);
    h_raw(h, "</h1>");
}

static int page_end(adm_req *q, hbuf *h)
{
    h_raw(h, "</main></body></html>\n");
    int rc = h->oom ? -1 : adm_reply(q, 200, "text/html; charset=utf-8", h->b.data, h->b.len);
    buf_free(&h->b);
    return rc;
}

static int page_error(adm_req *q, int status)
{
    hbuf h = {0};
    page_begin(&h, http_status_reason(status));
    h_raw(&h, status == 404 ? "<p>No such client in the management database.</p>"
                            : "<p>The management database could not be read; see the log.</p>");
    h_raw(&h, "</main></body></html>\n");
    int rc = h.oom ? -1 : adm_reply(q, status, "text/html; charset=utf-8", h.b.data, h.b.len);
    buf_free(&h.b);
    return rc;
}

/* Text shown of one value, at most: an attacker's target or evidence can be long, and each
 * byte up to six escaped; the API has the values whole. */
enum { SHOWN_MAX = 1024 };

/* A value of a row, escaped. */
static void h_value(hbuf *h, const json_t *v)
{
    if (json_is_string(v))
        h_text_cut(h, json_string_value(v), SHOWN_MAX);
    else if (json_is_integer(v))
        h_printf(h, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        h_printf(h, "%.1f", json_real_value(v));
    else
        h_raw(h, "&#8211;");
}

typedef struct tcol {
    const char *key, *head;
    char kind; /* 'T' text, 'N' number, 'C' code (attacker text), 'L' link to the client */
} tcol;

static void table(hbuf *h, const json_t *rows, const tcol *cols, size_t n, const char *empty)
{
    if (json_array_size(rows) == 0) {
        h_raw(h, "<p class=\"empty\">");
        h_text(h, empty);
        h_raw(h, "</p>");
        return;
    }
    h_raw(h, "<table><thead><tr>");
    for (size_t c = 0; c < n; c++) {
        h_raw(h, cols[c].kind == 'N' ? "<th class=\"num\">" : "<th>");
        h_text(h, cols[c].head);
        h_raw(h, "</th>");
    }
    h_raw(h, "</tr></thead><tbody>");
    size_t i;
    const json_t *row;
    json_array_foreach(rows, i, row) {
        h_raw(h, "<tr>");
        for (size_t c = 0; c < n; c++) {
            const json_t *v = json_object_get(row, cols[c].key);
            switch (cols[c].kind) {
            case 'N':
                h_raw(h, "<td class=\"num\">");
                h_value(h, v);
                break;
            case 'C':
                h_raw(h, "<td><code>");
                h_value(h, v);
                h_raw(h, "</code>");
                break;
            case 'L':
                if (!json_is_string(v)) {
                    h_raw(h, "<td>");
                    h_value(h, v);
                    break;
                }
                h_raw(h, "<td><a href=\"/clients/");
                h_url_segment(h, json_string_value(v));
                h_raw(h, "\"><code>");
                h_value(h, v);
                h_raw(h, "</code></a>");
                break;
            default:
                h_raw(h, "<td>");
                h_value(h, v);
            }
            h_raw(h, "</td>");
        }
        h_raw(h, "</tr>");
    }
    h_raw(h, "</tbody></table>");
}

static const tcol attacker_cols[] = {
    {"ip", "IP address", 'T'},     {"session_id", "Session id", 'L'}, {"state", "State", 'T'},
    {"score", "Score", 'N'},       {"requests", "Requests", 'N'},     {"flagged_at", "Flagged", 'T'},
    {"flagged_by", "By", 'T'},     {"last_seen", "Last seen", 'T'},
};
enum { NATTACKER_COLS = sizeof attacker_cols / sizeof attacker_cols[0] };

static void series_chart(hbuf *h, const json_t *o, const char *key, const char *title)
{
    const json_t *a = json_object_get(o, key);
    size_t n = json_array_size(a);
    int64_t values[512];
    if (n > 512)
        n = 512;
    for (size_t i = 0; i < n; i++)
        values[i] = json_integer_value(json_array_get(a, i));
    h_raw(h, "<figure>");
    svg_series(h, title, values, n, json_integer_value(json_object_get(o, "start")),
               json_integer_value(json_object_get(o, "bucket_ms")));
    h_raw(h, "<figcaption>");
    h_text(h, title);
    h_raw(h, "</figcaption></figure>");
}

/* A JSON object of counters as a definition list. */
static void counters(hbuf *h, const char *heading, const json_t *o)
{
    h_raw(h, "<section class=\"counters\"><h2>");
    h_text(h, heading);
    h_raw(h, "</h2><dl>");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        h_raw(h, "<div><dt>");
        h_text(h, key);
        h_raw(h, "</dt><dd>");
        h_value(h, v);
        h_raw(h, "</dd></div>");
    }
    h_raw(h, "</dl></section>");
}

int page_overview(adm_req *q)
{
    int status = 500;
    json_t *o = api_overview_value(q, &status);
    json_t *recent = o ? data_attackers(q, 10, &status) : NULL;
    if (!o || !recent) {
        json_decref(o);
        return page_error(q, status);
    }
    hbuf h = {0};
    page_begin(&h, "Overview");
    counters(&h, "Since this process started", json_object_get(o, "live"));
    counters(&h, "In the management database", json_object_get(o, "totals"));
    series_chart(&h, o, "requests", "Recorded requests of attackers");
    series_chart(&h, o, "attackers", "New attackers");
    series_chart(&h, o, "flags", "Events (verdicts)");
    h_raw(&h, "<h2>Latest attackers</h2>");
    table(&h, recent, attacker_cols, NATTACKER_COLS, "No attacker yet.");
    json_decref(recent);
    json_decref(o);
    return page_end(q, &h);
}

int page_attackers(adm_req *q)
{
    int status = 500;
    json_t *rows = data_attackers(q, adm_query_long(q, "limit", 100, 1, 10000), &status);
    if (!rows)
        return page_error(q, status);
    hbuf h = {0};
    page_begin(&h, "Attackers");
    table(&h, rows, attacker_cols, NATTACKER_COLS, "No attacker yet.");
    json_decref(rows);
    return page_end(q, &h);
}

/* One line of the timeline: an event or a request, newest first. */
static void timeline_row(hbuf *h, const json_t *e, const json_t *r)
{
    h_raw(h, "<tr><td>");
    h_value(h, json_object_get(e ? e : r, "time"));
    if (e) {
        h_raw(h, "</td><td class=\"event\">");
        h_value(h, json_object_get(e, "event"));
        h_raw(h, "</td><td>");
        h_value(h, json_object_get(e, "detector"));
        h_raw(h, " (score ");
        h_value(h, json_object_get(e, "score"));
        h_raw(h, ", ");
        h_value(h, json_object_get(e, "action"));
        h_raw(h, ")</td><td><code>");
        h_value(h, json_object_get(e, "evidence"));
    } else {
        h_raw(h, "</td><td>request</td><td>");
        h_value(h, json_object_get(r, "status"));
        h_raw(h, " ");
        h_value(h, json_object_get(r, "served"));
        if (json_integer_value(json_object_get(r, "preflag")))
            h_raw(h, " (before the verdict)");
        h_raw(h, "</td><td><code>");
        h_value(h, json_object_get(r, "method"));
        h_raw(h, " ");
        h_value(h, json_object_get(r, "target"));
    }
    h_raw(h, "</code></td></tr>");
}

static const char *time_of(const json_t *rows, size_t i)
{
    const char *t = json_string_value(json_object_get(json_array_get(rows, i), "time"));
    return t ? t : "";
}

static void timeline(hbuf *h, const json_t *events, const json_t *requests)
{
    h_raw(h, "<table class=\"timeline\"><thead><tr><th>Time</th><th>What</th><th>Detail</th>"
             "<th>Evidence or request</th></tr></thead><tbody>");
    size_t ne = json_array_size(events), nr = json_array_size(requests), ie = 0, ir = 0;
    while (ie < ne || ir < nr) {
        /* both lists are newest first: merge them; at equal times the event goes first */
        if (ir == nr || (ie < ne && strcmp(time_of(events, ie), time_of(requests, ir)) >= 0))
            timeline_row(h, json_array_get(events, ie++), NULL);
        else
            timeline_row(h, NULL, json_array_get(requests, ir++));
    }
    h_raw(h, "</tbody></table>");
}

int page_client(adm_req *q)
{
    int status = 500;
    json_t *o = data_client(q, adm_param(q, "ref"), adm_query_long(q, "limit", 200, 1, 10000),
                            &status);
    if (!o)
        return page_error(q, status);
    const json_t *c = json_object_get(o, "client");
    hbuf h = {0};
    page_begin(&h, "Client");
    h_raw(&h, "<dl class=\"facts\">");
    for (size_t i = 0; i < 10; i++) {
        static const char *const keys[] = {"session_id", "ip", "state", "score", "flagged_at",
                                           "flagged_by", "requests", "n4xx", "first_seen",
                                           "last_seen"};
        h_raw(&h, "<div><dt>");
        h_text(&h, keys[i]);
        h_raw(&h, "</dt><dd>");
        h_value(&h, json_object_get(c, keys[i]));
        h_raw(&h, "</dd></div>");
    }
    h_raw(&h, "</dl><h2>Timeline</h2>");
    timeline(&h, json_object_get(o, "events"), json_object_get(o, "requests"));
    json_decref(o);
    return page_end(q, &h);
}

/* The labels and numbers of rows, for a bar chart. */
static void bars(hbuf *h, const json_t *rows, const char *label, const char *value,
                 const char *title)
{
    size_t n = json_array_size(rows);
    if (n > 40)
        n = 40;
    const char *labels[40];
    int64_t values[40];
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(rows, i);
        labels[i] = json_string_value(json_object_get(r, label));
        values[i] = json_integer_value(json_object_get(r, value));
    }
    h_raw(h, "<figure>");
    svg_hbars(h, title, labels, values, n);
    h_raw(h, "<figcaption>");
    h_text(h, title);
    h_raw(h, "</figcaption></figure>");
}

int page_detectors(adm_req *q)
{
    int status = 500;
    json_t *rows = data_detectors(q, &status);
    if (!rows)
        return page_error(q, status);
    hbuf h = {0};
    page_begin(&h, "Detectors");
    bars(&h, rows, "detector", "hits", "Hits by detector since this process started");
    static const tcol cols[] = {{"detector", "Detector", 'T'},
                                {"hits", "Hits (live)", 'N'},
                                {"events", "Verdict events", 'N'},
                                {"clients", "Clients", 'N'},
                                {"last", "Last event", 'T'},
                                {"last_ip", "Last client", 'T'},
                                {"last_session_id", "Its session id", 'L'}};
    table(&h, rows, cols, 7, "No detector.");
    json_decref(rows);
    return page_end(q, &h);
}

int page_top(adm_req *q)
{
    int status = 500;
    json_t *o = data_top(q, adm_query_long(q, "limit", 20, 1, 1000), &status);
    if (!o)
        return page_error(q, status);
    hbuf h = {0};
    page_begin(&h, "Top paths and payloads");
    const json_t *paths = json_object_get(o, "paths");
    bars(&h, paths, "path", "count", "Paths most requested by attackers");
    static const tcol path_cols[] = {{"path", "Path", 'C'}, {"count", "Requests", 'N'}};
    table(&h, paths, path_cols, 2, "No request recorded.");
    h_raw(&h, "<h2>Clients with the most recorded requests</h2>");
    static const tcol client_cols[] = {{"ip", "IP address", 'T'},
                                       {"session_id", "Session id", 'L'},
                                       {"count", "Requests", 'N'}};
    table(&h, json_object_get(o, "clients"), client_cols, 3, "No request recorded.");
    h_raw(&h, "<h2>Query strings</h2>");
    static const tcol query_cols[] = {{"query", "Query", 'C'}, {"count", "Requests", 'N'}};
    table(&h, json_object_get(o, "queries"), query_cols, 2, "No query string recorded.");
    h_raw(&h, "<h2>Evidence of detectors</h2>");
    static const tcol ev_cols[] = {{"detector", "Detector", 'T'},
                                   {"evidence", "Evidence", 'C'},
                                   {"count", "Events", 'N'}};
    table(&h, json_object_get(o, "evidence"), ev_cols, 3, "No event recorded.");
    json_decref(o);
    return page_end(q, &h);
}
