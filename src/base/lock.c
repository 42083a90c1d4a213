/* The contended half of lock.h: a short spin (the holder is usually running on the other core
 * and done within a microsecond), then sleeping on a futex. */
#include "base/lock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SPINS 100

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

void lock_wait(lock *l)
{
    for (int i = 0; i < SPINS; i++) {
        cpu_relax();
        uint32_t free_ = 0;
        if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->state, &free_, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
    }
    /* Marked 2 from here on: whoever releases it then wakes a sleeper. Taking it with 2 (not 1)
     * is what keeps a second sleeper from being forgotten. */
    while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
        syscall(SYS_futex, &l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
}

void lock_wake(lock *l)
{
    syscall(SYS_futex, &l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
