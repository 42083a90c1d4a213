/* Detector hit counters, sharded per thread like the request counters. */
#include <stdalign.h>
#include <stdatomic.h>
#include <string.h>

#include "base/shard.h"
#include "honeypot/metrics.h"

typedef struct shard {
    alignas(64) _Atomic uint64_t hits[HP_METRICS_IDS];
} shard;

static shard shards[SHARD_COUNT];

void hp_metrics_hit(uint8_t id)
{
    atomic_fetch_add_explicit(&shards[shard_index()].hits[id], 1, memory_order_relaxed);
}

void hp_metrics_get(uint64_t hits[HP_METRICS_IDS])
{
    memset(hits, 0, HP_METRICS_IDS * sizeof hits[0]);
    for (int i = 0; i < SHARD_COUNT; i++)
        for (int k = 0; k < HP_METRICS_IDS; k++)
            hits[k] += atomic_load_explicit(&shards[i].hits[k], memory_order_relaxed);
}
