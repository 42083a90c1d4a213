/* mitsu decoy init: a decoy made from the real schema, filled with fake rows, with honeytokens
 * planted and registered in the management database. mitsu decoy diff: what one attacker
 * changed in its private copy. The work is in src/db/decoy_*.c; this is the command line. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "db/backend.h"
#include "db/decoy_make.h"
#include "journal/journal.h"
#include "web/config.h"

#define INIT_USAGE "mitsu decoy init --from REAL --to DECOY [--rows N] [--seed N]"
#define DIFF_USAGE "mitsu decoy diff CLIENT [--config FILE]"

/* A bare path is what people type for SQLite. */
static void as_url(const char *in, char *out, size_t n)
{
    int bare = strncmp(in, "sqlite:", 7) != 0 && strncmp(in, "postgres", 8) != 0;
    snprintf(out, n, "%s%s", bare ? "sqlite:" : "", in);
}

/* The URL without its password, to print and to store (postgresql://user:pw@host/db). */
static void without_password(const char *url, char *out, size_t n)
{
    snprintf(out, n, "%s", url);
    char *scheme = strstr(out, "://");
    if (!scheme)
        return;
    char *at = strchr(scheme + 3, '@'), *colon = strchr(scheme + 3, ':');
    if (at && colon && colon < at)
        memmove(colon, at, strlen(at) + 1);
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* ---- init ------------------------------------------------------------------------------- */

typedef struct planted {
    char *kind, *value, *where, *password;
} planted;

typedef struct plant_list {
    planted *p;
    size_t n, cap;
} plant_list;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Tokens are kept until the decoy is made, then registered together: a failed init leaves
 * none behind. */
static int keep_token(void *arg, const char *kind, const char *value, const char *where,
                      const char *password)
{
    plant_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        planted *p = realloc(l->p, cap * sizeof *p);
        if (!p)
            return -1;
        l->p = p;
        l->cap = cap;
    }
    planted *t = &l->p[l->n++];
    *t = (planted){strdup(kind), strdup(value), strdup(where), dup_or_null(password)};
    return t->kind && t->value && t->where && (t->password || !password) ? 0 : -1;
}

static void free_tokens(plant_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->p[i].kind);
        free(l->p[i].value);
        free(l->p[i].where);
        free(l->p[i].password);
    }
    free(l->p);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int register_tokens(const plant_list *l, const char *journal_url, const char *decoy,
                           int force)
{
    char err[600];
    mitsu_db *db = jr_open_db(journal_url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "mitsu decoy init: %s\n", err);
        return -1;
    }
    int rc = mitsu_db_begin(db);
    if (rc == 0 && force && jr_forget_honeytokens(db, decoy) < 0)
        rc = -1;
    int64_t now = now_ms();
    for (size_t i = 0; rc == 0 && i < l->n; i++)
        rc = jr_add_honeytoken(db, l->p[i].kind, l->p[i].value, now, decoy);
    if (rc == 0)
        rc = mitsu_db_commit(db);
    if (rc != 0)
        fprintf(stderr, "mitsu decoy init: registering honeytokens: %s\n", mitsu_db_error(db));
    mitsu_db_close(db);
    return rc;
}

static void print_tokens(const plant_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const planted *t = &l->p[i];
        printf("honeytoken %s %s: %s", t->kind, t->where, t->value);
        if (t->password)
            printf(" password: %s", t->password);
        printf("\n");
    }
}

typedef struct init_args {
    const char *from, *to, *db, *config;
    long long rows, seed;
    int have_seed, force;
} init_args;

static int init_usage(const char *why)
{
    fprintf(stderr, "mitsu decoy init: %s\nusage: " INIT_USAGE " [--force] [--db URL|PATH]"
                    " [--config FILE]\n", why);
    return TOOL_USAGE;
}

static int parse_init(int argc, char **argv, init_args *a)
{
    *a = (init_args){.rows = -1};
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--force") == 0) {
            a->force = 1;
            continue;
        }
        if (!v)
            return init_usage("an option without its value, or an unknown word");
        if (strcmp(o, "--from") == 0)
            a->from = v;
        else if (strcmp(o, "--to") == 0)
            a->to = v;
        else if (strcmp(o, "--db") == 0)
            a->db = v;
        else if (strcmp(o, "--config") == 0)
            a->config = v;
        else if (strcmp(o, "--rows") == 0) {
            if (parse_int(v, 0, 10000000, &a->rows) < 0)
                return init_usage("--rows takes a number from 0 to 10000000");
        } else if (strcmp(o, "--seed") == 0) {
            if (parse_int(v, 0, INT64_MAX, &a->seed) < 0)
                return init_usage("--seed takes a non-negative number");
            a->have_seed = 1;
        } else
            return init_usage("unknown option");
        i++;
    }
    if (!a->from || !a->to)
        return init_usage("--from and --to are required");
    return 0;
}

static mitsu_db *open_side(const char *url, int must_exist, const char *what)
{
    struct stat st;
    if (must_exist && strncmp(url, "sqlite:", 7) == 0 && stat(url + 7, &st) != 0) {
        fprintf(stderr, "mitsu decoy init: no %s database at %s\n", what, url + 7);
        return NULL;
    }
    char err[512];
    mitsu_db *db = mitsu_db_open(url, err, sizeof err);
    if (!db)
        fprintf(stderr, "mitsu decoy init: the %s database: %s\n", what, err);
    return db;
}

static int decoy_init(int argc, char **argv)
{
    init_args a;
    int rc = parse_init(argc, argv, &a);
    if (rc)
        return rc;
    char real_url[1024], decoy_url[1024], shown[1024];
    as_url(a.from, real_url, sizeof real_url);
    as_url(a.to, decoy_url, sizeof decoy_url);
    without_password(decoy_url, shown, sizeof shown);
    if (!a.have_seed && getrandom(&a.seed, sizeof a.seed, 0) == (ssize_t)sizeof a.seed)
        a.seed &= INT64_MAX;
    mitsu_db *real = open_side(real_url, 1, "real");
    mitsu_db *decoy = real ? open_side(decoy_url, 0, "decoy") : NULL;
    if (!decoy) {
        mitsu_db_close(real);
        return TOOL_FAIL;
    }
    plant_list tokens = {0};
    decoy_init_opts o = {.rows = a.rows, .seed = (uint64_t)a.seed, .force = a.force,
                         .token = keep_token, .arg = &tokens, .out = stdout};
    char err[1024];
    printf("seed: %lld\n", a.seed);
    rc = db_decoy_init(real, decoy, &o, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "mitsu decoy init: %s\n", err);
    } else {
        int diffs = db_schema_compare(db_handle_conn(real), db_handle_conn(decoy), "", stderr);
        if (diffs != 0) {
            fprintf(stderr, "mitsu decoy init: the decoy's schema differs from the real one\n");
            rc = -1;
        } else {
            printf("schema check: the decoy's schema is the real one's\n");
        }
    }
    mitsu_db_close(real);
    mitsu_db_close(decoy);
    const char *jurl = tool_journal_url(a.db, a.config);
    if (rc == 0 && (rc = register_tokens(&tokens, jurl, shown, a.force)) == 0) {
        print_tokens(&tokens);
        char jshown[1024];
        without_password(jurl, jshown, sizeof jshown);
        printf("%zu honeytokens registered in %s for %s\n", tokens.n, jshown, shown);
    }
    free_tokens(&tokens);
    return rc == 0 ? TOOL_OK : TOOL_FAIL;
}

/* ---- diff ------------------------------------------------------------------------------- */

static int diff_usage(const char *why)
{
    fprintf(stderr, "mitsu decoy diff: %s\nusage: " DIFF_USAGE " [--db URL|PATH]\n", why);
    return TOOL_USAGE;
}

/* A whole session id needs no management database; anything else is looked up there. */
static int client_sid(const char *ref, const char *db_opt, const char *config_opt, char sid[33])
{
    size_t len = strlen(ref);
    if (len == 32 && strspn(ref, "0123456789abcdefABCDEF") == 32) {
        for (size_t i = 0; i <= len; i++)
            sid[i] = (char)tolower((unsigned char)ref[i]);
        return 0;
    }
    char err[600];
    mitsu_db *db = tool_open_journal(db_opt, config_opt, err, sizeof err);
    int rc = db ? tool_resolve_client(db, ref, sid, err, sizeof err) : -1;
    if (rc != 0)
        fprintf(stderr, "mitsu decoy diff: %s\n", err);
    mitsu_db_close(db);
    return rc;
}

static int diff_pair(const config_db *d, const char *sid)
{
    char path[4096], url[4200];
    struct stat st;
    if (db_attacker_copy_path(d->decoy, sid, path, sizeof path) != 0)
        return -1;
    printf("db.%s: client %s\n", d->name, sid);
    if (stat(path, &st) != 0) {
        printf("  no private copy (this client never used this database while diverted, or"
               " its record expired)\n");
        return 0;
    }
    snprintf(url, sizeof url, "sqlite:%s", path);
    char err[600];
    int n = db_decoy_diff(url, db_sqlite_path(d->decoy), stdout, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "mitsu decoy diff: db.%s: %s\n", d->name, err);
        return -1;
    }
    if (n == 0)
        printf("  no change\n");
    return 0;
}

static int decoy_diff(int argc, char **argv)
{
    const char *ref = NULL, *config_opt = NULL, *db_opt = NULL;
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--db") == 0) && i + 1 < argc) {
            *(argv[i][2] == 'c' ? &config_opt : &db_opt) = argv[i + 1];
            i++;
        } else if (argv[i][0] != '-' && !ref) {
            ref = argv[i];
        } else {
            return diff_usage("unknown option or a second CLIENT");
        }
    }
    if (!ref)
        return diff_usage("CLIENT is required");
    config *cfg = config_load(config_opt, NULL, stderr);
    if (!cfg)
        return TOOL_FAIL;
    char sid[33];
    int rc = client_sid(ref, db_opt, config_opt, sid) == 0 ? 0 : -1, pairs = 0;
    for (size_t i = 0; rc == 0 && i < config_db_count(cfg); i++) {
        const config_db *d = config_db_at(cfg, i);
        if (d->decoy_mode != CONFIG_DECOY_PER_ATTACKER || !d->decoy)
            continue;
        pairs++;
        rc = diff_pair(d, sid);
    }
    if (rc == 0 && pairs == 0) {
        fprintf(stderr, "mitsu decoy diff: no [db.NAME] with decoy_mode = per_attacker%s\n",
                config_opt ? " in the configuration" : " (give --config FILE)");
        rc = -1;
    }
    config_free(cfg);
    return rc == 0 ? TOOL_OK : TOOL_FAIL;
}

/* `mitsu decoy init --help`: the whole usage on stdout, exit 0, as every subcommand answers. */
static int asks_help(int argc, char **argv)
{
    return argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
}

int cmd_decoy(int argc, char **argv)
{
    if (asks_help(argc, argv) && strcmp(argv[1], "init") == 0) {
        printf("usage: " INIT_USAGE " [--force] [--db URL|PATH] [--config FILE]\n");
        return TOOL_OK;
    }
    if (asks_help(argc, argv) && strcmp(argv[1], "diff") == 0) {
        printf("usage: " DIFF_USAGE " [--db URL|PATH]\n");
        return TOOL_OK;
    }
    if (argc >= 2 && strcmp(argv[1], "init") == 0)
        return decoy_init(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "diff") == 0)
        return decoy_diff(argc - 1, argv + 1);
    fprintf(stderr, "usage: " INIT_USAGE "\n       " DIFF_USAGE "\n");
    return TOOL_USAGE;
}
