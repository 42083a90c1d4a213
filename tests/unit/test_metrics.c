/* The live counters behind /metrics: exact sums whatever the threads counting at once, each
 * thread on a slot of its own, statuses outside 100..599 kept apart. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "base/shard.h"
#include "honeypot/metrics.h"
#include "web/metrics.h"

enum { THREADS = 24, EACH = 5000 }; /* more threads than slots: shared slots must still add up */

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < EACH; i++) {
        web_metrics_count(i % 2 ? 200 : 404, i % 4 == 0);
        hp_metrics_hit((uint8_t)(i % 3));
    }
    return NULL;
}

Test(metrics, concurrent_counts_add_up_exactly)
{
    web_metrics before, after;
    uint64_t hits_before[HP_METRICS_IDS], hits_after[HP_METRICS_IDS];
    web_metrics_get(&before);
    hp_metrics_get(hits_before);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, count, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    web_metrics_get(&after);
    hp_metrics_get(hits_after);
    cr_assert_eq(after.status[200 - 100] - before.status[200 - 100], THREADS * EACH / 2);
    cr_assert_eq(after.status[404 - 100] - before.status[404 - 100], THREADS * EACH / 2);
    cr_assert_eq(after.diverted - before.diverted, THREADS * EACH / 4);
    uint64_t per_id = 0;
    for (int id = 0; id < 3; id++)
        per_id += hits_after[id] - hits_before[id];
    cr_assert_eq(per_id, THREADS * EACH);
    cr_assert_eq(hits_after[3] - hits_before[3], 0);
}

Test(metrics, odd_statuses_are_counted_apart)
{
    web_metrics before, after;
    web_metrics_get(&before);
    web_metrics_count(0, 0);
    web_metrics_count(600, 0);
    web_metrics_count(99, 1);
    web_metrics_count(599, 0);
    web_metrics_get(&after);
    cr_assert_eq(after.other - before.other, 3);
    cr_assert_eq(after.status[599 - 100] - before.status[599 - 100], 1);
    cr_assert_eq(after.diverted - before.diverted, 1);
}

static void *slot_of(void *out)
{
    unsigned first = shard_index();
    *(unsigned *)out = shard_index() == first ? first : SHARD_COUNT; /* stable per thread */
    return NULL;
}

Test(metrics, threads_get_distinct_stable_slots_round_robin)
{
    unsigned slots[SHARD_COUNT];
    for (int i = 0; i < SHARD_COUNT; i++) {
        pthread_t t;
        cr_assert_eq(pthread_create(&t, NULL, slot_of, &slots[i]), 0);
        pthread_join(t, NULL);
        cr_assert_lt(slots[i], SHARD_COUNT);
    }
    for (int i = 1; i < SHARD_COUNT; i++)
        cr_assert_eq(slots[i], (slots[i - 1] + 1) % SHARD_COUNT, "round robin");
}
