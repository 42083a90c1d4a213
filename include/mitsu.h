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

/* Creates an application from an INI configuration file (docs/config.md lists every key), or
 * from defaults when config_path is NULL. MITSU_SECTION_KEY environment variables override the
 * file, e.g.:
 *   MITSU_SERVER_LISTEN   listen addresses, e.g. "127.0.0.1:8080" or "[::1]:8080,127.0.0.1:8080"
 *   MITSU_SERVER_WORKERS  worker threads (default: one per online CPU)
 * Returns NULL, with every problem printed on stderr as "FILE:LINE: message", when the
 * configuration is wrong: exit with status 2 then. Free with mitsu_app_free(). */
mitsu_app *mitsu_app_new(const char *config_path);

/* A configuration value as text ("server", "listen"), or NULL for a key the schema lacks. */
const char *mitsu_config(const mitsu_app *app, const char *section, const char *key);

/* Per-route options; zero means the default. */
typedef struct mitsu_route_opts {
    uint64_t max_body; /* request body limit for this route, in bytes */
} mitsu_route_opts;

/* Registers a handler for a method ("GET", "POST", ..., or "*" for any) and a path pattern:
 * static segments, ":name" parameters (one whole segment, read with mitsu_param) and a final
 * "*name" wildcard for the rest of the path. Static beats parameter beats wildcard. A GET route
 * also serves HEAD; OPTIONS is answered with the Allow list; a path no route matches gets 404;
 * a path matched only for other methods gets 405 with an Allow header.
 * Returns 0, or -1 on a bad or conflicting pattern (with a message on stderr).
 * Example: mitsu_get(app, "/users/:id/posts/:post", show_post); */
int mitsu_route(mitsu_app *app, const char *method, const char *path, mitsu_handler handler);
int mitsu_route_ex(mitsu_app *app, const char *method, const char *path, mitsu_handler handler,
                   const mitsu_route_opts *opts);
#define mitsu_get(app, path, h) mitsu_route((app), "GET", (path), (h))
#define mitsu_post(app, path, h) mitsu_route((app), "POST", (path), (h))
#define mitsu_put(app, path, h) mitsu_route((app), "PUT", (path), (h))
#define mitsu_patch(app, path, h) mitsu_route((app), "PATCH", (path), (h))
#define mitsu_delete(app, path, h) mitsu_route((app), "DELETE", (path), (h))

/* Serves the files below `dir` under the URL prefix (e.g. "/static"): MIME types, ETag and
 * Last-Modified with 304, byte ranges, and nothing outside dir (no "..", no symlink escape).
 * 0, or -1 when dir cannot be opened. */
int mitsu_static(mitsu_app *app, const char *prefix, const char *dir);

/* Hooks, as in Bottle: before-request hooks run in order before routing, after-request hooks
 * run in order after the handler, and see the final status. A before hook returns MITSU_NEXT to
 * go on, or MITSU_DONE when it has answered the request itself (the handler is then skipped,
 * the after hooks still run); -1 means 500. After hooks return 0 (or -1: logged, ignored). */
enum mitsu_hook_point { MITSU_BEFORE_REQUEST, MITSU_AFTER_REQUEST };
enum { MITSU_NEXT = 0, MITSU_DONE = 1 };
int mitsu_hook(mitsu_app *app, enum mitsu_hook_point point, mitsu_handler hook);

/* A handler for an error status (404, 405, 500, or any status given to mitsu_abort): it
 * renders the page the client sees. mitsu_res_status() tells the status. */
int mitsu_error_handler(mitsu_app *app, int status, mitsu_handler handler);

/* ---- Honeypot ------------------------------------------------------------------------- */
/* The honeypot runs by itself ([honeypot] in the configuration, docs/honeypot.md): it knows
 * each client, judges every request with its detectors, and diverts attackers to the decoy
 * databases. An application may take part: */

/* A route only diverted requests see (what an attacker is shown instead of the real page);
 * other diverted requests go through the real routes, against the decoy databases. */
int mitsu_decoy_route(mitsu_app *app, const char *method, const char *path,
                      mitsu_handler handler);

/* An application-specific detection: adds score to the client (score <= 0 flags it at once),
 * recorded with reason as evidence. A flag takes effect from the client's next request;
 * mitsu_client_state() shows it at once. 0, or -1 when the honeypot is off. */
int mitsu_flag(mitsu_req *req, const char *reason, double score);

/* The outcome of a login attempt, for the login detector: failures per client, distinct user
 * names per client (spraying), failures per user name across clients (stuffing). One failed
 * login never flags. */
void mitsu_auth_result(mitsu_req *req, const char *user, int ok);

/* Declares a legal page transition for the transition detector: `to` (a route pattern, as
 * registered) may follow `from` (a route pattern, or "*" for anywhere: an entry page). A page
 * with no declared predecessor is not checked. The client's previous page is kept on the server,
 * never taken from Referer. Example: mitsu_flow(app, "/admin/users/:id", "/admin/delete"); */
int mitsu_flow(mitsu_app *app, const char *from, const char *to);

/* Declared parameters of a route: what only the application knows. */
enum mitsu_param_type {
    MITSU_PARAM_STRING,
    MITSU_PARAM_INT,     /* optional sign, digits, fits int64 */
    MITSU_PARAM_UINT,
    MITSU_PARAM_FLOAT,
    MITSU_PARAM_BOOL,    /* true/false/1/0/on/off */
    MITSU_PARAM_EMAIL,
    MITSU_PARAM_UUID,
    MITSU_PARAM_PATTERN  /* the whole value matches `pattern` (PCRE2) */
};
typedef struct mitsu_param_spec {
    const char *name;    /* a route parameter, a query or a form field */
    enum mitsu_param_type type;
    const char *pattern; /* MITSU_PARAM_PATTERN only */
    size_t max_len;      /* bytes; 0: no limit */
    int required;
} mitsu_param_spec;
/* Declares the parameters of a route registered with mitsu_route (same method and pattern):
 * unexpected names, missing required ones, and values of the wrong type or length become events
 * of the params detector (OWASP AppSensor RE5-RE8, IE2). With strict, such a request is
 * answered 400 before the handler runs. 0, or -1 (no such route, bad pattern). */
int mitsu_params(mitsu_app *app, const char *method, const char *path,
                 const mitsu_param_spec *specs, size_t n, int strict);

/* 1 when this request is served from the decoys (its client is a diverted attacker). */
int mitsu_is_decoy(const mitsu_req *req);

enum mitsu_client_state {
    MITSU_CLIENT_UNKNOWN,  /* the honeypot is off, or could not track this client */
    MITSU_CLIENT_NORMAL,
    MITSU_CLIENT_ATTACKER,
    MITSU_CLIENT_RELEASED  /* an operator's "not an attacker" */
};
enum mitsu_client_state mitsu_client_state(const mitsu_req *req);

/* Starts the server and blocks until SIGTERM or SIGINT; then stops accepting, lets requests in
 * flight finish, and returns 0 (non-zero if it could not start, with a message on stderr).
 * Prints "mitsu: listening on http://ADDR:PORT/" on stdout once ready. */
int mitsu_run(mitsu_app *app);

/* The TCP port of the first listen address once mitsu_run() has bound it (port 0 in the
 * listen setting asks the kernel for a free one); 0 before. */
int mitsu_app_port(const mitsu_app *app);

void mitsu_app_free(mitsu_app *app);

/* ---- Request -------------------------------------------------------------------------- */
/* Every string returned here is NUL-terminated and lives until the response is sent. */

const char *mitsu_req_method(const mitsu_req *req); /* "GET", "POST", ... */
const char *mitsu_req_path(const mitsu_req *req);   /* "/a/b", still percent-encoded */
const char *mitsu_req_target(const mitsu_req *req); /* the raw request-target, query included */
const char *mitsu_req_query(const mitsu_req *req);  /* after '?', or "" */
/* The first header of that name (case-insensitive), or NULL. */
const char *mitsu_req_header(const mitsu_req *req, const char *name);
/* The decoded request body (chunked bodies arrive whole) and its length; never NULL. */
const char *mitsu_req_body(const mitsu_req *req, size_t *len);
/* The client's address: the peer, or, when the peer is listed in [server] trusted_proxies,
 * the right-most untrusted address of Forwarded / X-Forwarded-For. */
const char *mitsu_client_ip(const mitsu_req *req);

/* Rewrites the path used for routing (the paper's PATH_INFO rewrite). Call it from a before
 * hook; mitsu_req_path() then returns the new path. 0, or -1 if path does not start with '/'. */
int mitsu_rewrite(mitsu_req *req, const char *path);

/* A route parameter (":id" or "*rest"), percent-decoded, or NULL. */
const char *mitsu_param(mitsu_req *req, const char *name);
/* A query-string parameter, decoded ('+' is a space), or NULL. The first of repeated names. */
const char *mitsu_query(mitsu_req *req, const char *name);
/* A form field from an application/x-www-form-urlencoded or multipart/form-data body, or NULL. */
const char *mitsu_form(mitsu_req *req, const char *name);

/* An uploaded file of a multipart/form-data body. */
typedef struct mitsu_upload {
    const char *filename;     /* the last path component the client sent, never a path */
    const char *content_type; /* as sent, or NULL */
    const char *data;         /* the bytes (not NUL-terminated) */
    size_t len;
} mitsu_upload;
/* The uploaded file of that field name, or NULL. */
const mitsu_upload *mitsu_file(mitsu_req *req, const char *name);

/* A cookie's value, or NULL. */
const char *mitsu_cookie(mitsu_req *req, const char *name);
/* The value of a cookie set with mitsu_set_signed_cookie when its signature holds (and it is
 * younger than max_age_s seconds, 0 for no limit); NULL when absent, expired or altered. */
const char *mitsu_signed_cookie(mitsu_req *req, const char *name, int64_t max_age_s);
/* 1 if the client sent a signed cookie or field whose signature was altered. */
int mitsu_req_tampered(const mitsu_req *req);
/* A signed hidden form field's value (form body, else query) when its signature holds for that
 * field name and it is younger than max_age_s seconds (0: no limit); NULL when absent, expired
 * or altered. An altered value is the tamper detector's evidence (docs/honeypot.md). */
const char *mitsu_form_signed(mitsu_req *req, const char *name, int64_t max_age_s);

/* The body parsed as JSON (jansson), when the Content-Type is application/json; NULL when it
 * is not or does not parse. Borrowed: freed with the request. */
struct json_t *mitsu_json_body(mitsu_req *req);

/* The application session (login state), carried in a signed cookie ([session] cookie_name,
 * lifetime). Values are UTF-8 strings. Changes are sent with the response. */
const char *mitsu_session_get(mitsu_req *req, const char *key);
int mitsu_session_set(mitsu_req *req, const char *key, const char *value);
/* Ends the session: its cookie is deleted with the response. */
void mitsu_session_clear(mitsu_req *req);

/* Memory that lives until the response is sent. NULL when out of memory. */
void *mitsu_alloc(mitsu_req *req, size_t size);

/* ---- Response ------------------------------------------------------------------------- */

int mitsu_status(mitsu_res *res, int status);
/* The status set so far (200 until changed); in after hooks, the final one. */
int mitsu_res_status(const mitsu_res *res);
/* Adds a header. -1 if the name is not a token or the value holds CR, LF or NUL (so attacker
 * input copied into a header cannot split the response), or after streaming began. */
int mitsu_header(mitsu_res *res, const char *name, const char *value);
/* Appends to the body. */
int mitsu_write(mitsu_res *res, const void *data, size_t len);
/* Status, "Content-Type: text/plain; charset=utf-8" and the text as the body. */
int mitsu_text(mitsu_res *res, int status, const char *text);
/* Status, "Content-Type: text/html; charset=utf-8" and the HTML as the body. */
int mitsu_html(mitsu_res *res, int status, const char *html);
/* Status, "Content-Type: application/json" and the value serialized (borrowed, not freed). */
int mitsu_json(mitsu_res *res, int status, const struct json_t *value);
/* Status, Content-Type and body in one call. */
int mitsu_send(mitsu_res *res, int status, const char *content_type, const void *data,
               size_t len);
/* Renders a template from the [app] templates directory (Mustache; variables HTML-escaped)
 * against ctx (borrowed) as text/html. -1 (and nothing sent) if it is missing or fails.
 * {{mitsu.trap_link}} and {{mitsu.honey_field}} render the honeypot's bait (docs/honeypot.md). */
int mitsu_render(mitsu_res *res, int status, const char *template_name, struct json_t *ctx);
/* A redirect (301, 302, 303, 307 or 308) to location. */
int mitsu_redirect(mitsu_res *res, int status, const char *location);
/* Answers with an error status through the application's error handler for it, or a plain
 * page. Return its result from the handler: return mitsu_abort(res, 404); */
int mitsu_abort(mitsu_res *res, int status);
/* Sends a whole file with sendfile(); -1 if it cannot be opened (nothing is sent then). */
int mitsu_send_file(mitsu_res *res, int status, const char *content_type, const char *path);
/* Streams the body: the status and headers go out with the first piece, then each piece as a
 * chunk (close-delimited for HTTP/1.0 clients). May block while the client reads. */
int mitsu_stream(mitsu_res *res, const void *data, size_t len);

/* Cookie attributes; zero values leave an attribute out. */
enum mitsu_same_site { MITSU_SAMESITE_DEFAULT, MITSU_SAMESITE_STRICT, MITSU_SAMESITE_LAX,
                       MITSU_SAMESITE_NONE };
typedef struct mitsu_cookie_opts {
    int64_t max_age;           /* seconds; 0 leaves Max-Age out (a session cookie) */
    int64_t expires;           /* Unix time; 0 leaves Expires out */
    const char *domain, *path; /* NULL: no Domain; Path defaults to "/" */
    int secure, http_only;
    enum mitsu_same_site same_site; /* DEFAULT is Lax */
    int partitioned;
} mitsu_cookie_opts;
/* Adds a Set-Cookie header. opts may be NULL (Path=/; HttpOnly; SameSite=Lax). -1 when the
 * name is not a token or the value holds bytes a cookie cannot carry. */
int mitsu_set_cookie(mitsu_res *res, const char *name, const char *value,
                     const mitsu_cookie_opts *opts);
/* The same, with the value signed (HMAC-SHA256 with [app] secret_keys) so that an altered
 * cookie is detected: read it back with mitsu_signed_cookie. */
int mitsu_set_signed_cookie(mitsu_res *res, const char *name, const char *value,
                            const mitsu_cookie_opts *opts);
int mitsu_delete_cookie(mitsu_res *res, const char *name);
/* The value to put in <input type="hidden" name="NAME" value="...">: value signed for the field
 * name (needs no HTML escaping), to be read back with mitsu_form_signed(). NULL on error. Lives
 * until the response is sent. */
const char *mitsu_signed_field(mitsu_res *res, const char *name, const char *value);

/* ---- Databases ------------------------------------------------------------------------ */
/* An application database is a named pair in the configuration (docs/databases.md):
 *   [db.main]
 *   real  = sqlite:data/app.db        (or postgresql://user@host/db, postgres://...)
 *   decoy = sqlite:data/decoy.db
 * A handler asks for it by name and gets the real database, or the decoy when its request was
 * diverted: the same code runs against both, and against SQLite or PostgreSQL alike. At start-up
 * the schemas of the two are compared, and a difference stops the server (exit status 2).
 *
 * Statements use `?` placeholders on both backends (`?NNN` numbers one explicitly); values are
 * always bound, never pasted into the SQL. One statement per call.
 *
 * Threading: every worker thread has its own connection to each database, opened on first use,
 * so no lock is taken on the request path. A call blocks its worker until the database answers.
 * SQLite runs in WAL mode with a busy timeout (5 s) and foreign keys on; PostgreSQL results are
 * fetched whole (use LIMIT for big ones). Prepared statements are cached per connection, keyed by
 * the SQL text: pass the same text again (a string literal, typically) and it is not re-parsed.
 *
 * Memory: a handle, its cursors and the JSON values below belong to the request and are freed
 * with it (a handle from mitsu_db_open: with mitsu_db_close). A transaction still open when the
 * request ends is rolled back. */

typedef struct mitsu_db mitsu_db;     /* a database handle */
typedef struct mitsu_rows mitsu_rows; /* a cursor over the rows of a query */

/* The type of a parameter or of a column value. */
enum mitsu_type {
    MITSU_TYPE_NULL,
    MITSU_TYPE_INT,  /* int64_t */
    MITSU_TYPE_REAL, /* double */
    MITSU_TYPE_TEXT, /* UTF-8 text */
    MITSU_TYPE_BLOB, /* bytes, NULs included */
    MITSU_TYPE__MAX
};

/* A parameter value. Build it with the macros below; the bytes are borrowed for the call. */
typedef struct mitsu_value {
    enum mitsu_type type;
    int64_t i;
    double d;
    const char *s; /* TEXT or BLOB bytes */
    size_t len;    /* their length; SIZE_MAX: s is NUL-terminated */
} mitsu_value;

#define MITSU_NULL ((mitsu_value){.type = MITSU_TYPE_NULL})
#define MITSU_INT(x) ((mitsu_value){.type = MITSU_TYPE_INT, .i = (x)})
#define MITSU_REAL(x) ((mitsu_value){.type = MITSU_TYPE_REAL, .d = (x)})
/* A NUL-terminated string; a NULL pointer binds SQL NULL (so MITSU_TEXT(mitsu_param(req, "id"))
 * is safe when the parameter is absent). */
#define MITSU_TEXT(str) ((mitsu_value){.type = MITSU_TYPE_TEXT, .s = (str), .len = SIZE_MAX})
#define MITSU_TEXTN(str, n) ((mitsu_value){.type = MITSU_TYPE_TEXT, .s = (str), .len = (n)})
#define MITSU_BLOB(p, n) \
    ((mitsu_value){.type = MITSU_TYPE_BLOB, .s = (const char *)(p), .len = (n)})

/* Why the last call on a handle failed. */
enum mitsu_db_status {
    MITSU_DB_OK,          /* it did not */
    MITSU_DB_ERROR,       /* an SQL error: syntax, unknown table or column, bad value, no memory */
    MITSU_DB_CONSTRAINT,  /* a UNIQUE, NOT NULL, FOREIGN KEY or CHECK constraint held */
    MITSU_DB_BUSY,        /* a lock timed out, a deadlock, a serialization failure: retry */
    MITSU_DB_MISUSE,      /* a wrong call: placeholder and value counts differ, NULL SQL ... */
    MITSU_DB_UNAVAILABLE, /* no database: connection lost, file unreadable, or a NULL handle */
    MITSU_DB_STATUS__MAX
};

enum mitsu_db_kind { MITSU_DB_SQLITE, MITSU_DB_POSTGRESQL };

/* The database `name` ([db.NAME]) for this request: the decoy when the request is diverted
 * (each attacker's private copy with decoy_mode = per_attacker), the real one otherwise. The
 * handler cannot tell which, and should not try. NULL when there is no such name, the database
 * cannot be reached, or the request is diverted and the pair has no decoy: mitsu then answers
 * 503 whatever the handler does. Every mitsu_db_* call accepts NULL and fails cleanly, so a
 * handler may use the result unchecked. Example:
 *   mitsu_db *db = mitsu_db_get(req, "main");
 *   json_t *user = mitsu_db_one(db, "SELECT id, name FROM users WHERE id = ?",
 *                               MITSU_TEXT(mitsu_param(req, "id")));
 *   if (!user) return mitsu_abort(res, mitsu_db_error(db) ? 500 : 404);
 *   return mitsu_render(res, 200, "user.html", user); */
mitsu_db *mitsu_db_get(mitsu_req *req, const char *name);

/* A handle of one's own, outside any request (start-up code, migrations, tools): url is
 * "sqlite:PATH" (relative or absolute; "sqlite::memory:" for a private in-memory database) or a
 * "postgresql://" / "postgres://" libpq URL. NULL on failure, with the reason in err (errlen
 * bytes; err may be NULL). Cursors and JSON values of such a handle live until mitsu_db_close,
 * which also rolls back an open transaction. Use it from one thread at a time. */
mitsu_db *mitsu_db_open(const char *url, char *err, size_t errlen);
void mitsu_db_close(mitsu_db *db);

/* MITSU_DB_SQLITE or MITSU_DB_POSTGRESQL, for the rare SQL that must differ; -1 for NULL. */
int mitsu_db_kind(const mitsu_db *db);

/* The message of the last failed call on this handle ("no such table: users"), or NULL when it
 * succeeded. Lives until the next call on a handle of the same database. Log it; do not show it
 * to the client. */
const char *mitsu_db_error(const mitsu_db *db);
enum mitsu_db_status mitsu_db_errcode(const mitsu_db *db);

/* Runs a query with n bound values and returns a cursor placed before the first row, or NULL on
 * failure (mitsu_db_error says why; no rows is not a failure). The convenience macro builds the
 * array: mitsu_db_query(db, "SELECT name FROM t WHERE id = ? AND kind = ?", MITSU_INT(7),
 * MITSU_TEXT(kind)). The cursor is freed with mitsu_rows_free or with the request. */
mitsu_rows *mitsu_db_queryv(mitsu_db *db, const char *sql, const mitsu_value *params, size_t n);

/* Moves to the next row: 1 when there is one, 0 after the last, -1 on failure. */
int mitsu_rows_next(mitsu_rows *rows);
/* The number of result columns, and a column's name (col from 0) or NULL after the last row. */
int mitsu_rows_columns(const mitsu_rows *rows);
const char *mitsu_rows_name(const mitsu_rows *rows, int col);
/* The index of the column of that name, or -1. */
int mitsu_rows_index(const mitsu_rows *rows, const char *name);
/* Getters for the current row. A value of another type is converted (text "42" reads as 42);
 * NULL reads as 0, 0.0 and NULL. Text and blob pointers stay valid until the next
 * mitsu_rows_next or mitsu_rows_free. Text is NUL-terminated; blob sets *len (len may be NULL).
 * PostgreSQL types map to: smallint/integer/bigint/boolean INT (true is 1), real/double/numeric
 * REAL, bytea BLOB, everything else TEXT (as PostgreSQL writes it). */
enum mitsu_type mitsu_rows_type(const mitsu_rows *rows, int col);
int mitsu_rows_is_null(const mitsu_rows *rows, int col);
int64_t mitsu_rows_int(const mitsu_rows *rows, int col);
double mitsu_rows_real(const mitsu_rows *rows, int col);
const char *mitsu_rows_text(const mitsu_rows *rows, int col);
const void *mitsu_rows_blob(const mitsu_rows *rows, int col, size_t *len);
/* Frees the cursor now rather than with the request. NULL is ignored. */
void mitsu_rows_free(mitsu_rows *rows);

/* Runs a statement that returns no rows and returns the number of rows it changed (INSERT,
 * UPDATE, DELETE), or -1 on failure. Example:
 *   if (mitsu_db_exec(db, "UPDATE users SET name = ? WHERE id = ?", MITSU_TEXT(name),
 *                     MITSU_INT(id)) < 0) return -1; */
int64_t mitsu_db_execv(mitsu_db *db, const char *sql, const mitsu_value *params, size_t n);

/* Runs several statements separated by ';' without parameters (schema scripts). 0 or -1. */
int mitsu_db_script(mitsu_db *db, const char *sql);

/* Transactions. SQLite begins with BEGIN IMMEDIATE (writers queue at the start, instead of
 * failing with BUSY half-way). On PostgreSQL an error inside a transaction aborts it: every
 * later statement fails until mitsu_db_rollback. 0 or -1. */
int mitsu_db_begin(mitsu_db *db);
int mitsu_db_commit(mitsu_db *db);
int mitsu_db_rollback(mitsu_db *db);

/* The key of the last row inserted on this connection: SQLite's rowid; on PostgreSQL
 * lastval(), the last value any sequence (a serial or identity column) gave this session, so
 * call it right after the INSERT. 0 when there is none (or on failure: mitsu_db_error). Where
 * it matters, "INSERT ... RETURNING id" with mitsu_db_one is exact and works on both. */
int64_t mitsu_db_last_id(mitsu_db *db);

/* The first row of a query as a JSON object (jansson), column names as keys: INT as an
 * integer, REAL as a real, TEXT as a string (invalid UTF-8 replaced by U+FFFD), BLOB as a
 * base64 string, NULL as null. NULL when there is no row, or on failure (mitsu_db_error then
 * says so). Borrowed: it belongs to the request, so pass it to mitsu_render or mitsu_json
 * directly; to keep it in another value use json_object_set (which adds a reference), never the
 * reference-stealing *_new functions. */
struct json_t *mitsu_db_onev(mitsu_db *db, const char *sql, const mitsu_value *params,
                             size_t n);
/* Every row of a query as a JSON array of such objects (empty for no rows); NULL on failure. */
struct json_t *mitsu_db_allv(mitsu_db *db, const char *sql, const mitsu_value *params,
                             size_t n);
/* The cursor's current row as such an object (borrowed likewise); NULL without a row. */
struct json_t *mitsu_rows_json(mitsu_rows *rows);

/* Variadic forms: mitsu_db_query(db, sql, values...), with zero or more MITSU_* values. */
#define MITSU_DB__ARGS(...)                                      \
    (const mitsu_value[]){__VA_ARGS__},                          \
        (sizeof((const mitsu_value[]){__VA_ARGS__}) / sizeof(mitsu_value) - 1)
#define MITSU_DB__CALL(fn, db, sql, ...) fn((db), (sql), MITSU_DB__ARGS(__VA_ARGS__))
/* The trailing MITSU_NULL is a sentinel that keeps the list non-empty; it is not passed on. */
#define mitsu_db_query(...) MITSU_DB__CALL(mitsu_db_queryv, __VA_ARGS__, MITSU_NULL)
#define mitsu_db_exec(...) MITSU_DB__CALL(mitsu_db_execv, __VA_ARGS__, MITSU_NULL)
#define mitsu_db_one(...) MITSU_DB__CALL(mitsu_db_onev, __VA_ARGS__, MITSU_NULL)
#define mitsu_db_all(...) MITSU_DB__CALL(mitsu_db_allv, __VA_ARGS__, MITSU_NULL)

#ifdef __cplusplus
}
#endif
#endif
