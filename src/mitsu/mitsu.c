/* The composition root: mitsu_app_new builds an application from its configuration (the web
 * application, and around it the databases and the honeypot), mitsu_run runs it,
 * mitsu_app_free takes it all down. The only file that knows every layer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "honeypot/hp.h"
#include "journal/journal.h"
#include "mitsu/record.h"
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

/* sqlite:var/mitsu.db needs var/: made on first start, as an operator would expect. */
static void make_parent_dir(const char *url)
{
    if (strncmp(url, "sqlite:", 7) != 0)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s", url + 7);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0750) < 0 && errno != EEXIST)
            return;
        *p = '/';
    }
}

static void free_recorder(void *p)
{
    recorder *rec = p;
    recorder_detach(rec);
    free(rec);
}

/* The management database: verdicts come back from it, and what the honeypot sees goes to it. */
static int attach_journal(mitsu_app *app, hp_engine *hp)
{
    if (!config_get_bool(app->cfg, "honeypot", "enabled"))
        return 0;
    jr_options o;
    jr_options_from_config(app->cfg, &o);
    const char *url = config_get_str(app->cfg, "journal", "db");
    make_parent_dir(url);
    char err[512];
    jr_journal *jr = jr_open(url, &o, err, sizeof err);
    if (!jr) {
        fprintf(stderr, "mitsu: journal: %s\n", err);
        return -1;
    }
    recorder *rec = calloc(1, sizeof *rec);
    if (!rec || web_app_own(app, rec, free_recorder) < 0) {
        free(rec);
        jr_close(jr);
        return -1;
    }
    rec->jr = jr;
    if (recorder_attach(rec, jr, hp, url, config_get_str(app->cfg, "honeypot", "action"), err,
                        sizeof err) < 0) {
        fprintf(stderr, "mitsu: journal: reloading verdicts: %s\n", err);
        return -1;
    }
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
    hp_engine *hp = hp_engine_attach(app, err, sizeof err);
    if (!hp) {
        fprintf(stderr, "mitsu: honeypot: %s\n", err);
        goto fail;
    }
    if (attach_journal(app, hp) < 0)
        goto fail;
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
