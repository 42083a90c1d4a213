/* Query strings, application/x-www-form-urlencoded and multipart/form-data bodies: parsed
 * into arena-allocated, NUL-terminated, percent-decoded fields. */
#ifndef MITSU_WEB_FORM_H
#define MITSU_WEB_FORM_H

#include <stddef.h>

#include "base/arena.h"

typedef struct form_field {
    const char *name;          /* decoded, NUL-terminated */
    const char *value;         /* decoded, NUL-terminated; may contain NULs: use value_len */
    size_t value_len;
    const char *filename;      /* multipart file parts only (as sent, path stripped), else NULL */
    const char *content_type;  /* multipart parts only, else NULL */
} form_field;

typedef struct form_fields {
    form_field *items;
    size_t count;
    size_t bad_escapes;  /* malformed %-escapes seen (kept literally): a signal for detectors */
    int truncated;       /* more fields than the limit: the rest were dropped */
} form_fields;

/* Decodes %XX (and '+' as space when plus_is_space) from in[0..len) into out, which must hold
 * len + 1 bytes; NUL-terminates. Malformed escapes are copied as they are and counted in *bad
 * (if not NULL). Returns the decoded length. */
size_t form_decode(const char *in, size_t len, char *out, int plus_is_space, size_t *bad);

/* Parses "a=1&b=2" (query strings and urlencoded bodies; ';' is not a separator). A name
 * without '=' gets an empty value. At most max_fields fields. 0, or -1 when out of memory. */
int form_parse_urlencoded(arena *a, const char *s, size_t len, size_t max_fields,
                          form_fields *out);

typedef struct multipart_limits {
    size_t max_parts;        /* parts beyond this: error */
    size_t max_header_bytes; /* per part */
} multipart_limits;

/* Parses a whole multipart/form-data body (RFC 7578). content_type is the request's
 * Content-Type value, from which the boundary is taken. Field values and file contents point
 * into body (not copied) where possible. 0 on success; -1 with *err a static message. */
int form_parse_multipart(arena *a, const char *content_type, const char *body, size_t len,
                         const multipart_limits *limits, form_fields *out, const char **err);

/* The first field of that name, or NULL. */
const form_field *form_get(const form_fields *f, const char *name);

#endif
