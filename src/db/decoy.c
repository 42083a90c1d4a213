/* decoy_mode = per_attacker: each attacker gets a private copy of an SQLite decoy, made with
 * the backup API on first use, kept in DECOY.attackers/ID.db, capped in number and total size,
 * and removed when the honeypot forgets the attacker. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/decoy.h"

typedef struct db_copy {
    char id[33];
    uint64_t gen;
    uint64_t base; /* its size when made (or found at start): it may grow so far past that */
} db_copy;

struct db_copies {
    pthread_mutex_t lock; /* guards everything below but epoch */
    char *decoy;          /* the decoy's path */
    char *dir;            /* DECOY.attackers */
    db_opts opts;
    db_copy *list;
    size_t n, cap;
    uint64_t next_gen;
    sqlite3 *src; /* read connection to the decoy, the source of every copy */
    int64_t created, refused;
    _Atomic uint64_t epoch;
};

int db_attacker_id_ok(const char *id)
{
    if (!id)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return id[32] == '\0';
}

int db_attacker_copy_path(const char *decoy_url, const char *id, char *out, size_t n)
{
    const char *path = db_sqlite_path(decoy_url);
    if (!path || !*path || !db_attacker_id_ok(id))
        return -1;
    int len = snprintf(out, n, "%s.attackers/%s.db", path, id);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

static char *copy_path(const db_copies *cp, const char *id, const char *suffix)
{
    char *p = NULL;
    return asprintf(&p, "%s/%s.db%s", cp->dir, id, suffix) < 0 ? NULL : p;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int add_entry(db_copies *cp, const char *id)
{
    if (cp->n == cp->cap) {
        size_t cap = cp->cap ? 2 * cp->cap : 16;
        db_copy *l = realloc(cp->list, cap * sizeof *l);
        if (!l)
            return -1;
        cp->list = l;
        cp->cap = cap;
    }
    memcpy(cp->list[cp->n].id, id, 33);
    cp->list[cp->n].gen = ++cp->next_gen;
    cp->list[cp->n].base = 0;
    cp->n++;
    return 0;
}

static db_copy *find_entry(db_copies *cp, const char *id)
{
    for (size_t i = 0; i < cp->n; i++)
        if (memcmp(cp->list[i].id, id, 33) == 0)
            return &cp->list[i];
    return NULL;
}

/* Takes in the copies a previous run left, and removes half-made ones (*.tmp-*). */
static void scan_dir(db_copies *cp)
{
    DIR *d = opendir(cp->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        char id[33];
        size_t len = strlen(e->d_name);
        if (len == 35 && strcmp(e->d_name + 32, ".db") == 0) {
            memcpy(id, e->d_name, 32);
            id[32] = '\0';
            if (db_attacker_id_ok(id) && !find_entry(cp, id) && add_entry(cp, id) == 0) {
                char *p = copy_path(cp, id, "");
                cp->list[cp->n - 1].base = p ? file_size(p) : 0;
                free(p);
            }
        } else if (strstr(e->d_name, ".tmp-")) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
}

db_copies *db_copies_new(const char *decoy_url, const db_opts *o, char *err, size_t errlen)
{
    const char *path = db_sqlite_path(decoy_url);
    if (!path || !*path || strcmp(path, ":memory:") == 0) {
        snprintf(err, errlen, "decoy_mode = per_attacker needs an sqlite: decoy file");
        return NULL;
    }
    db_copies *cp = calloc(1, sizeof *cp);
    if (!cp || !(cp->decoy = strdup(path)) || asprintf(&cp->dir, "%s.attackers", path) < 0) {
        if (cp)
            free(cp->decoy);
        free(cp); /* the lock is not initialized yet */
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&cp->lock, NULL);
    if (o)
        cp->opts = *o;
    else
        db_opts_defaults(&cp->opts);
    if (mkdir(cp->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", cp->dir, strerror(errno));
        db_copies_free(cp);
        return NULL;
    }
    scan_dir(cp);
    return cp;
}

void db_copies_free(db_copies *cp)
{
    if (!cp)
        return;
    if (cp->src)
        sqlite3_close_v2(cp->src);
    pthread_mutex_destroy(&cp->lock);
    free(cp->list);
    free(cp->dir);
    free(cp->decoy);
    free(cp);
}

/* What the copies take on disk now (they grow as attackers write), with their journals. */
static uint64_t copies_size(db_copies *cp)
{
    uint64_t total = 0;
    for (size_t i = 0; i < cp->n; i++) {
        static const char *const parts[] = {"", "-journal", "-wal"};
        for (size_t k = 0; k < 3; k++) {
            char *p = copy_path(cp, cp->list[i].id, parts[k]);
            if (p)
                total += file_size(p);
            free(p);
        }
    }
    return total;
}

/* Copies the decoy to final, atomically: the backup goes to a temporary file that is then
 * linked into place, so no one ever opens half a copy, and if another process made the copy
 * first, link fails with EEXIST and that copy is used. The copy keeps a rollback journal
 * rather than WAL: a connection left open to a forgotten copy would, closing, delete the WAL
 * file by name, which may by then belong to a new copy for the same attacker. */
static int make_copy(db_copies *cp, const char *final, char *err, size_t errlen)
{
    if (!cp->src) {
        /* Read-write (never create) although it only reads: a read-only connection cannot set
         * up the WAL index of a decoy that no one else has open. */
        int rc = sqlite3_open_v2(cp->decoy, &cp->src, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 NULL);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "decoy %s: %s", cp->decoy,
                     cp->src ? sqlite3_errmsg(cp->src) : sqlite3_errstr(rc));
            sqlite3_close_v2(cp->src);
            cp->src = NULL;
            return -1;
        }
        sqlite3_busy_timeout(cp->src, cp->opts.busy_timeout_ms);
    }
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp-%ld-%lu", final, (long)getpid(), (unsigned long)pthread_self()) <
        0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sqlite3 *dst = NULL;
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(dst, cp->opts.busy_timeout_ms);
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", cp->src, "main");
        if (!b)
            rc = sqlite3_errcode(dst);
        else {
            rc = sqlite3_backup_step(b, -1);
            int fin = sqlite3_backup_finish(b);
            rc = rc == SQLITE_DONE ? fin : rc;
        }
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        snprintf(err, errlen, "copy of the decoy: %s", dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
    sqlite3_close_v2(dst);
    if (rc == SQLITE_OK && link(tmp, final) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", final, strerror(errno));
        rc = SQLITE_ERROR;
    }
    unlink(tmp);
    free(tmp);
    return rc == SQLITE_OK ? 0 : -1;
}

/* An attacker may write to a copy, but only so much, so as not to fill the disk: writes past
 * base + attacker_copy_growth fail with "database or disk is full". PRAGMA takes no bound
 * values; the page count is our own number. */
static void cap_growth(db_copies *cp, db_conn *c, uint64_t base)
{
    int64_t page = 4096;
    sqlite3_stmt *ps = NULL;
    if (sqlite3_prepare_v2(c->sq, "PRAGMA page_size", -1, &ps, NULL) == SQLITE_OK &&
        sqlite3_step(ps) == SQLITE_ROW && sqlite3_column_int64(ps, 0) > 0)
        page = sqlite3_column_int64(ps, 0);
    sqlite3_finalize(ps);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA max_page_count = %llu",
             (unsigned long long)((base + cp->opts.attacker_copy_growth) / (uint64_t)page + 1));
    sqlite3_exec(c->sq, pragma, NULL, NULL, NULL);
}

db_conn *db_copies_open(db_copies *cp, const char *id, uint64_t *gen, int *capped, char *err,
                        size_t errlen)
{
    *capped = 0;
    db_conn *c = NULL;
    char *path = copy_path(cp, id, "");
    char *url = NULL;
    if (!path || asprintf(&url, "sqlite:%s", path) < 0) {
        free(path);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_lock(&cp->lock);
    db_copy *e = find_entry(cp, id);
    if (!e) {
        if ((int64_t)cp->n >= cp->opts.max_attacker_copies ||
            copies_size(cp) + file_size(cp->decoy) > cp->opts.max_attacker_bytes) {
            cp->refused++;
            *capped = 1;
            snprintf(err, errlen, "per-attacker copies at their cap");
            goto out;
        }
        if (make_copy(cp, path, err, errlen) != 0)
            goto out;
        if (add_entry(cp, id) != 0) {
            unlink(path);
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        cp->created++;
        e = &cp->list[cp->n - 1];
        e->base = file_size(path);
    }
    /* Opened under the lock, and never created: a forget in between cannot leave us an empty
     * new file in place of the copy. */
    c = db_conn_open_flags(url, &cp->opts, DB_OPEN_EXISTING | DB_OPEN_ROLLBACK, err, errlen);
    if (c) {
        *gen = e->gen;
        cap_growth(cp, c, e->base);
    }
out:
    pthread_mutex_unlock(&cp->lock);
    free(url);
    free(path);
    return c;
}

uint64_t db_copies_epoch(db_copies *cp)
{
    return atomic_load_explicit(&cp->epoch, memory_order_acquire);
}

int db_copies_valid(db_copies *cp, const char *id, uint64_t gen)
{
    pthread_mutex_lock(&cp->lock);
    db_copy *e = find_entry(cp, id);
    int ok = e && e->gen == gen;
    pthread_mutex_unlock(&cp->lock);
    return ok;
}

int db_copies_forget(db_copies *cp, const char *id)
{
    static const char *const parts[] = {"", "-journal", "-wal", "-shm"};
    pthread_mutex_lock(&cp->lock);
    int removed = 0;
    db_copy *e = find_entry(cp, id);
    if (e) {
        *e = cp->list[--cp->n];
        removed = 1;
    }
    /* The file goes even when this process did not know it (another instance made it). */
    for (size_t k = 0; k < 4; k++) {
        char *p = copy_path(cp, id, parts[k]);
        if (p && unlink(p) == 0 && k == 0)
            removed = 1;
        free(p);
    }
    atomic_fetch_add_explicit(&cp->epoch, 1, memory_order_release);
    pthread_mutex_unlock(&cp->lock);
    return removed;
}

void db_copies_stats(db_copies *cp, int64_t *copies, int64_t *created, int64_t *refused)
{
    pthread_mutex_lock(&cp->lock);
    *copies += (int64_t)cp->n;
    *created += cp->created;
    *refused += cp->refused;
    pthread_mutex_unlock(&cp->lock);
}
