/* Configuration: the key table (every key's section, type, range, default and doc), the INI reader
 * built on inih, the MITSU_SECTION_KEY environment overrides, and the typed getters. */
#include "web/config.h"

#include "web/cidr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- The schema ------------------------------------------------------------------------ */

enum vtype { T_STR, T_INT, T_BOOL, T_SIZE, T_DURATION, T_ENUM, T_LIST, T__MAX };

enum {
    F_NONEMPTY = 1, /* an empty value is an error (for a list: no items) */
    F_REQUIRED = 2, /* must be set in every section of its kind ([db.NAME] real, decoy) */
    F_SECRET = 4    /* never echoed in a message */
};

/* Checks one string value or list item; 0, or -1 with the reason in why. */
typedef int (*check_fn)(const char *v, char *why, size_t n);

struct key_spec {
    const char *section;        /* "server"; "db" stands for every [db.NAME] */
    const char *name;
    enum vtype type;
    int64_t min, max;           /* int, size, duration (ms): range. string: min length when set.
                                 * list: min length of each item, max items (0: any) */
    const char *const *words;   /* enum: the allowed words, NULL-terminated */
    check_fn check;             /* string, list item: extra syntax */
    const char *def;            /* the default as it would be written in the file; NULL: none */
    unsigned flags;
    const char *doc;
};

#define KSTR(s, k, d, minlen, chk, fl, doc) {s, k, T_STR, minlen, 0, NULL, chk, d, fl, doc}
#define KINT(s, k, d, lo, hi, doc) {s, k, T_INT, lo, hi, NULL, NULL, d, 0, doc}
#define KBOOL(s, k, d, doc) {s, k, T_BOOL, 0, 1, NULL, NULL, d, 0, doc}
#define KSIZE(s, k, d, lo, hi, doc) {s, k, T_SIZE, lo, hi, NULL, NULL, d, 0, doc}
#define KDUR(s, k, d, lo, hi, doc) {s, k, T_DURATION, lo, hi, NULL, NULL, d, 0, doc}
#define KENUM(s, k, d, w, doc) {s, k, T_ENUM, 0, 0, w, NULL, d, 0, doc}
#define KLIST(s, k, d, minlen, maxn, chk, fl, doc) \
    {s, k, T_LIST, minlen, maxn, NULL, chk, d, fl, doc}

#define KIB 1024LL
#define MIB (1024LL * 1024)
#define GIB (1024LL * 1024 * 1024)
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const char *const hp_mode_words[CONFIG_HP_MODE__MAX + 1] = {
    [CONFIG_HP_ENFORCE] = "enforce", [CONFIG_HP_SIMULATE] = "simulate", NULL};
static const char *const hp_action_words[CONFIG_HP_ACTION__MAX + 1] = {
    [CONFIG_HP_DIVERT] = "divert", [CONFIG_HP_OBSERVE] = "observe",
    [CONFIG_HP_BLOCK] = "block", [CONFIG_HP_TARPIT] = "tarpit", NULL};
static const char *const decoy_mode_words[CONFIG_DECOY_MODE__MAX + 1] = {
    [CONFIG_DECOY_SHARED] = "shared", [CONFIG_DECOY_PER_ATTACKER] = "per_attacker", NULL};
static const char *const secrets_words[CONFIG_SECRETS__MAX + 1] = {
    [CONFIG_SECRETS_PLAIN] = "plain", [CONFIG_SECRETS_HASH] = "hash",
    [CONFIG_SECRETS_REDACT] = "redact", NULL};

static int check_listen(const char *v, char *why, size_t n);
static int check_cidr(const char *v, char *why, size_t n);
static int check_db_url(const char *v, char *why, size_t n);
static int check_cookie_name(const char *v, char *why, size_t n);
static int check_url_prefix(const char *v, char *why, size_t n);
static int check_field_name(const char *v, char *why, size_t n);
static int check_prefix_map(const char *v, char *why, size_t n);
static int check_status_list(const char *v, char *why, size_t n);

enum { MAX_LISTEN = 8 }; /* what the HTTP server binds at most */

/* Every key. Adding one is one line here and one row in docs/config.md (a test checks). */
static const struct key_spec keys[] = {
    KLIST("server", "listen", "127.0.0.1:8080", 1, MAX_LISTEN, check_listen, F_NONEMPTY,
          "addresses to listen on: HOST:PORT, [IPV6]:PORT, :PORT or *:PORT, comma-separated"),
    KINT("server", "workers", "0", 0, 1024, "I/O worker threads; 0 = one per online CPU"),
    KINT("server", "max_connections", "10000", 1, 1000000, "open connections across all workers"),
    KDUR("server", "header_timeout", "10s", 1, DAY, "the whole head must arrive within this"),
    KDUR("server", "body_timeout", "30s", 1, DAY, "the whole body must arrive within this"),
    KDUR("server", "idle_timeout", "60s", 1, DAY, "keep-alive wait for the next request"),
    KDUR("server", "write_timeout", "30s", 1, DAY, "no write progress for this long: give up"),
    KDUR("server", "shutdown_timeout", "10s", 0, HOUR, "grace for requests in flight on SIGTERM"),
    KSIZE("server", "max_request_line", "8K", 64, MIB, "longest request line; longer: 414"),
    KSIZE("server", "max_head", "32K", 256, 16 * MIB, "largest request head; larger: 431"),
    KINT("server", "max_headers", "100", 1, 10000, "most header fields; more: 431"),
    KSIZE("server", "max_body", "1M", 0, 1024 * GIB, "largest request body; larger: 413"),
    KLIST("server", "trusted_proxies", "", 1, 0, check_cidr, 0,
          "proxies whose X-Forwarded-For / Forwarded is believed, as CIDR blocks"),

    KLIST("app", "secret_keys", "", 32, 0, NULL, F_SECRET,
          "keys for signed cookies and fields: the first signs, all verify; 32+ chars each"),
    KSTR("app", "templates", "templates", 0, NULL, 0, "directory of templates"),
    KSTR("app", "static", "static", 0, NULL, 0, "directory of static files"),
    KSTR("app", "static_prefix", "/static", 1, check_url_prefix, F_NONEMPTY,
         "URL path under which the static directory is served"),

    KSTR("session", "cookie_name", "session", 1, check_cookie_name, F_NONEMPTY,
         "name of the session cookie"),
    KDUR("session", "lifetime", "24h", SEC, 366 * DAY,
         "a session expires this long after it starts"),
    KBOOL("session", "secure", "false", "send the session cookie with Secure (HTTPS only)"),

    KBOOL("honeypot", "enabled", "true", "run the detectors at all"),
    KENUM("honeypot", "mode", "enforce", hp_mode_words,
          "enforce: act on attackers; simulate: detect and record only"),
    KENUM("honeypot", "action", "divert", hp_action_words, "what happens to an attacker"),
    KINT("honeypot", "threshold", "100", 1, 1000000, "score at which a client is an attacker"),
    KDUR("honeypot", "client_ttl", "24h", SEC, 366 * DAY,
         "an idle client is forgotten (in memory) after this"),
    KDUR("honeypot", "verdict_ttl", "0", 0, 3660 * DAY,
         "an idle attacker's record is forgotten after this (0: never); its decoy copies go"),
    KINT("honeypot", "max_clients", "100000", 1, 100000000, "clients tracked in memory at most"),
    KDUR("honeypot", "tarpit_delay", "5s", 1, 60 * SEC,
         "action tarpit: how long each response of an attacker is held"),
    KINT("honeypot", "tarpit_max", "64", 0, 100000,
         "action tarpit: responses held at once per worker; past it they go out at once"),
    KSTR("honeypot", "cookie_name", "sid", 1, check_cookie_name, F_NONEMPTY,
         "name of the client id cookie (32 hex digits)"),
    KDUR("honeypot", "cookie_lifetime", "720h", SEC, 3660 * DAY,
         "lifetime of the client id cookie"),
    KDUR("honeypot", "decay", "10m", SEC, 366 * DAY, "half-life of a client's score"),
    KLIST("honeypot", "whitelist", "", 1, 0, check_cidr, 0,
          "clients (CIDR blocks) never judged, e.g. monitoring"),
    KLIST("honeypot", "whitelist_paths", "", 1, 0, check_url_prefix, 0,
          "path prefixes never judged, e.g. /healthz"),
    KLIST("honeypot", "whitelist_agents", "", 1, 0, NULL, 0,
          "User-Agent substrings never judged"),
    KLIST("honeypot", "decoy_prefixes", "", 3, 0, check_prefix_map, 0,
          "FROM=TO path prefix rewrites for diverted requests (the paper's PATH_INFO rewrite)"),
    KLIST("honeypot", "static_extensions", "css,js,mjs,map,png,jpg,jpeg,gif,ico,svg,webp,avif,woff,woff2,ttf",
          1, 0, NULL, 0, "file extensions of static requests, which some detectors ignore"),

    KBOOL("status4xx", "enabled", "true", "the paper's rule: 4xx responses add up"),
    KINT("status4xx", "count", "10", 1, 100000, "4xx responses (distinct paths) that flag"),
    KDUR("status4xx", "window", "10m", 0, 366 * DAY,
         "the count leaks away over this; 0 = never (the paper's rule)"),
    KLIST("status4xx", "statuses", "400,401,403,404,405", 3, 0, check_status_list, 0,
          "the statuses that count"),
    KBOOL("status4xx", "distinct", "true",
          "count a failing path once while it is among the client's recent requests"),

    KBOOL("honeytoken", "enabled", "true",
          "values planted by mitsu decoy init, in any input, flag at once"),
    KBOOL("trap", "enabled", "true", "requests for paths nobody legitimate asks for"),
    KLIST("trap", "paths", "/.env,/.git/,/.svn/,/.aws/,/.ssh/,/wp-login.php,/wp-admin/,/xmlrpc.php,/phpmyadmin/,/pma/,/admin.php,/server-status,/actuator/,/.DS_Store,/config.php,/backup.sql,/db.sql,/.htpasswd,/cgi-bin/,/vendor/phpunit/",
          1, 0, check_url_prefix, 0, "trap path prefixes"),
    KBOOL("trap", "robots", "true", "serve /robots.txt with Disallow bait (unless a route has it)"),
    KLIST("trap", "robots_paths", "/admin-backup/,/internal/reports/", 1, 0, check_url_prefix, 0,
          "the bait paths robots.txt disallows; requesting one flags"),
    KSTR("trap", "honey_field", "website", 0, check_field_name, 0,
         "the field {{mitsu.honey_field}} renders; a request filling it flags; empty: none"),

    KBOOL("signature", "enabled", "true",
          "injection payloads and scanner agents, matched with PCRE2 JIT"),
    KSTR("signature", "rules", "", 0, NULL, 0,
         "a rules file replacing the built-in rules; empty: the built-in rules"),
    KINT("signature", "weight", "100", 0, 1000000, "score of a rule hit, per rule class"),

    KBOOL("rate", "enabled", "true", "non-static requests faster than a person"),
    KINT("rate", "limit", "10", 1, 1000000, "sustained non-static requests per second"),
    KINT("rate", "burst", "40", 1, 1000000, "requests allowed in a burst above the rate"),
    KINT("rate", "weight", "30", 0, 1000000, "score of exceeding the rate"),

    KBOOL("login", "enabled", "true", "login outcomes reported by mitsu_auth_result()"),
    KINT("login", "ip_failures", "10", 1, 1000000, "failed logins from one client that flag"),
    KINT("login", "ip_users", "5", 1, 1000000,
         "distinct user names tried by one client that flag (spraying)"),
    KINT("login", "user_failures", "20", 1, 1000000,
         "failures for one user name across clients that flag (stuffing)"),
    KDUR("login", "window", "15m", SEC, 366 * DAY, "failures are counted over this"),

    KBOOL("transition", "enabled", "true", "page transitions outside the declared graph"),
    KINT("transition", "weight", "50", 0, 1000000, "score of an illegal transition"),

    KBOOL("tamper", "enabled", "true", "signed cookies or fields altered by the client"),
    KINT("tamper", "weight", "100", 0, 1000000, "score of a tampered value"),

    KBOOL("params", "enabled", "true", "declared route parameters violated"),
    KINT("params", "suspicious", "25", 0, 1000000,
         "score of a missing or unexpected parameter"),
    KINT("params", "attack", "50", 0, 1000000,
         "score of a value out of type, pattern or length"),

    KBOOL("protocol", "enabled", "true",
          "malformed HTTP, smuggling attempts, methods no route allows"),
    KINT("protocol", "weight", "40", 0, 1000000, "score of a malformed request or odd method"),

    KSTR("journal", "db", "sqlite:var/mitsu.db", 1, check_db_url, F_NONEMPTY | F_SECRET,
         "management database: sqlite:PATH or postgresql://..."),
    KINT("journal", "queue_size", "10000", 1, 10000000, "records waiting to be written, at most"),
    KSTR("journal", "log", "stderr", 1, NULL, F_NONEMPTY,
         "JSON event lines: stderr, off, or a file path"),
    KLIST("journal", "secret_fields", "password,passwd,pass,pwd,token,secret", 1, 0, NULL, 0,
          "form and JSON fields whose values are masked in records"),
    KENUM("journal", "secrets", "plain", secrets_words,
          "secret values in attackers' captures: plain, hash (SHA-256) or redact"),
    KSIZE("journal", "body_max", "64K", 0, 64 * MIB, "bytes of a captured body kept, at most"),

    KLIST("admin", "listen", "127.0.0.1:8081", 1, MAX_LISTEN, check_listen, F_NONEMPTY,
          "addresses of the admin listener"),
    KSTR("admin", "token", "", 32, NULL, F_SECRET, "bearer token of the admin listener; 32+ chars"),

    KSTR("db", "real", NULL, 1, check_db_url, F_NONEMPTY | F_REQUIRED | F_SECRET,
         "the application's database: sqlite:PATH or postgresql://..."),
    KSTR("db", "decoy", NULL, 1, check_db_url, F_NONEMPTY | F_REQUIRED | F_SECRET,
         "the decoy with the same schema, used for diverted requests"),
    KENUM("db", "decoy_mode", "shared", decoy_mode_words,
          "shared: one decoy; per_attacker: a private copy each (SQLite only)"),
    KINT("db", "max_attacker_copies", "1000", 1, 10000000,
         "per_attacker: private copies at most; past it, new attackers share the decoy"),
    KSIZE("db", "max_attacker_bytes", "1G", 0, 1024 * GIB,
          "per_attacker: total size of the private copies at most"),
    KSIZE("db", "attacker_copy_growth", "64M", 0, 1024 * GIB,
          "per_attacker: how far one copy may grow past the decoy's size"),
};
enum { NKEYS = sizeof keys / sizeof keys[0] };

struct section_spec {
    const char *name;
    int prefixed; /* 1: [name.SUFFIX], any number of them */
    const char *doc;
};

static const struct section_spec sections[] = {
    {"server", 0, "the HTTP listener"},
    {"app", 0, "the application"},
    {"session", 0, "the session cookie"},
    {"honeypot", 0, "detection and actions"},
    {"status4xx", 0, "detector: 4xx responses"},
    {"trap", 0, "detector: trap paths"},
    {"honeytoken", 0, "detector: planted honeytokens"},
    {"protocol", 0, "detector: malformed HTTP and methods"},
    {"signature", 0, "detector: attack signatures"},
    {"rate", 0, "detector: request rate"},
    {"login", 0, "detector: failed logins"},
    {"transition", 0, "detector: page transitions"},
    {"tamper", 0, "detector: altered signed values"},
    {"params", 0, "detector: declared route parameters"},
    {"journal", 0, "the management database and event log"},
    {"admin", 0, "the admin listener"},
    {"db", 1, "an application database and its decoy, [db.NAME]"},
};
enum { NSECTIONS = sizeof sections / sizeof sections[0] };

enum { MAX_SUFFIX = 32, MAX_FILE = 1 << 20, MAX_ERRORS = 100, WHY_LEN = 1024 };

/* ---- Values and the config object -------------------------------------------------------- */

struct value {
    int line;          /* file line that set it; 0: default or environment */
    const char *env;   /* the variable that set it, or NULL (owned by the config) */
    int64_t num;       /* int, bool, size, duration (ms), enum index */
    char *text;        /* normalized text; never NULL once initialized */
    char **items;      /* list items */
    size_t nitems;
};

struct inst {
    const struct section_spec *sec;
    char *name;        /* "server", "db.main" */
    const char *suffix; /* "main" inside name, or NULL */
    int line;          /* first header line; 0 when none */
    const char *env;   /* variable that created it, or NULL */
    struct value v[NKEYS]; /* only this section's keys are used */
};

struct config {
    char *file;
    struct inst **inst;
    size_t ninst, cap;
    char **envnames;   /* copies of the variables that set values */
    size_t nenv;
    config_db *dbs;
    size_t ndb;
};

/* ---- Small helpers ------------------------------------------------------------------------ */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("mitsu: out of memory reading the configuration\n", stderr);
        abort(); /* the configuration is read once at start-up; there is nothing to degrade */
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xcalloc(n + 1, 1);
    memcpy(p, s, n);
    return p;
}

static char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

static const char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A value as it may appear in a message: at most 60 bytes, control and non-ASCII bytes escaped. */
static void quote(char *out, size_t n, const char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 8 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == 60) {
            o += (size_t)snprintf(out + o, n - o, "...");
            break;
        }
        if (c < 0x20 || c >= 0x7f || c == '\\')
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
}

/* 1048576 → "1M", 8192 → "8K", 1000 → "1000". */
static void fmt_size(char *out, size_t n, int64_t v)
{
    if (v && v % GIB == 0)
        snprintf(out, n, "%lldG", (long long)(v / GIB));
    else if (v && v % MIB == 0)
        snprintf(out, n, "%lldM", (long long)(v / MIB));
    else if (v && v % KIB == 0)
        snprintf(out, n, "%lldK", (long long)(v / KIB));
    else
        snprintf(out, n, "%lld", (long long)v);
}

static void fmt_ms(char *out, size_t n, int64_t v)
{
    if (v && v % HOUR == 0)
        snprintf(out, n, "%lldh", (long long)(v / HOUR));
    else if (v && v % MIN == 0)
        snprintf(out, n, "%lldm", (long long)(v / MIN));
    else if (v && v % SEC == 0)
        snprintf(out, n, "%llds", (long long)(v / SEC));
    else
        snprintf(out, n, "%lldms", (long long)v);
}

static const struct key_spec *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static size_t key_index(const struct key_spec *k)
{
    return (size_t)(k - keys);
}

/* ---- Value syntax -------------------------------------------------------------------------- */

/* Unsigned decimal digits at *p; advances *p. -1 when there are none or on overflow. */
static int digits(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int64_t *out)
{
    int neg = 0;
    uint64_t v;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (digits(&s, &v) < 0 || *s || v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* "512", "8K", "1M", "2G" (powers of 1024, either case). */
static int parse_size(const char *s, int64_t *out)
{
    static const struct { char c; int64_t mul; } units[] = {
        {'k', KIB}, {'m', MIB}, {'g', GIB}};
    uint64_t v;
    if (digits(&s, &v) < 0)
        return -1;
    int64_t mul = 1;
    if (*s) {
        mul = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (tolower((unsigned char)*s) == units[i].c)
                mul = units[i].mul;
        if (!mul || s[1])
            return -1;
    }
    if (v > (uint64_t)(INT64_MAX / mul))
        return -1;
    *out = (int64_t)v * mul;
    return 0;
}

/* "250ms", "30s", "5m", "2h"; a bare "0". */
static int parse_duration(const char *s, int64_t *out)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"ms", 1}, {"s", SEC}, {"m", MIN}, {"h", HOUR}};
    uint64_t v;
    if (digits(&s, &v) < 0)
        return -1;
    if (!*s) {
        if (v != 0)
            return -1;
        *out = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(s, units[i].unit) == 0) {
            if (v > (uint64_t)(INT64_MAX / units[i].ms))
                return -1;
            *out = (int64_t)v * units[i].ms;
            return 0;
        }
    return -1;
}

static int parse_bool(const char *s, int64_t *out)
{
    static const struct { const char *word; int value; } words[] = {
        {"true", 1}, {"yes", 1}, {"on", 1}, {"1", 1},
        {"false", 0}, {"no", 0}, {"off", 0}, {"0", 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i].word) == 0) {
            *out = words[i].value;
            return 0;
        }
    return -1;
}

static int valid_hostname(const char *h, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
            return 0;
    return 1;
}

/* HOST:PORT, [IPV6]:PORT, :PORT, *:PORT — what http_server_new resolves (without resolving). */
static int check_listen(const char *v, char *why, size_t n)
{
    const char *colon;
    char host[256];
    size_t hlen;
    if (v[0] == '[') {
        const char *rb = strchr(v, ']');
        hlen = rb ? (size_t)(rb - v - 1) : 0;
        if (!rb || rb[1] != ':' || hlen >= sizeof host) {
            snprintf(why, n, "expected [IPV6]:PORT");
            return -1;
        }
        memcpy(host, v + 1, hlen);
        host[hlen] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host, &a6) != 1) {
            snprintf(why, n, "not an IPv6 address between the brackets");
            return -1;
        }
        colon = rb + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon) {
            snprintf(why, n, "expected HOST:PORT, [IPV6]:PORT, :PORT or *:PORT");
            return -1;
        }
        hlen = (size_t)(colon - v);
        if (memchr(v, ':', hlen)) {
            snprintf(why, n, "an IPv6 address goes in brackets: [ADDR]:PORT");
            return -1;
        }
        if (hlen && !(hlen == 1 && v[0] == '*') && !valid_hostname(v, hlen)) {
            snprintf(why, n, "not a host name or IPv4 address");
            return -1;
        }
        if (hlen && hlen < sizeof host && strspn(v, "0123456789.") == hlen) {
            struct in_addr a4;
            memcpy(host, v, hlen);
            host[hlen] = '\0';
            if (inet_pton(AF_INET, host, &a4) != 1) {
                snprintf(why, n, "not an IPv4 address");
                return -1;
            }
        }
    }
    const char *p = colon + 1;
    uint64_t port;
    if (digits(&p, &port) < 0 || *p || port > 65535 || strlen(colon + 1) > 5) {
        snprintf(why, n, "the port must be a number from 0 to 65535");
        return -1;
    }
    return 0;
}

static int check_cidr(const char *v, char *why, size_t n)
{
    return cidr_parse(v, NULL, why, n);
}

static int check_db_url(const char *v, char *why, size_t n)
{
    static const char *const schemes[] = {"sqlite:", "postgresql://", "postgres://"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t l = strlen(schemes[i]);
        if (strncmp(v, schemes[i], l) == 0 && v[l])
            return 0;
    }
    snprintf(why, n, "expected sqlite:PATH or postgresql://...");
    return -1;
}

/* RFC 6265 §4.1.1: a cookie name is an RFC 9110 token. */
static int check_cookie_name(const char *v, char *why, size_t n)
{
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p)) {
            snprintf(why, n, "a cookie name is letters, digits and !#$%%&'*+-.^_`|~ only");
            return -1;
        }
    return 0;
}

static int check_field_name(const char *v, char *why, size_t n)
{
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
            snprintf(why, n, "a field name is letters, digits, '-' and '_' only");
            return -1;
        }
    return 0;
}

static int check_url_prefix(const char *v, char *why, size_t n)
{
    if (v[0] != '/') {
        snprintf(why, n, "must start with /");
        return -1;
    }
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#') {
            snprintf(why, n, "a URL path without spaces, controls, ? or #");
            return -1;
        }
    return 0;
}

static int check_prefix_map(const char *v, char *why, size_t n)
{
    const char *eq = strchr(v, '=');
    if (!eq || v[0] != '/' || eq[1] != '/') {
        snprintf(why, n, "expected FROM=TO, two paths starting with /");
        return -1;
    }
    return 0;
}

static int check_status_list(const char *v, char *why, size_t n)
{
    if (strlen(v) != 3 || v[0] < '1' || v[0] > '5' || v[1] < '0' || v[1] > '9' || v[2] < '0' ||
        v[2] > '9') {
        snprintf(why, n, "expected an HTTP status, 100 to 599");
        return -1;
    }
    return 0;
}

static void value_clear(struct value *v)
{
    for (size_t i = 0; i < v->nitems; i++)
        free(v->items[i]);
    free(v->items);
    free(v->text);
    memset(v, 0, sizeof *v);
}

static void list_join(struct value *v)
{
    size_t len = 1;
    for (size_t i = 0; i < v->nitems; i++)
        len += strlen(v->items[i]) + 1;
    free(v->text);
    v->text = xcalloc(len, 1);
    char *p = v->text;
    for (size_t i = 0; i < v->nitems; i++) {
        if (i)
            *p++ = ',';
        size_t l = strlen(v->items[i]);
        memcpy(p, v->items[i], l);
        p += l;
    }
    *p = '\0';
}

/* Appends the comma-separated items of text to the list value v (empty items are skipped).
 * 0, or -1 with the reason in why (the items before the bad one stay). */
static int list_append(const struct key_spec *k, struct value *v, const char *text, char *why,
                       size_t n)
{
    char *copy = xstrdup(text);
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const char *item = trim(tok);
        if (!*item)
            continue;
        char sub[160], q[256];
        size_t pos = v->nitems + 1;
        if (k->max && v->nitems >= (size_t)k->max) {
            snprintf(why, n, "at most %lld items", (long long)k->max);
            rc = -1;
            break;
        }
        if ((int64_t)strlen(item) < k->min) {
            snprintf(why, n, "item %zu is %zu characters long; each needs at least %lld", pos,
                     strlen(item), (long long)k->min);
            rc = -1;
            break;
        }
        if (k->check && k->check(item, sub, sizeof sub) < 0) {
            if (k->flags & F_SECRET) {
                snprintf(why, n, "item %zu: %s", pos, sub);
            } else {
                quote(q, sizeof q, item);
                snprintf(why, n, "item %zu '%s': %s", pos, q, sub);
            }
            rc = -1;
            break;
        }
        char **items = xcalloc(v->nitems + 1, sizeof *items);
        if (v->nitems)
            memcpy(items, v->items, v->nitems * sizeof *items);
        free(v->items);
        v->items = items;
        v->items[v->nitems++] = xstrdup(item);
    }
    free(copy);
    list_join(v);
    return rc;
}

/* Parses text (already trimmed) as a value of key k into out (cleared first). 0, or -1 with
 * the reason in why, ending in "got '...'" unless the key is secret. */
static int parse_value(const struct key_spec *k, const char *text, struct value *out, char *why,
                       size_t n)
{
    char expect[200] = "", lo[32], hi[32];
    int64_t num = 0;
    int bad = 0;
    value_clear(out);
    switch (k->type) {
    case T_STR:
        if (!*text) {
            if (k->flags & F_NONEMPTY) {
                snprintf(why, n, "must not be empty");
                return -1;
            }
            break;
        }
        if ((int64_t)strlen(text) < k->min) {
            snprintf(why, n, "is %zu characters long; at least %lld needed", strlen(text),
                     (long long)k->min);
            return -1;
        }
        if (k->check && k->check(text, expect, sizeof expect) < 0)
            bad = 1;
        break;
    case T_INT:
        bad = parse_int(text, &num) < 0 || num < k->min || num > k->max;
        snprintf(expect, sizeof expect, "expected an integer from %lld to %lld",
                 (long long)k->min, (long long)k->max);
        break;
    case T_BOOL:
        bad = parse_bool(text, &num) < 0;
        snprintf(expect, sizeof expect, "expected true or false (yes/no, on/off, 1/0)");
        break;
    case T_SIZE:
        bad = parse_size(text, &num) < 0 || num < k->min || num > k->max;
        fmt_size(lo, sizeof lo, k->min);
        fmt_size(hi, sizeof hi, k->max);
        snprintf(expect, sizeof expect, "expected a size from %s to %s (bytes, or with K, M, G)",
                 lo, hi);
        break;
    case T_DURATION:
        bad = parse_duration(text, &num) < 0 || num < k->min || num > k->max;
        fmt_ms(lo, sizeof lo, k->min);
        fmt_ms(hi, sizeof hi, k->max);
        snprintf(expect, sizeof expect, "expected a duration from %s to %s (with ms, s, m or h)",
                 lo, hi);
        break;
    case T_ENUM: {
        size_t o = (size_t)snprintf(expect, sizeof expect, "expected one of");
        bad = 1;
        for (int i = 0; k->words[i]; i++) {
            if (strcmp(text, k->words[i]) == 0) {
                bad = 0;
                num = i;
            }
            if (o < sizeof expect)
                o += (size_t)snprintf(expect + o, sizeof expect - o, "%s %s", i ? "," : "",
                                      k->words[i]);
        }
        break;
    }
    case T_LIST:
        return list_append(k, out, text, why, n);
    case T__MAX:
        abort();
    }
    if (bad) {
        char q[256];
        if (k->flags & F_SECRET) {
            snprintf(why, n, "%s", expect);
        } else {
            quote(q, sizeof q, text);
            snprintf(why, n, "%s, got '%s'", expect, q);
        }
        return -1;
    }
    out->num = num;
    out->text = xstrdup(text);
    return 0;
}

/* ---- Loading -------------------------------------------------------------------------------- */

struct error {
    long line;  /* 0: no line; file lines; LONG_MAX: environment */
    size_t seq;
    char *msg;
};

/* A place a value comes from, for messages. */
struct origin {
    int line;
    const char *env;
};

struct loader {
    config *cfg;
    const char *text;
    size_t len, pos;
    int lineno;
    char raw[INI_MAX_LINE + 1]; /* the line inih is working on */
    int pending;                /* raw holds a line not yet classified */
    int handled;                /* the handler was called for it */
    int line_failed;            /* an error was reported for it */
    /* the key of the last key line, for continuation lines */
    struct inst *last_inst;
    const struct key_spec *last_key; /* NULL: that line was in error, continuations are skipped */
    struct error *errors;
    size_t nerrors, nerrors_total, errcap;
};

static void verror(struct loader *L, struct origin at, const char *fmt, va_list ap)
{
    L->nerrors_total++;
    if (at.line && at.line == L->lineno)
        L->line_failed = 1;
    if (L->nerrors >= MAX_ERRORS)
        return;
    char msg[WHY_LEN + 512], prefix[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (at.line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: ", L->cfg->file, at.line);
    else if (at.env)
        snprintf(prefix, sizeof prefix, "env %s: ", at.env);
    else
        snprintf(prefix, sizeof prefix, "%s: ", L->cfg->file);
    if (L->nerrors == L->errcap) {
        L->errcap = L->errcap ? 2 * L->errcap : 16;
        struct error *e = xcalloc(L->errcap, sizeof *e);
        if (L->nerrors)
            memcpy(e, L->errors, L->nerrors * sizeof *e);
        free(L->errors);
        L->errors = e;
    }
    struct error *e = &L->errors[L->nerrors];
    e->line = at.line > 0 ? at.line : at.env ? LONG_MAX : 0;
    e->seq = L->nerrors++;
    size_t pl = strlen(prefix), ml = strlen(msg);
    e->msg = xcalloc(pl + ml + 1, 1);
    memcpy(e->msg, prefix, pl);
    memcpy(e->msg + pl, msg, ml);
}

static void error_at(struct loader *L, struct origin at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void error_at(struct loader *L, struct origin at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(L, at, fmt, ap);
    va_end(ap);
}

static struct origin at_line(int line)
{
    return (struct origin){line, NULL};
}

static struct origin value_origin(const struct value *v)
{
    return (struct origin){v->line, v->env};
}

static struct inst *find_inst(const config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ninst; i++)
        if (strcmp(cfg->inst[i]->name, name) == 0)
            return cfg->inst[i];
    return NULL;
}

static void set_default(const struct key_spec *k, struct value *v)
{
    char why[WHY_LEN];
    if (!k->def) {
        value_clear(v);
        v->text = xstrdup("");
        return;
    }
    if (parse_value(k, k->def, v, why, sizeof why) < 0) {
        fprintf(stderr, "mitsu: bad default for [%s] %s: %s\n", k->section, k->name, why);
        abort(); /* the table is wrong: a broken invariant, caught by the unit tests */
    }
}

static struct inst *add_inst(config *cfg, const struct section_spec *sec, const char *name)
{
    struct inst *in = xcalloc(1, sizeof *in);
    in->sec = sec;
    in->name = xstrdup(name);
    if (sec->prefixed)
        in->suffix = in->name + strlen(sec->name) + 1;
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].section, sec->name) == 0)
            set_default(&keys[i], &in->v[i]);
    if (cfg->ninst == cfg->cap) {
        cfg->cap = cfg->cap ? 2 * cfg->cap : 16;
        struct inst **a = xcalloc(cfg->cap, sizeof *a);
        if (cfg->ninst)
            memcpy(a, cfg->inst, cfg->ninst * sizeof *a);
        free(cfg->inst);
        cfg->inst = a;
    }
    cfg->inst[cfg->ninst++] = in;
    return in;
}

/* NAME of [db.NAME]: a lowercase letter, then lowercase letters, digits and '_', at most 32, so
 * that MITSU_DB_NAME_KEY maps back to exactly one section. */
static int valid_suffix(const char *s, size_t len)
{
    if (len == 0 || len > MAX_SUFFIX || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Finds or creates the instance named by a section header (name, len bytes). NULL after an
 * error has been reported. */
static struct inst *open_section(struct loader *L, const char *name, size_t len,
                                 struct origin at)
{
    char q[256], full[64];
    char *copy = xstrndup(name, len);
    quote(q, sizeof q, copy);
    free(copy);
    for (size_t i = 0; i < NSECTIONS; i++) {
        const struct section_spec *s = &sections[i];
        size_t sl = strlen(s->name);
        if (!s->prefixed) {
            if (len == sl && memcmp(name, s->name, sl) == 0)
                return find_inst(L->cfg, s->name);
            continue;
        }
        if (len == sl && memcmp(name, s->name, sl) == 0) {
            error_at(L, at, "section [%s] needs a name: [%s.NAME]", s->name, s->name);
            return NULL;
        }
        if (len > sl && memcmp(name, s->name, sl) == 0 && name[sl] == '.') {
            if (!valid_suffix(name + sl + 1, len - sl - 1)) {
                error_at(L, at,
                         "bad section name [%s]: NAME in [%s.NAME] is a lowercase letter, then "
                         "lowercase letters, digits or _ (at most %d)",
                         q, s->name, MAX_SUFFIX);
                return NULL;
            }
            snprintf(full, sizeof full, "%.*s", (int)len, name);
            struct inst *in = find_inst(L->cfg, full);
            if (!in) {
                in = add_inst(L->cfg, s, full);
                in->line = at.line;
                if (at.env) {
                    L->cfg->envnames[L->cfg->nenv] = xstrdup(at.env);
                    in->env = L->cfg->envnames[L->cfg->nenv++];
                }
            }
            return in;
        }
    }
    error_at(L, at, "unknown section [%s]", q);
    return NULL;
}

/* inih's rules (ini.c, INI_ALLOW_INLINE_COMMENTS with ";"): a ';' after whitespace starts a
 * comment. Returns the first of chars or such a comment, or the end. */
static char *find_chars_or_comment(char *s, const char *chars)
{
    int was_space = 0;
    while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    return s;
}

/* The line's text as inih (r55) hands a continuation line to the handler: no BOM, no
 * surrounding space; an inline comment is kept. Writes into tmp (INI_MAX_LINE + 1 bytes). */
static char *line_content(struct loader *L, char *tmp)
{
    memcpy(tmp, L->raw, sizeof L->raw);
    char *s = tmp;
    if (L->lineno == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    return (char *)trim(s);
}

/* Called once inih is done with a line: a line that called no handler is blank, a comment, a
 * section header, or a syntax error. */
static void finish_line(struct loader *L)
{
    if (!L->pending)
        return;
    L->pending = 0;
    if (L->handled || L->line_failed)
        return;
    char tmp[sizeof L->raw];
    memcpy(tmp, L->raw, sizeof tmp);
    char *s = tmp;
    if (L->lineno == 1 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    while (*s && isspace((unsigned char)*s))
        s++;
    if (!*s || *s == ';' || *s == '#')
        return;
    if (*s == '[') {
        char *end = find_chars_or_comment(s + 1, "]");
        if (*end == ']') {
            struct inst *in = open_section(L, s + 1, (size_t)(end - s - 1), at_line(L->lineno));
            if (in && !in->line)
                in->line = L->lineno;
            return;
        }
        error_at(L, at_line(L->lineno), "section header without a closing ']'");
        return;
    }
    error_at(L, at_line(L->lineno), "expected 'key = value' or '[section]'");
}

/* inih's reader: hands over one line at a time so that we know each line's number. */
static char *read_line(char *str, int num, void *stream)
{
    struct loader *L = stream;
    finish_line(L);
    if (L->pos >= L->len)
        return NULL;
    const char *s = L->text + L->pos;
    size_t rest = L->len - L->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t n = nl ? (size_t)(nl - s) + 1 : rest;
    L->pos += n;
    L->lineno++;
    L->pending = 1;
    L->handled = 0;
    L->line_failed = 0;
    L->raw[0] = '\0';
    size_t max = (size_t)num - 2 < sizeof L->raw - 2 ? (size_t)num - 2 : sizeof L->raw - 2;
    size_t content = nl ? n - 1 : n;
    if (memchr(s, '\0', n)) {
        error_at(L, at_line(L->lineno), "NUL byte in the line");
    } else if (content > max) {
        error_at(L, at_line(L->lineno), "line longer than %zu bytes (inih's limit); split a "
                 "long list over indented lines", max);
    } else {
        memcpy(L->raw, s, n);
        L->raw[n] = '\0';
    }
    /* A line in error goes to inih as an empty one, so that it does not report it again. */
    memcpy(str, L->raw[0] ? L->raw : "\n", L->raw[0] ? strlen(L->raw) + 1 : 2);
    return str;
}

/* A continuation line as inih's multi-line values deliver it: the handler's value is the
 * whole line. On a "key = value" line the value is always shorter than the line. */
static int is_continuation(struct loader *L, const char *value)
{
    char tmp[sizeof L->raw];
    return strcmp(line_content(L, tmp), value) == 0;
}

/* "name = ..." or "[...]" where a list item was expected: an indented key or header. */
static int looks_like_key(const struct inst *in, const char *text)
{
    if (text[0] == '[')
        return 1;
    for (size_t i = 0; i < NKEYS; i++) {
        size_t l = strlen(keys[i].name);
        if (strcmp(keys[i].section, in->sec->name) == 0 && strncmp(text, keys[i].name, l) == 0) {
            const char *p = text + l;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '=' || *p == ':')
                return 1;
        }
    }
    return 0;
}

static void continue_line(struct loader *L, const char *name, const char *value)
{
    struct inst *in = L->last_inst;
    const struct key_spec *k = L->last_key;
    struct origin at = at_line(L->lineno);
    char why[WHY_LEN], q[256];
    if (!in)
        return; /* a key outside any known section: reported there */
    if ((k && k->type != T_LIST) || looks_like_key(in, value)) {
        quote(q, sizeof q, name);
        error_at(L, at,
                 "indented line continues the value of '%s' (only lists take more lines): do "
                 "not indent keys or section headers",
                 q);
        L->last_key = NULL;
        return;
    }
    if (!k)
        return; /* the key line was in error: reported there */
    /* inih keeps a "; comment" on a continuation line; drop it as on a key line */
    char text[sizeof L->raw];
    snprintf(text, sizeof text, "%s", value);
    *find_chars_or_comment(text, NULL) = '\0';
    struct value *v = &in->v[key_index(k)];
    if (list_append(k, v, text, why, sizeof why) < 0) {
        error_at(L, at, "[%s] %s: %s", in->name, k->name, why);
        L->last_key = NULL;
    }
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct loader *L = user;
    struct origin at = at_line(L->lineno);
    char q[256], why[WHY_LEN];
    L->handled = 1;
    if (L->line_failed)
        return 1;
    if (is_continuation(L, value)) {
        continue_line(L, name, value);
        return 1;
    }
    L->last_inst = NULL;
    L->last_key = NULL;
    quote(q, sizeof q, name);
    if (!*section) {
        error_at(L, at, "key '%s' is outside any [section]", q);
        return 1;
    }
    struct inst *in = find_inst(L->cfg, section);
    if (!in)
        return 1; /* its header was reported */
    L->last_inst = in;
    const struct key_spec *k = find_key(in->sec->name, name);
    if (!k) {
        error_at(L, at, "unknown key '%s' in [%s]", q, in->name);
        return 1;
    }
    struct value *v = &in->v[key_index(k)];
    if (v->line) {
        error_at(L, at, "duplicate key '%s' in [%s], first set at line %d", k->name, in->name,
                 v->line);
        return 1;
    }
    struct value nv = {0};
    if (parse_value(k, value, &nv, why, sizeof why) < 0) {
        error_at(L, at, "[%s] %s: %s", in->name, k->name, why);
        value_clear(&nv);
        v->line = L->lineno;
        return 1;
    }
    value_clear(v);
    *v = nv;
    v->line = L->lineno;
    L->last_key = k;
    return 1;
}

static int has_error_at(const struct loader *L, long line)
{
    for (size_t i = 0; i < L->nerrors; i++)
        if (L->errors[i].line == line)
            return 1;
    return 0;
}

/* One MITSU_SECTION_KEY=value: section names are upper-cased with '.' as '_', so that
 * [db.main] real is MITSU_DB_MAIN_REAL. Variables naming no section are left alone. */
static void apply_env_var(struct loader *L, const char *var)
{
    const char *eq = strchr(var, '=');
    if (!eq || strncmp(var, "MITSU_", 6) != 0)
        return;
    char vname[256], up[64], q[256], why[WHY_LEN];
    if ((size_t)(eq - var) >= sizeof vname)
        return;
    snprintf(vname, sizeof vname, "%.*s", (int)(eq - var), var);
    struct origin at = {0, vname};
    const char *rest = vname + 6;
    for (size_t i = 0; i < NSECTIONS; i++) {
        const struct section_spec *s = &sections[i];
        size_t sl = strlen(s->name);
        for (size_t j = 0; j <= sl; j++)
            up[j] = (char)toupper((unsigned char)s->name[j]);
        if (strncmp(rest, up, sl) != 0 || rest[sl] != '_')
            continue;
        const char *tail = rest + sl + 1;
        const struct key_spec *k = NULL;
        struct inst *in = NULL;
        size_t tl = strlen(tail);
        for (size_t j = 0; j < NKEYS; j++) {
            const struct key_spec *c = &keys[j];
            size_t kl = strlen(c->name);
            if (strcmp(c->section, s->name) != 0)
                continue;
            /* Fixed sections: TAIL is KEY. Prefixed: NAME_KEY; the longest matching key wins. */
            size_t off = s->prefixed ? (tl > kl + 1 ? tl - kl : SIZE_MAX) : 0;
            if (off == SIZE_MAX || (s->prefixed && tail[off - 1] != '_') ||
                (!s->prefixed && tl != kl))
                continue;
            int match = 1;
            for (size_t m = 0; m < kl; m++)
                if (tail[off + m] != toupper((unsigned char)c->name[m]))
                    match = 0;
            if (match && (!k || kl > strlen(k->name)))
                k = c;
        }
        if (!k) {
            char lower[256];
            size_t m = 0;
            for (; tail[m] && m + 1 < sizeof lower; m++)
                lower[m] = (char)tolower((unsigned char)tail[m]);
            lower[m] = '\0';
            quote(q, sizeof q, lower);
            if (s->prefixed)
                error_at(L, at, "expected MITSU_%s_NAME_KEY with KEY one of the [%s.NAME] keys",
                         up, s->name);
            else
                error_at(L, at, "unknown key '%s' in [%s]", q, s->name);
            return;
        }
        const char *value = eq + 1;
        char *copy = xstrdup(value);
        const char *tv = trim(copy);
        if (!*tv) {
            free(copy); /* an empty variable counts as unset */
            return;
        }
        if (s->prefixed) {
            char full[128], sfx[64];
            size_t nl = tl - strlen(k->name) - 1;
            int ok = nl < sizeof sfx;
            for (size_t m = 0; ok && m < nl; m++) {
                char c = tail[m];
                if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                    ok = 0;
                else
                    sfx[m] = (char)tolower((unsigned char)c);
            }
            if (!ok) {
                error_at(L, at, "NAME in MITSU_%s_NAME_KEY must be capitals, digits and _", up);
                free(copy);
                return;
            }
            sfx[nl] = '\0';
            snprintf(full, sizeof full, "%s.%s", s->name, sfx);
            in = open_section(L, full, strlen(full), at);
        } else {
            in = find_inst(L->cfg, s->name);
        }
        if (!in) {
            free(copy);
            return;
        }
        struct value *v = &in->v[key_index(k)];
        if (v->env) {
            free(copy); /* set twice in envp: the first wins, as with getenv */
            return;
        }
        struct value nv = {0};
        if (parse_value(k, tv, &nv, why, sizeof why) < 0) {
            error_at(L, at, "[%s] %s: %s", in->name, k->name, why);
            value_clear(&nv);
        } else {
            value_clear(v);
            *v = nv;
            L->cfg->envnames[L->cfg->nenv] = xstrdup(vname);
            v->env = L->cfg->envnames[L->cfg->nenv++];
        }
        free(copy);
        return;
    }
}

/* Checks that involve more than one key, once everything is read. */
static void check_whole(struct loader *L)
{
    config *cfg = L->cfg;
    for (size_t i = 0; i < cfg->ninst; i++) {
        struct inst *in = cfg->inst[i];
        struct origin sec_at = {in->line, in->env};
        for (size_t j = 0; j < NKEYS; j++) {
            const struct key_spec *k = &keys[j];
            struct value *v = &in->v[j];
            if (strcmp(k->section, in->sec->name) != 0)
                continue;
            if ((k->flags & F_REQUIRED) && !v->line && !v->env)
                error_at(L, sec_at, "[%s] has no '%s' (%s)", in->name, k->name, k->doc);
            else if (k->type == T_LIST && (k->flags & F_NONEMPTY) && !v->nitems && v->line)
                error_at(L, value_origin(v), "[%s] %s: must not be empty", in->name, k->name);
        }
        if (in->sec->prefixed && strcmp(in->sec->name, "db") == 0) {
            struct value *real = &in->v[key_index(find_key("db", "real"))];
            struct value *decoy = &in->v[key_index(find_key("db", "decoy"))];
            struct value *mode = &in->v[key_index(find_key("db", "decoy_mode"))];
            if (*real->text && strcmp(real->text, decoy->text) == 0)
                error_at(L, value_origin(decoy),
                         "[%s] decoy is the same database as real: attackers would reach the "
                         "real data", in->name);
            if (mode->num == CONFIG_DECOY_PER_ATTACKER && *decoy->text &&
                strncmp(decoy->text, "sqlite:", 7) != 0)
                error_at(L, (mode->line || mode->env) ? value_origin(mode) : value_origin(decoy),
                         "[%s] decoy_mode = per_attacker needs an sqlite: decoy", in->name);
        }
    }
    struct inst *srv = find_inst(cfg, "server");
    struct value *line = &srv->v[key_index(find_key("server", "max_request_line"))];
    struct value *head = &srv->v[key_index(find_key("server", "max_head"))];
    if (line->num > head->num) {
        char a[32], b[32];
        fmt_size(a, sizeof a, line->num);
        fmt_size(b, sizeof b, head->num);
        error_at(L, (line->line || line->env) ? value_origin(line) : value_origin(head),
                 "[server] max_request_line (%s) is larger than max_head (%s)", a, b);
    }
}

static int cmp_error(const void *a, const void *b)
{
    const struct error *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static config *new_config(const char *name)
{
    config *cfg = xcalloc(1, sizeof *cfg);
    cfg->file = xstrdup(name);
    for (size_t i = 0; i < NSECTIONS; i++)
        if (!sections[i].prefixed)
            add_inst(cfg, &sections[i], sections[i].name);
    return cfg;
}

config *config_parse(const char *text, size_t len, const char *name, char *const *envp,
                     FILE *errs)
{
    struct loader L;
    memset(&L, 0, sizeof L);
    L.cfg = new_config(name ? name : "(config)");
    L.text = text;
    L.len = text ? len : 0;
    if (!envp)
        envp = environ;
    size_t nenv = 0;
    while (envp[nenv])
        nenv++;
    /* Room for every variable that could set a value or create a section. */
    L.cfg->envnames = xcalloc(2 * nenv + 1, sizeof *L.cfg->envnames);

    int rc = ini_parse_stream(read_line, &L, on_key, &L);
    finish_line(&L);
    if (rc == -2)
        error_at(&L, at_line(0), "out of memory");
    else if (rc > 0 && !has_error_at(&L, rc))
        error_at(&L, at_line(rc), "syntax error");
    for (size_t i = 0; i < nenv; i++)
        apply_env_var(&L, envp[i]);
    check_whole(&L);

    if (L.nerrors)
        qsort(L.errors, L.nerrors, sizeof *L.errors, cmp_error);
    for (size_t i = 0; i < L.nerrors; i++) {
        if (errs)
            fprintf(errs, "%s\n", L.errors[i].msg);
        free(L.errors[i].msg);
    }
    if (errs && L.nerrors_total > L.nerrors)
        fprintf(errs, "%s: ... and %zu more errors\n", L.cfg->file,
                L.nerrors_total - L.nerrors);
    free(L.errors);
    if (L.nerrors_total) {
        config_free(L.cfg);
        return NULL;
    }

    config *cfg = L.cfg;
    size_t ndb = 0;
    for (size_t i = 0; i < cfg->ninst; i++)
        ndb += strcmp(cfg->inst[i]->sec->name, "db") == 0;
    cfg->dbs = xcalloc(ndb, sizeof *cfg->dbs);
    size_t ri = key_index(find_key("db", "real")), di = key_index(find_key("db", "decoy")),
           mi = key_index(find_key("db", "decoy_mode"));
    for (size_t i = 0; i < cfg->ninst; i++) {
        struct inst *in = cfg->inst[i];
        if (strcmp(in->sec->name, "db") != 0)
            continue;
        config_db *d = &cfg->dbs[cfg->ndb++];
        d->name = in->suffix;
        d->real = in->v[ri].text;
        d->decoy = in->v[di].text;
        d->decoy_mode = (enum config_decoy_mode)in->v[mi].num;
    }
    return cfg;
}

config *config_load(const char *path, char *const *envp, FILE *errs)
{
    if (!path)
        return config_parse("", 0, "(defaults)", envp, errs);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    int err = 0;
    if (!f) {
        err = errno;
    } else {
        text = xcalloc(MAX_FILE + 1, 1);
        len = fread(text, 1, MAX_FILE + 1, f);
        if (ferror(f))
            err = errno ? errno : EIO;
        fclose(f);
    }
    if (err) {
        if (errs)
            fprintf(errs, "%s: cannot read: %s\n", path, strerror(err));
        free(text);
        return NULL;
    }
    if (len > MAX_FILE) {
        if (errs)
            fprintf(errs, "%s: larger than %d bytes\n", path, MAX_FILE);
        free(text);
        return NULL;
    }
    config *cfg = config_parse(text, len, path, envp, errs);
    free(text);
    return cfg;
}

int config_check(const char *path, FILE *errs)
{
    config *cfg = config_load(path, NULL, errs);
    if (!cfg)
        return 2;
    config_free(cfg);
    return 0;
}

void config_free(config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->ninst; i++) {
        for (size_t j = 0; j < NKEYS; j++)
            value_clear(&cfg->inst[i]->v[j]);
        free(cfg->inst[i]->name);
        free(cfg->inst[i]);
    }
    free(cfg->inst);
    for (size_t i = 0; i < cfg->nenv; i++)
        free(cfg->envnames[i]);
    free(cfg->envnames);
    free(cfg->dbs);
    free(cfg->file);
    free(cfg);
}

/* ---- Getters ------------------------------------------------------------------------------ */

/* The value of section/key, checking the type (-1: any). NULL for an undefined db.NAME. */
static const struct value *lookup(const config *cfg, const char *section, const char *key,
                                  int type)
{
    const char *dot = strchr(section, '.');
    size_t kl = dot ? (size_t)(dot - section) : strlen(section);
    const struct key_spec *k = NULL;
    for (size_t i = 0; i < NSECTIONS; i++)
        if (strlen(sections[i].name) == kl && memcmp(sections[i].name, section, kl) == 0 &&
            sections[i].prefixed == (dot != NULL))
            k = find_key(sections[i].name, key);
    if (!k || (type >= 0 && (int)k->type != type)) {
        fprintf(stderr, "mitsu: config: [%s] %s: %s\n", section, key,
                k ? "asked for with the getter of another type" : "no such key");
        abort(); /* a caller asking for what the table lacks: a programming error */
    }
    const struct inst *in = find_inst(cfg, section);
    return in ? &in->v[key_index(k)] : NULL;
}

int64_t config_get_int(const config *cfg, const char *section, const char *key)
{
    const struct value *v = lookup(cfg, section, key, T_INT);
    return v ? v->num : 0;
}

int config_get_bool(const config *cfg, const char *section, const char *key)
{
    const struct value *v = lookup(cfg, section, key, T_BOOL);
    return v ? (int)v->num : 0;
}

uint64_t config_get_size(const config *cfg, const char *section, const char *key)
{
    const struct value *v = lookup(cfg, section, key, T_SIZE);
    return v ? (uint64_t)v->num : 0;
}

int64_t config_get_ms(const config *cfg, const char *section, const char *key)
{
    const struct value *v = lookup(cfg, section, key, T_DURATION);
    return v ? v->num : 0;
}

int config_get_enum(const config *cfg, const char *section, const char *key)
{
    const struct value *v = lookup(cfg, section, key, T_ENUM);
    return v ? (int)v->num : 0;
}

const char *config_get_str(const config *cfg, const char *section, const char *key)
{
    const struct value *v = lookup(cfg, section, key, -1);
    return v ? v->text : NULL;
}

size_t config_get_list(const config *cfg, const char *section, const char *key,
                       const char *const **items)
{
    const struct value *v = lookup(cfg, section, key, T_LIST);
    *items = v ? (const char *const *)v->items : NULL;
    return v ? v->nitems : 0;
}

size_t config_db_count(const config *cfg)
{
    return cfg->ndb;
}

const config_db *config_db_at(const config *cfg, size_t i)
{
    return i < cfg->ndb ? &cfg->dbs[i] : NULL;
}

const config_db *config_db_find(const config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->ndb; i++)
        if (strcmp(cfg->dbs[i].name, name) == 0)
            return &cfg->dbs[i];
    return NULL;
}

void config_fill_http_server(const config *cfg, http_server_config *out)
{
    out->listen = config_get_str(cfg, "server", "listen");
    out->workers = (int)config_get_int(cfg, "server", "workers");
    out->max_connections = (int)config_get_int(cfg, "server", "max_connections");
    out->header_timeout_ms = (int)config_get_ms(cfg, "server", "header_timeout");
    out->body_timeout_ms = (int)config_get_ms(cfg, "server", "body_timeout");
    out->idle_timeout_ms = (int)config_get_ms(cfg, "server", "idle_timeout");
    out->write_timeout_ms = (int)config_get_ms(cfg, "server", "write_timeout");
    out->shutdown_timeout_ms = (int)config_get_ms(cfg, "server", "shutdown_timeout");
    out->limits.max_request_line = (size_t)config_get_size(cfg, "server", "max_request_line");
    out->limits.max_head = (size_t)config_get_size(cfg, "server", "max_head");
    out->limits.max_headers = (size_t)config_get_int(cfg, "server", "max_headers");
    out->limits.max_body = config_get_size(cfg, "server", "max_body");
}
