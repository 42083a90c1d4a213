/* Named real/decoy pairs: per-worker connections opened on first use (so the request path takes
 * no lock), the real-or-decoy choice, refusal without a decoy, per-attacker connections. */
#include <stdlib.h>
#include <string.h>

#include "db/decoy.h"

/* A connection to one attacker's copy, kept open by one worker. */
typedef struct db_att {
    char id[33];
    uint64_t gen;
    db_conn *c;
    uint64_t used; /* the worker's tick at last use, for LRU */
} db_att;

/* One worker's connections for one pair. Written only by that worker, and aligned so that two
 * workers' slots never share a cache line. */
typedef struct db_slot {
    _Alignas(64) db_conn *real;
    db_conn *decoy;
    db_att *att;
    int natt;
    uint64_t tick;
    uint64_t epoch_seen; /* of the copies registry: a forget since means revalidate */
} db_slot;

typedef struct db_pair {
    char *name, *real, *decoy; /* decoy may be NULL */
    db_opts opts;
    db_copies *copies;         /* per_attacker only */
    db_slot *slots;
} db_pair;

struct db_pairs {
    int nworkers;
    db_opts opts;
    db_pair *pairs;
    size_t n;
};

db_pairs *db_pairs_new(int nworkers, const db_opts *o)
{
    if (nworkers < 1)
        return NULL;
    db_pairs *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nworkers = nworkers;
    if (o)
        p->opts = *o;
    else
        db_opts_defaults(&p->opts);
    return p;
}

/* Closes a connection unless a live handle still uses it; the handle's end closes it then. */
static void conn_drop(db_conn *c)
{
    if (!c)
        return;
    if (c->refs > 0)
        c->doomed = 1;
    else
        db_conn_close(c);
}

static void pair_free(db_pairs *p, db_pair *pr)
{
    for (int w = 0; pr->slots && w < p->nworkers; w++) {
        db_slot *s = &pr->slots[w];
        conn_drop(s->real);
        conn_drop(s->decoy);
        for (int i = 0; i < s->natt; i++)
            conn_drop(s->att[i].c);
        free(s->att);
    }
    free(pr->slots);
    db_copies_free(pr->copies);
    free(pr->name);
    free(pr->real);
    free(pr->decoy);
}

void db_pairs_free(db_pairs *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        pair_free(p, &p->pairs[i]);
    free(p->pairs);
    free(p);
}

static db_pair *find_pair(db_pairs *p, const char *name)
{
    for (size_t i = 0; name && i < p->n; i++)
        if (strcmp(p->pairs[i].name, name) == 0)
            return &p->pairs[i];
    return NULL;
}

static int is_memory(const char *url)
{
    const char *path = url ? db_sqlite_path(url) : NULL;
    return path && (strcmp(path, ":memory:") == 0 || strncmp(path, "file::memory:", 13) == 0);
}

int db_pairs_add(db_pairs *p, const char *name, const char *real, const char *decoy,
                 int per_attacker, const db_opts *o, char *err, size_t errlen)
{
    if (!name || !real) {
        snprintf(err, errlen, "a database pair needs a name and a real URL");
        return -1;
    }
    if (find_pair(p, name)) {
        snprintf(err, errlen, "db.%s: defined twice", name);
        return -1;
    }
    if (decoy && !*decoy)
        decoy = NULL;
    /* Every worker would get a different empty database. */
    if (is_memory(real) || is_memory(decoy)) {
        snprintf(err, errlen, "db.%s: an in-memory database cannot be shared by workers", name);
        return -1;
    }
    if (decoy && strcmp(real, decoy) == 0) {
        snprintf(err, errlen, "db.%s: real and decoy are the same database", name);
        return -1;
    }
    db_pair *l = realloc(p->pairs, (p->n + 1) * sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->pairs = l;
    db_pair *pr = &l[p->n];
    memset(pr, 0, sizeof *pr);
    pr->opts = o ? *o : p->opts;
    if (pr->opts.attacker_conns < 1)
        pr->opts.attacker_conns = 1;
    size_t slots = (size_t)p->nworkers * sizeof(db_slot);
    pr->name = strdup(name);
    pr->real = strdup(real);
    pr->decoy = decoy ? strdup(decoy) : NULL;
    pr->slots = aligned_alloc(64, (slots + 63) / 64 * 64);
    if (!pr->name || !pr->real || (decoy && !pr->decoy) || !pr->slots) {
        snprintf(err, errlen, "out of memory");
        pair_free(p, pr);
        return -1;
    }
    memset(pr->slots, 0, slots);
    char why[512];
    if (per_attacker) {
        if (!decoy) {
            snprintf(err, errlen, "db.%s: decoy_mode = per_attacker without a decoy", name);
            pair_free(p, pr);
            return -1;
        }
        if (!(pr->copies = db_copies_new(decoy, &pr->opts, why, sizeof why))) {
            snprintf(err, errlen, "db.%s: %s", name, why);
            pair_free(p, pr);
            return -1;
        }
    }
    /* Worker 0's connections now: a wrong URL or a server that is down stops the start. */
    if (!(pr->slots[0].real = db_conn_open(real, &pr->opts, why, sizeof why))) {
        snprintf(err, errlen, "db.%s: real: %s", name, why);
        pair_free(p, pr);
        return -1;
    }
    if (decoy && !(pr->slots[0].decoy = db_conn_open(decoy, &pr->opts, why, sizeof why))) {
        snprintf(err, errlen, "db.%s: decoy: %s", name, why);
        pair_free(p, pr);
        return -1;
    }
    p->n++;
    return 0;
}

db_pairs *db_pairs_open(const config *cfg, int nworkers, const db_opts *o, char *err,
                        size_t errlen)
{
    db_pairs *p = db_pairs_new(nworkers, o);
    if (!p) {
        snprintf(err, errlen, nworkers < 1 ? "no workers" : "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < config_db_count(cfg); i++) {
        const config_db *d = config_db_at(cfg, i);
        db_opts po = p->opts;
        char section[64];
        snprintf(section, sizeof section, "db.%s", d->name);
        po.max_attacker_copies = config_get_int(cfg, section, "max_attacker_copies");
        po.max_attacker_bytes = config_get_size(cfg, section, "max_attacker_bytes");
        po.attacker_copy_growth = config_get_size(cfg, section, "attacker_copy_growth");
        if (db_pairs_add(p, d->name, d->real, d->decoy,
                         d->decoy_mode == CONFIG_DECOY_PER_ATTACKER, &po, err, errlen) != 0) {
            db_pairs_free(p);
            return NULL;
        }
    }
    return p;
}

int db_pairs_check(db_pairs *p, FILE *out)
{
    int total = 0;
    for (size_t i = 0; i < p->n; i++) {
        db_pair *pr = &p->pairs[i];
        if (!pr->slots[0].decoy)
            continue;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "db.%s: ", pr->name);
        int n = db_schema_compare(pr->slots[0].real, pr->slots[0].decoy, prefix, out);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

/* The slot's connection to url, opened on first use. NULL with the reason in why. */
static db_conn *slot_conn(db_pair *pr, db_conn **slot, const char *url, char *why, size_t n)
{
    if (!*slot)
        *slot = db_conn_open(url, &pr->opts, why, n);
    return *slot;
}

/* After a forget, drops the connections to copies that no longer exist. */
static void revalidate(db_pair *pr, db_slot *s)
{
    uint64_t epoch = db_copies_epoch(pr->copies);
    if (epoch == s->epoch_seen)
        return;
    for (int i = 0; i < s->natt;) {
        if (db_copies_valid(pr->copies, s->att[i].id, s->att[i].gen)) {
            i++;
            continue;
        }
        conn_drop(s->att[i].c);
        s->att[i] = s->att[--s->natt];
    }
    s->epoch_seen = epoch;
}

/* The worker's connection to attacker id's copy. NULL with *capped = 1 when the caps forbid a
 * new copy (the caller uses the shared decoy), or NULL with the reason in why. */
static db_conn *attacker_conn(db_pair *pr, db_slot *s, const char *id,
                              int *capped, char *why, size_t n)
{
    revalidate(pr, s);
    s->tick++;
    for (int i = 0; i < s->natt; i++)
        if (memcmp(s->att[i].id, id, 33) == 0) {
            s->att[i].used = s->tick;
            return s->att[i].c;
        }
    if (!s->att && !(s->att = calloc((size_t)pr->opts.attacker_conns, sizeof *s->att))) {
        snprintf(why, n, "out of memory");
        return NULL;
    }
    uint64_t gen = 0;
    db_conn *c = db_copies_open(pr->copies, id, &gen, capped, why, n);
    if (!c)
        return NULL;
    int slot = s->natt;
    if (s->natt == pr->opts.attacker_conns) {
        slot = 0; /* full: the least recently used one goes */
        for (int i = 1; i < s->natt; i++)
            if (s->att[i].used < s->att[slot].used)
                slot = i;
        conn_drop(s->att[slot].c);
    } else {
        s->natt++;
    }
    memcpy(s->att[slot].id, id, 33);
    s->att[slot].gen = gen;
    s->att[slot].c = c;
    s->att[slot].used = s->tick;
    return c;
}

/* Which connection a request gets; see db_pairs_get. */
static db_conn *choose(db_pair *pr, db_slot *s, int decoy, const char *attacker_id, char *why,
                       size_t n)
{
    if (!decoy)
        return slot_conn(pr, &s->real, pr->real, why, n);
    if (!pr->decoy) {
        snprintf(why, n, "db.%s has no decoy: a diverted request may not use the real database",
                 pr->name);
        return NULL;
    }
    if (pr->copies && attacker_id) {
        if (!db_attacker_id_ok(attacker_id)) {
            snprintf(why, n, "db.%s: attacker id is not 32 lowercase hex digits", pr->name);
            return NULL;
        }
        int capped = 0;
        db_conn *c = attacker_conn(pr, s, attacker_id, &capped, why, n);
        if (c || !capped)
            return c;
        /* At the caps the attacker shares the decoy: still no real data, and still diverted. */
    }
    return slot_conn(pr, &s->decoy, pr->decoy, why, n);
}

mitsu_db *db_pairs_get(db_pairs *p, const char *name, int worker, int decoy,
                       const char *attacker_id, arena *a, char *why, size_t whylen)
{
    char scratch[8];
    if (!why) {
        why = scratch;
        whylen = sizeof scratch;
    }
    db_pair *pr = p ? find_pair(p, name) : NULL;
    if (!pr) {
        snprintf(why, whylen, "no database db.%s", name ? name : "(null)");
        return NULL;
    }
    if (worker < 0 || worker >= p->nworkers) {
        snprintf(why, whylen, "worker %d out of range", worker);
        return NULL;
    }
    char err[512];
    db_conn *c = choose(pr, &pr->slots[worker], decoy, attacker_id, err, sizeof err);
    if (!c) {
        snprintf(why, whylen, "%s", err);
        return NULL;
    }
    if (c->be->usable(c) != 0) {
        snprintf(why, whylen, "db.%s: %s", pr->name, c->err);
        return NULL;
    }
    mitsu_db *db = db_handle(c, a);
    if (!db)
        snprintf(why, whylen, "out of memory");
    return db;
}

int db_pairs_forget(db_pairs *p, const char *attacker_id)
{
    if (!p || !db_attacker_id_ok(attacker_id))
        return 0;
    int n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->pairs[i].copies)
            n += db_copies_forget(p->pairs[i].copies, attacker_id);
    return n;
}

void db_pairs_get_stats(db_pairs *p, db_pairs_stats *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; p && i < p->n; i++)
        if (p->pairs[i].copies)
            db_copies_stats(p->pairs[i].copies, &out->copies, &out->copies_created,
                            &out->copies_refused);
}
