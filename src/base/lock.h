/* A small mutex for short critical sections that are rarely contended (the honeypot's client
 * table): taking and releasing a free lock is one atomic instruction inline, where a
 * pthread_mutex_t costs two library calls (about 55 instructions a pair) on every request. */
#ifndef MITSU_BASE_LOCK_H
#define MITSU_BASE_LOCK_H

#include <stdatomic.h>
#include <stdint.h>

/* 0: free; 1: held; 2: held, and a thread may be asleep on it. Zero-initialised is free. */
typedef struct lock {
    _Atomic uint32_t state;
} lock;

void lock_wait(lock *l);
void lock_wake(lock *l);

static inline void lock_take(lock *l)
{
    uint32_t free_ = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &free_, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        lock_wait(l);
}

static inline void lock_give(lock *l)
{
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        lock_wake(l);
}

#endif
