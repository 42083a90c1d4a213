/* Bench application equal to the paper's prototype (shared/reference/paper-prototype): a
 * management-database look-up of the client per request in a before hook, 4xx counting in an
 * after hook, and an item route reading the real or the decoy database. Run against the same
 * SQLite files as the prototype (PAPER_DIR), with mitsu's honeypot on. */
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { THRESHOLD = 5 };

static char mgmt_url[1200];
static _Thread_local mitsu_db *mgmt; /* one connection per worker thread, as in the prototype */

static mitsu_db *mgmt_db(void)
{
    if (!mgmt) {
        char err[256];
        mgmt = mitsu_db_open(mgmt_url, err, sizeof err);
        if (!mgmt)
            fprintf(stderr, "paper: %s\n", err);
    }
    return mgmt;
}

static int lookup_client(mitsu_req *req, mitsu_res *res)
{
    (void)res;
    mitsu_rows *r = mitsu_db_query(mgmt_db(), "SELECT status FROM clients WHERE ip = ?",
                                   MITSU_TEXT(mitsu_client_ip(req)));
    if (r && mitsu_rows_next(r) == 1 && strcmp(mitsu_rows_text(r, 0), "attacker") == 0)
        mitsu_flag(req, "management database says attacker", 0);
    mitsu_rows_free(r);
    return MITSU_NEXT;
}

static int count_4xx(mitsu_req *req, mitsu_res *res)
{
    int status = mitsu_res_status(res);
    if (status < 400 || status >= 500)
        return 0;
    mitsu_db *db = mgmt_db();
    const char *ip = mitsu_client_ip(req);
    mitsu_db_exec(db, "INSERT INTO clients(ip, status, err_count) VALUES (?, 'normal', 1) "
                      "ON CONFLICT(ip) DO UPDATE SET err_count = err_count + 1", MITSU_TEXT(ip));
    mitsu_db_exec(db, "UPDATE clients SET status = 'attacker' WHERE ip = ? AND err_count >= ?",
                  MITSU_TEXT(ip), MITSU_INT(THRESHOLD));
    return 0;
}

static int hello(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, "Hello, World!");
}

static int item(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    mitsu_rows *r = mitsu_db_query(db, "SELECT name, secret FROM items WHERE id = ?",
                                   MITSU_TEXT(mitsu_param(req, "id")));
    if (!r || mitsu_rows_next(r) != 1)
        return mitsu_abort(res, 404);
    char text[256];
    snprintf(text, sizeof text, "%s %s\n", mitsu_rows_text(r, 0), mitsu_rows_text(r, 1));
    return mitsu_text(res, 200, text);
}

int main(void)
{
    const char *dir = getenv("PAPER_DIR");
    if (!dir) {
        fprintf(stderr, "paper: set PAPER_DIR (made by seed_app.py --init DIR)\n");
        return 2;
    }
    char real[1100], decoy[1100];
    snprintf(mgmt_url, sizeof mgmt_url, "sqlite:%s/mgmt.db", dir);
    snprintf(real, sizeof real, "sqlite:%s/real.db", dir);
    snprintf(decoy, sizeof decoy, "sqlite:%s/decoy.db", dir);
    setenv("MITSU_DB_MAIN_REAL", real, 1);
    setenv("MITSU_DB_MAIN_DECOY", decoy, 1);
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    mitsu_hook(app, MITSU_BEFORE_REQUEST, lookup_client);
    mitsu_hook(app, MITSU_AFTER_REQUEST, count_4xx);
    mitsu_get(app, "/", hello);
    mitsu_get(app, "/item/:id", item);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
