/* Request counters by status, sharded per thread so that workers never share a cache line. */
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "base/shard.h"
#include "web/metrics.h"

enum { NSTATUS = WEB_METRICS_MAX_STATUS - WEB_METRICS_MIN_STATUS + 1 };

typedef struct shard {
    alignas(64) _Atomic uint64_t status[NSTATUS];
    _Atomic uint64_t other, diverted;
} shard;

static shard shards[SHARD_COUNT];

void web_metrics_count(int status, int decoy)
{
    shard *s = &shards[shard_index()];
    if (status >= WEB_METRICS_MIN_STATUS && status <= WEB_METRICS_MAX_STATUS)
        atomic_fetch_add_explicit(&s->status[status - WEB_METRICS_MIN_STATUS], 1,
                                  memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&s->other, 1, memory_order_relaxed);
    if (decoy)
        atomic_fetch_add_explicit(&s->diverted, 1, memory_order_relaxed);
}

void web_metrics_get(web_metrics *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < SHARD_COUNT; i++) {
        shard *s = &shards[i];
        for (int k = 0; k < NSTATUS; k++)
            out->status[k] += atomic_load_explicit(&s->status[k], memory_order_relaxed);
        out->other += atomic_load_explicit(&s->other, memory_order_relaxed);
        out->diverted += atomic_load_explicit(&s->diverted, memory_order_relaxed);
    }
}
