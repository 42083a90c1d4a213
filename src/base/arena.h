/* Per-request arena: bump allocation from chunks, freed in one step, with deferred cleanups.
 * Nothing allocated here outlives the arena's reset; whoever needs it longer copies it. */
#ifndef MITSU_BASE_ARENA_H
#define MITSU_BASE_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;
typedef struct arena_cleanup arena_cleanup;

typedef struct arena {
    arena_chunk *head;       /* chunk being carved; older ones follow through ->next */
    arena_cleanup *cleanups; /* run in reverse order of registration at reset and free */
    size_t chunk_size;       /* size of ordinary chunks; larger requests get their own */
    size_t used_total;       /* bytes handed out since the last reset (for limits and stats) */
} arena;

void arena_init(arena *a, size_t chunk_size);

/* Aligned to max_align_t. NULL only when malloc fails. */
void *arena_alloc(arena *a, size_t size);
void *arena_calloc(arena *a, size_t count, size_t size);
char *arena_strndup(arena *a, const char *s, size_t len);
char *arena_strdup(arena *a, const char *s);
/* A growing array in an arena: called before appending item n, returns where items 0..n-1 are
 * (old, or a copy with room when n reached the capacity: 8, then each power of two), or NULL
 * when out of memory. Arrays of a few hundred items at most; the old copy stays in the arena. */
void *arena_grow(arena *a, void *old, size_t n, size_t size);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs fn(data) when the arena is reset or freed, last registered first. -1 when out of memory,
 * in which case fn has not been registered and the caller still owns data. */
int arena_defer(arena *a, void (*fn)(void *), void *data);

/* Runs the cleanups and frees every chunk but one, which is kept for reuse. */
void arena_reset(arena *a);
void arena_free(arena *a);

#endif
