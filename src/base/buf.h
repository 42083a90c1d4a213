/* Growable byte buffer, for connection input and output. Owns its memory. */
#ifndef MITSU_BASE_BUF_H
#define MITSU_BASE_BUF_H

#include <stddef.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
} buf;

#define BUF_INIT {NULL, 0, 0}

/* Makes room for at least `extra` more bytes. 0, or -1 when out of memory (buffer unchanged). */
int buf_reserve(buf *b, size_t extra);
int buf_append(buf *b, const void *data, size_t len);
int buf_append_str(buf *b, const char *s);
int buf_append_u64(buf *b, unsigned long long v);
int buf_append_hex(buf *b, unsigned long long v);
/* Drops the first n bytes, moving the rest to the front. */
void buf_consume(buf *b, size_t n);
/* Frees the memory when it has grown past keep_cap, so one large request does not pin it. */
void buf_shrink(buf *b, size_t keep_cap);
void buf_free(buf *b);

#endif
