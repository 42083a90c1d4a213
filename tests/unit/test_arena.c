/* Specification of src/base/arena.c and src/base/buf.c: the memory everything else uses. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"

Test(arena, allocations_are_aligned_and_distinct)
{
    arena a;
    arena_init(&a, 256);
    char *p = arena_alloc(&a, 1);
    char *q = arena_alloc(&a, 3);
    cr_assert_neq(p, q);
    cr_assert_eq((uintptr_t)q % _Alignof(max_align_t), 0);
    arena_free(&a);
}

Test(arena, large_allocations_get_their_own_chunk)
{
    arena a;
    arena_init(&a, 256);
    char *small = arena_alloc(&a, 8);
    char *big = arena_alloc(&a, 100000);
    cr_assert_not_null(big);
    memset(big, 'x', 100000);
    char *after = arena_alloc(&a, 8);
    cr_assert_eq(after, small + _Alignof(max_align_t) * ((8 + _Alignof(max_align_t) - 1) / _Alignof(max_align_t)),
                 "the current chunk keeps being carved after a large allocation");
    arena_free(&a);
}

static int ran[3];
static int order;
static void mark(void *p) { *(int *)p = ++order; }

Test(arena, cleanups_run_at_reset_last_registered_first)
{
    arena a;
    arena_init(&a, 256);
    order = 0;
    memset(ran, 0, sizeof ran);
    arena_defer(&a, mark, &ran[0]);
    arena_defer(&a, mark, &ran[1]);
    arena_reset(&a);
    cr_assert_eq(ran[1], 1);
    cr_assert_eq(ran[0], 2);
    arena_reset(&a);
    cr_assert_eq(order, 2, "a cleanup runs once");
    arena_free(&a);
}

Test(arena, reset_reuses_memory)
{
    arena a;
    arena_init(&a, 1024);
    void *p = arena_alloc(&a, 16);
    arena_reset(&a);
    void *q = arena_alloc(&a, 16);
    cr_assert_eq(p, q);
    cr_assert_eq(a.used_total, 16);
    arena_free(&a);
}

Test(arena, strings_and_printf)
{
    arena a;
    arena_init(&a, 64);
    cr_assert_str_eq(arena_strndup(&a, "hello world", 5), "hello");
    cr_assert_str_eq(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    arena_free(&a);
}

Test(arena, calloc_overflow_is_refused)
{
    arena a;
    arena_init(&a, 64);
    cr_assert_null(arena_calloc(&a, SIZE_MAX / 2, 4));
    cr_assert_null(arena_alloc(&a, SIZE_MAX));
    arena_free(&a);
}

Test(buf, append_grows_and_consume_shifts)
{
    buf b = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(buf_append(&b, "abc", 3), 0);
    cr_assert_eq(b.len, 3000);
    buf_consume(&b, 2999);
    cr_assert_eq(b.len, 1);
    cr_assert_eq(b.data[0], 'c');
    buf_free(&b);
}

Test(buf, numbers)
{
    buf b = BUF_INIT;
    buf_append_u64(&b, 0);
    buf_append(&b, " ", 1);
    buf_append_u64(&b, 18446744073709551615ull);
    buf_append(&b, " ", 1);
    buf_append_hex(&b, 255);
    buf_append(&b, "", 1);
    cr_assert_str_eq(b.data, "0 18446744073709551615 ff");
    buf_free(&b);
}

Test(buf, shrink_frees_only_empty_large_buffers)
{
    buf b = BUF_INIT;
    buf_reserve(&b, 100000);
    buf_append(&b, "x", 1);
    buf_shrink(&b, 1024);
    cr_assert_not_null(b.data);
    b.len = 0;
    buf_shrink(&b, 1024);
    cr_assert_null(b.data);
    buf_free(&b);
}

/* A growing array: moved (contents kept) when n reaches 8, 16, 32...; in place otherwise. */
Test(arena, grow_moves_an_array_at_each_capacity_and_keeps_its_items)
{
    arena a;
    arena_init(&a, 256);
    int *v = NULL;
    for (size_t n = 0; n < 100; n++) {
        int *w = arena_grow(&a, v, n, sizeof *w);
        cr_assert_not_null(w);
        int moves = n == 0 || (n >= 8 && (n & (n - 1)) == 0);
        cr_assert_eq(w != v, moves, "n=%zu", n);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(w[i], (int)i);
        v = w;
        v[n] = (int)n;
    }
    cr_assert_null(arena_grow(&a, v, 64, SIZE_MAX / 64));
    arena_free(&a);
}
