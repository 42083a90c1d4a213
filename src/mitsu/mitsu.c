/* The composition root: mitsu_app_new builds an application from its configuration (the web
 * application, and around it the databases and the honeypot), mitsu_run runs it,
 * mitsu_app_free takes it all down. The only file that knows every layer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "db/db.h"
#include "honeypot/honeytoken.h"
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

/* The honeytokens `mitsu decoy init` registered, for the honeytoken detector. */
typedef struct token_list {
    hp_token *t;
    size_t n, cap;
    int failed; /* out of memory: the list is partial */
} token_list;

static int collect_token(int64_t id, const char *kind, const char *value, void *arg)
{
    token_list *l = arg;
    int k = hp_token_kind_parse(kind);
    if (k < 0)
        return 0; /* a kind this mitsu does not know: a newer tool wrote it */
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        hp_token *t = realloc(l->t, cap * sizeof *t);
        if (!t)
            return l->failed = -1;
        l->t = t;
        l->cap = cap;
    }
    char *copy = strdup(value);
    if (!copy)
        return l->failed = -1;
    l->t[l->n++] = (hp_token){id, (enum hp_token_kind)k, copy};
    return 0;
}

static void token_list_free(token_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->t[i].value);
    free(l->t);
}

static int load_honeytokens(jr_journal *jr, hp_engine *hp)
{
    token_list l = {0};
    char err[512];
    long n = jr_load_honeytokens(jr, collect_token, &l, err, sizeof err);
    int rc = n < 0 || l.failed || (l.n && hp_honeytokens_install(hp, l.t, l.n) < 0) ? -1 : 0;
    if (n < 0)
        fprintf(stderr, "mitsu: journal: %s\n", err);
    token_list_free(&l);
    /* A disabled detector has nowhere to put them: not an error. */
    return n < 0 ? -1 : (rc < 0 && hp_engine_state(hp, &hp_detect_honeytoken) ? -1 : 0);
}

/* The honeytokens table changed while serving (`mitsu decoy init`): read on the follower's
 * connection and thread, and swapped in whole; no request waits for it. */
static void reload_honeytokens(mitsu_db *db, void *arg)
{
    token_list l = {0};
    char err[512];
    if (jr_read_honeytokens(db, collect_token, &l, err, sizeof err) < 0)
        fprintf(stderr, "mitsu: journal: %s (the tokens in use are kept)\n", err);
    else if (l.failed || hp_honeytokens_install(arg, l.t, l.n) < 0)
        fprintf(stderr, "mitsu: honeytokens: out of memory (the tokens in use are kept)\n");
    token_list_free(&l);
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
    rec->on_tokens = hp_engine_state(hp, &hp_detect_honeytoken) ? reload_honeytokens : NULL;
    if (recorder_attach(rec, jr, hp, url, config_get_str(app->cfg, "honeypot", "action"), err,
                        sizeof err) < 0) {
        fprintf(stderr, "mitsu: journal: reloading verdicts: %s\n", err);
        return -1;
    }
    return load_honeytokens(jr, hp);
}

static void free_admin(void *p)
{
    admin_free(p);
}

/* The admin listener, only with a token: without one there is nothing to serve it to. Bound
 * now so that a taken port shows at start-up; it serves once mitsu_run starts. */
static int attach_admin(mitsu_app *app, hp_engine *hp)
{
    const char *token = config_get_str(app->cfg, "admin", "token");
    if (!token || !*token)
        return 0;
    recorder *rec = NULL;
    for (size_t i = 0; i < app->nowned; i++)
        if (app->owned[i].free == free_recorder)
            rec = app->owned[i].p;
    admin_options o = {.listen = config_get_str(app->cfg, "admin", "listen"),
                       .token = token,
                       .db_url = rec ? config_get_str(app->cfg, "journal", "db") : NULL,
                       .hp = hp,
                       .jr = rec ? rec->jr : NULL};
    char err[512];
    admin_server *a = admin_new(&o, err, sizeof err);
    if (!a) {
        fprintf(stderr, "mitsu: admin: %s\n", err);
        return -1;
    }
    if (web_app_own(app, a, free_admin) < 0) {
        admin_free(a);
        return -1;
    }
    app->admin = a;
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
    if (attach_journal(app, hp) < 0 || attach_admin(app, hp) < 0)
        goto fail;
    return app;
fail:
    web_app_free(app);
    return NULL;
}

int mitsu_run(mitsu_app *app)
{
    if (app->admin && admin_start(app->admin) < 0) {
        fprintf(stderr, "mitsu: admin: cannot start its thread\n");
        return 1;
    }
    int rc = web_app_run(app);
    admin_stop(app->admin); /* stops with the application, on the application's SIGTERM */
    return rc;
}

void mitsu_app_free(mitsu_app *app)
{
    web_app_free(app);
}
