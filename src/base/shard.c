/* Which counter slot a thread uses: handed out round robin on the thread's first count. */
#include <stdatomic.h>

#include "base/shard.h"

unsigned shard_index(void)
{
    static atomic_uint next;
    static _Thread_local unsigned mine; /* slot + 1; 0: not yet given */
    if (!mine)
        mine = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed) % SHARD_COUNT + 1;
    return mine - 1;
}
