/* The honeypot's client table (contract in client.h): shards of records indexed by session id,
 * IP entries indexed by address, a CLOCK hand for eviction under the cap, and the path table. */
#include "honeypot/client.h"

#include "base/lock.h"
#include "base/siphash.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

const char *const hp_client_state_names[HP_CLIENT_STATE__MAX] = {
    [HP_CLIENT_NORMAL] = "normal",
    [HP_CLIENT_ATTACKER] = "attacker",
    [HP_CLIENT_RELEASED] = "released",
};

/* The table's flag bits of hp_client.flags. */
#define F_REF 0x40  /* CLOCK: used again since the hand last passed it */
#define F_FREE 0x80 /* a free slot of the slab, skipped by the hand and the walks */
#define F_PUBLIC (HP_CLIENT_CONFIRMED | HP_CLIENT_MOVED)

/* An address leads to the client with this id. link: the next entry of the hash chain (bits
 * 0-30) and, in bit 31, "the client was an attacker when pointed at", so that an attacker's
 * address is not taken over by a normal client without a look at the client (another lock). */
typedef struct ip_entry {
    uint8_t ip[HP_IP_LEN];
    uint8_t sid[HP_SID_LEN];
    uint32_t link;
} ip_entry;
static_assert(sizeof(ip_entry) == 36, "the per-client budget counts 36 bytes per IP entry");
#define IP_ATTACKER 0x80000000u
#define IP_NEXT 0x7fffffffu

/* ---- Slabs: fixed-size records in chunks, named by a 1-based 31-bit index -----------------
 * Indexes instead of pointers halve the links, chunks keep records in place (no realloc of a
 * big array under a lock) and waste at most one chunk per shard. 0 is "none", so buckets
 * from calloc are empty. */

#define CHUNK_BITS 6
#define CHUNK (1u << CHUNK_BITS)

typedef struct slab {
    unsigned char **chunks;
    uint32_t nchunks, cap; /* chunks allocated, pointer slots */
    uint32_t hi;           /* indexes 1..hi have been handed out */
    uint32_t free;         /* free list, through each element's link */
    uint32_t size, link_off;
} slab;

static void *slab_at(const slab *s, uint32_t i)
{
    i--;
    return s->chunks[i >> CHUNK_BITS] + (size_t)(i & (CHUNK - 1)) * s->size;
}

static uint32_t *slab_link(const slab *s, uint32_t i)
{
    return (uint32_t *)((unsigned char *)slab_at(s, i) + s->link_off);
}

static uint32_t slab_alloc(slab *s)
{
    if (s->free) {
        uint32_t i = s->free;
        s->free = *slab_link(s, i);
        return i;
    }
    if (s->hi >= IP_NEXT)
        return 0;
    if ((s->hi >> CHUNK_BITS) == s->nchunks) {
        if (s->nchunks == s->cap) {
            uint32_t cap = s->cap ? 2 * s->cap : 16;
            unsigned char **p = realloc(s->chunks, cap * sizeof *p);
            if (!p)
                return 0;
            s->chunks = p;
            s->cap = cap;
        }
        unsigned char *c = malloc((size_t)CHUNK * s->size);
        if (!c)
            return 0;
        s->chunks[s->nchunks++] = c;
    }
    return ++s->hi;
}

static void slab_free(slab *s, uint32_t i)
{
    *slab_link(s, i) = s->free;
    s->free = i;
}

static size_t slab_bytes(const slab *s)
{
    return (size_t)s->nchunks * CHUNK * s->size + s->cap * sizeof *s->chunks;
}

static void slab_destroy(slab *s)
{
    for (uint32_t i = 0; i < s->nchunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
}

/* ---- The table ------------------------------------------------------------------------------ */

/* A shard owns the records whose id hashes to it and the IP entries whose address hashes to it.
 * One lock covers both. No code holds two shard locks at once, and a path lock (which may be
 * taken under a shard lock, from an update callback) is never held while taking a shard lock:
 * no cycle, no deadlock. */
typedef struct shard {
    alignas(64) lock mu; /* a cache line apart from the next shard's */
    slab recs;
    uint32_t *sid_b; /* chain heads, by hash of the id */
    uint32_t sid_mask;
    uint32_t nrec, nverdict; /* records; of which attackers or released */
    uint32_t hand;           /* CLOCK hand over recs */
    slab ips;
    uint32_t *ip_b;
    uint32_t ip_mask;
    uint32_t nip;
    _Atomic uint64_t ip_changes; /* bumped, under mu, before any IP entry changes */
} shard;

typedef struct path_slot {
    uint64_t h;
    char *text;
    uint16_t len; /* at most HP_PATH_MAX, which fits */
    uint16_t gen;
} path_slot;
#define PATH_LOCKS 64

struct hp_client_table {
    uint64_t key[2]; /* SipHash key, random per table: addresses are the network's choice, and
                      * a known hash would let a /64 pile every client into one chain */
    unsigned nshards, shard_bits;
    size_t max;
    shard *shards;
    _Atomic size_t count; /* records, counting those being inserted (the cap counts them) */
    _Atomic size_t attackers;
    _Atomic uint64_t created, evicted, evicted_verdicts, expired;
    _Atomic int stale; /* IP entries may lead to forgotten clients: prune at the next expiry */
    uint32_t path_sets;
    path_slot *paths; /* 2 ways per set */
    _Atomic uint8_t *path_lru; /* per set, the way to replace next (written without the lock
                                * by a path cache hit, hence atomic) */
    lock path_mu[PATH_LOCKS];
    _Atomic size_t path_text;
    _Atomic uint64_t path_recycled; /* slots recycled: any id older than a change may be gone */
};

/* A request hashes the same id and address several times (identify, a detector's update, the
 * after phase): each thread remembers its last two, per table key so another table (or one
 * made later at the same address) never reads them. */
typedef struct hash_memo {
    uint64_t table_key[2];
    uint8_t key[16];
    uint64_t h;
} hash_memo;
static _Thread_local hash_memo memo[2];
static _Thread_local unsigned memo_next;

/* The shard comes from the top bits of the hash, the bucket from the bottom ones. */
static uint64_t key_hash(const hp_client_table *t, const uint8_t key[16])
{
    for (int i = 0; i < 2; i++)
        if (memo[i].table_key[0] == t->key[0] && memo[i].table_key[1] == t->key[1] &&
            memcmp(memo[i].key, key, 16) == 0)
            return memo[i].h;
    hash_memo *m = &memo[memo_next++ & 1];
    m->table_key[0] = t->key[0];
    m->table_key[1] = t->key[1];
    memcpy(m->key, key, 16);
    m->h = siphash13(t->key, key, 16);
    return m->h;
}

static shard *shard_for(const hp_client_table *t, uint64_t h)
{
    return &t->shards[t->shard_bits ? h >> (64 - t->shard_bits) : 0];
}

static int random_bytes(void *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = getrandom((unsigned char *)out + got, n - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

hp_client_table *hp_client_table_new(const hp_client_table_config *cfg)
{
    hp_client_table_config c = cfg ? *cfg : (hp_client_table_config){0};
    if (!c.shards)
        c.shards = 64;
    if (!c.max_clients)
        c.max_clients = 100000;
    if (!c.path_slots)
        c.path_slots = 16384;
    if (c.shards > 4096 || (c.shards & (c.shards - 1)) || c.path_slots < 2 ||
        c.path_slots > 65536 || (c.path_slots & (c.path_slots - 1)))
        return NULL;

    hp_client_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->nshards = c.shards;
    while ((1u << t->shard_bits) < c.shards)
        t->shard_bits++;
    t->max = c.max_clients;
    t->path_sets = c.path_slots / 2;
    t->shards = aligned_alloc(alignof(shard), c.shards * sizeof(shard));
    t->paths = calloc(c.path_slots, sizeof *t->paths);
    t->path_lru = calloc(t->path_sets, sizeof *t->path_lru);
    if (!t->shards || !t->paths || !t->path_lru || random_bytes(t->key, sizeof t->key)) {
        free(t->shards);
        free(t->paths);
        free(t->path_lru);
        free(t);
        return NULL;
    }
    memset(t->shards, 0, c.shards * sizeof(shard));
    int ok = 1;
    for (unsigned i = 0; i < c.shards; i++) {
        shard *s = &t->shards[i];
        s->recs.size = sizeof(hp_client);
        s->recs.link_off = offsetof(hp_client, link);
        s->ips.size = sizeof(ip_entry);
        s->ips.link_off = offsetof(ip_entry, link);
        s->sid_mask = s->ip_mask = 15;
        s->sid_b = calloc(16, sizeof *s->sid_b);
        s->ip_b = calloc(16, sizeof *s->ip_b);
        ok &= s->sid_b && s->ip_b;
    }
    if (!ok) {
        hp_client_table_free(t);
        return NULL;
    }
    return t;
}

void hp_client_table_free(hp_client_table *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->nshards; i++) {
        shard *s = &t->shards[i];
        slab_destroy(&s->recs);
        slab_destroy(&s->ips);
        free(s->sid_b);
        free(s->ip_b);
    }
    for (uint32_t i = 0; i < 2 * t->path_sets; i++)
        free(t->paths[i].text);
    free(t->shards);
    free(t->paths);
    free(t->path_lru);
    free(t);
}

/* ---- Records by id (under the shard's lock) ------------------------------------------------ */

static hp_client *rec_find(const shard *s, uint64_t h, const uint8_t sid[HP_SID_LEN])
{
    for (uint32_t i = s->sid_b[h & s->sid_mask]; i;) {
        hp_client *c = slab_at(&s->recs, i);
        if (!memcmp(c->sid, sid, HP_SID_LEN))
            return c;
        i = c->link;
    }
    return NULL;
}

static int rec_alive(hp_client_table *t, const uint8_t sid[HP_SID_LEN])
{
    uint64_t h = key_hash(t, sid);
    shard *s = shard_for(t, h);
    lock_take(&s->mu);
    int alive = rec_find(s, h, sid) != NULL;
    lock_give(&s->mu);
    return alive;
}

/* Doubles the buckets when there are more records than buckets, so chains average under one
 * and the buckets cost 4 to 8 bytes a client. Out of memory: longer chains, still correct. */
static void rec_grow(const hp_client_table *t, shard *s)
{
    uint32_t n = s->sid_mask + 1;
    if (s->nrec <= n || n > IP_NEXT / 2)
        return;
    uint32_t *b = calloc(2 * (size_t)n, sizeof *b);
    if (!b)
        return;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = s->sid_b[i]; j;) {
            hp_client *c = slab_at(&s->recs, j);
            uint32_t next = c->link, k = key_hash(t, c->sid) & (2 * n - 1);
            c->link = b[k];
            b[k] = j;
            j = next;
        }
    }
    free(s->sid_b);
    s->sid_b = b;
    s->sid_mask = 2 * n - 1;
}

/* What must be done outside the lock once a record is gone. */
typedef struct gone {
    uint8_t ip[HP_IP_LEN];
    uint8_t sid[HP_SID_LEN];
    int moved;
    uint8_t state;
} gone;

static void rec_remove(hp_client_table *t, shard *s, uint32_t i, gone *g)
{
    hp_client *c = slab_at(&s->recs, i);
    uint32_t *p = &s->sid_b[key_hash(t, c->sid) & s->sid_mask];
    while (*p != i)
        p = &((hp_client *)slab_at(&s->recs, *p))->link;
    *p = c->link;
    memcpy(g->ip, c->ip, HP_IP_LEN);
    memcpy(g->sid, c->sid, HP_SID_LEN);
    g->moved = (c->flags & HP_CLIENT_MOVED) != 0;
    g->state = c->state;
    s->nrec--;
    if (c->state != HP_CLIENT_NORMAL)
        s->nverdict--;
    if (c->state == HP_CLIENT_ATTACKER)
        atomic_fetch_sub_explicit(&t->attackers, 1, memory_order_relaxed);
    c->flags = F_FREE;
    slab_free(&s->recs, i);
    atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
}

/* Keeps the shard's verdict count and the table's attacker count when a state changes. */
static void state_moved(hp_client_table *t, shard *s, int before, int after)
{
    s->nverdict += (after != HP_CLIENT_NORMAL) - (before != HP_CLIENT_NORMAL);
    if (before == HP_CLIENT_ATTACKER)
        atomic_fetch_sub_explicit(&t->attackers, 1, memory_order_relaxed);
    if (after == HP_CLIENT_ATTACKER)
        atomic_fetch_add_explicit(&t->attackers, 1, memory_order_relaxed);
}

/* ---- IP entries (each function takes the address's shard lock) ----------------------------- */

static ip_entry *ip_find(const shard *s, uint64_t h, const uint8_t ip[HP_IP_LEN], uint32_t **prev)
{
    uint32_t *p = &s->ip_b[h & s->ip_mask];
    while (*p & IP_NEXT) {
        ip_entry *e = slab_at(&s->ips, *p & IP_NEXT);
        if (!memcmp(e->ip, ip, HP_IP_LEN)) {
            if (prev)
                *prev = p;
            return e;
        }
        p = &e->link;
    }
    return NULL;
}

static void ip_grow(const hp_client_table *t, shard *s)
{
    uint32_t n = s->ip_mask + 1;
    if (s->nip <= n || n > IP_NEXT / 2)
        return;
    uint32_t *b = calloc(2 * (size_t)n, sizeof *b);
    if (!b)
        return;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = s->ip_b[i]; j & IP_NEXT;) {
            ip_entry *e = slab_at(&s->ips, j & IP_NEXT);
            uint32_t next = e->link & IP_NEXT, k = key_hash(t, e->ip) & (2 * n - 1);
            e->link = (e->link & IP_ATTACKER) | b[k];
            b[k] = j & IP_NEXT;
            j = next;
        }
    }
    free(s->ip_b);
    s->ip_b = b;
    s->ip_mask = 2 * n - 1;
}

/* Called under s->mu before an IP entry changes: what threads remember of the shard's entries
 * (ip_owner()) is then no longer answered. */
static void ip_changing(shard *s)
{
    atomic_fetch_add_explicit(&s->ip_changes, 1, memory_order_release);
}

/* Makes ip lead to sid. An address that leads to an attacker is not taken by a client that is
 * not one (an attacker's address keeps its verdict), unless the attacker is displace: a client
 * seen just now not to be an attacker any more. Out of memory, the client is found by its
 * cookie only. */
static void ip_point(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const uint8_t sid[HP_SID_LEN],
                     int attacker, const uint8_t *displace)
{
    uint64_t h = key_hash(t, ip);
    shard *s = shard_for(t, h);
    uint32_t mark = attacker ? IP_ATTACKER : 0;
    lock_take(&s->mu);
    ip_entry *e = ip_find(s, h, ip, NULL);
    ip_changing(s);
    if (!e) {
        uint32_t i = slab_alloc(&s->ips);
        if (i) {
            e = slab_at(&s->ips, i);
            memcpy(e->ip, ip, HP_IP_LEN);
            memcpy(e->sid, sid, HP_SID_LEN);
            e->link = s->ip_b[h & s->ip_mask] | mark;
            s->ip_b[h & s->ip_mask] = i;
            s->nip++;
            ip_grow(t, s);
        }
    } else if (attacker || !(e->link & IP_ATTACKER) || !memcmp(e->sid, sid, HP_SID_LEN) ||
               (displace && !memcmp(e->sid, displace, HP_SID_LEN))) {
        memcpy(e->sid, sid, HP_SID_LEN);
        e->link = (e->link & IP_NEXT) | mark;
    }
    lock_give(&s->mu);
}

/* ip no longer leads to sid (if it did). */
static void ip_unpoint(hp_client_table *t, const uint8_t ip[HP_IP_LEN],
                       const uint8_t sid[HP_SID_LEN])
{
    uint64_t h = key_hash(t, ip);
    shard *s = shard_for(t, h);
    uint32_t *prev;
    lock_take(&s->mu);
    ip_entry *e = ip_find(s, h, ip, &prev);
    if (e && !memcmp(e->sid, sid, HP_SID_LEN)) {
        ip_changing(s);
        uint32_t i = *prev & IP_NEXT;
        *prev = (*prev & IP_ATTACKER) | (e->link & IP_NEXT);
        slab_free(&s->ips, i);
        s->nip--;
    }
    lock_give(&s->mu);
}

/* ip_point() for a client that may be forgotten meanwhile: if it was gone by the time the entry
 * was made, its own after_remove() found nothing to let go, so the entry is taken back here. */
static void ip_lead(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const uint8_t sid[HP_SID_LEN],
                    int attacker, const uint8_t *displace)
{
    ip_point(t, ip, sid, attacker, displace);
    if (!rec_alive(t, sid))
        ip_unpoint(t, ip, sid);
}

/* Clears the attacker mark of ip's entry if it leads to sid (a released attacker). */
static void ip_unmark(hp_client_table *t, const uint8_t ip[HP_IP_LEN],
                      const uint8_t sid[HP_SID_LEN])
{
    uint64_t h = key_hash(t, ip);
    shard *s = shard_for(t, h);
    lock_take(&s->mu);
    ip_entry *e = ip_find(s, h, ip, NULL);
    if (e && !memcmp(e->sid, sid, HP_SID_LEN)) {
        ip_changing(s);
        e->link &= IP_NEXT;
    }
    lock_give(&s->mu);
}

/* A worker serves one address many times in a row (keep-alive, a cookieless tool): each thread
 * remembers the last address it looked up and what it led to, answered while its shard's IP
 * entries have not changed at all since. Per table key, like hash_memo. */
typedef struct owner_memo {
    uint64_t table_key[2];
    const shard *s;
    uint64_t changes;
    uint8_t ip[HP_IP_LEN];
    uint8_t sid[HP_SID_LEN];
    uint64_t sid_hash; /* key_hash of sid, for by_ip */
    int found;
} owner_memo;
static _Thread_local owner_memo omemo;

/* The id ip leads to, and its hash: 1, or 0 when none. */
static int ip_owner(hp_client_table *t, const uint8_t ip[HP_IP_LEN], uint8_t sid[HP_SID_LEN],
                    uint64_t *sid_hash)
{
    owner_memo *m = &omemo;
    if (m->s && m->table_key[0] == t->key[0] && m->table_key[1] == t->key[1] &&
        !memcmp(m->ip, ip, HP_IP_LEN) &&
        atomic_load_explicit(&m->s->ip_changes, memory_order_acquire) == m->changes) {
        memcpy(sid, m->sid, HP_SID_LEN);
        *sid_hash = m->sid_hash;
        return m->found;
    }
    uint64_t h = key_hash(t, ip);
    shard *s = shard_for(t, h);
    lock_take(&s->mu);
    ip_entry *e = ip_find(s, h, ip, NULL);
    if (e)
        memcpy(sid, e->sid, HP_SID_LEN);
    /* read under the lock: a later change takes it, and bumps the count first */
    *m = (owner_memo){.table_key = {t->key[0], t->key[1]}, .s = s, .found = e != NULL,
                      .changes = atomic_load_explicit(&s->ip_changes, memory_order_relaxed)};
    memcpy(m->ip, ip, HP_IP_LEN);
    if (e)
        memcpy(m->sid, e->sid, HP_SID_LEN);
    lock_give(&s->mu);
    if (e)
        m->sid_hash = *sid_hash = key_hash(t, sid);
    return e != NULL;
}

static void after_remove(hp_client_table *t, const gone *g)
{
    ip_unpoint(t, g->ip, g->sid);
    /* Only a client seen from several addresses can be led to from another one. */
    if (g->moved)
        atomic_store_explicit(&t->stale, 1, memory_order_relaxed);
}

/* ---- Eviction under the cap ---------------------------------------------------------------- */

/* CLOCK over the shard's slab. F_REF is set when a client comes back, not when it is created,
 * so one-request clients (scanners without cookies, bots) go before returning browsers. With
 * verdicts 0, attackers and released clients are skipped. Two turns at most: the first
 * clears every F_REF it passes. */
static uint32_t clock_victim(shard *s, int verdicts)
{
    uint32_t n = s->recs.hi;
    if (!n)
        return 0;
    for (uint64_t step = 0; step <= 2 * (uint64_t)n; step++) {
        uint32_t i = s->hand = s->hand % n + 1;
        hp_client *c = slab_at(&s->recs, i);
        if ((c->flags & F_FREE) || (!verdicts && c->state != HP_CLIENT_NORMAL))
            continue;
        if (c->flags & F_REF) {
            c->flags &= (uint8_t)~F_REF;
            continue;
        }
        return i;
    }
    return 0;
}

/* Forgets one client, starting at shard home: a normal one from any shard if there is one, and
 * only then one with a verdict (counted apart: their loss is never silent, and the journal has
 * them). 1, or 0 when the table is empty. */
static int evict_one(hp_client_table *t, unsigned home)
{
    for (int verdicts = 0; verdicts < 2; verdicts++) {
        for (unsigned k = 0; k < t->nshards; k++) {
            shard *s = &t->shards[(home + k) & (t->nshards - 1)];
            gone g;
            uint32_t i = 0;
            lock_take(&s->mu);
            if (verdicts ? s->nrec > 0 : s->nrec > s->nverdict)
                i = clock_victim(s, verdicts);
            if (i)
                rec_remove(t, s, i, &g);
            lock_give(&s->mu);
            if (i) {
                after_remove(t, &g);
                atomic_fetch_add_explicit(&t->evicted, 1, memory_order_relaxed);
                if (verdicts)
                    atomic_fetch_add_explicit(&t->evicted_verdicts, 1, memory_order_relaxed);
                return 1;
            }
        }
    }
    return 0;
}

/* Inserts a copy of src: 0, 1 when its id is already there, -1 out of memory. At the cap a
 * client is forgotten first; concurrent inserts may pass the cap by one each, for a moment. */
static int rec_insert(hp_client_table *t, const hp_client *src)
{
    uint64_t h = key_hash(t, src->sid);
    shard *s = shard_for(t, h);
    if (atomic_fetch_add_explicit(&t->count, 1, memory_order_relaxed) >= t->max)
        evict_one(t, (unsigned)(s - t->shards));
    lock_take(&s->mu);
    uint32_t i = 0;
    int r = rec_find(s, h, src->sid) ? 1 : (i = slab_alloc(&s->recs)) ? 0 : -1;
    if (r == 0) {
        hp_client *c = slab_at(&s->recs, i);
        *c = *src;
        c->flags &= F_PUBLIC;
        c->link = s->sid_b[h & s->sid_mask];
        s->sid_b[h & s->sid_mask] = i;
        s->nrec++;
        state_moved(t, s, HP_CLIENT_NORMAL, c->state);
        rec_grow(t, s);
    }
    lock_give(&s->mu);
    if (r)
        atomic_fetch_sub_explicit(&t->count, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&t->created, 1, memory_order_relaxed);
    return r;
}

/* ---- The ring ------------------------------------------------------------------------------ */

#define REQ_USED 0x80 /* hp_client_req.flags: the slot holds a request */
#define RING_SLOT 0x07 /* hp_client.ring_next: the slot the next push writes */
#define RING_WRAPPED 0x08 /* hp_client.ring_next: every slot has been written */
static_assert(HP_CLIENT_RING == RING_SLOT + 1, "the ring's slot bits");

/* Ring times are the low 32 bits of the Unix ms, read against last_seen. Invariant: every entry
 * lies within 2^31 ms of last_seen, so the signed difference of the low bits is exact. */
static int64_t ring_time(const hp_client *c, uint32_t lo)
{
    uint32_t d = lo - (uint32_t)c->last_seen;
    return c->last_seen + (d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000ll);
}

/* 2^31 ms less 4.6 hours: pushes from concurrent requests may land a little out of order. */
#define RING_WINDOW (0x80000000ll - 0x1000000ll)

/* Moves last_seen to now (if later), first dropping the entries that would leave the window.
 * Pushes come in time order (give or take the slack), so the look starts at the oldest and
 * stops at the first one inside: usually one entry, and none for an empty ring, so that
 * identify() stays on the record's first cache line. */
static void ring_advance(hp_client *c, int64_t now)
{
    if (now <= c->last_seen)
        return;
    unsigned wrapped = c->ring_next & RING_WRAPPED, next = c->ring_next & RING_SLOT;
    unsigned start = wrapped ? next : 0, n = wrapped ? HP_CLIENT_RING : next;
    for (unsigned k = 0; k < n; k++) {
        hp_client_req *r = &c->ring[(start + k) % HP_CLIENT_RING];
        if (!(r->flags & REQ_USED))
            continue;
        if (now - ring_time(c, r->t) < RING_WINDOW)
            break;
        r->flags = 0;
    }
    c->last_seen = now;
}

void hp_client_ring_push(hp_client *c, int64_t now, uint8_t method, uint16_t status,
                         uint32_t path, uint8_t flags)
{
    ring_advance(c, now);
    if (now < c->last_seen - RING_WINDOW) /* a clock far behind: keep the invariant */
        now = c->last_seen;
    unsigned next = c->ring_next & RING_SLOT;
    c->ring[next] = (hp_client_req){.t = (uint32_t)now, .path = path, .status = status,
                                    .method = method,
                                    .flags = (uint8_t)((flags & ~REQ_USED) | REQ_USED)};
    c->ring_next = (uint8_t)((c->ring_next & RING_WRAPPED) | ((next + 1) & RING_SLOT) |
                             (next == RING_SLOT ? RING_WRAPPED : 0));
}

size_t hp_client_ring_read(const hp_client *c, hp_client_req_full out[HP_CLIENT_RING])
{
    unsigned wrapped = c->ring_next & RING_WRAPPED, next = c->ring_next & RING_SLOT;
    unsigned start = wrapped ? next : 0, count = wrapped ? HP_CLIENT_RING : next;
    size_t n = 0;
    for (unsigned k = 0; k < count; k++) {
        const hp_client_req *r = &c->ring[(start + k) % HP_CLIENT_RING];
        if (r->flags & REQ_USED)
            out[n++] = (hp_client_req_full){.t = ring_time(c, r->t), .path = r->path,
                                            .status = r->status, .method = r->method,
                                            .flags = r->flags & (uint8_t)~REQ_USED};
    }
    return n;
}

void hp_client_mark(hp_client *c, enum hp_client_state state, uint8_t by, int64_t now)
{
    if (state == HP_CLIENT_ATTACKER && c->state != HP_CLIENT_ATTACKER) {
        c->flagged_at = now;
        c->flagged_by = by;
    }
    c->state = (uint8_t)state;
}

/* ---- Identify ------------------------------------------------------------------------------ */

static void touch(hp_client *c, const uint8_t ip[HP_IP_LEN], int64_t now, int cookie)
{
    ring_advance(c, now);
    if (c->requests != UINT32_MAX)
        c->requests++;
    c->flags |= F_REF | (cookie ? HP_CLIENT_CONFIRMED : 0);
    if (memcmp(c->ip, ip, HP_IP_LEN)) {
        memcpy(c->ip, ip, HP_IP_LEN);
        c->flags |= HP_CLIENT_MOVED;
    }
}

/* The caller's work on the record it identified, under the same lock. Only the detector slots
 * and the score are its to change: anything else would bypass the indexes. */
static void run_then(const hp_client_then *then, hp_client *c)
{
    if (!then)
        return;
    uint8_t state = c->state, flags = c->flags;
    then->fn(c, then->arg);
    if (c->state != state || c->flags != flags)
        abort();
}

static void fill(hp_client_ref *out, const hp_client *c, uint64_t h, enum hp_client_how how)
{
    memcpy(out->sid, c->sid, HP_SID_LEN);
    out->hash = h;
    out->state = (enum hp_client_state)c->state;
    out->how = how;
    out->set_cookie = how != HP_CLIENT_BY_SID;
}

/* Rule 1: the client named by a known id. */
static int by_sid(hp_client_table *t, const uint8_t sid[HP_SID_LEN], const uint8_t ip[HP_IP_LEN],
                  int64_t now, hp_client_ref *out, const hp_client_then *then)
{
    uint64_t h = key_hash(t, sid);
    shard *s = shard_for(t, h);
    uint8_t old[HP_IP_LEN];
    lock_take(&s->mu);
    hp_client *c = rec_find(s, h, sid);
    if (c) {
        memcpy(old, c->ip, HP_IP_LEN);
        touch(c, ip, now, 1);
        run_then(then, c);
        fill(out, c, h, HP_CLIENT_BY_SID);
    }
    lock_give(&s->mu);
    if (!c)
        return 0;
    if (memcmp(old, ip, HP_IP_LEN)) {
        ip_lead(t, ip, sid, out->state == HP_CLIENT_ATTACKER, NULL);
        /* An attacker's old address keeps leading to it; anyone else's is let go, so that
         * moving clients (phones, IPv6 privacy addresses) leave no entries behind. */
        if (out->state != HP_CLIENT_ATTACKER)
            ip_unpoint(t, old, sid);
    }
    return 1;
}

/* Rule 2: the client ip leads to, if it is an attacker or never sent its cookie back. */
static int by_ip(hp_client_table *t, const uint8_t owner[HP_SID_LEN], uint64_t h,
                 const uint8_t ip[HP_IP_LEN], int64_t now, hp_client_ref *out,
                 const hp_client_then *then)
{
    shard *s = shard_for(t, h);
    lock_take(&s->mu);
    hp_client *c = rec_find(s, h, owner);
    int ok = c && (c->state == HP_CLIENT_ATTACKER ||
                   (!(c->flags & HP_CLIENT_CONFIRMED) && !memcmp(c->ip, ip, HP_IP_LEN)));
    if (ok) {
        touch(c, ip, now, 0);
        run_then(then, c);
        fill(out, c, h, HP_CLIENT_BY_IP);
    }
    lock_give(&s->mu);
    return ok;
}

/* Rule 3: a new normal client; displace is the IP's client seen not to be an attacker. */
static int create(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const uint8_t *displace,
                  int64_t now, hp_client_ref *out, const hp_client_then *then)
{
    hp_client c = {.first_seen = now, .last_seen = now, .requests = 1};
    memcpy(c.ip, ip, HP_IP_LEN);
    run_then(then, &c); /* not in the table yet: no lock needed */
    int r;
    do { /* a repeated id (odds 2^-128) is drawn again rather than merged */
        if (random_bytes(c.sid, HP_SID_LEN))
            return -1;
    } while ((r = rec_insert(t, &c)) == 1);
    if (r < 0)
        return -1;
    ip_lead(t, ip, c.sid, 0, displace);
    fill(out, &c, key_hash(t, c.sid), HP_CLIENT_NEW);
    return 0;
}

int hp_client_identify(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const char *sid_hex,
                       size_t len, int64_t now, hp_client_ref *out)
{
    return hp_client_identify_then(t, ip, sid_hex, len, now, out, NULL);
}

int hp_client_identify_then(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const char *sid_hex,
                            size_t len, int64_t now, hp_client_ref *out,
                            const hp_client_then *then)
{
    enum hp_client_cookie cookie = HP_COOKIE_NONE;
    uint8_t sid[HP_SID_LEN], owner[HP_SID_LEN];
    uint64_t owner_hash = 0;
    int r = 0;
    memset(out, 0, sizeof *out);
    if (sid_hex) {
        if (hp_client_sid_parse(sid_hex, len, sid))
            cookie = HP_COOKIE_MALFORMED;
        else if (by_sid(t, sid, ip, now, out, then))
            cookie = HP_COOKIE_KNOWN;
        else
            cookie = HP_COOKIE_UNKNOWN;
    }
    if (cookie != HP_COOKIE_KNOWN) {
        int has_owner = ip_owner(t, ip, owner, &owner_hash);
        if (!has_owner || !by_ip(t, owner, owner_hash, ip, now, out, then))
            r = create(t, ip, has_owner ? owner : NULL, now, out, then);
    }
    out->cookie = cookie;
    return r;
}

/* ---- Update, verdicts, reads --------------------------------------------------------------- */

static int update_hashed(hp_client_table *t, uint64_t h, const uint8_t sid[HP_SID_LEN],
                         hp_client_fn *fn, void *arg)
{
    shard *s = shard_for(t, h);
    uint8_t ip[HP_IP_LEN];
    int before = 0, after = 0;
    lock_take(&s->mu);
    hp_client *c = rec_find(s, h, sid);
    if (c) {
        /* The indexes hang on these: a callback that changes them is a bug to stop at once.
         * (The id is the key fn was found by: sid itself is the copy.) */
        uint8_t keep_ip[HP_IP_LEN];
        memcpy(keep_ip, c->ip, HP_IP_LEN);
        uint32_t keep_link = c->link;
        uint8_t keep_flags = c->flags & ~F_PUBLIC;
        before = c->state;
        fn(c, arg);
        after = c->state;
        if (memcmp(c->sid, sid, HP_SID_LEN) || memcmp(c->ip, keep_ip, HP_IP_LEN) ||
            c->link != keep_link || (c->flags & ~F_PUBLIC) != keep_flags ||
            after >= HP_CLIENT_STATE__MAX)
            abort();
        if (before != after)
            state_moved(t, s, before, after);
        memcpy(ip, c->ip, HP_IP_LEN);
    }
    lock_give(&s->mu);
    if (!c)
        return -1;
    if (after == HP_CLIENT_ATTACKER && before != HP_CLIENT_ATTACKER)
        ip_lead(t, ip, sid, 1, NULL); /* from now on the verdict follows the address */
    else if (before == HP_CLIENT_ATTACKER && after != HP_CLIENT_ATTACKER)
        ip_unmark(t, ip, sid);
    return 0;
}

int hp_client_update(hp_client_table *t, const uint8_t sid[HP_SID_LEN], hp_client_fn *fn,
                     void *arg)
{
    return update_hashed(t, key_hash(t, sid), sid, fn, arg);
}

int hp_client_update_ref(hp_client_table *t, const hp_client_ref *ref, hp_client_fn *fn,
                         void *arg)
{
    return update_hashed(t, ref->hash, ref->sid, fn, arg);
}

typedef struct verdict {
    enum hp_client_state state;
    uint8_t by;
    int64_t now;
} verdict;

static void set_verdict(hp_client *c, void *arg)
{
    const verdict *v = arg;
    hp_client_mark(c, v->state, v->by, v->now);
}

int hp_client_set_state(hp_client_table *t, const uint8_t sid[HP_SID_LEN],
                        enum hp_client_state state, uint8_t by, int64_t now)
{
    if ((unsigned)state >= HP_CLIENT_STATE__MAX)
        return -1;
    verdict v = {state, by, now};
    return hp_client_update(t, sid, set_verdict, &v);
}

int hp_client_get(hp_client_table *t, const uint8_t sid[HP_SID_LEN], hp_client *out)
{
    uint64_t h = key_hash(t, sid);
    shard *s = shard_for(t, h);
    lock_take(&s->mu);
    const hp_client *c = rec_find(s, h, sid);
    if (c) {
        *out = *c;
        out->flags &= F_PUBLIC;
        out->link = 0;
    }
    lock_give(&s->mu);
    return c ? 0 : -1;
}

int hp_client_get_by_ip(hp_client_table *t, const uint8_t ip[HP_IP_LEN], hp_client *out)
{
    uint8_t sid[HP_SID_LEN];
    uint64_t h;
    return ip_owner(t, ip, sid, &h) ? hp_client_get(t, sid, out) : -1;
}

static void take_verdict(hp_client *c, void *arg)
{
    const hp_client *src = arg;
    c->state = src->state;
    c->flagged_at = src->flagged_at;
    c->flagged_by = src->flagged_by;
    c->score = src->score;
    c->score_at = src->score_at;
}

int hp_client_load(hp_client_table *t, const hp_client *src)
{
    if (src->state >= HP_CLIENT_STATE__MAX)
        return -1;
    for (;;) {
        if (hp_client_update(t, src->sid, take_verdict, (void *)src) == 0)
            return 0;
        hp_client c = *src;
        memset(c.ring, 0, sizeof c.ring); /* path ids mean nothing to another table */
        c.ring_next = 0;
        int r = rec_insert(t, &c);
        if (r < 0)
            return -1;
        if (r == 0) {
            ip_lead(t, c.ip, c.sid, c.state == HP_CLIENT_ATTACKER, NULL);
            return 0;
        }
        /* inserted meanwhile by another thread: take the verdict into it */
    }
}

/* ---- Walks: expiry, snapshots, pruning ----------------------------------------------------- */

#define BATCH 256 /* clients per lock hold in the walks: a few microseconds */

size_t hp_client_expire(hp_client_table *t, int64_t now, int64_t ttl, int64_t verdict_ttl)
{
    return hp_client_expire_notify(t, now, ttl, verdict_ttl, NULL, NULL);
}

size_t hp_client_expire_notify(hp_client_table *t, int64_t now, int64_t ttl, int64_t verdict_ttl,
                               hp_client_gone_fn *gone_fn, void *arg)
{
    size_t total = 0;
    gone *g = malloc(BATCH * sizeof *g);
    if (!g)
        return 0;
    for (unsigned si = 0; si < t->nshards; si++) {
        shard *s = &t->shards[si];
        for (uint32_t pos = 1;;) {
            size_t k = 0;
            lock_take(&s->mu);
            uint32_t end = s->recs.hi;
            for (; pos <= end && k < BATCH; pos++) {
                const hp_client *c = slab_at(&s->recs, pos);
                if (c->flags & F_FREE)
                    continue;
                int64_t limit = c->state == HP_CLIENT_NORMAL ? ttl : verdict_ttl;
                if (limit > 0 && now - c->last_seen >= limit)
                    rec_remove(t, s, pos, &g[k++]);
            }
            lock_give(&s->mu);
            for (size_t i = 0; i < k; i++) {
                after_remove(t, &g[i]);
                if (gone_fn)
                    gone_fn(g[i].sid, (enum hp_client_state)g[i].state, arg);
            }
            total += k;
            if (pos > end)
                break;
        }
    }
    free(g);
    atomic_fetch_add_explicit(&t->expired, total, memory_order_relaxed);

    /* Entries that lead to forgotten clients (addresses a flagged client left behind): look
     * each up, one lock at a time, and drop the dead. Only after such a client went. */
    if (atomic_exchange_explicit(&t->stale, 0, memory_order_relaxed)) {
        ip_entry *batch = NULL;
        size_t cap = 0;
        for (unsigned si = 0; si < t->nshards; si++) {
            shard *s = &t->shards[si];
            for (uint32_t b = 0;;) {
                size_t k = 0;
                int done;
                lock_take(&s->mu);
                for (uint32_t stop = b + 64; b <= s->ip_mask && b < stop; b++) {
                    for (uint32_t j = s->ip_b[b] & IP_NEXT; j;) {
                        const ip_entry *e = slab_at(&s->ips, j);
                        if (k == cap) {
                            size_t ncap = cap ? 2 * cap : 256;
                            ip_entry *p = realloc(batch, ncap * sizeof *p);
                            if (!p)
                                break; /* out of memory: prune what fits */
                            batch = p;
                            cap = ncap;
                        }
                        batch[k++] = *e;
                        j = e->link & IP_NEXT;
                    }
                }
                done = b > s->ip_mask;
                lock_give(&s->mu);
                for (size_t i = 0; i < k; i++)
                    if (!rec_alive(t, batch[i].sid))
                        ip_unpoint(t, batch[i].ip, batch[i].sid);
                if (done)
                    break;
            }
        }
        free(batch);
    }
    return total;
}

size_t hp_client_foreach(hp_client_table *t, hp_client_visit_fn *fn, void *arg)
{
    size_t total = 0;
    hp_client *copy = malloc(BATCH * sizeof *copy);
    if (!copy)
        return 0;
    for (unsigned si = 0; si < t->nshards; si++) {
        shard *s = &t->shards[si];
        for (uint32_t pos = 1;;) {
            size_t k = 0;
            lock_take(&s->mu);
            uint32_t end = s->recs.hi;
            for (; pos <= end && k < BATCH; pos++) {
                const hp_client *c = slab_at(&s->recs, pos);
                if (!(c->flags & F_FREE)) {
                    copy[k] = *c;
                    copy[k].flags &= F_PUBLIC;
                    copy[k++].link = 0;
                }
            }
            lock_give(&s->mu);
            for (size_t i = 0; i < k; i++) {
                total++;
                if (fn(&copy[i], arg)) {
                    free(copy);
                    return total;
                }
            }
            if (pos > end)
                break;
        }
    }
    free(copy);
    return total;
}

void hp_client_stats_get(hp_client_table *t, hp_client_stats *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < t->nshards; i++) {
        shard *s = &t->shards[i];
        lock_take(&s->mu);
        out->clients += s->nrec;
        out->verdicts += s->nverdict;
        out->ip_entries += s->nip;
        out->bytes += slab_bytes(&s->recs) + slab_bytes(&s->ips) +
                      ((size_t)s->sid_mask + 1 + s->ip_mask + 1) * sizeof(uint32_t);
        lock_give(&s->mu);
    }
    out->bytes += t->nshards * sizeof(shard) + sizeof *t;
    out->attackers = atomic_load_explicit(&t->attackers, memory_order_relaxed);
    out->created = atomic_load_explicit(&t->created, memory_order_relaxed);
    out->evicted = atomic_load_explicit(&t->evicted, memory_order_relaxed);
    out->evicted_verdicts = atomic_load_explicit(&t->evicted_verdicts, memory_order_relaxed);
    out->expired = atomic_load_explicit(&t->expired, memory_order_relaxed);
    out->path_bytes = 2 * t->path_sets * sizeof(path_slot) + t->path_sets +
                      atomic_load_explicit(&t->path_text, memory_order_relaxed);
}

unsigned hp_client_shard_sizes(hp_client_table *t, size_t *out, unsigned n)
{
    for (unsigned i = 0; i < n && i < t->nshards; i++) {
        lock_take(&t->shards[i].mu);
        out[i] = t->shards[i].nrec;
        lock_give(&t->shards[i].mu);
    }
    return t->nshards;
}

/* ---- Paths --------------------------------------------------------------------------------- */

/* A request path repeats on a thread (a keep-alive connection, a scanner's list, a site's few
 * pages): each thread remembers a few paths it interned with their ids and the table's recycle
 * count then, and answers from them while no slot at all has been recycled since, so that a
 * remembered id can never be one its slot has dropped. Per table key, like hash_memo. */
#define PATH_MEMO 4
#define PATH_MEMO_LEN 56
typedef struct path_memo {
    uint64_t table_key[2];
    uint64_t recycled;
    uint32_t id;
    uint16_t len; /* 0: empty */
    char text[PATH_MEMO_LEN];
} path_memo;
static _Thread_local path_memo pmemo[PATH_MEMO];

static path_memo *path_memo_for(const char *path, size_t len)
{
    return &pmemo[(len + (unsigned char)path[len - 1]) & (PATH_MEMO - 1)];
}

static void path_touch(hp_client_table *t, uint32_t slot)
{
    atomic_store_explicit(&t->path_lru[slot / 2], (uint8_t)!(slot & 1), memory_order_relaxed);
}

/* The remembered id of path, touched as the table would on a hit, or 0. */
static uint32_t path_memo_get(hp_client_table *t, const char *path, size_t len)
{
    if (!len || len > PATH_MEMO_LEN)
        return 0;
    const path_memo *m = path_memo_for(path, len);
    if (m->len != len || m->table_key[0] != t->key[0] || m->table_key[1] != t->key[1] ||
        m->recycled != atomic_load_explicit(&t->path_recycled, memory_order_acquire) ||
        memcmp(m->text, path, len))
        return 0;
    path_touch(t, m->id >> 16);
    return m->id;
}

/* Called under the set's lock, with the id just found or made: a recycling of its slot needs
 * that lock, so it comes after this read and changes the count. */
static void path_memo_put(hp_client_table *t, const char *path, size_t len, uint32_t id)
{
    if (!len || len > PATH_MEMO_LEN)
        return;
    path_memo *m = path_memo_for(path, len);
    m->table_key[0] = t->key[0];
    m->table_key[1] = t->key[1];
    m->recycled = atomic_load_explicit(&t->path_recycled, memory_order_relaxed);
    m->id = id;
    m->len = (uint16_t)len;
    memcpy(m->text, path, len);
}

/* Two ways per set, the one not used last is replaced: scanners' path lists repeat across
 * clients, so a few thousand slots hold what the rings point at, in memory that does not grow
 * with the clients. An id is slot << 16 | generation (never 0). */
uint32_t hp_client_path_intern(hp_client_table *t, const char *path, size_t len)
{
    if (len > HP_PATH_MAX)
        len = HP_PATH_MAX;
    uint32_t id = path_memo_get(t, path, len);
    if (id)
        return id;
    uint64_t h = siphash13(t->key, path, len);
    uint32_t set = (uint32_t)(h >> 32) & (t->path_sets - 1);
    path_slot *w = &t->paths[2 * set];
    lock *mu = &t->path_mu[set % PATH_LOCKS];
    lock_take(mu);
    for (uint32_t k = 0; k < 2 && !id; k++) {
        if (w[k].text && w[k].h == h && w[k].len == len && !memcmp(w[k].text, path, len)) {
            path_touch(t, 2 * set + k);
            id = (2 * set + k) << 16 | w[k].gen;
        }
    }
    if (!id) {
        uint32_t k = atomic_load_explicit(&t->path_lru[set], memory_order_relaxed);
        char *text = malloc(len + 1);
        if (text) {
            memcpy(text, path, len);
            text[len] = '\0';
            if (w[k].text) {
                /* before the slot changes: a thread that still sees the old count may use the
                 * old id, as it could had it interned a moment earlier */
                atomic_fetch_add_explicit(&t->path_recycled, 1, memory_order_release);
                atomic_fetch_sub_explicit(&t->path_text, w[k].len + 1u, memory_order_relaxed);
            }
            atomic_fetch_add_explicit(&t->path_text, len + 1, memory_order_relaxed);
            free(w[k].text);
            uint16_t gen = (uint16_t)(w[k].gen + 1);
            w[k] = (path_slot){.h = h, .text = text, .len = (uint16_t)len, .gen = gen ? gen : 1};
            path_touch(t, 2 * set + k);
            id = (2 * set + k) << 16 | w[k].gen;
        }
    }
    if (id)
        path_memo_put(t, path, len, id);
    lock_give(mu);
    return id;
}

int hp_client_path_get(hp_client_table *t, uint32_t id, char *out, size_t n)
{
    uint32_t slot = id >> 16, gen = id & 0xffff;
    if (!gen || slot >= 2 * t->path_sets)
        return -1;
    int len = -1;
    lock *mu = &t->path_mu[(slot / 2) % PATH_LOCKS];
    lock_take(mu);
    const path_slot *p = &t->paths[slot];
    if (p->text && p->gen == gen) {
        len = p->len;
        if (n) {
            size_t m = p->len < n - 1 ? p->len : n - 1;
            memcpy(out, p->text, m);
            out[m] = '\0';
        }
    }
    lock_give(mu);
    return len;
}

/* ---- Keys ---------------------------------------------------------------------------------- */

#define BYTES(x) (0x0101010101010101ull * (x)) /* x in every byte of a word */

/* Eight lowercase hex digits to four bytes, eight at a time and without branches (the digits of
 * a random id are a coin toss between 0-9 and a-f: branches would mispredict). Each byte's
 * class comes from adding to it: with the top bit clear, c + 0x80 - lo reaches 0x80 exactly
 * when c >= lo. 0, or -1 when a byte is no lowercase hex digit. */
static int unhex8(const char *in, uint8_t out[4])
{
    uint64_t v; /* in[0] in the low byte */
    memcpy(&v, in, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    uint64_t high = v & BYTES(0x80);
    uint64_t digit = (v + BYTES(0x80 - '0')) & ~(v + BYTES(0x80 - '9' - 1));
    uint64_t letter = (v + BYTES(0x80 - 'a')) & ~(v + BYTES(0x80 - 'f' - 1));
    uint64_t good = (digit | letter) & BYTES(0x80);
    uint64_t nib = (v & BYTES(0x0f)) + (letter & BYTES(0x80)) / 0x80 * 9;
    /* lane i of 16 bits: digit 2i (the high nibble) and 2i + 1, packed into its low byte */
    uint64_t t = ((nib << 4) | (nib >> 8)) & 0x00ff00ff00ff00ffull;
    t = (t | t >> 8) & 0x0000ffff0000ffffull;
    uint32_t w = (uint32_t)(t | t >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap32(w);
#endif
    memcpy(out, &w, 4);
    return !high && good == BYTES(0x80) ? 0 : -1;
}
#undef BYTES

/* Every request formats its client's id: eight digits at a time, each nibble spread to a byte
 * and moved into '0'..'9' or 'a'..'f' by arithmetic, with no table and no branch. */
static void hex4(const uint8_t in[4], char out[8])
{
    uint64_t t = (uint64_t)in[0] | (uint64_t)in[1] << 16 | (uint64_t)in[2] << 32 |
                 (uint64_t)in[3] << 48; /* in[i] in the low byte of 16-bit lane i */
    /* lane i: its low byte the high nibble (out[2i]), its high byte the low one (out[2i + 1]) */
    uint64_t v = (t >> 4 & 0x000f000f000f000full) | (t & 0x000f000f000f000full) << 8;
    uint64_t letter = ((v + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
    v += 0x3030303030303030ull + letter * ('a' - '0' - 10);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(out, &v, 8);
#else
    for (int i = 0; i < 8; i++)
        out[i] = (char)(v >> (8 * i));
#endif
}

/* A worker formats the same client's id request after request (keep-alive): each thread keeps
 * the last one it formatted, a copy being cheaper than the digits. */
typedef struct sid_text {
    uint8_t sid[HP_SID_LEN];
    char hex[HP_SID_HEX + 1];
    int set;
} sid_text;
static _Thread_local sid_text last_sid;

/* A browser sends the same id request after request, and the thread formatted it for the
 * previous one: its digits are then compared, not decoded. */
int hp_client_sid_parse(const char *hex, size_t len, uint8_t out[HP_SID_LEN])
{
    if (len != HP_SID_HEX)
        return -1;
    const sid_text *m = &last_sid;
    if (m->set && memcmp(m->hex, hex, HP_SID_HEX) == 0) {
        memcpy(out, m->sid, HP_SID_LEN);
        return 0;
    }
    int bad = 0;
    for (size_t i = 0; i < HP_SID_LEN; i += 4)
        bad |= unhex8(hex + 2 * i, out + i);
    return bad ? -1 : 0;
}

void hp_client_sid_format(const uint8_t sid[HP_SID_LEN], char out[HP_SID_HEX + 1])
{
    static_assert(HP_SID_LEN == 16, "four groups of four bytes");
    sid_text *m = &last_sid;
    if (!m->set || memcmp(m->sid, sid, HP_SID_LEN)) {
        hex4(sid, m->hex);
        hex4(sid + 4, m->hex + 8);
        hex4(sid + 8, m->hex + 16);
        hex4(sid + 12, m->hex + 24);
        m->hex[HP_SID_HEX] = '\0';
        memcpy(m->sid, sid, HP_SID_LEN);
        m->set = 1;
    }
    memcpy(out, m->hex, HP_SID_HEX + 1);
}

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Dotted-quad IPv4 as inet_pton takes it (four decimal parts, 0 to 255, no leading zeros):
 * every request's address goes through here. 0 or -1. */
static int ipv4_parse(const char *p, uint8_t out[4])
{
    for (int part = 0; part < 4; part++) {
        if (part && *p++ != '.')
            return -1;
        if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
            return -1;
        unsigned v = 0;
        for (int d = 0; d < 3 && *p >= '0' && *p <= '9'; d++)
            v = v * 10 + (unsigned)(*p++ - '0');
        if (v > 255 || (*p >= '0' && *p <= '9'))
            return -1;
        out[part] = (uint8_t)v;
    }
    return *p ? -1 : 0;
}

void hp_client_ip_v4(const void *addr4, uint8_t out[HP_IP_LEN])
{
    memcpy(out, v4mapped, 12);
    memcpy(out + 12, addr4, 4);
}

int hp_client_ip_parse(const char *text, uint8_t out[HP_IP_LEN])
{
    uint8_t a[4];
    if (ipv4_parse(text, a) == 0) {
        hp_client_ip_v4(a, out);
        return 0;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

void hp_client_ip_format(const uint8_t ip[HP_IP_LEN], char out[HP_IP_TEXT])
{
    int v4 = !memcmp(ip, v4mapped, 12);
    if (!inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? ip + 12 : ip, out, HP_IP_TEXT))
        out[0] = '\0';
}
