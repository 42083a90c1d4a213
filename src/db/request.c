/* mitsu_db_get: a request's database handle, real or decoy as the honeypot decided. A
 * diverted request that would need real data is refused (503) and never gets it. */
#include <stdio.h>

#include "db/db.h"
#include "web/web.h"

mitsu_db *mitsu_db_get(mitsu_req *req, const char *name)
{
    db_pairs *pairs = req->app->db_pairs;
    if (!pairs || !name) {
        req->unavailable = 1;
        return NULL;
    }
    char why[256] = "";
    mitsu_db *db = db_pairs_get(pairs, name, http_worker_index(req->ex->worker), req->decoy,
                                req->client_id[0] ? req->client_id : NULL, req->ex->arena, why,
                                sizeof why);
    if (!db) {
        req->unavailable = 1;
        fprintf(stderr, "mitsu: database %s unavailable for %s %s: %s\n", name,
                req->decoy ? "a diverted request to" : "a request to", mitsu_req_path(req), why);
    }
    return db;
}
