/* mitsu: a web application framework in C with a high-interaction honeypot built in.
 * This is the whole public API. Everything else in the tree is internal.
 *
 * Threading model, stated once: the server runs N I/O worker threads (MITSU_SERVER_WORKERS,
 * default one per core), each with its own epoll loop and listener. A handler runs inline on
 * the worker that read its request and may block (a database call, say); while it does, that
 * worker's other connections wait, the other workers do not. Keep handlers short, or raise the
 * worker count for slow ones.
 *
 * Memory: everything a request hands you (strings, bodies) lives until the handler returns.
 * mitsu_alloc() gives you memory with the same lifetime, freed in one step after the response. */
#ifndef MITSU_H
#define MITSU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mitsu_app mitsu_app;
typedef struct mitsu_req mitsu_req;
typedef struct mitsu_res mitsu_res;

/* A handler answers one request. Return 0 once a response is set (mitsu_text, mitsu_send...);
 * return -1 to have mitsu answer 500 Internal Server Error with nothing internal in the body. */
typedef int (*mitsu_handler)(mitsu_req *req, mitsu_res *res);

/* ---- Application ---------------------------------------------------------------------- */

/* Creates an application. config_path may be NULL (defaults). The environment overrides:
 *   MITSU_SERVER_LISTEN   listen addresses, e.g. "127.0.0.1:8080" or "[::1]:8080,127.0.0.1:8080"
 *   MITSU_SERVER_WORKERS  worker threads (default: one per online CPU)
 * Returns NULL (with a message on stderr) on a bad setting. Free with mitsu_app_free(). */
mitsu_app *mitsu_app_new(const char *config_path);

/* Registers a handler for a method ("GET", "POST", ..., or "*" for any) and a path.
 * A path ending in "/" then "*" matches that prefix and anything below it. A GET route also serves
 * HEAD. A path no route matches gets 404; a path matched only for other methods gets 405
 * with an Allow header. Returns 0, or -1 on a bad pattern or out of memory. */
int mitsu_route(mitsu_app *app, const char *method, const char *path, mitsu_handler handler);
#define mitsu_get(app, path, h) mitsu_route((app), "GET", (path), (h))
#define mitsu_post(app, path, h) mitsu_route((app), "POST", (path), (h))
#define mitsu_put(app, path, h) mitsu_route((app), "PUT", (path), (h))
#define mitsu_patch(app, path, h) mitsu_route((app), "PATCH", (path), (h))
#define mitsu_delete(app, path, h) mitsu_route((app), "DELETE", (path), (h))

/* Starts the server and blocks until SIGTERM or SIGINT; then stops accepting, lets requests in
 * flight finish, and returns 0 (non-zero if it could not start, with a message on stderr).
 * Prints "mitsu: listening on http://ADDR:PORT/" on stdout once ready. */
int mitsu_run(mitsu_app *app);

/* The TCP port of the first listen address once mitsu_run() has bound it (port 0 in the
 * listen setting asks the kernel for a free one); 0 before. */
int mitsu_app_port(const mitsu_app *app);

void mitsu_app_free(mitsu_app *app);

/* ---- Request -------------------------------------------------------------------------- */

const char *mitsu_req_method(const mitsu_req *req); /* "GET", "POST", ... */
const char *mitsu_req_path(const mitsu_req *req);   /* "/a/b", still percent-encoded */
const char *mitsu_req_target(const mitsu_req *req); /* the raw request-target, query included */
const char *mitsu_req_query(const mitsu_req *req);  /* after '?', or "" */
/* The first header of that name (case-insensitive), or NULL. */
const char *mitsu_req_header(const mitsu_req *req, const char *name);
/* The decoded request body (chunked bodies arrive whole) and its length; never NULL. */
const char *mitsu_req_body(const mitsu_req *req, size_t *len);
/* Memory that lives until the response is sent. NULL when out of memory. */
void *mitsu_alloc(mitsu_req *req, size_t size);

/* ---- Response ------------------------------------------------------------------------- */

int mitsu_status(mitsu_res *res, int status);
/* Adds a header. -1 if the name is not a token or the value holds CR, LF or NUL (so attacker
 * input copied into a header cannot split the response), or after streaming began. */
int mitsu_header(mitsu_res *res, const char *name, const char *value);
/* Appends to the body. */
int mitsu_write(mitsu_res *res, const void *data, size_t len);
/* Status, "Content-Type: text/plain; charset=utf-8" and the text as the body. */
int mitsu_text(mitsu_res *res, int status, const char *text);
/* Status, Content-Type and body in one call. */
int mitsu_send(mitsu_res *res, int status, const char *content_type, const void *data,
               size_t len);
/* Sends a whole file with sendfile(); -1 if it cannot be opened (nothing is sent then). */
int mitsu_send_file(mitsu_res *res, int status, const char *content_type, const char *path);
/* Streams the body: the status and headers go out with the first piece, then each piece as a
 * chunk (close-delimited for HTTP/1.0 clients). May block while the client reads. */
int mitsu_stream(mitsu_res *res, const void *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
