/* The application the database-safety tests drive: every kind of read and write on [db.main],
 * written once, run against the real database for normal clients and the decoy for attackers. */
#include <jansson.h>
#include <mitsu.h>
#include <stdlib.h>

static int list(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *rows = mitsu_db_all(db, "SELECT id, name, salary, note FROM employees ORDER BY id");
    return rows ? mitsu_json(res, 200, rows) : -1;
}

static int show(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *row = mitsu_db_one(db, "SELECT id, name, salary, note FROM employees WHERE id = ?",
                               MITSU_TEXT(mitsu_param(req, "id")));
    if (!row)
        return mitsu_abort(res, mitsu_db_error(db) ? 500 : 404);
    return mitsu_json(res, 200, row);
}

static int search(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *rows = mitsu_db_all(db, "SELECT id, name FROM employees WHERE name LIKE '%' || ? || '%'",
                                MITSU_TEXT(mitsu_query(req, "q")));
    return rows ? mitsu_json(res, 200, rows) : -1;
}

static int create(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    if (mitsu_db_exec(db, "INSERT INTO employees (name, salary, note) VALUES (?, ?, ?)",
                      MITSU_TEXT(mitsu_form(req, "name")), MITSU_TEXT(mitsu_form(req, "salary")),
                      MITSU_TEXT(mitsu_form(req, "note"))) < 0)
        return mitsu_abort(res, 400);
    return mitsu_redirect(res, 303, "/employees");
}

static int update(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    mitsu_db_begin(db);
    int64_t n = mitsu_db_exec(db, "UPDATE employees SET salary = ? WHERE id = ?",
                              MITSU_TEXT(mitsu_form(req, "salary")),
                              MITSU_TEXT(mitsu_param(req, "id")));
    if (n < 0 || mitsu_db_commit(db) < 0)
        return mitsu_abort(res, 400);
    return mitsu_redirect(res, 303, "/employees");
}

static int destroy(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    if (mitsu_db_exec(db, "DELETE FROM employees WHERE id = ?", MITSU_TEXT(mitsu_param(req, "id"))) < 0)
        return mitsu_abort(res, 400);
    return mitsu_redirect(res, 303, "/employees");
}

static int wipe(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    if (mitsu_db_script(db, "DELETE FROM employees; CREATE TABLE IF NOT EXISTS pwned (x TEXT)") < 0)
        return -1;
    return mitsu_text(res, 200, "wiped\n");
}

static int flag(mitsu_req *req, mitsu_res *res)
{
    mitsu_flag(req, "test: flagged on purpose", 0);
    return mitsu_text(res, 200, "flagged\n");
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(getenv("DBAPP_CONFIG"));
    if (!app)
        return 2;
    mitsu_get(app, "/employees", list);
    mitsu_get(app, "/employees/:id", show);
    mitsu_get(app, "/search", search);
    mitsu_post(app, "/employees", create);
    mitsu_post(app, "/employees/:id", update);
    mitsu_post(app, "/employees/:id/delete", destroy);
    mitsu_post(app, "/wipe", wipe);
    mitsu_get(app, "/flag", flag);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
