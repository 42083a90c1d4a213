/* The management database's honeytokens table: the operator's tools register what `decoy init`
 * planted, and the application reads them at start for the honeytoken detector. */
#include <stdio.h>
#include <string.h>

#include "journal/internal.h"

mitsu_db *jr_open_db(const char *url, char *err, size_t n)
{
    char why[512];
    mitsu_db *db = mitsu_db_open(url, why, sizeof why);
    if (!db) {
        snprintf(err, n, "cannot open the management database: %s", why);
        return NULL;
    }
    if (jr_migrate(db, why, sizeof why) != 0) {
        snprintf(err, n, "the management database: %s", why);
        mitsu_db_close(db);
        return NULL;
    }
    return db;
}

int jr_add_honeytoken(mitsu_db *db, const char *kind, const char *value, int64_t planted_at,
                      const char *decoy)
{
    return mitsu_db_exec(db, "INSERT INTO honeytokens (kind, value, planted_at, db)"
                             " VALUES (?, ?, ?, ?)",
                         MITSU_TEXT(kind), MITSU_TEXT(value), MITSU_INT(planted_at),
                         MITSU_TEXT(decoy)) == 1 ? 0 : -1;
}

int64_t jr_forget_honeytokens(mitsu_db *db, const char *decoy)
{
    return mitsu_db_exec(db, "DELETE FROM honeytokens WHERE db = ?", MITSU_TEXT(decoy));
}

long jr_read_honeytokens(mitsu_db *db, jr_token_fn *fn, void *arg, char *err, size_t n)
{
    mitsu_rows *r = mitsu_db_query(db, "SELECT id, kind, value FROM honeytokens ORDER BY id");
    long count = 0;
    int rc = r ? 0 : -1;
    while (r && (rc = mitsu_rows_next(r)) == 1) {
        const char *kind = mitsu_rows_text(r, 1), *value = mitsu_rows_text(r, 2);
        count++;
        if (kind && value && fn(mitsu_rows_int(r, 0), kind, value, arg) != 0)
            break;
    }
    mitsu_rows_free(r);
    if (rc < 0) {
        snprintf(err, n, "reading honeytokens: %s", mitsu_db_error(db));
        return -1;
    }
    return count;
}
