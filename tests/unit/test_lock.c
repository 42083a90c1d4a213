/* Specification of src/base/lock.c: mutual exclusion, and no lost wake-up when threads sleep on
 * a contended lock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "base/lock.h"

enum { THREADS = 4, ROUNDS = 200000 };

typedef struct shared {
    lock l;
    uint64_t counter; /* plain on purpose: only the lock keeps the increments whole */
    int inside;
    int overlaps;
} shared;

static void *hammer(void *arg)
{
    shared *s = arg;
    for (int i = 0; i < ROUNDS; i++) {
        lock_take(&s->l);
        if (s->inside++)
            s->overlaps++;
        s->counter++;
        s->inside--;
        lock_give(&s->l);
    }
    return NULL;
}

Test(lock, a_zeroed_lock_is_free_and_can_be_taken_again)
{
    lock l = {0};
    lock_take(&l);
    lock_give(&l);
    lock_take(&l);
    cr_assert_eq(atomic_load(&l.state), 1);
    lock_give(&l);
    cr_assert_eq(atomic_load(&l.state), 0);
}

Test(lock, threads_fighting_for_it_lose_no_increment)
{
    static shared s; /* zeroed: a free lock */
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, hammer, &s), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(s.counter, (uint64_t)THREADS * ROUNDS);
    cr_assert_eq(s.overlaps, 0, "two threads were inside at once");
    cr_assert_eq(atomic_load(&s.l.state), 0, "left held");
}

static void *wait_then_count(void *arg)
{
    shared *s = arg;
    lock_take(&s->l); /* sleeps: the holder keeps it past the spin */
    s->counter++;
    lock_give(&s->l);
    return NULL;
}

Test(lock, sleepers_are_woken_by_the_release)
{
    static shared s;
    lock_take(&s.l);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, wait_then_count, &s), 0);
    struct timespec pause = {0, 50 * 1000 * 1000}; /* long past the spin: they are asleep */
    nanosleep(&pause, NULL);
    cr_assert_eq(atomic_load(&s.l.state), 2, "a waiter marks the lock contended");
    lock_give(&s.l);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL); /* a lost wake-up hangs here, and the test times out */
    cr_assert_eq(s.counter, THREADS);
    cr_assert_eq(atomic_load(&s.l.state), 0);
}
