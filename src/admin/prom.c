/* /metrics: the live counters in the Prometheus text exposition format 0.0.4, each family
 * with its HELP and TYPE lines. Label values are detector names and numbers: no escaping is
 * needed, but a name is checked rather than trusted. */
#include <string.h>

#include "admin/internal.h"
#include "honeypot/hp.h"
#include "honeypot/metrics.h"
#include "web/metrics.h"

static void family(hbuf *h, const char *name, const char *type, const char *help)
{
    h_printf(h, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(hbuf *h, const char *name, unsigned long long v)
{
    h_printf(h, "%s %llu\n", name, v);
}

static int plain_label(const char *s)
{
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

static void requests(hbuf *h)
{
    web_metrics w;
    web_metrics_get(&w);
    family(h, "mitsu_http_requests_total", "counter",
           "Requests the application answered or refused, by status code and class.");
    for (int i = 0; i <= WEB_METRICS_MAX_STATUS - WEB_METRICS_MIN_STATUS; i++) {
        int code = i + WEB_METRICS_MIN_STATUS;
        if (w.status[i])
            h_printf(h, "mitsu_http_requests_total{code=\"%d\",class=\"%dxx\"} %llu\n", code,
                     code / 100, (unsigned long long)w.status[i]);
    }
    family(h, "mitsu_honeypot_diverted_requests_total", "counter",
           "Requests served from the decoys.");
    sample(h, "mitsu_honeypot_diverted_requests_total", w.diverted);
}

static void honeypot(hbuf *h, admin_server *a)
{
    if (a->hp) {
        hp_client_stats s;
        hp_client_stats_get(hp_engine_clients(a->hp), &s);
        family(h, "mitsu_honeypot_clients", "gauge", "Clients the honeypot tracks in memory.");
        sample(h, "mitsu_honeypot_clients", s.clients);
        family(h, "mitsu_honeypot_attackers", "gauge", "Tracked clients judged attackers.");
        sample(h, "mitsu_honeypot_attackers", s.attackers);
    }
    uint64_t hits[HP_METRICS_IDS];
    hp_metrics_get(hits);
    family(h, "mitsu_honeypot_detector_hits_total", "counter", "Hits reported, by detector.");
    for (int id = 0; id < HP_METRICS_IDS; id++) {
        const char *name = hp_detector_name((uint8_t)id);
        if (strcmp(name, "unknown") != 0 && plain_label(name))
            h_printf(h, "mitsu_honeypot_detector_hits_total{detector=\"%s\"} %llu\n", name,
                     (unsigned long long)hits[id]);
    }
}

static void journal(hbuf *h, admin_server *a)
{
    if (!a->jr)
        return;
    jr_stats s;
    jr_stats_get(a->jr, &s);
    family(h, "mitsu_journal_queue_depth", "gauge", "Records waiting for the journal's writer.");
    sample(h, "mitsu_journal_queue_depth", s.pending);
    family(h, "mitsu_journal_dropped_total", "counter",
           "Records dropped: queue full or out of memory.");
    sample(h, "mitsu_journal_dropped_total", s.dropped);
    family(h, "mitsu_journal_written_total", "counter", "Records committed.");
    sample(h, "mitsu_journal_written_total", s.written);
    family(h, "mitsu_journal_failed_total", "counter", "Records lost to database errors.");
    sample(h, "mitsu_journal_failed_total", s.failed);
}

void prom_write(hbuf *h, admin_server *a)
{
    requests(h);
    honeypot(h, a);
    journal(h, a);
}

int prom_metrics(adm_req *q)
{
    hbuf h = {0};
    prom_write(&h, q->a);
    int rc = h.oom ? -1
                   : adm_reply(q, 200, "text/plain; version=0.0.4; charset=utf-8", h.b.data,
                               h.b.len);
    buf_free(&h.b);
    return rc;
}
