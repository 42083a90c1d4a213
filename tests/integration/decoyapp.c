/* The application test_decoy.py drives: a login that checks Django-style PBKDF2 hashes and
 * reports the outcome (mitsu_auth_result), an API authenticated by a bearer key, and pages that
 * read [db.main] (the real database, or the decoy for a diverted attacker). */
#include <jansson.h>
#include <mitsu.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pbkdf2_sha256$ITER$SALT$BASE64(HASH) */
static int password_ok(const char *stored, const char *password)
{
    int iter;
    char salt[128], want[128], got[64];
    if (!stored || !password ||
        sscanf(stored, "pbkdf2_sha256$%d$%127[^$]$%127s", &iter, salt, want) != 3 || iter < 1)
        return 0;
    unsigned char dk[32];
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (unsigned char *)salt,
                          (int)strlen(salt), iter, EVP_sha256(), 32, dk) != 1)
        return 0;
    EVP_EncodeBlock((unsigned char *)got, dk, 32);
    return strlen(got) == strlen(want) && CRYPTO_memcmp(got, want, strlen(want)) == 0;
}

static int login(mitsu_req *req, mitsu_res *res)
{
    const char *user = mitsu_form(req, "username"), *password = mitsu_form(req, "password");
    mitsu_db *db = mitsu_db_get(req, "main");
    mitsu_rows *r = mitsu_db_query(db, "SELECT password_hash FROM users WHERE username = ?",
                                   MITSU_TEXT(user));
    int ok = r && mitsu_rows_next(r) == 1 && password_ok(mitsu_rows_text(r, 0), password);
    mitsu_rows_free(r);
    mitsu_auth_result(req, user ? user : "", ok);
    return mitsu_text(res, 200, ok ? "welcome\n" : "Invalid username or password\n");
}

/* A proxy's single sign-on: the user name arrives in a header the honeytoken detector does not
 * read itself, so only mitsu_auth_result can see it. */
static int sso(mitsu_req *req, mitsu_res *res)
{
    const char *user = mitsu_req_header(req, "X-Remote-User");
    mitsu_auth_result(req, user ? user : "", 0);
    return mitsu_text(res, 200, "Invalid username or password\n");
}

static int me(mitsu_req *req, mitsu_res *res)
{
    const char *auth = mitsu_req_header(req, "Authorization");
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return mitsu_abort(res, 401);
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *row = mitsu_db_one(db, "SELECT id, username FROM users WHERE api_key = ?",
                               MITSU_TEXT(auth + 7));
    if (!row)
        return mitsu_abort(res, mitsu_db_error(db) ? 500 : 401);
    return mitsu_json(res, 200, row);
}

static int employees(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *rows = mitsu_db_all(db, "SELECT id, first_name, last_name, email, notes"
                                    " FROM employees ORDER BY id");
    return rows ? mitsu_json(res, 200, rows) : -1;
}

static int search(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    json_t *rows = mitsu_db_all(db, "SELECT id, email FROM employees WHERE email = ?",
                                MITSU_TEXT(mitsu_query(req, "email")));
    return rows ? mitsu_json(res, 200, rows) : -1;
}

static int raise_salary(mitsu_req *req, mitsu_res *res)
{
    mitsu_db *db = mitsu_db_get(req, "main");
    if (mitsu_db_exec(db, "UPDATE employees SET notes = ? WHERE id = ?",
                      MITSU_TEXT(mitsu_form(req, "notes")), MITSU_TEXT(mitsu_param(req, "id"))) < 0)
        return mitsu_abort(res, 400);
    return mitsu_text(res, 200, "saved\n");
}

static int state(mitsu_req *req, mitsu_res *res)
{
    static const char *const names[] = {"unknown", "normal", "attacker", "released"};
    char text[64];
    snprintf(text, sizeof text, "%s %s\n", names[mitsu_client_state(req)],
             mitsu_is_decoy(req) ? "decoy" : "real");
    return mitsu_text(res, 200, text);
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(getenv("DECOYAPP_CONFIG"));
    if (!app)
        return 2;
    mitsu_post(app, "/login", login);
    mitsu_get(app, "/api/me", me);
    mitsu_post(app, "/sso", sso);
    mitsu_get(app, "/employees", employees);
    mitsu_get(app, "/search", search);
    mitsu_post(app, "/employees/:id", raise_salary);
    mitsu_get(app, "/state", state);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
