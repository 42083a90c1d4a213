/* The honeypot's client table: each client known by its session id cookie and its IP, with its
 * verdict, score, detector counters and a ring of its recent requests. Shared by all workers. */
#ifndef MITSU_HONEYPOT_CLIENT_H
#define MITSU_HONEYPOT_CLIENT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define HP_SID_LEN 16      /* bytes of a session id; the cookie carries 32 lowercase hex digits */
#define HP_SID_HEX 32
#define HP_IP_LEN 16       /* IPv6 form; IPv4 is mapped (::ffff:a.b.c.d) */
#define HP_IP_TEXT 46      /* INET6_ADDRSTRLEN */
#define HP_CLIENT_RING 8   /* recent requests kept per client */
#define HP_CLIENT_DET_WORDS 5
#define HP_PATH_MAX 1024   /* longer paths are interned truncated */

/* Times are Unix milliseconds (CLOCK_REALTIME: they are stored in the management database). */

enum hp_client_state {
    HP_CLIENT_NORMAL,
    HP_CLIENT_ATTACKER,
    HP_CLIENT_RELEASED, /* an operator's "not an attacker": a verdict too */
    HP_CLIENT_STATE__MAX
};
extern const char *const hp_client_state_names[HP_CLIENT_STATE__MAX];

/* Slots of hp_client.det, each owned by one detector; a detector needing more state keeps it
 * itself. Times in them are the detector's choice of unit and origin. */
enum hp_client_det {
    HP_DET_S4XX_LEVEL, /* status4xx: leaky bucket level */
    HP_DET_S4XX_AT,    /* status4xx: time of its last drain */
    HP_DET_RATE_LEVEL, /* rate: bucket level */
    HP_DET_RATE_AT,    /* rate: time of its last refill */
    HP_DET_LOGIN,      /* login: failures (low 16 bits), distinct user names (high 16 bits) */
    HP_CLIENT_DET__MAX
};
static_assert(HP_CLIENT_DET__MAX <= HP_CLIENT_DET_WORDS, "a detector slot too many");

/* One recent request. The full request belongs to the journal; this is what tells which
 * requests led to a verdict. 12 bytes. */
typedef struct hp_client_req {
    uint32_t t;       /* low 32 bits of the Unix ms; hp_client_ring_read() gives the full time */
    uint32_t path;    /* hp_client_path_intern() id; 0: none */
    uint16_t status;  /* response status; 0: none was sent */
    uint8_t method;   /* enum http_method */
    uint8_t flags;    /* HP_REQ_DECOY; bit 0x80 is the table's (slot in use) */
} hp_client_req;
#define HP_REQ_DECOY 0x01 /* served by the decoy */

/* hp_client.flags bits that callers may read; the others are the table's. */
#define HP_CLIENT_CONFIRMED 0x01 /* has sent its cookie back at least once */
#define HP_CLIENT_MOVED 0x02     /* has been seen from more than one IP */

/* A tracked client: 200 bytes. With its IP index entry (36 bytes) and the two hash indexes'
 * buckets (4 to 8 bytes each), a client costs at most 252 bytes. The first 64 bytes are what a
 * look-up reads and identify() writes: one cache line per request on the hot path. */
typedef struct hp_client {
    uint8_t sid[HP_SID_LEN];       /* its id: the cookie */
    uint32_t link;                 /* the table's: hash chain or free list */
    uint8_t state;                 /* enum hp_client_state */
    uint8_t flagged_by;            /* id of the detector that flagged it */
    uint8_t flags;                 /* HP_CLIENT_CONFIRMED, HP_CLIENT_MOVED, and the table's */
    uint8_t ring_next;             /* the table's: next ring slot, and whether the ring wrapped */
    uint8_t ip[HP_IP_LEN];         /* address of its latest request */
    uint32_t requests;             /* saturating */
    uint32_t n4xx;                 /* 4xx responses ever: the paper's counter */
    int64_t last_seen;             /* latest request; TTL and ring times count from it */
    int64_t first_seen;
    /* 64: what detectors and scoring use */
    int64_t flagged_at;            /* when it became an attacker; 0: never */
    int64_t score_at;              /* last decay of the score (the scoring code's business) */
    float score;
    uint32_t det[HP_CLIENT_DET_WORDS]; /* detector-private, see enum hp_client_det */
    hp_client_req ring[HP_CLIENT_RING]; /* read with hp_client_ring_read() */
} hp_client;
static_assert(sizeof(hp_client) == 200, "hp_client grew: the budget is 256 bytes per client");

typedef struct hp_client_table hp_client_table;

typedef struct hp_client_table_config {
    unsigned shards;      /* a power of two, 1 to 4096; 0: 64 */
    size_t max_clients;   /* [honeypot] max_clients; 0: 100000 */
    unsigned path_slots;  /* interned paths kept, a power of two from 2 to 65536; 0: 16384 */
} hp_client_table_config;

/* A new empty table (NULL config: the defaults), or NULL on a bad config or out of memory. */
hp_client_table *hp_client_table_new(const hp_client_table_config *cfg);
void hp_client_table_free(hp_client_table *t);

/* ---- Identifying the client of a request ----------------------------------------------- */

enum hp_client_how {
    HP_CLIENT_BY_SID, /* its cookie named a known client, whatever its IP is now */
    HP_CLIENT_BY_IP,  /* no known cookie: the IP's client, when an attacker (the verdict follows
                       * the IP) or when it never sent its cookie back (a cookieless tool) */
    HP_CLIENT_NEW,    /* a new normal client */
    HP_CLIENT_HOW__MAX
};

enum hp_client_cookie {
    HP_COOKIE_NONE,      /* no cookie */
    HP_COOKIE_KNOWN,     /* a known client's id */
    HP_COOKIE_UNKNOWN,   /* 32 hex digits the table does not know (expired, or forged) */
    HP_COOKIE_MALFORMED, /* not 32 lowercase hex digits: nothing mitsu ever sent */
    HP_CLIENT_COOKIE__MAX
};

typedef struct hp_client_ref {
    uint8_t sid[HP_SID_LEN];       /* the client's id: the key of every other call */
    enum hp_client_state state;
    enum hp_client_how how;
    enum hp_client_cookie cookie;  /* what the request sent */
    int set_cookie;                /* 1: send sid as the cookie (the request did not send it) */
    uint64_t hash;                 /* the table's hash of sid, so hp_client_update_ref need not
                                    * hash it again; valid with this table only */
} hp_client_ref;

/* Finds or creates the client of a request from ip and the id cookie's value (sid_hex, len;
 * NULL when there is none), and counts the request (last_seen = now, requests + 1). The rules:
 *  1. a known id is that client, even from another IP; the IP then leads to it (unless the IP
 *     leads to an attacker, who keeps it);
 *  2. otherwise the IP's client if it is an attacker (dropping the cookie keeps the IP's
 *     verdict), or if it has never sent its cookie back (so a tool that never keeps cookies is
 *     one client whose 4xx add up, not one client per request);
 *  3. otherwise a new normal client with a fresh id from getrandom(); it becomes the IP's client.
 * Ids are only ever minted here: an unknown id is replaced, never adopted.
 * 0, or -1 when a new client cannot be made (no randomness, out of memory): serve the request
 * without a client. Takes at most two shard locks, one at a time. */
int hp_client_identify(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const char *sid_hex,
                       size_t len, int64_t now, hp_client_ref *out);

/* The same, and then->fn(c, then->arg) on the client found or made, under the lock the look-up
 * took (a new client: before it is inserted), so that per-request bookkeeping (the rate bucket)
 * costs no second look-up. fn may change only det[] and the score (anything else aborts), must
 * be short and must not call the table. then may be NULL. */
typedef struct hp_client_then {
    void (*fn)(hp_client *c, void *arg);
    void *arg;
} hp_client_then;
int hp_client_identify_then(hp_client_table *t, const uint8_t ip[HP_IP_LEN], const char *sid_hex,
                            size_t len, int64_t now, hp_client_ref *out,
                            const hp_client_then *then);

/* ---- Reading and changing a client --------------------------------------------------------- */

/* Runs fn(c, arg) on the client under its shard's lock, so that a detector's read-modify-write
 * (score, counters, ring push) is atomic. fn must be short and must not block or call the table,
 * but for hp_client_path_intern()/hp_client_path_get(): their locks never wait for a shard, so
 * they cannot deadlock (interning before the update keeps the shard lock shorter).
 * It may change any field but sid, ip, link and the table's flag bits (changing those aborts);
 * changing state (hp_client_mark) is how a detector flags: the table follows. 0, or -1 when the
 * client is not in the table (evicted or expired since it was identified). */
typedef void hp_client_fn(hp_client *c, void *arg);
/* hp_client_update on the client a look-up of this table returned (ref), without hashing its id
 * again: the same result. */
int hp_client_update_ref(hp_client_table *t, const hp_client_ref *ref, hp_client_fn *fn,
                         void *arg);
int hp_client_update(hp_client_table *t, const uint8_t sid[HP_SID_LEN], hp_client_fn *fn,
                     void *arg);

/* Sets the verdict (flag: ATTACKER with the detector id by; release: RELEASED). 0 or -1 (not
 * found). For the API's mitsu_flag(), the admin and the tool. */
int hp_client_set_state(hp_client_table *t, const uint8_t sid[HP_SID_LEN],
                        enum hp_client_state state, uint8_t by, int64_t now);

/* A copy of the client by id, or of the client the IP leads to. 0 or -1 (not found). */
int hp_client_get(hp_client_table *t, const uint8_t sid[HP_SID_LEN], hp_client *out);
int hp_client_get_by_ip(hp_client_table *t, const uint8_t ip[HP_IP_LEN], hp_client *out);

/* Inserts a client as given (ring, link and the table's flags ignored), or when its id is
 * known, takes its verdict (state, flagged_at, flagged_by, score, score_at) and keeps this
 * table's counters. For reloading verdicts at start and for verdicts from other instances.
 * Counts against the cap like any client. 0, or -1 out of memory. */
int hp_client_load(hp_client_table *t, const hp_client *c);

/* ---- On a record, inside hp_client_update() or on a copy ---------------------------------- */

/* Sets the state; becoming an ATTACKER (from another state) sets flagged_at and flagged_by,
 * so flagging an attacker again keeps the first verdict's time and detector. */
void hp_client_mark(hp_client *c, enum hp_client_state state, uint8_t by, int64_t now);

/* Appends a request to the ring, overwriting the oldest. Entries more than 24.6 days older than
 * the client's latest request are dropped: stale evidence, and their 32-bit times would be
 * ambiguous (the window is 2^31 ms less some slack for pushes that land out of order). */
void hp_client_ring_push(hp_client *c, int64_t now, uint8_t method, uint16_t status,
                         uint32_t path, uint8_t flags);

typedef struct hp_client_req_full {
    int64_t t; /* Unix ms */
    uint32_t path;
    uint16_t status;
    uint8_t method;
    uint8_t flags;
} hp_client_req_full;
/* The ring, oldest first; returns how many (at most HP_CLIENT_RING). */
size_t hp_client_ring_read(const hp_client *c, hp_client_req_full out[HP_CLIENT_RING]);

/* ---- Paths --------------------------------------------------------------------------------- */

/* A 32-bit id for a request path (its first HP_PATH_MAX bytes), so that the ring keeps 4 bytes
 * per path. The path table has a fixed size (path_slots, two-way set-associative): a path
 * unused for long is recycled and its old id then reads as gone. Same path, same id while it
 * stays. 0 only out of memory. */
uint32_t hp_client_path_intern(hp_client_table *t, const char *path, size_t len);
/* Copies the path of id into out (NUL-terminated, truncated to n - 1) and returns its length,
 * or -1 when the id was recycled. An id is a slot and a 16-bit generation, so a stale id could
 * only read another path after 65536 recyclings of its slot. */
int hp_client_path_get(hp_client_table *t, uint32_t id, char *out, size_t n);

/* ---- Upkeep and overview ------------------------------------------------------------------- */

/* Forgets clients idle for ttl (normal ones) or verdict_ttl (attackers and released ones);
 * a ttl <= 0 keeps them. Locks one shard at a time for at most 256 clients. Returns how many
 * were forgotten. Call it from a timer, not a request. */
size_t hp_client_expire(hp_client_table *t, int64_t now, int64_t ttl, int64_t verdict_ttl);
/* The same, telling gone_fn of every client forgotten (outside the locks): the engine removes
 * an expired attacker's private decoy copies so. */
typedef void hp_client_gone_fn(const uint8_t sid[HP_SID_LEN], enum hp_client_state state,
                               void *arg);
size_t hp_client_expire_notify(hp_client_table *t, int64_t now, int64_t ttl, int64_t verdict_ttl,
                               hp_client_gone_fn *gone_fn, void *arg);

/* Calls fn on a copy of every client, outside the locks, shard by shard (a client created or
 * changed meanwhile may be missed or seen before the change). fn returns nonzero to stop.
 * Returns how many were visited. For the journal and the admin. */
typedef int hp_client_visit_fn(const hp_client *c, void *arg);
size_t hp_client_foreach(hp_client_table *t, hp_client_visit_fn *fn, void *arg);

typedef struct hp_client_stats {
    size_t clients;
    size_t attackers;
    size_t verdicts;           /* attackers and released */
    size_t ip_entries;
    uint64_t created;
    uint64_t evicted;          /* forgotten to stay under the cap */
    uint64_t evicted_verdicts; /* of which attackers/released: only with no normal client left */
    uint64_t expired;
    size_t bytes;              /* held for clients: records, IP entries, buckets, chunk tables */
    size_t path_bytes;         /* the path table and its texts */
} hp_client_stats;
void hp_client_stats_get(hp_client_table *t, hp_client_stats *out);

/* Clients per shard into out[0 .. n-1]; returns the number of shards. For metrics and tests. */
unsigned hp_client_shard_sizes(hp_client_table *t, size_t *out, unsigned n);

/* ---- Keys ---------------------------------------------------------------------------------- */

/* 32 lowercase hex digits to 16 bytes: 0, or -1 for anything else. */
int hp_client_sid_parse(const char *hex, size_t len, uint8_t out[HP_SID_LEN]);
void hp_client_sid_format(const uint8_t sid[HP_SID_LEN], char out[HP_SID_HEX + 1]);
/* An IPv4 or IPv6 address (as cidr_client_address() writes it) to the key form: 0 or -1. */
int hp_client_ip_parse(const char *text, uint8_t out[HP_IP_LEN]);
/* The key of an IPv4 address (4 bytes, network order): the IPv4-mapped IPv6 form. */
void hp_client_ip_v4(const void *addr4, uint8_t out[HP_IP_LEN]);
/* The key as text; a mapped IPv4 as IPv4. */
void hp_client_ip_format(const uint8_t ip[HP_IP_LEN], char out[HP_IP_TEXT]);

#endif
