/* Per-request arena: chunked bump allocator with deferred cleanups (see arena.h). */
#include "base/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN _Alignof(max_align_t)

struct arena_chunk {
    arena_chunk *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
    arena_cleanup *next;
    void (*fn)(void *);
    void *data;
};

void arena_init(arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->cleanups = NULL;
    a->chunk_size = chunk_size ? chunk_size : 4096;
    a->used_total = 0;
}

static arena_chunk *chunk_new(size_t size)
{
    arena_chunk *c = malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void *arena_alloc(arena *a, size_t size)
{
    if (size > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    arena_chunk *c = a->head;
    if (!c || c->size - c->used < rounded) {
        /* A large request gets a chunk of its own, placed behind the head, so the
         * remaining space of the current chunk is not wasted. */
        if (rounded > a->chunk_size / 4 && c) {
            arena_chunk *big = chunk_new(rounded);
            if (!big)
                return NULL;
            big->used = rounded;
            big->next = c->next;
            c->next = big;
            a->used_total += rounded;
            return big->data;
        }
        c = chunk_new(rounded > a->chunk_size ? rounded : a->chunk_size);
        if (!c)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    a->used_total += rounded;
    return p;
}

void *arena_calloc(arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int arena_defer(arena *a, void (*fn)(void *), void *data)
{
    arena_cleanup *c = arena_alloc(a, sizeof *c);
    if (!c)
        return -1;
    c->fn = fn;
    c->data = data;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

static void run_cleanups(arena *a)
{
    /* A cleanup may not allocate from this arena: the list is detached first. */
    arena_cleanup *c = a->cleanups;
    a->cleanups = NULL;
    for (; c; c = c->next)
        c->fn(c->data);
}

void arena_reset(arena *a)
{
    run_cleanups(a);
    arena_chunk *keep = a->head;
    if (!keep)
        return;
    /* Keep the most recent ordinary chunk; free the rest (and any oversized one). */
    arena_chunk *c = keep->next;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    if (keep->size > a->chunk_size) {
        free(keep);
        a->head = NULL;
    } else {
        keep->next = NULL;
        keep->used = 0;
    }
    a->used_total = 0;
}

void arena_free(arena *a)
{
    run_cleanups(a);
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

void *arena_grow(arena *a, void *old, size_t n, size_t size)
{
    int full = n == 0 || (n >= 8 && (n & (n - 1)) == 0);
    if (!full)
        return old;
    size_t cap = n ? 2 * n : 8;
    if (size && cap > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, cap * size);
    if (p && n)
        memcpy(p, old, n * size);
    return p;
}
