/* A stand-in for examples/intranet, built to the demo's route contract, so that the evaluation
 * (scripts/eval.py) can be tested with the real attack tools without the demo. Started by
 * tests/integration/evalapp/run.sh, which seeds its real and decoy databases. */
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text with the five HTML metacharacters escaped, in request memory. */
static const char *esc(mitsu_req *req, const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += strchr("<>&\"'", *p) ? 6 : 1;
    char *out = mitsu_alloc(req, n + 1), *o = out;
    if (!out)
        return "";
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '<': o += sprintf(o, "&lt;"); break;
        case '>': o += sprintf(o, "&gt;"); break;
        case '&': o += sprintf(o, "&amp;"); break;
        case '"': o += sprintf(o, "&#34;"); break;
        case '\'': o += sprintf(o, "&#39;"); break;
        default: *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

/* A page: a title, a menu with the links a crawler follows, and the body given. */
static int page(mitsu_req *req, mitsu_res *res, int status, const char *title, const char *body)
{
    const char *fmt = "<!doctype html><html><head><title>%s</title>"
                      "<link rel=\"stylesheet\" href=\"/static/site.css\"></head><body>"
                      "<nav><a href=\"/\">Home</a> <a href=\"/employees\">Employees</a> "
                      "<a href=\"/search?q=a\">Directory</a> <a href=\"/login\">Log in</a> "
                      "<a href=\"/logout\">Log out</a></nav><h1>%s</h1>%s</body></html>";
    size_t n = strlen(fmt) + 2 * strlen(title) + strlen(body) + 1;
    char *html = mitsu_alloc(req, n);
    if (!html)
        return -1;
    snprintf(html, n, fmt, title, title, body);
    return mitsu_html(res, status, html);
}

/* Rows as an HTML list: each row's columns joined with " | ", each linked when it has an id. */
static const char *rows_html(mitsu_req *req, mitsu_rows *rows)
{
    size_t cap = 4096, len = 0;
    char *out = mitsu_alloc(req, cap);
    if (!out)
        return "";
    len += (size_t)snprintf(out, cap, "<ul>");
    while (rows && mitsu_rows_next(rows) == 1 && len + 600 < cap) {
        len += (size_t)snprintf(out + len, cap - len, "<li>");
        for (int c = 0; c < mitsu_rows_columns(rows); c++) {
            const char *v = mitsu_rows_text(rows, c);
            len += (size_t)snprintf(out + len, cap - len, "%s%.200s", c ? " | " : "",
                                    esc(req, v ? v : ""));
        }
        len += (size_t)snprintf(out + len, cap - len, "</li>");
    }
    snprintf(out + len, cap - len, "</ul>");
    return out;
}

static int home(mitsu_req *req, mitsu_res *res)
{
    return page(req, res, 200, "Intranet",
                "<p>Welcome. <a href=\"/search?q=smith\">Find a colleague</a>, "
                "<a href=\"/employees/1\">your profile</a>.</p>");
}

static int login_form(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return page(req, res, 200, "Log in",
                "<form method=\"post\" action=\"/login\"><input name=\"username\">"
                "<input name=\"password\" type=\"password\">"
                "<input type=\"hidden\" name=\"csrf\" value=\"x\">"
                "<button>Log in</button></form>");
}

static int login(mitsu_req *req, mitsu_res *res)
{
    const char *user = mitsu_form(req, "username");
    const char *password = mitsu_form(req, "password");
    const char *want = getenv("EVALAPP_PASSWORD");
    int ok = user && password && want && strcmp(user, "alice") == 0 && strcmp(password, want) == 0;
    mitsu_auth_result(req, user, ok);
    if (!ok)
        return page(req, res, 200, "Log in",
                    "<p>Invalid username or password</p><form method=\"post\" action=\"/login\">"
                    "<input name=\"username\"><input name=\"password\" type=\"password\"></form>");
    mitsu_session_set(req, "user", user);
    return mitsu_redirect(res, 303, "/employees");
}

static int logout(mitsu_req *req, mitsu_res *res)
{
    mitsu_session_clear(req);
    return mitsu_redirect(res, 303, "/");
}

static int employees(mitsu_req *req, mitsu_res *res)
{
    if (!mitsu_session_get(req, "user"))
        return mitsu_redirect(res, 303, "/login");
    mitsu_db *db = mitsu_db_get(req, "main");
    mitsu_rows *rows = mitsu_db_query(db, "SELECT id, name, dept, salary FROM employees");
    const char *list = rows_html(req, rows);
    mitsu_rows_free(rows);
    return page(req, res, 200, "Employees", list);
}

static int employee(mitsu_req *req, mitsu_res *res)
{
    if (!mitsu_session_get(req, "user"))
        return mitsu_redirect(res, 303, "/login");
    mitsu_db *db = mitsu_db_get(req, "main");
    mitsu_rows *rows = mitsu_db_query(db, "SELECT name, dept, salary FROM employees WHERE id = ?",
                                      MITSU_TEXT(mitsu_param(req, "id")));
    const char *list = rows_html(req, rows);
    mitsu_rows_free(rows);
    return page(req, res, 200, "Profile", list);
}

/* DELIBERATELY SQL-injectable (string concatenation), as the demo's search is: the evaluation
 * shows that sqlmap exploiting it only ever reads the decoy. Never write SQL like this. */
static int search(mitsu_req *req, mitsu_res *res)
{
    const char *q = mitsu_query(req, "q");
    q = q ? q : "";
    const char *pre = "SELECT name, dept FROM employees WHERE name LIKE '%";
    size_t n = strlen(pre) + strlen(q) + 3;
    char *sql = mitsu_alloc(req, n);
    if (!sql)
        return -1;
    snprintf(sql, n, "%s%s%%'", pre, q);
    mitsu_rows *rows = mitsu_db_query(mitsu_db_get(req, "main"), sql);
    const char *list = rows ? rows_html(req, rows) : "<p>No match.</p>";
    mitsu_rows_free(rows);
    return page(req, res, 200, "Staff directory", list);
}

static int stylesheet(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_send(res, 200, "text/css", "body{font-family:sans-serif}", 28);
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    if (mitsu_get(app, "/", home) < 0 || mitsu_get(app, "/login", login_form) < 0 ||
        mitsu_post(app, "/login", login) < 0 || mitsu_get(app, "/logout", logout) < 0 ||
        mitsu_get(app, "/employees", employees) < 0 ||
        mitsu_get(app, "/employees/:id", employee) < 0 || mitsu_get(app, "/search", search) < 0 ||
        mitsu_get(app, "/static/site.css", stylesheet) < 0) {
        mitsu_app_free(app);
        return 2;
    }
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
