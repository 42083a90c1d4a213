/* Sharded counters: each thread adds to its own slot of a small array, so that workers counting
 * the same event do not fight over one cache line; a reader sums the slots. */
#ifndef MITSU_BASE_SHARD_H
#define MITSU_BASE_SHARD_H

#define SHARD_COUNT 16 /* threads beyond this share slots (round robin), still correctly */

/* This thread's slot, 0 .. SHARD_COUNT-1, fixed for the thread's life. */
unsigned shard_index(void);

#endif
