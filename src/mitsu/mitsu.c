/* The composition root: mitsu_app_new builds an application from its configuration (the web
 * application, and around it the databases and the honeypot), mitsu_run runs it,
 * mitsu_app_free takes it all down. The only file that knows every layer. */
#include <stdio.h>
#include <unistd.h>

#include "db/db.h"
#include "honeypot/hp.h"
#include "web/web.h"

static void free_pairs(void *p)
{
    db_pairs_free(p);
}

/* The [db.NAME] pairs: opened, and their schemas compared, before anything is served. */
static int attach_databases(mitsu_app *app)
{
    if (config_db_count(app->cfg) == 0)
        return 0;
    int workers = app->server_cfg.workers;
    if (workers <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (int)n : 1;
    }
    char err[512];
    db_pairs *pairs = db_pairs_open(app->cfg, workers, NULL, err, sizeof err);
    if (!pairs) {
        fprintf(stderr, "mitsu: databases: %s\n", err);
        return -1;
    }
    int differences = db_pairs_check(pairs, stderr);
    if (differences != 0) {
        if (differences > 0)
            fprintf(stderr, "mitsu: the decoy schema differs from the real one (%d difference%s):"
                            " refusing to start\n", differences, differences == 1 ? "" : "s");
        db_pairs_free(pairs);
        return -1;
    }
    if (web_app_own(app, pairs, free_pairs) < 0) {
        db_pairs_free(pairs);
        return -1;
    }
    app->db_pairs = pairs;
    return 0;
}

mitsu_app *mitsu_app_new(const char *config_path)
{
    config *cfg = config_load(config_path, NULL, stderr);
    if (!cfg)
        return NULL;
    mitsu_app *app = web_app_new(cfg);
    if (!app)
        return NULL;
    if (attach_databases(app) < 0)
        goto fail;
    char err[256];
    if (!hp_engine_attach(app, err, sizeof err)) {
        fprintf(stderr, "mitsu: honeypot: %s\n", err);
        goto fail;
    }
    return app;
fail:
    web_app_free(app);
    return NULL;
}

int mitsu_run(mitsu_app *app)
{
    return web_app_run(app);
}

void mitsu_app_free(mitsu_app *app)
{
    web_app_free(app);
}
