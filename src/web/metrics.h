/* Live request counters of the application: responses by status code and diverted requests,
 * counted once per request at the end of the pipeline, read by /metrics. */
#ifndef MITSU_WEB_METRICS_H
#define MITSU_WEB_METRICS_H

#include <stdint.h>

enum { WEB_METRICS_MIN_STATUS = 100, WEB_METRICS_MAX_STATUS = 599 };

/* One answered (or refused) request: its status, and 1 when it was served from the decoys.
 * Any thread; a few relaxed atomic adds on the thread's own shard. */
void web_metrics_count(int status, int decoy);

typedef struct web_metrics {
    /* by status - WEB_METRICS_MIN_STATUS; statuses out of range count as 0 (not listed) */
    uint64_t status[WEB_METRICS_MAX_STATUS - WEB_METRICS_MIN_STATUS + 1];
    uint64_t other;    /* a status outside 100..599 (never sent by our server) */
    uint64_t diverted; /* served from the decoys */
} web_metrics;

/* The sums since the process started (process-wide: one application per process). */
void web_metrics_get(web_metrics *out);

#endif
