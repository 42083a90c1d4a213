/* The journal: records clients, detector events and captured requests into the management
 * database from one writer thread, without ever making a request wait, and writes JSON log lines. */
#ifndef MITSU_JOURNAL_JOURNAL_H
#define MITSU_JOURNAL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "honeypot/client.h"
#include "mitsu.h"
#include "web/config.h"

#define JR_SCHEMA_VERSION 2 /* the migration the code expects; jr_open applies those missing */

typedef struct jr_journal jr_journal;

/* [journal] secrets (the order of enum config_secrets): an attacker's captured requests keep
 * secret values as sent, or hashed, or masked. Pre-flag evidence is masked whatever it says. */
enum jr_secrets { JR_SECRETS_PLAIN, JR_SECRETS_HASH, JR_SECRETS_REDACT };

typedef struct jr_options {
    size_t queue_size;        /* records waiting for the writer, at most (0: 10000); past it
                               * records are dropped and counted */
    const char *log;          /* "stderr", "off" or a file path (appended); NULL: "off" */
    const char *const *secret_fields; /* field names masked when a record asks (case-insensitive);
                                       * NULL: password,passwd,pass,pwd,token,secret */
    size_t nsecret_fields;
    size_t batch_max;         /* records per transaction, at most (0: 4096) */
    size_t body_max;          /* bytes of a request body (and of raw bytes) kept (0: 65536) */
    int64_t drop_log_ms;      /* one "drop" log line per this interval at most (0: 10000) */
    int secrets;              /* enum jr_secrets: how secrets in attackers' captures are kept */
} jr_options;

/* Fills o from the [journal] section (queue_size, log, secret_fields, secrets, body_max) and the
 * defaults. The
 * strings point into cfg, which must outlive jr_open. The URL is config_get_str(cfg, "journal",
 * "db"). */
void jr_options_from_config(const config *cfg, jr_options *o);

/* Opens the management database at url (sqlite:PATH or postgresql://...), applies the missing
 * schema migrations, opens the log and starts the writer thread. o may be NULL (defaults).
 * NULL with the reason in err (n bytes; err may be NULL). Start-up code: it blocks. */
jr_journal *jr_open(const char *url, const jr_options *o, char *err, size_t n);

/* Writes every record still queued, stops the writer, closes the database and the log. Call it
 * on a graceful shutdown (SIGTERM) after the workers stopped recording. NULL is ignored. */
void jr_close(jr_journal *jr);

/* ---- Recording: any thread, never blocks ------------------------------------------------------
 * Each call copies what it keeps (the caller's pointers are not retained), takes the queue's
 * lock for a few instructions and returns: 0 when queued, -1 when dropped (queue full, out of
 * memory, jr NULL or closing); drops are counted and logged once per interval. Text fields may
 * hold any bytes (attacker input): stored text is made valid UTF-8 (invalid bytes become U+FFFD),
 * log lines show them as \xHH. Times are Unix ms. */

/* Upserts a client row from a copy of its record (hp_client_get or inside hp_client_update).
 * flagged_by: the flagging detector's name, or NULL. now: updated_at. */
int jr_client(jr_journal *jr, const hp_client *c, const char *flagged_by, int64_t now);

/* What an event is: each type writes a row in events and a log line with that "event" word. */
enum jr_event_type {
    JR_EVENT_HIT,     /* a detector reported a hit */
    JR_EVENT_FLAG,    /* the client became an attacker */
    JR_EVENT_RELEASE, /* an operator released it */
    JR_EVENT__MAX
};
extern const char *const jr_event_names[JR_EVENT__MAX];

typedef struct jr_event_rec {
    enum jr_event_type type;
    int64_t time;
    const char *sid;       /* 32 hex digits, or NULL */
    const char *ip;        /* the peer as text */
    const char *forwarded; /* X-Forwarded-For / Forwarded as received, or NULL */
    const char *detector;  /* name, or NULL */
    const char *kind;      /* hp_kind_names[], or NULL */
    double score;
    const char *evidence;  /* as received */
    const char *action;    /* what was done: "decoy", "block", "log"...; NULL: the type's word */
    /* The request that caused it, for the log line only (each may be NULL / 0): */
    const char *method;
    const char *path;
    int served_decoy;      /* 1: served by the decoy */
    const void *body;      /* hashed (SHA-256) on the calling thread, not kept */
    size_t body_len;
} jr_event_rec;

/* Records an event: a row in events and a log line. */
int jr_event(jr_journal *jr, const jr_event_rec *e);

typedef struct jr_header {
    const char *name, *value;
    size_t name_len, value_len;
} jr_header;

typedef struct jr_request_rec {
    int64_t time;
    const char *sid, *ip;
    const char *method;
    const char *target;        /* path and query as received */
    const jr_header *headers;  /* stored as JSON [[name, value], ...] in order */
    size_t nheaders;
    const void *body;          /* kept up to body_max bytes */
    size_t body_len;
    const void *raw;           /* the raw bytes of a malformed request, or NULL */
    size_t raw_len;
    int status;
    int64_t response_size;
    int64_t latency_us;
    int served_decoy;
    int preflag;               /* 1: recorded from before the verdict (the client's ring) */
} jr_request_rec;

/* Records a captured request. mask_secrets: replace the values of secret fields in the query,
 * an urlencoded or JSON body, and Authorization / Proxy-Authorization / Cookie / secret-named
 * headers with "[masked]" (a body of another type is replaced whole). The engine sets it for the
 * pre-flag evidence of a client later released; the masking runs on the writer thread. */
int jr_request(jr_journal *jr, const jr_request_rec *r, int mask_secrets);

/* ---- Reading -------------------------------------------------------------------------------- */

/* Calls fn for every client whose state is not normal (attacker, released), for
 * hp_client_load at start: c has sid, ip, state, score, n4xx, requests, first/last seen and
 * flagged_at (flagged_by 0: the name is passed apart). fn returns nonzero to stop. Returns how
 * many were visited, or -1 on a database error (err). Start-up code: it blocks. */
typedef int jr_verdict_fn(const hp_client *c, const char *flagged_by, void *arg);
long jr_load_verdicts(jr_journal *jr, jr_verdict_fn *fn, void *arg, char *err, size_t n);

/* ---- Honeytokens (src/journal/honeytokens.c) ----------------------------------------------- */

/* Calls fn for every registered honeytoken (kind "credential", "api_key" or "email"; value
 * exact). fn returns nonzero to stop. How many were read, or -1 with err. Start-up code, or a
 * reload: it takes the writer's connection for the time of one SELECT. */
typedef int jr_token_fn(int64_t id, const char *kind, const char *value, void *arg);
long jr_load_honeytokens(jr_journal *jr, jr_token_fn *fn, void *arg, char *err, size_t n);
long jr_read_honeytokens(mitsu_db *db, jr_token_fn *fn, void *arg, char *err, size_t n);

/* For the operator's tools: opens the management database at url, creating its tables (the
 * journal's migrations) when they are missing. NULL with err. */
mitsu_db *jr_open_db(const char *url, char *err, size_t n);
/* Registers one planted token: a row in honeytokens (decoy: the decoy's URL, without a
 * password). 0 or -1 (mitsu_db_error). */
int jr_add_honeytoken(mitsu_db *db, const char *kind, const char *value, int64_t planted_at,
                      const char *decoy);
/* Forgets the tokens of a decoy that is being made again: rows removed, or -1. */
int64_t jr_forget_honeytokens(mitsu_db *db, const char *decoy);

typedef struct jr_stats {
    uint64_t queued;  /* records accepted */
    uint64_t written; /* records committed */
    uint64_t dropped; /* records refused: queue full or out of memory */
    uint64_t failed;  /* records lost to database errors (logged) */
    uint64_t batches; /* transactions committed */
    size_t pending;   /* records in the queue now */
} jr_stats;
void jr_stats_get(jr_journal *jr, jr_stats *out);

/* This instance's id: a random 12 hex digits made at jr_open, the origin of its verdict rows. */
const char *jr_instance(const jr_journal *jr);

/* ---- Shared verdicts ---------------------------------------------------------------------------
 * When a detector flags a client, the writer appends a row to the verdicts table (origin:
 * jr_instance) in the transaction of the flag event. Every instance follows that table and
 * applies the rows of the other origins; the operator's verdicts (origin "operator") come the
 * same way. On PostgreSQL the writers NOTIFY mitsu_verdicts at commit. */

typedef struct jr_verdict {
    int64_t id, time;
    const char *sid, *ip;  /* each may be NULL */
    const char *state;     /* "attacker" or "released" */
    double score;
    const char *by;        /* the detector's name, "operator", or NULL */
    const char *origin;
} jr_verdict;
typedef void jr_verdict_apply_fn(const jr_verdict *v, void *arg);
typedef struct jr_follower jr_follower;

/* Follows the verdicts of the database at url from its current end, on a thread of its own
 * with its own connection: polls every JR_FOLLOW_POLL_MS (SQLite and PostgreSQL alike) and, on
 * PostgreSQL, LISTENs to mitsu_verdicts to apply a new row at once. fn runs on that thread for
 * every row whose origin is not skip_origin (may be NULL). A lost database is told once on
 * stderr and retried. NULL with err on a bad start. Start-up code: it blocks. */
#define JR_FOLLOW_POLL_MS 500
jr_follower *jr_follow_start(const char *url, const char *skip_origin, jr_verdict_apply_fn *fn,
                             void *arg, char *err, size_t n);
/* The same with more to watch, each hook on the follower's thread. tokens: when the
 * honeytokens table changed since the start (a row added or removed: `mitsu decoy init`), with
 * the follower's connection to read it again (jr_read_honeytokens); a set loaded after the start
 * misses no change. tick: after every poll, JR_FOLLOW_POLL_MS apart at most (timed chores). */
typedef void jr_tokens_changed_fn(mitsu_db *db, void *arg);
typedef struct jr_follow_hooks {
    jr_verdict_apply_fn *verdict;   /* required */
    jr_tokens_changed_fn *tokens;   /* or NULL */
    void (*tick)(void *arg);        /* or NULL */
    void *arg;                      /* of each */
} jr_follow_hooks;
jr_follower *jr_follow(const char *url, const char *skip_origin, const jr_follow_hooks *h,
                       char *err, size_t n);
/* Stops the thread and closes its connections. NULL is ignored. */
void jr_follow_stop(jr_follower *f);

/* The operator's verdicts, on a connection of the caller's (the mitsu tool, the admin), each in
 * one transaction with a verdicts row (origin "operator") and an event (detector "operator"),
 * NOTIFYing running instances on PostgreSQL. sid: the client's 32 hex digits; now: Unix ms.
 * 0, or -1 with the reason in err (unknown client, database error). */
/* Flags: state attacker (an attacker keeps its first flag's time and detector); reason: the
 * event's evidence, or NULL. */
int jr_flag(mitsu_db *db, const char *sid, const char *reason, int64_t now, char *err, size_t n);
/* Releases: state released, score 0, and every captured request of the client (pre-flag
 * evidence and captures alike: it was a real user) rewritten with the values of the secret
 * fields (NULL: the defaults), credentials and cookies masked as "[masked]". */
int jr_release(mitsu_db *db, const char *sid, const char *const *fields, size_t nfields,
               int64_t now, char *err, size_t n);
/* The masking of jr_release alone, inside the caller's transaction. 0 or -1. */
int jr_mask_client_requests(mitsu_db *db, const char *sid, const char *const *fields,
                            size_t nfields);

/* The schema version of the database (for tests and `mitsu check`), or -1. */
int jr_schema_version(jr_journal *jr);

#endif
