/* Detector login: the outcomes the application reports with mitsu_auth_result(). Failures per
 * client (brute force), distinct user names per client (password spraying) and failures per user
 * name across clients (credential stuffing), each counted over [login] window. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/siphash.h"
#include "honeypot/honeytoken.h"
#include "honeypot/hp.h"

/* Scores below the limits. A first failure is a typo: it is recorded with no score at all. Each
 * further failure in the window adds FAIL_SCORE: two failures are 10, nine are 80, and the
 * tenth (ip_failures) flags. A browser session failing with a user name under a stuffing attack
 * adds STUFF_SCORE per such failure (see mitsu_auth_result). Two failures during an attack on
 * the user's own account are then 0 + 10 + 2 * 20 = 50: with a rate overflow (30) and an odd
 * request refused by the protocol detector (10) still under the threshold of 100. */
#define FAIL_SCORE 10.0
#define STUFF_SCORE 20.0

enum {
    WAYS = 8,     /* entries per set of the two tables: the least recently used one is reused */
    SHARDS = 32,  /* mutexes per table; a set belongs to the shard of its index */
    NAMES = 8,    /* failed user names remembered per client */
    PARTS = 8,    /* clients remembered per user name: the last ones, flagged with the last */
    MAX_ENTRIES = 8192,
    MIN_ENTRIES = 64,
    SHOWN = 80,   /* bytes of a user name in evidence */
};

/* One client's failed logins in its window. 80 bytes. */
typedef struct lclient {
    uint8_t sid[HP_SID_LEN];
    uint32_t used;            /* last touched, Unix s; 0: a free entry */
    uint32_t since;           /* start of the window: the first failure after the last one expired */
    uint32_t failures;
    uint32_t users;           /* distinct names failed; past NAMES, a forgotten one counts again */
    uint32_t name[NAMES];     /* keyed hashes of the names failed */
    uint16_t fails[NAMES];    /* failures per name; 0: a free slot */
} lclient;

/* A client that failed with a user name. */
typedef struct lpart {
    uint8_t sid[HP_SID_LEN];
    uint8_t fails;            /* saturating */
    uint8_t browser;          /* it sent its honeypot cookie back: a browser session */
} lpart;

/* One user name's failures across clients in its window. 168 bytes. */
typedef struct luser {
    uint64_t name;            /* keyed hash */
    uint32_t used, since;
    uint32_t failures;
    uint16_t clients;         /* distinct clients; past PARTS, a forgotten one counts again */
    uint8_t next;             /* ring position in part */
    lpart part[PARTS];
} luser;

typedef struct shard {
    pthread_mutex_t mu;
    char pad[64 - sizeof(pthread_mutex_t) % 64]; /* one lock per cache line */
} shard;

typedef struct login {
    uint32_t ip_failures, ip_users, user_failures;
    uint32_t window_s;
    uint8_t id;                   /* this detector's id in the engine, for flagging others */
    uint64_t key[2];              /* SipHash key: user names are the attacker's choice */
    hp_client_table *clients;
    size_t csets, usets;          /* sets, powers of two */
    lclient *ctab;
    luser *utab;
    shard cs[SHARDS], us[SHARDS];
} login;

/* ---- Hashing ------------------------------------------------------------------------------ */

/* SipHash-1-3 of the user name folded to ASCII lower case without surrounding blanks, so that
 * "Alice " and "alice" count as one: what most applications look up anyway. The key is random,
 * so that nobody can choose names that collide with a victim's. */
static uint64_t name_hash(const login *L, const char *s)
{
    size_t len = strlen(s);
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    char folded[256]; /* longer names are told apart by their first 256 bytes */
    if (len > sizeof folded)
        len = sizeof folded;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        folded[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return siphash13(L->key, folded, len);
}

/* Client ids come from getrandom(): their bytes are a hash already. */
static uint64_t sid_hash(const uint8_t sid[HP_SID_LEN])
{
    uint64_t h;
    memcpy(&h, sid, sizeof h);
    return h;
}

/* ---- Set-up -------------------------------------------------------------------------------- */

static size_t pow2_sets(size_t entries)
{
    size_t sets = 1;
    while (sets * WAYS < entries)
        sets *= 2;
    return sets;
}

static int login_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    if (!config_get_bool(cfg, "login", "enabled"))
        return 0;
    login *L = calloc(1, sizeof *L);
    if (!L) {
        snprintf(err, errlen, "login: out of memory");
        return -1;
    }
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&L->cs[i].mu, NULL);
        pthread_mutex_init(&L->us[i].mu, NULL);
    }
    *state = L; /* from here, the engine's clean-up frees it */
    L->ip_failures = (uint32_t)config_get_int(cfg, "login", "ip_failures");
    L->ip_users = (uint32_t)config_get_int(cfg, "login", "ip_users");
    L->user_failures = (uint32_t)config_get_int(cfg, "login", "user_failures");
    int64_t w = config_get_ms(cfg, "login", "window") / 1000;
    L->window_s = w < 1 ? 1 : w > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)w;
    L->clients = hp_engine_clients(hp);
    /* The engine numbers detectors by their place in its table; hp_detector_name() is the one
     * way to it from here, and names are unique pointers. */
    for (unsigned i = 1; i < HP_BY_OPERATOR; i++) {
        const char *n = hp_detector_name((uint8_t)i);
        if (n == hp_detect_login.name) {
            L->id = (uint8_t)i;
            break;
        }
        if (strcmp(n, "unknown") == 0)
            break;
    }
    if (getrandom(L->key, sizeof L->key, 0) != (ssize_t)sizeof L->key) {
        snprintf(err, errlen, "login: no randomness for the hash key");
        return -1;
    }
    /* Only clients and names with a failure take an entry: a few per cent of the client
     * table's cap is plenty, and the least recently used ones go first. */
    size_t cap = (size_t)config_get_int(cfg, "honeypot", "max_clients");
    size_t n = cap > MAX_ENTRIES ? MAX_ENTRIES : cap < MIN_ENTRIES ? MIN_ENTRIES : cap;
    L->csets = pow2_sets(n);
    L->usets = pow2_sets(n / 2);
    L->ctab = calloc(L->csets * WAYS, sizeof *L->ctab);
    L->utab = calloc(L->usets * WAYS, sizeof *L->utab);
    if (!L->ctab || !L->utab) {
        snprintf(err, errlen, "login: out of memory");
        return -1;
    }
    return 0;
}

static void login_fini(void *state)
{
    login *L = state;
    if (!L)
        return;
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_destroy(&L->cs[i].mu);
        pthread_mutex_destroy(&L->us[i].mu);
    }
    free(L->ctab);
    free(L->utab);
    free(L);
}

/* ---- The two tables, under their shard's lock --------------------------------------------- */

/* The client's entry, or a new one in place of the least recently used of its set. */
static lclient *client_entry(login *L, const uint8_t sid[HP_SID_LEN], int create)
{
    lclient *set = &L->ctab[(sid_hash(sid) & (L->csets - 1)) * WAYS], *victim = set;
    for (int i = 0; i < WAYS; i++) {
        if (set[i].used && memcmp(set[i].sid, sid, HP_SID_LEN) == 0)
            return &set[i];
        if (set[i].used < victim->used)
            victim = &set[i];
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    memcpy(victim->sid, sid, HP_SID_LEN);
    return victim;
}

static luser *user_entry(login *L, uint64_t name, int create)
{
    luser *set = &L->utab[(name & (L->usets - 1)) * WAYS], *victim = set;
    for (int i = 0; i < WAYS; i++) {
        if (set[i].used && set[i].name == name)
            return &set[i];
        if (set[i].used < victim->used)
            victim = &set[i];
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    victim->name = name;
    return victim;
}

static pthread_mutex_t *client_lock(login *L, const uint8_t sid[HP_SID_LEN])
{
    return &L->cs[(sid_hash(sid) & (L->csets - 1)) % SHARDS].mu;
}

static pthread_mutex_t *user_lock(login *L, uint64_t name)
{
    return &L->us[(name & (L->usets - 1)) % SHARDS].mu;
}

/* Counts a failure of the client with the name hash h; returns its failures and distinct names
 * in the window. */
static void client_failed(login *L, const uint8_t sid[HP_SID_LEN], uint32_t h, uint32_t now,
                          uint32_t *failures, uint32_t *users)
{
    pthread_mutex_t *mu = client_lock(L, sid);
    pthread_mutex_lock(mu);
    lclient *e = client_entry(L, sid, 1);
    if (!e->used || now - e->since >= L->window_s) {
        memset(e, 0, sizeof *e);
        memcpy(e->sid, sid, HP_SID_LEN);
        e->since = now;
    }
    e->used = now ? now : 1;
    int slot = -1, low = 0;
    for (int i = 0; i < NAMES; i++) {
        if (e->fails[i] && e->name[i] == h)
            slot = i;
        if (e->fails[i] < e->fails[low])
            low = i;
    }
    if (slot < 0) {
        /* A new name; when all slots are taken, the one with the fewest failures goes. */
        slot = low;
        e->name[slot] = h;
        e->fails[slot] = 0;
        if (e->users < UINT32_MAX)
            e->users++;
    }
    if (e->fails[slot] < UINT16_MAX)
        e->fails[slot]++;
    if (e->failures < UINT32_MAX)
        e->failures++;
    *failures = e->failures;
    *users = e->users;
    pthread_mutex_unlock(mu);
}

/* A success with the name: that name's failures were the user's own typos, forgiven. Only that
 * name's: a success with another account must not launder a brute force on a victim's. */
static void client_succeeded(login *L, const uint8_t sid[HP_SID_LEN], uint32_t h,
                             uint32_t *failures, uint32_t *users)
{
    pthread_mutex_t *mu = client_lock(L, sid);
    pthread_mutex_lock(mu);
    lclient *e = client_entry(L, sid, 0);
    *failures = *users = 0;
    if (e) {
        for (int i = 0; i < NAMES; i++)
            if (e->fails[i] && e->name[i] == h) {
                e->failures -= e->fails[i] < e->failures ? e->fails[i] : e->failures;
                e->fails[i] = 0;
                if (e->users)
                    e->users--;
            }
        *failures = e->failures;
        *users = e->users;
    }
    pthread_mutex_unlock(mu);
}

typedef struct stuffing {
    uint32_t failures, clients;
    int reached;
    size_t nflag;
    uint8_t flag[PARTS][HP_SID_LEN]; /* earlier tool clients to flag now */
} stuffing;

/* Counts a failure with the name from the client; once the name reaches user_failures, says so
 * and lists the remembered participants that are not browser sessions. */
static void user_failed(login *L, uint64_t name, const uint8_t sid[HP_SID_LEN], int browser,
                        uint32_t now, stuffing *out)
{
    pthread_mutex_t *mu = user_lock(L, name);
    pthread_mutex_lock(mu);
    luser *e = user_entry(L, name, 1);
    if (!e->used || now - e->since >= L->window_s) {
        memset(e, 0, sizeof *e);
        e->name = name;
        e->since = now;
    }
    e->used = now ? now : 1;
    if (e->failures < UINT32_MAX)
        e->failures++;
    lpart *p = NULL;
    for (int i = 0; i < PARTS; i++)
        if (e->part[i].fails && memcmp(e->part[i].sid, sid, HP_SID_LEN) == 0)
            p = &e->part[i];
    if (!p) {
        p = &e->part[e->next];
        e->next = (uint8_t)((e->next + 1) % PARTS);
        memset(p, 0, sizeof *p);
        memcpy(p->sid, sid, HP_SID_LEN);
        if (e->clients < UINT16_MAX)
            e->clients++;
    }
    if (p->fails < UINT8_MAX)
        p->fails++;
    p->browser = (uint8_t)browser;
    out->failures = e->failures;
    out->clients = e->clients;
    out->reached = e->failures >= L->user_failures;
    if (out->reached)
        for (int i = 0; i < PARTS; i++)
            if (e->part[i].fails && !e->part[i].browser && &e->part[i] != p)
                memcpy(out->flag[out->nflag++], e->part[i].sid, HP_SID_LEN);
    pthread_mutex_unlock(mu);
}

/* A client that logs in with the name is its owner, as far as anyone can tell: it leaves the
 * participants, so that it is never flagged along with an attack on its own account. */
static void user_succeeded(login *L, uint64_t name, const uint8_t sid[HP_SID_LEN])
{
    pthread_mutex_t *mu = user_lock(L, name);
    pthread_mutex_lock(mu);
    luser *e = user_entry(L, name, 0);
    for (int i = 0; e && i < PARTS; i++)
        if (e->part[i].fails && memcmp(e->part[i].sid, sid, HP_SID_LEN) == 0)
            memset(&e->part[i], 0, sizeof e->part[i]);
    pthread_mutex_unlock(mu);
}

/* ---- The client table ---------------------------------------------------------------------- */

/* HP_DET_LOGIN shows the counts to whoever reads the client (admin, journal): failures in the
 * low 16 bits, distinct names in the high 16, both saturating. The detector's own state is in
 * its tables, which keep the window and the names. */
static void mirror_locked(hp_client *c, void *p)
{
    const uint32_t *v = p;
    uint32_t f = v[0] > 0xffff ? 0xffff : v[0], u = v[1] > 0xffff ? 0xffff : v[1];
    c->det[HP_DET_LOGIN] = f | u << 16;
}

typedef struct flag_arg {
    uint8_t by;
    int64_t now;
} flag_arg;

/* An operator's release stands: only the client's own requests can flag it again. */
static void flag_locked(hp_client *c, void *p)
{
    const flag_arg *a = p;
    if (c->state == HP_CLIENT_NORMAL)
        hp_client_mark(c, HP_CLIENT_ATTACKER, a->by, a->now);
}

/* ---- The public API ------------------------------------------------------------------------ */

/* At most n bytes of s, cut before a UTF-8 sequence rather than through it. */
static int clip(const char *s, int n)
{
    int len = (int)strnlen(s, (size_t)n + 1);
    if (len <= n)
        return len;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

void mitsu_auth_result(mitsu_req *req, const char *user, int ok)
{
    hp_request *r = req ? req->client : NULL;
    if (!r || !r->has_client || r->whitelisted)
        return;
    hp_honeytoken_user(r, user); /* a planted user name flags, whatever the outcome */
    login *L = hp_engine_state(r->hp, &hp_detect_login);
    if (!L)
        return;
    if (!user)
        user = "";
    uint64_t name = name_hash(L, user);
    uint32_t now = (uint32_t)(r->now / 1000);
    uint32_t counts[2];
    const uint8_t *sid = r->client.sid;
    if (ok) {
        client_succeeded(L, sid, (uint32_t)name, &counts[0], &counts[1]);
        user_succeeded(L, name, sid);
        hp_client_update(L->clients, sid, mirror_locked, counts);
        return;
    }
    client_failed(L, sid, (uint32_t)name, now, &counts[0], &counts[1]);
    /* The client sent its honeypot cookie back: a browser that loaded a page before posting,
     * which is how a person logs in; a tool posting straight away does not. */
    int browser = r->client.cookie == HP_COOKIE_KNOWN;
    stuffing st = {0};
    user_failed(L, name, sid, browser, now, &st);
    hp_client_update(L->clients, sid, mirror_locked, counts);

    int shown = clip(user, SHOWN);
    int flagged = 0;
    if (counts[0] >= L->ip_failures) {
        hp_report(r, &hp_detect_login, HP_ATTACK, HP_FLAGS,
                  "brute force: %u failed logins within %us (last user \"%.*s\")", counts[0],
                  L->window_s, shown, user);
        flagged = 1;
    }
    if (counts[1] >= L->ip_users) {
        hp_report(r, &hp_detect_login, HP_ATTACK, HP_FLAGS,
                  "password spraying: %u user names failed within %us (last \"%.*s\")",
                  counts[1], L->window_s, shown, user);
        flagged = 1;
    }
    if (st.reached) {
        /* A tool that tries the name is flagged; a browser session may be the owner mistyping
         * during the attack on their account, and one failed login never flags: it adds up. */
        hp_report(r, &hp_detect_login, browser ? HP_SUSPICIOUS : HP_ATTACK,
                  browser ? STUFF_SCORE : HP_FLAGS,
                  "credential stuffing: user \"%.*s\" failed %u times from %u clients within %us%s",
                  shown, user, st.failures, st.clients, L->window_s,
                  browser ? " (this client is a browser session)" : "");
        flagged |= !browser;
        flag_arg fa = {L->id, r->now};
        for (size_t i = 0; L->id && i < st.nflag; i++)
            hp_client_update(L->clients, st.flag[i], flag_locked, &fa);
    }
    if (!flagged)
        hp_report(r, &hp_detect_login, HP_SUSPICIOUS, counts[0] > 1 ? FAIL_SCORE : 0,
                  "failed login %u within %us (user \"%.*s\")", counts[0], L->window_s, shown,
                  user);
}

const hp_detector hp_detect_login = {
    .name = "login",
    .phases = 0, /* judged in mitsu_auth_result(), which the handler calls */
    .init = login_init,
    .fini = login_fini,
};
