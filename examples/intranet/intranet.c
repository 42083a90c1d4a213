/* intranet: the demo application that `make run` starts (scripts/run.sh). A small company
 * intranet written the way mitsu applications should be written, with a honeypot around it:
 * a login with hashed passwords, an employee list and profiles, a public staff search that is
 * DELIBERATELY open to SQL injection, an admin area, a JSON API, downloads, a form with a CSRF
 * token, and a declared page flow. Attackers the honeypot catches are served by the same
 * handlers from the decoy database, which holds nothing real.
 *
 *     build/examples/intranet [CONFIG]     run the server (default examples/intranet/intranet.ini)
 *     build/examples/intranet --init       create and seed the data directory's real database
 *
 * The data directory is $MITSU_DATA_DIR (default var/): intranet.db (real), decoy.db, mitsu.db
 * (management), files/ (downloads). Run from the repository root: templates and static files
 * are found relative to it. */
#include <jansson.h>
#include <mitsu.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intranet.h"

#define SRC_DIR "examples/intranet"
/* [trap] honey_field: the field {{mitsu.honey_field}} lays out in the forms, invisible to
 * people; the trap detector flags whoever fills it. Declared among the forms' parameters so that
 * its mere presence is expected. */
#define HONEY_FIELD "website"

static const char *data_dir = "var";

/* ---- Helpers ---------------------------------------------------------------------------- */

/* Sets ctx[key] to a string when there is one (text that is not UTF-8 is left out). */
static void set_text(json_t *ctx, const char *key, const char *value)
{
    if (value)
        json_object_set_new(ctx, key, json_string(value));
}

static int role_is(mitsu_req *req, const char *role)
{
    const char *r = mitsu_session_get(req, "role");
    return r && strcmp(r, role) == 0;
}

/* HR and admins see salaries, national ids and HR notes; everyone else does not. */
static int sees_confidential(mitsu_req *req)
{
    return role_is(req, "hr") || role_is(req, "admin");
}

/* The session's CSRF token, made on first use: a random value kept in the signed session
 * cookie and repeated in every form (the synchronizer token pattern). NULL without memory. */
static const char *csrf_token(mitsu_req *req)
{
    const char *token = mitsu_session_get(req, "csrf");
    if (token)
        return token;
    char fresh[65];
    if (random_hex(fresh, 32) < 0 || mitsu_session_set(req, "csrf", fresh) < 0)
        return NULL;
    return mitsu_session_get(req, "csrf");
}

/* 1 when the form carries the session's CSRF token. */
static int csrf_ok(mitsu_req *req)
{
    const char *want = mitsu_session_get(req, "csrf"), *got = mitsu_form(req, "csrf");
    return want && got && strlen(want) == strlen(got) &&
           CRYPTO_memcmp(want, got, strlen(want)) == 0;
}

/* 1 when this very request got its client flagged (a params hit, a failed login) after the
 * honeypot chose the database: it still runs on the real one, so it must not use it. From the
 * next request on, the client is diverted. */
static int caught_now(mitsu_req *req)
{
    return mitsu_client_state(req) == MITSU_CLIENT_ATTACKER && !mitsu_is_decoy(req);
}

/* A one-time message for the next page, in a signed cookie the client cannot forge. */
static void set_flash(mitsu_res *res, const char *message)
{
    mitsu_cookie_opts opts = {.max_age = 60, .http_only = 1};
    mitsu_set_signed_cookie(res, "flash", message, &opts);
}

/* What every page's header and footer need: title, user, role, flash message. */
static json_t *page_ctx(mitsu_req *req, mitsu_res *res, const char *title)
{
    json_t *ctx = json_pack("{s:s}", "title", title);
    if (!ctx)
        return NULL;
    set_text(ctx, "user", mitsu_session_get(req, "user"));
    set_text(ctx, "role", mitsu_session_get(req, "role"));
    json_object_set_new(ctx, "is_admin", json_boolean(role_is(req, "admin")));
    if (mitsu_cookie(req, "flash")) {
        set_text(ctx, "flash", mitsu_signed_cookie(req, "flash", 60));
        mitsu_delete_cookie(res, "flash");
    }
    return ctx;
}

/* Renders a template and releases its context. */
static int render(mitsu_res *res, int status, const char *name, json_t *ctx)
{
    if (!ctx)
        return -1;
    int rc = mitsu_render(res, status, name, ctx);
    json_decref(ctx);
    return rc;
}

static int send_json(mitsu_res *res, int status, json_t *doc)
{
    if (!doc)
        return -1;
    int rc = mitsu_json(res, status, doc);
    json_decref(doc);
    return rc;
}

/* A database failure: logged for the operator, a plain 500 for the client. */
static int db_failed(mitsu_res *res, mitsu_db *db)
{
    fprintf(stderr, "intranet: database: %s\n", mitsu_db_error(db));
    return mitsu_abort(res, 500);
}

/* ---- Queries ---------------------------------------------------------------------------- */
/* Every query binds its values (?), except the staff search below, on purpose. */

#define EMPLOYEE_PUBLIC                                                                        \
    "SELECT e.id, e.name, e.email, e.title, d.name AS department, e.phone, e.hired "          \
    "FROM employees e JOIN departments d ON d.id = e.department_id "
#define EMPLOYEE_FULL                                                                          \
    "SELECT e.id, e.name, e.email, e.title, d.name AS department, e.phone, e.hired, "         \
    "e.salary, e.national_id, e.notes "                                                        \
    "FROM employees e JOIN departments d ON d.id = e.department_id "

static json_t *employee_list(mitsu_req *req, mitsu_db *db)
{
    return sees_confidential(req) ? mitsu_db_all(db, EMPLOYEE_FULL "ORDER BY e.name")
                                  : mitsu_db_all(db, EMPLOYEE_PUBLIC "ORDER BY e.name");
}

static json_t *employee_one(mitsu_req *req, mitsu_db *db, const char *id)
{
    return sees_confidential(req)
               ? mitsu_db_one(db, EMPLOYEE_FULL "WHERE e.id = ?", MITSU_TEXT(id))
               : mitsu_db_one(db, EMPLOYEE_PUBLIC "WHERE e.id = ?", MITSU_TEXT(id));
}

/* ---- Hooks ------------------------------------------------------------------------------ */

static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Everything but the home page, the login, the public search and static files needs a
 * logged-in user: pages redirect to /login, the API answers 401. */
static int require_login(mitsu_req *req, mitsu_res *res)
{
    const char *path = mitsu_req_path(req);
    static const char *const private[] = {"/employees", "/admin", "/profile", "/files", "/api"};
    int needs = 0;
    for (size_t i = 0; i < sizeof private / sizeof private[0]; i++)
        needs |= under(path, private[i]);
    if (!needs || mitsu_session_get(req, "user"))
        return MITSU_NEXT;
    if (under(path, "/api")) {
        int rc = send_json(res, 401, json_pack("{s:s}", "error", "login required"));
        return rc < 0 ? -1 : MITSU_DONE;
    }
    return mitsu_redirect(res, 303, "/login") < 0 ? -1 : MITSU_DONE;
}

static int security_headers(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    mitsu_header(res, "X-Content-Type-Options", "nosniff");
    mitsu_header(res, "X-Frame-Options", "DENY");
    mitsu_header(res, "Referrer-Policy", "same-origin");
    return 0;
}

/* ---- Pages ------------------------------------------------------------------------------ */

static int home(mitsu_req *req, mitsu_res *res)
{
    json_t *ctx = page_ctx(req, res, "Welcome");
    if (ctx && mitsu_session_get(req, "user")) {
        mitsu_db *db = mitsu_db_get(req, "main");
        json_t *docs = mitsu_db_all(db, "SELECT name, title FROM documents ORDER BY title");
        if (docs)
            json_object_set(ctx, "documents", docs);
    }
    return render(res, 200, "home", ctx);
}

static int login_page(mitsu_req *req, mitsu_res *res, int status, const char *error)
{
    json_t *ctx = page_ctx(req, res, "Log in");
    set_text(ctx, "csrf", csrf_token(req));
    set_text(ctx, "error", error);
    set_text(ctx, "username", mitsu_form(req, "username"));
    return render(res, status, "login", ctx);
}

static int login_form(mitsu_req *req, mitsu_res *res)
{
    return login_page(req, res, 200, NULL);
}

/* A hash to verify against when the user does not exist, so that the answer takes as long
 * as for a wrong password and does not tell which user names exist. */
static char dummy_hash[PASSWORD_HASH_MAX];

static int login(mitsu_req *req, mitsu_res *res)
{
    const char *user = mitsu_form(req, "username"), *password = mitsu_form(req, "password");
    if (!csrf_ok(req)) {
        /* Refused unseen, but still a failed attempt: a password guesser that skips the
         * token is counted by the login detector like one that sends it. */
        mitsu_auth_result(req, user ? user : "", 0);
        return login_page(req, res, 403,
                          "Invalid username or password (the form had expired: try again)");
    }
    if (caught_now(req))
        return login_page(req, res, 200, "Invalid username or password");
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *row = mitsu_db_one(db, "SELECT id, password_hash, role FROM users WHERE username = ?",
                               MITSU_TEXT(user));
    if (!row && mitsu_db_error(db))
        return db_failed(res, db);
    const char *hash = json_string_value(json_object_get(row, "password_hash"));
    int ok = password_verify(password ? password : "", hash ? hash : dummy_hash) && row;
    mitsu_auth_result(req, user ? user : "", ok); /* the login detector counts failures */
    if (!ok)
        return login_page(req, res, 200, "Invalid username or password");
    const char *role = json_string_value(json_object_get(row, "role"));
    mitsu_session_clear(req); /* a fresh session at each login: no fixation */
    if (mitsu_session_set(req, "user", user) < 0 ||
        mitsu_session_set(req, "role", role ? role : "employee") < 0 ||
        !csrf_token(req))
        return -1;
    mitsu_db_exec(db, "UPDATE users SET last_login = datetime('now') WHERE id = ?",
                  MITSU_INT(json_integer_value(json_object_get(row, "id"))));
    return mitsu_redirect(res, 303, "/employees");
}

/* GET, so that a plain link logs out; the worst another site can do with it is log you out. */
static int logout(mitsu_req *req, mitsu_res *res)
{
    mitsu_session_clear(req);
    return mitsu_redirect(res, 303, "/");
}

static int employees(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *list = employee_list(req, db);
    if (!list)
        return db_failed(res, db);
    json_t *ctx = page_ctx(req, res, "Employees");
    json_object_set(ctx, "employees", list);
    json_object_set_new(ctx, "confidential", json_boolean(sees_confidential(req)));
    return render(res, 200, "employees", ctx);
}

static int employee(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *emp = employee_one(req, db, mitsu_param(req, "id"));
    if (!emp)
        return mitsu_db_error(db) ? db_failed(res, db) : mitsu_abort(res, 404);
    json_t *ctx = page_ctx(req, res, json_string_value(json_object_get(emp, "name")));
    json_object_set(ctx, "employee", emp);
    json_object_set_new(ctx, "confidential", json_boolean(sees_confidential(req)));
    return render(res, 200, "employee", ctx);
}

/* The public staff directory search, by name.
 *
 * !!! DELIBERATELY VULNERABLE: q is pasted into the SQL text, so `/search?q=x%25' UNION
 * SELECT ...` works. It is the bait of this demo: SQL injection tools find it and exploit it,
 * and the honeypot's signature detector flags the very first injection payload (by default a
 * signature hit flags and diverts the request carrying it), so all they extract is the decoy's.
 * Never write SQL like this: bind values with ?, as every other query here does. !!! */
static int search(mitsu_req *req, mitsu_res *res)
{
    const char *q = mitsu_query(req, "q");
    json_t *ctx = page_ctx(req, res, "Staff directory");
    set_text(ctx, "q", q);
    if (!ctx || !q || !*q)
        return render(res, 200, "search", ctx);
    if (caught_now(req))
        return render(res, 200, "search", ctx); /* no rows, rather than real ones */
    size_t size = strlen(q) + 256;
    char *sql = mitsu_alloc(req, size);
    if (!sql) {
        json_decref(ctx);
        return -1;
    }
    snprintf(sql, size,
             "SELECT e.id, e.name, e.title, d.name AS department FROM employees e "
             "JOIN departments d ON d.id = e.department_id WHERE e.name LIKE '%%%s%%' "
             "ORDER BY e.name LIMIT 50",
             q); /* INJECTABLE ON PURPOSE (see above) */
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *rows = mitsu_db_all(db, sql);
    if (!rows) {
        json_decref(ctx);
        return db_failed(res, db);
    }
    json_object_set(ctx, "results", rows);
    return render(res, 200, "search", ctx);
}

/* The administration page: users, API keys and the payroll. Callers check who may see it. */
static int admin_page(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *users = mitsu_db_all(db, "SELECT u.username, u.role, u.last_login, e.name "
                                     "FROM users u LEFT JOIN employees e ON e.id = u.employee_id "
                                     "ORDER BY u.username");
    json_t *keys = mitsu_db_all(db, "SELECT service, api_key FROM api_keys ORDER BY service");
    json_t *payroll = mitsu_db_all(db, EMPLOYEE_FULL "ORDER BY d.name, e.name");
    if (!users || !keys || !payroll)
        return db_failed(res, db);
    json_t *ctx = page_ctx(req, res, "Administration");
    json_object_set(ctx, "users", users);
    json_object_set(ctx, "api_keys", keys);
    json_object_set(ctx, "payroll", payroll);
    return render(res, 200, "admin", ctx);
}

static int admin(mitsu_req *req, mitsu_res *res)
{
    return role_is(req, "admin") ? admin_page(req, res) : mitsu_abort(res, 403);
}

/* What a diverted attacker gets at /admin, logged in or not: the administration page over
 * the decoy database, so that a forced way in seems to have worked. */
static int decoy_admin(mitsu_req *req, mitsu_res *res)
{
    if (!mitsu_session_get(req, "user"))
        return mitsu_redirect(res, 303, "/login");
    return admin_page(req, res);
}

/* GET /files/:name: a document listed in the database (the real one, or the decoy for an
 * attacker: no real file is ever served to one), from the data directory's files/. */
static int download(mitsu_req *req, mitsu_res *res)
{
    const char *name = mitsu_param(req, "name");
    if (!name || !*name || name[0] == '.' ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != strlen(name))
        return mitsu_abort(res, 404);
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *doc = mitsu_db_one(db, "SELECT min_role FROM documents WHERE name = ?",
                               MITSU_TEXT(name));
    if (!doc)
        return mitsu_db_error(db) ? db_failed(res, db) : mitsu_abort(res, 404);
    const char *min_role = json_string_value(json_object_get(doc, "min_role"));
    if (min_role && strcmp(min_role, "employee") != 0 && !sees_confidential(req))
        return mitsu_abort(res, 403);
    size_t size = strlen(data_dir) + strlen(name) + 16;
    char *path = mitsu_alloc(req, size), *disposition = mitsu_alloc(req, strlen(name) + 32);
    if (!path || !disposition)
        return -1;
    snprintf(path, size, "%s/files/%s", data_dir, name);
    snprintf(disposition, strlen(name) + 32, "attachment; filename=\"%s\"", name);
    mitsu_header(res, "Content-Disposition", disposition);
    if (mitsu_send_file(res, 200, "application/octet-stream", path) < 0)
        return mitsu_abort(res, 404);
    return 0;
}

/* The logged-in user's own record: GET shows the form, POST saves the phone number. */
static int profile_page(mitsu_req *req, mitsu_res *res, int status, const char *error)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *me = mitsu_db_one(db, EMPLOYEE_PUBLIC "JOIN users u ON u.employee_id = e.id "
                                                  "WHERE u.username = ?",
                              MITSU_TEXT(mitsu_session_get(req, "user")));
    if (!me)
        return mitsu_db_error(db) ? db_failed(res, db) : mitsu_abort(res, 404);
    json_t *ctx = page_ctx(req, res, "My profile");
    json_object_set(ctx, "me", me);
    set_text(ctx, "csrf", csrf_token(req));
    set_text(ctx, "error", error);
    return render(res, status, "profile", ctx);
}

static int profile(mitsu_req *req, mitsu_res *res)
{
    return profile_page(req, res, 200, NULL);
}

static int profile_save(mitsu_req *req, mitsu_res *res)
{
    if (!csrf_ok(req))
        return mitsu_abort(res, 403);
    const char *phone = mitsu_form(req, "phone");
    if (!phone || strlen(phone) > 32 || strspn(phone, "0123456789 +-().") != strlen(phone))
        return profile_page(req, res, 422, "A phone number has digits, spaces and + - ( ) only.");
    if (caught_now(req)) {
        set_flash(res, "Profile saved."); /* what it expects; nothing is written */
        return mitsu_redirect(res, 303, "/profile");
    }
    mitsu_db *db = mitsu_db_get(req, "main");
    if (mitsu_db_exec(db,
                      "UPDATE employees SET phone = ? WHERE id = "
                      "(SELECT employee_id FROM users WHERE username = ?)",
                      MITSU_TEXT(phone), MITSU_TEXT(mitsu_session_get(req, "user"))) < 0)
        return db_failed(res, db);
    set_flash(res, "Profile saved.");
    return mitsu_redirect(res, 303, "/profile");
}

/* ---- JSON API --------------------------------------------------------------------------- */

static int api_employees(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *list = employee_list(req, db);
    if (!list)
        return db_failed(res, db);
    return send_json(res, 200, json_pack("{s:O}", "employees", list));
}

static int api_employee(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *emp = employee_one(req, db, mitsu_param(req, "id"));
    if (emp)
        return mitsu_json(res, 200, emp);
    if (mitsu_db_error(db))
        return db_failed(res, db);
    return send_json(res, 404, json_pack("{s:s}", "error", "no such employee"));
}

/* ---- Errors ----------------------------------------------------------------------------- */

static int error_page(mitsu_req *req, mitsu_res *res)
{
    int status = mitsu_res_status(res);
    const char *message = status == 403   ? "You are not allowed to see this page."
                          : status == 404 ? "There is no such page on the intranet."
                          : status < 500  ? "That request could not be served."
                                          : "Something went wrong on our side.";
    json_t *ctx = page_ctx(req, res, "Error");
    json_object_set_new(ctx, "status", json_integer(status));
    set_text(ctx, "message", message);
    return render(res, status, "error", ctx);
}

/* ---- Set-up ----------------------------------------------------------------------------- */

static const struct {
    const char *method, *path;
    mitsu_handler handler;
} routes[] = {
    {"GET", "/", home},
    {"GET", "/login", login_form},
    {"POST", "/login", login},
    {"GET", "/logout", logout},
    {"GET", "/employees", employees},
    {"GET", "/employees/:id", employee},
    {"GET", "/search", search},
    {"GET", "/admin", admin},
    {"GET", "/files/:name", download},
    {"GET", "/profile", profile},
    {"POST", "/profile", profile_save},
    {"GET", "/api/employees", api_employees},
    {"GET", "/api/employees/:id", api_employee},
};

/* The page flow: which page may follow which (the transition detector). Entry pages ("*")
 * may be reached from anywhere; the others only by the links the intranet shows. */
static const char *const flow[][2] = {
    {"*", "/"},
    {"*", "/login"},
    {"*", "/employees"},
    {"*", "/search"},
    {"/", "/employees/:id"},
    {"/employees", "/employees/:id"},
    {"/search", "/employees/:id"},
    {"/admin", "/employees/:id"},
    {"/", "/files/:name"},
    {"/employees/:id", "/files/:name"},
    {"/", "/profile"},
    {"/employees", "/profile"},
    {"/employees/:id", "/profile"},
    {"/search", "/profile"},
    {"/admin", "/profile"},
    {"/", "/admin"},
    {"/employees", "/admin"},
    {"/employees/:id", "/admin"},
    {"/search", "/admin"},
    {"/profile", "/admin"},
};

/* What each route takes (the params detector): a value out of shape is a signal. */
static const mitsu_param_spec id_spec[] = {
    {.name = "id", .type = MITSU_PARAM_UINT, .max_len = 9, .required = 1}};
static const mitsu_param_spec search_spec[] = {
    {.name = "q", .type = MITSU_PARAM_PATTERN, .pattern = "[\\p{L}\\p{M} .'-]*", .max_len = 64}};
static const mitsu_param_spec login_spec[] = {
    {.name = "username", .type = MITSU_PARAM_STRING, .max_len = 64, .required = 1},
    {.name = "password", .type = MITSU_PARAM_STRING, .max_len = 256, .required = 1},
    {.name = "csrf", .type = MITSU_PARAM_PATTERN, .pattern = "[0-9a-f]{64}", .required = 1},
    {.name = HONEY_FIELD, .type = MITSU_PARAM_STRING, .max_len = 256}};
static const mitsu_param_spec profile_spec[] = {
    {.name = "phone", .type = MITSU_PARAM_STRING, .max_len = 64, .required = 1},
    {.name = "csrf", .type = MITSU_PARAM_PATTERN, .pattern = "[0-9a-f]{64}", .required = 1},
    {.name = HONEY_FIELD, .type = MITSU_PARAM_STRING, .max_len = 256}};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int declare_params(mitsu_app *app)
{
    return mitsu_params(app, "GET", "/employees/:id", id_spec, COUNT(id_spec), 0) |
           mitsu_params(app, "GET", "/api/employees/:id", id_spec, COUNT(id_spec), 0) |
           mitsu_params(app, "GET", "/search", search_spec, COUNT(search_spec), 0) |
           mitsu_params(app, "POST", "/login", login_spec, COUNT(login_spec), 0) |
           mitsu_params(app, "POST", "/profile", profile_spec, COUNT(profile_spec), 0);
}

static int setup(mitsu_app *app)
{
    for (size_t i = 0; i < COUNT(routes); i++)
        if (mitsu_route(app, routes[i].method, routes[i].path, routes[i].handler) < 0)
            return -1;
    for (size_t i = 0; i < COUNT(flow); i++)
        if (mitsu_flow(app, flow[i][0], flow[i][1]) < 0)
            return -1;
    if (declare_params(app) < 0 || mitsu_decoy_route(app, "GET", "/admin", decoy_admin) < 0 ||
        mitsu_hook(app, MITSU_BEFORE_REQUEST, require_login) < 0 ||
        mitsu_hook(app, MITSU_AFTER_REQUEST, security_headers) < 0)
        return -1;
    static const int errors[] = {400, 403, 404, 405, 500, 503};
    for (size_t i = 0; i < COUNT(errors); i++)
        if (mitsu_error_handler(app, errors[i], error_page) < 0)
            return -1;
    return 0;
}

/* The data directory decides where the databases are, unless the environment already says:
 * several demos run side by side with different MITSU_DATA_DIRs. */
static int use_data_dir(void)
{
    const char *dir = getenv("MITSU_DATA_DIR");
    if (dir && *dir)
        data_dir = dir;
    static const struct {
        const char *var, *fmt;
    } urls[] = {{"MITSU_DB_MAIN_REAL", "sqlite:%s/intranet.db"},
                {"MITSU_DB_MAIN_DECOY", "sqlite:%s/decoy.db"},
                {"MITSU_JOURNAL_DB", "sqlite:%s/mitsu.db"}};
    for (size_t i = 0; i < COUNT(urls); i++) {
        char url[4096];
        snprintf(url, sizeof url, urls[i].fmt, data_dir);
        if (setenv(urls[i].var, url, 0) < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (use_data_dir() < 0)
        return 2;
    if (argc > 1 && strcmp(argv[1], "--init") == 0)
        return intranet_init(data_dir, SRC_DIR) == 0 ? 0 : 1;
    char unused[PASSWORD_HASH_MAX];
    if (random_hex(unused, 16) < 0 || password_hash(unused, dummy_hash) < 0)
        return 2;
    mitsu_app *app = mitsu_app_new(argc > 1 ? argv[1] : SRC_DIR "/intranet.ini");
    if (!app)
        return 2; /* the problems are on stderr */
    if (setup(app) < 0) {
        mitsu_app_free(app);
        return 2;
    }
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
