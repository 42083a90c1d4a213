/* Static files from a directory: safe path resolution (no traversal, no symlink escape),
 * MIME types, ETag and Last-Modified with 304, single byte ranges with 206 and 416. */
#ifndef MITSU_WEB_STATIC_H
#define MITSU_WEB_STATIC_H

#include <stdint.h>
#include <sys/stat.h>

#include "http/server.h"

typedef struct static_dir {
    int dir_fd;      /* O_PATH descriptor of the root; every lookup is resolved beneath it */
    char *root;      /* the root's real path, for the fallback check */
} static_dir;

/* Opens the root directory. 0, or -1 with errno set. */
int static_dir_open(static_dir *sd, const char *path);
void static_dir_close(static_dir *sd);

/* Opens `rel` (percent-encoded, as in the URL, below the mount point) for reading beneath the
 * root. Returns an fd and fills *st, or -1 with *status 404 (absent, a directory without
 * index.html, a special file) or 403 (a path that tries to leave the root: "..", an encoded
 * slash or NUL, a symlink pointing outside). */
int static_open(const static_dir *sd, const char *rel, size_t rel_len, struct stat *st,
                int *status);

/* The MIME type for a file name, from its extension; "application/octet-stream" if unknown. */
const char *static_mime_type(const char *name);

/* A strong validator from size, inode and modification time: `"sz-ino-mtime"` in hex. */
void static_etag(const struct stat *st, char out[64]);

/* Parses a Range header value against a file of `size` bytes (RFC 9110 §14.1.2): 1 with
 * [*first, *last] for one satisfiable range; 0 to ignore the header (absent, not bytes,
 * several ranges, or malformed); -1 when unsatisfiable (416). */
int static_parse_range(const char *value, uint64_t size, uint64_t *first, uint64_t *last);

/* Serves one file as the response to ex: conditional requests, ranges, headers, sendfile.
 * `rel` is the request path below the mount point. Returns 0 with the response set. */
int static_serve(const static_dir *sd, http_exchange *ex, const char *rel, size_t rel_len);

#endif
