/* Static files (see static.h). Path safety is the kernel's job where it can be: openat2 with
 * RESOLVE_BENEATH refuses any resolution, symlinks included, that leaves the root. */
#include "web/static.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "web/form.h"

int static_dir_open(static_dir *sd, const char *path)
{
    sd->root = realpath(path, NULL);
    if (!sd->root)
        return -1;
    sd->dir_fd = open(sd->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (sd->dir_fd < 0) {
        free(sd->root);
        sd->root = NULL;
        return -1;
    }
    return 0;
}

void static_dir_close(static_dir *sd)
{
    if (sd->dir_fd >= 0)
        close(sd->dir_fd);
    free(sd->root);
    sd->dir_fd = -1;
    sd->root = NULL;
}

/* Kernels before 5.6 lack openat2: then resolve with realpath and check the prefix. */
static int open_beneath_fallback(const static_dir *sd, const char *rel)
{
    char *full = NULL;
    if (asprintf(&full, "%s/%s", sd->root, rel) < 0)
        return -1;
    char *real = realpath(full, NULL);
    free(full);
    if (!real)
        return -1;
    size_t rlen = strlen(sd->root);
    int inside = strncmp(real, sd->root, rlen) == 0 && (real[rlen] == '/' || real[rlen] == '\0');
    int fd = inside ? open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    if (!inside)
        errno = EXDEV;
    free(real);
    return fd;
}

static int open_beneath(const static_dir *sd, const char *rel)
{
    struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
    long fd = syscall(SYS_openat2, sd->dir_fd, rel, &how, sizeof how);
    if (fd < 0 && errno == ENOSYS)
        return open_beneath_fallback(sd, rel);
    return (int)fd;
}

int static_open(const static_dir *sd, const char *rel, size_t rel_len, struct stat *st,
                int *status)
{
    *status = 404;
    char *path = malloc(rel_len + sizeof "/index.html");
    if (!path)
        return -1;
    size_t bad = 0;
    size_t n = form_decode(rel, rel_len, path, 0, &bad);
    /* An encoded NUL would cut the name short; a backslash is a separator somewhere. */
    if (bad || memchr(path, '\0', n) || memchr(path, '\\', n)) {
        *status = bad ? 404 : 403;
        free(path);
        return -1;
    }
    /* Refuse ".." outright, even where it would stay inside: nobody legitimate sends it. */
    const char *p = path;
    while (*p == '/')
        p++;
    for (const char *seg = p; *seg;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            *status = 403;
            free(path);
            return -1;
        }
        seg += len + (slash ? 1 : 0);
    }
    const char *name = *p ? p : ".";
    int fd = open_beneath(sd, name);
    if (fd < 0) {
        if (errno == EXDEV || errno == ELOOP)
            *status = 403;
        free(path);
        return -1;
    }
    if (fstat(fd, st) < 0)
        goto not_found;
    if (S_ISDIR(st->st_mode)) {
        /* A directory serves its index.html, if it has one. */
        size_t plen = strlen(p);
        memmove(path, p, plen + 1);
        if (plen && path[plen - 1] != '/')
            path[plen++] = '/';
        strcpy(path + plen, "index.html");
        close(fd);
        fd = open_beneath(sd, path);
        if (fd < 0 || fstat(fd, st) < 0)
            goto not_found;
    }
    if (!S_ISREG(st->st_mode))
        goto not_found;
    free(path);
    return fd;
not_found:
    if (fd >= 0)
        close(fd);
    free(path);
    return -1;
}

static const struct {
    const char *ext;
    const char *type;
} mime_types[] = {
    {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},   {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"json", "application/json"},
    {"txt", "text/plain; charset=utf-8"}, {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},           {"svg", "image/svg+xml"},
    {"png", "image/png"},                 {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},               {"gif", "image/gif"},
    {"webp", "image/webp"},               {"avif", "image/avif"},
    {"ico", "image/vnd.microsoft.icon"},  {"woff", "font/woff"},
    {"woff2", "font/woff2"},              {"ttf", "font/ttf"},
    {"otf", "font/otf"},                  {"pdf", "application/pdf"},
    {"zip", "application/zip"},           {"gz", "application/gzip"},
    {"wasm", "application/wasm"},         {"mp4", "video/mp4"},
    {"webm", "video/webm"},               {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},                 {"wav", "audio/wav"},
    {"map", "application/json"},          {"md", "text/markdown; charset=utf-8"},
};

const char *static_mime_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
            if (strcasecmp(dot + 1, mime_types[i].ext) == 0)
                return mime_types[i].type;
    return "application/octet-stream";
}

void static_etag(const struct stat *st, char out[64])
{
    snprintf(out, 64, "\"%llx-%llx-%llx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_ino,
             (unsigned long long)st->st_mtim.tv_sec * 1000000000ull +
                 (unsigned long long)st->st_mtim.tv_nsec);
}

static int parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s++ - '0');
    }
    *p = s;
    *out = v;
    return 0;
}

int static_parse_range(const char *value, uint64_t size, uint64_t *first, uint64_t *last)
{
    if (!value || strncasecmp(value, "bytes=", 6) != 0)
        return 0;
    const char *p = value + 6;
    while (*p == ' ')
        p++;
    if (strchr(p, ','))
        return 0; /* several ranges: we answer with the whole file, as the RFC allows */
    uint64_t a, b;
    if (*p == '-') {
        p++;
        if (parse_u64(&p, &b) < 0 || *p)
            return 0;
        if (b == 0 || size == 0)
            return -1;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return 1;
    }
    if (parse_u64(&p, &a) < 0 || *p++ != '-')
        return 0;
    if (*p == '\0') {
        b = UINT64_MAX;
    } else if (parse_u64(&p, &b) < 0 || *p || b < a) {
        return 0;
    }
    if (a >= size)
        return -1;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return 1;
}

static void http_date(time_t t, char out[40])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static time_t parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end || *end)
        return (time_t)-1;
    return timegm(&tm);
}

static const char *header_z(http_exchange *ex, const char *name)
{
    const http_header *h = http_find_header(&ex->req, name);
    return h ? arena_strndup(ex->arena, h->value.base, h->value.len) : NULL;
}

/* If-None-Match: a list of entity tags or "*"; weak comparison (RFC 9110 §13.1.2). */
static int etag_matches(const char *list, const char *etag)
{
    if (strcmp(list, "*") == 0)
        return 1;
    size_t elen = strlen(etag);
    for (const char *p = list; (p = strstr(p, etag)) != NULL; p += elen) {
        const char *after = p + elen;
        if (*after == '\0' || *after == ',' || *after == ' ')
            return 1;
    }
    return 0;
}

int static_serve(const static_dir *sd, http_exchange *ex, const char *rel, size_t rel_len)
{
    http_response *res = &ex->res;
    struct stat st;
    int status;
    if (ex->req.method != HTTP_GET && ex->req.method != HTTP_HEAD) {
        res->status = 405;
        return http_response_header(res, "Allow", "GET, HEAD");
    }
    int fd = static_open(sd, rel, rel_len, &st, &status);
    if (fd < 0) {
        res->status = status;
        http_response_header(res, "Content-Type", "text/plain; charset=utf-8");
        return http_response_write(res, status == 403 ? "Forbidden\n" : "Not Found\n",
                                   status == 403 ? 10 : 10);
    }
    char etag[64], modified[40];
    static_etag(&st, etag);
    http_date(st.st_mtim.tv_sec, modified);
    http_response_header(res, "ETag", etag);
    http_response_header(res, "Last-Modified", modified);
    http_response_header(res, "Accept-Ranges", "bytes");
    /* RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since. */
    const char *inm = header_z(ex, "If-None-Match");
    const char *ims = inm ? NULL : header_z(ex, "If-Modified-Since");
    if ((inm && etag_matches(inm, etag)) ||
        (ims && parse_http_date(ims) != (time_t)-1 && st.st_mtim.tv_sec <= parse_http_date(ims))) {
        close(fd);
        res->status = 304;
        return 0;
    }
    uint64_t size = (uint64_t)st.st_size, first = 0, last = size ? size - 1 : 0;
    const char *range = header_z(ex, "Range");
    const char *if_range = range ? header_z(ex, "If-Range") : NULL;
    int r = range && (!if_range || strcmp(if_range, etag) == 0)
                ? static_parse_range(range, size, &first, &last)
                : 0;
    char content_range[96];
    if (r < 0) {
        close(fd);
        res->status = 416;
        snprintf(content_range, sizeof content_range, "bytes */%llu", (unsigned long long)size);
        return http_response_header(res, "Content-Range", content_range);
    }
    /* rel is a slice of the request path: the type comes from a terminated copy. */
    const char *relz = arena_strndup(ex->arena, rel, rel_len);
    http_response_header(res, "Content-Type", static_mime_type(relz ? relz : ""));
    if (r == 1) {
        res->status = 206;
        snprintf(content_range, sizeof content_range, "bytes %llu-%llu/%llu",
                 (unsigned long long)first, (unsigned long long)last, (unsigned long long)size);
        http_response_header(res, "Content-Range", content_range);
    } else {
        res->status = 200;
    }
    if (http_response_file(res, fd, first, size ? last - first + 1 : 0) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}
