/* The journal's queue and writer thread: record calls copy into one allocation and push it under a
 * short lock; one thread writes batches in transactions and writes the JSON log lines. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "journal/internal.h"

const char *const jr_event_names[JR_EVENT__MAX] = {"hit", "flag", "release"};

const char *const jr_default_secrets[] = {"password", "passwd", "pass", "pwd", "token",
                                          "secret"};
const size_t jr_ndefault_secrets = sizeof jr_default_secrets / sizeof jr_default_secrets[0];

struct jr_journal {
    /* The queue: a ring of record pointers. Producers hold `lock` only to store a pointer. */
    pthread_mutex_t lock;
    pthread_cond_t wake;   /* the writer waits on it for records or for closing */
    jr_rec **ring;
    size_t cap, head, count;
    int writer_idle;       /* the writer is waiting: a producer signals */
    int closing;

    pthread_t writer;
    char *url;             /* to connect again after a lost connection */
    pthread_mutex_t db_lock; /* the connection: the writer's, and jr_load_verdicts' at start */
    mitsu_db *db;
    FILE *log;             /* NULL: off */
    int log_owned;

    jr_options o;
    char **secrets;        /* copies of o.secret_fields */
    jr_rec **batch;        /* the writer's batch */
    buf scratch[3];        /* the writer's: headers JSON, masked body, log line */

    char instance[13];     /* random hex prefix of event ids: unique across instances; the
                            * origin of this instance's verdict rows */
    int batch_verdicts;    /* the writer's: the batch holds a verdict row (NOTIFY at commit) */
    int db_down;           /* the writer's: the connection is lost, told once */
    atomic_uint_fast64_t seq;
    atomic_uint_fast64_t queued, written, dropped, failed, batches;
    uint64_t drops_logged; /* the writer's: dropped count at the last drop line */
    int64_t drop_logged_at;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Building records (the request path) ------------------------------------------------- */

static size_t slen(const char *s)
{
    return s ? strlen(s) : 0;
}

/* Copies the strings set in r->s into the bytes after the record (and the header pairs after
 * those), then points the slots at the copies: one allocation. */
static jr_rec *rec_new(const jr_rec *tmpl, const jr_header *h, size_t nh)
{
    size_t total = sizeof(jr_rec) + nh * 2 * sizeof(jr_str);
    for (int i = 0; i < JR_REC_STRS; i++)
        total += tmpl->s[i].p ? tmpl->s[i].len + 1 : 0;
    for (size_t i = 0; i < nh; i++)
        total += h[i].name_len + h[i].value_len + 2;
    jr_rec *r = malloc(total);
    if (!r)
        return NULL;
    *r = *tmpl;
    r->hdr = (jr_str *)(r + 1);
    r->nhdr = nh;
    char *p = (char *)(r->hdr + nh * 2);
    for (int i = 0; i < JR_REC_STRS; i++) {
        if (!tmpl->s[i].p)
            continue;
        memcpy(p, tmpl->s[i].p, tmpl->s[i].len);
        p[tmpl->s[i].len] = '\0';
        r->s[i].p = p;
        p += tmpl->s[i].len + 1;
    }
    for (size_t i = 0; i < nh; i++) {
        const char *src[2] = {h[i].name ? h[i].name : "", h[i].value ? h[i].value : ""};
        size_t len[2] = {h[i].name ? h[i].name_len : 0, h[i].value ? h[i].value_len : 0};
        for (int k = 0; k < 2; k++) {
            memcpy(p, src[k], len[k]);
            p[len[k]] = '\0';
            r->hdr[2 * i + k] = (jr_str){p, len[k]};
            p += len[k] + 1;
        }
    }
    return r;
}

static int drop(jr_journal *jr, jr_rec *r)
{
    free(r);
    atomic_fetch_add_explicit(&jr->dropped, 1, memory_order_relaxed);
    return -1;
}

/* The only lock a request takes: store a pointer, maybe wake the writer. */
static int push(jr_journal *jr, jr_rec *r)
{
    if (!r)
        return drop(jr, NULL);
    pthread_mutex_lock(&jr->lock);
    if (jr->count == jr->cap || jr->closing) {
        pthread_mutex_unlock(&jr->lock);
        return drop(jr, r);
    }
    jr->ring[(jr->head + jr->count) % jr->cap] = r;
    jr->count++;
    int wake = jr->writer_idle;
    jr->writer_idle = 0;
    atomic_fetch_add_explicit(&jr->queued, 1, memory_order_relaxed);
    pthread_mutex_unlock(&jr->lock);
    if (wake)
        pthread_cond_signal(&jr->wake);
    return 0;
}

#define STR(x) ((jr_str){(x), slen(x)})

int jr_client(jr_journal *jr, const hp_client *c, const char *flagged_by, int64_t now)
{
    if (!jr || !c)
        return jr ? drop(jr, NULL) : -1;
    char sid[HP_SID_HEX + 1], ip[HP_IP_TEXT];
    hp_client_sid_format(c->sid, sid);
    hp_client_ip_format(c->ip, ip);
    jr_rec t = {.kind = JR_REC_CLIENT,
                .type = c->state < HP_CLIENT_STATE__MAX ? c->state : HP_CLIENT_NORMAL,
                .score = c->score,
                .t = now,
                .n = {c->n4xx, c->requests, c->first_seen, c->last_seen, c->flagged_at}};
    t.s[JR_C_SID] = STR(sid);
    t.s[JR_C_IP] = STR(ip);
    t.s[JR_C_FLAGGED_BY] = STR(flagged_by);
    return push(jr, rec_new(&t, NULL, 0));
}

int jr_event(jr_journal *jr, const jr_event_rec *e)
{
    if (!jr || !e || e->type >= JR_EVENT__MAX)
        return jr ? drop(jr, NULL) : -1;
    char uid[48];
    snprintf(uid, sizeof uid, "%s-%llu", jr->instance,
             (unsigned long long)atomic_fetch_add_explicit(&jr->seq, 1, memory_order_relaxed));
    jr_rec t = {.kind = JR_REC_EVENT, .type = (uint8_t)e->type, .flag = e->served_decoy != 0,
                .score = e->score, .t = e->time};
    t.s[JR_E_UID] = STR(uid);
    t.s[JR_E_SID] = STR(e->sid);
    t.s[JR_E_IP] = STR(e->ip);
    t.s[JR_E_FORWARDED] = STR(e->forwarded);
    t.s[JR_E_DETECTOR] = STR(e->detector);
    t.s[JR_E_KIND] = STR(e->kind);
    t.s[JR_E_EVIDENCE] = STR(e->evidence);
    t.s[JR_E_ACTION] = STR(e->action ? e->action : jr_event_names[e->type]);
    t.s[JR_E_METHOD] = STR(e->method);
    t.s[JR_E_PATH] = STR(e->path);
    if (e->body) {
        /* Hashed here rather than copied: the line needs 32 bytes, not the body. */
        SHA256(e->body, e->body_len, t.sha);
        t.has_sha = 1;
    }
    return push(jr, rec_new(&t, NULL, 0));
}

int jr_request(jr_journal *jr, const jr_request_rec *r, int mask_secrets)
{
    if (!jr || !r)
        return jr ? drop(jr, NULL) : -1;
    jr_rec t = {.kind = JR_REC_REQUEST, .mask = mask_secrets != 0,
                .flag = (uint8_t)((r->served_decoy != 0) | (r->preflag ? 2 : 0)), .t = r->time,
                .n = {r->status, r->response_size, r->latency_us, (int64_t)r->body_len}};
    t.s[JR_R_SID] = STR(r->sid);
    t.s[JR_R_IP] = STR(r->ip);
    t.s[JR_R_METHOD] = STR(r->method);
    t.s[JR_R_TARGET] = STR(r->target);
    if (r->body)
        t.s[JR_R_BODY] = (jr_str){r->body, r->body_len < jr->o.body_max ? r->body_len
                                                                          : jr->o.body_max};
    if (r->raw)
        t.s[JR_R_RAW] = (jr_str){r->raw, r->raw_len < jr->o.body_max ? r->raw_len
                                                                       : jr->o.body_max};
    return push(jr, rec_new(&t, r->headers, r->headers ? r->nheaders : 0));
}

/* ---- Log lines (the writer thread) ------------------------------------------------------- */

/* Every line has the same keys (null when they do not apply), so a SIEM can map them once. */
typedef struct line {
    int64_t time;
    const char *event;
    jr_str event_id, sid, peer, forwarded, method, path, detector, kind, action, evidence;
    int has_score;
    double score;
    const char *served;
    const uint8_t *sha;
    int64_t dropped, dropped_total; /* drop lines only (-1: absent) */
} line;

static void log_line(jr_journal *jr, const line *l)
{
    if (!jr->log)
        return;
    buf *b = &jr->scratch[2];
    b->len = 0;
    char num[64];
    int rc = buf_append_str(b, "{\"time\":");
    rc |= jr_append_time(b, l->time);
    rc |= buf_append_str(b, ",\"event\":");
    rc |= jr_append_json(b, l->event, strlen(l->event), 1);
    const struct {
        const char *key;
        jr_str v;
    } f[] = {{"event_id", l->event_id}, {"client_id", l->sid},   {"session_id", l->sid},
             {"peer", l->peer},         {"forwarded", l->forwarded}, {"method", l->method},
             {"path", l->path},         {"detector", l->detector}, {"kind", l->kind}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        rc |= buf_append_str(b, ",\"");
        rc |= buf_append_str(b, f[i].key);
        rc |= buf_append_str(b, "\":");
        rc |= jr_append_json(b, f[i].v.p, f[i].v.len, 1);
    }
    rc |= buf_append_str(b, ",\"score\":");
    if (l->has_score && l->score == l->score && l->score - l->score == 0) /* finite */
        snprintf(num, sizeof num, "%.17g", l->score), rc |= buf_append_str(b, num);
    else
        rc |= buf_append_str(b, "null");
    rc |= buf_append_str(b, ",\"action\":");
    rc |= jr_append_json(b, l->action.p, l->action.len, 1);
    rc |= buf_append_str(b, ",\"served\":");
    rc |= jr_append_json(b, l->served, slen(l->served), 1);
    rc |= buf_append_str(b, ",\"body_sha256\":");
    if (l->sha) {
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", l->sha[i]);
        rc |= jr_append_json(b, hex, 64, 1);
    } else {
        rc |= buf_append_str(b, "null");
    }
    rc |= buf_append_str(b, ",\"evidence\":");
    rc |= jr_append_json(b, l->evidence.p, l->evidence.len, 1);
    if (l->dropped >= 0) {
        snprintf(num, sizeof num, ",\"dropped\":%lld,\"dropped_total\":%lld",
                 (long long)l->dropped, (long long)l->dropped_total);
        rc |= buf_append_str(b, num);
    }
    rc |= buf_append_str(b, "}\n");
    if (rc == 0)
        fwrite(b->data, 1, b->len, jr->log);
}

static void log_event(jr_journal *jr, const jr_rec *r)
{
    line l = {.time = r->t,
              .event = jr_event_names[r->type],
              .event_id = r->s[JR_E_UID],
              .sid = r->s[JR_E_SID],
              .peer = r->s[JR_E_IP],
              .forwarded = r->s[JR_E_FORWARDED],
              .method = r->s[JR_E_METHOD],
              .path = r->s[JR_E_PATH],
              .detector = r->s[JR_E_DETECTOR],
              .kind = r->s[JR_E_KIND],
              .action = r->s[JR_E_ACTION],
              .evidence = r->s[JR_E_EVIDENCE],
              .has_score = 1,
              .score = r->score,
              .served = r->flag ? "decoy" : "real",
              .sha = r->has_sha ? r->sha : NULL,
              .dropped = -1};
    log_line(jr, &l);
}

/* A line when records were dropped since the last one, at most one per drop_log_ms (force: at
 * close, so the last drops are told too). Also on stderr when the log is off: never silent. */
static void log_drops(jr_journal *jr, int force)
{
    uint64_t total = atomic_load_explicit(&jr->dropped, memory_order_relaxed);
    int64_t now = now_ms();
    if (total == jr->drops_logged || (!force && now - jr->drop_logged_at < jr->o.drop_log_ms))
        return;
    char id[48];
    snprintf(id, sizeof id, "%s-%llu", jr->instance,
             (unsigned long long)atomic_fetch_add_explicit(&jr->seq, 1, memory_order_relaxed));
    line l = {.time = now, .event = "drop", .event_id = STR(id),
              .dropped = (int64_t)(total - jr->drops_logged), .dropped_total = (int64_t)total};
    if (jr->log) {
        log_line(jr, &l);
        fflush(jr->log);
    } else {
        fprintf(stderr, "mitsu: journal: %llu records dropped (queue full), %llu in all\n",
                (unsigned long long)(total - jr->drops_logged), (unsigned long long)total);
    }
    jr->drops_logged = total;
    jr->drop_logged_at = now;
}

/* ---- Writing (the writer thread) --------------------------------------------------------- */

/* Text for a TEXT column: valid UTF-8 (PostgreSQL refuses anything else, NUL included). */
static mitsu_value text_value(buf *b, jr_str s)
{
    if (!s.p)
        return MITSU_NULL;
    size_t k = 0, i = 0;
    while (i < s.len && (k = jr_utf8_len((const unsigned char *)s.p + i, s.len - i)) > 0)
        i += k;
    if (i == s.len) /* the usual case: no copy */
        return MITSU_TEXTN(s.p, s.len);
    size_t at = b->len;
    if (jr_append_utf8(b, s.p, s.len) < 0)
        return MITSU_NULL;
    /* b may move while later fields are appended: the caller reserves enough first. */
    return MITSU_TEXTN(b->data + at, b->len - at);
}

static const char *const state_names[HP_CLIENT_STATE__MAX] = {"normal", "attacker", "released"};

/* A client never goes back to normal: a row saying so comes from an instance that has not yet
 * heard of a verdict reached elsewhere (another instance, the operator), which it keeps. */
#define KEEP_VERDICT(col)                                                                   \
    "CASE WHEN excluded.state = 'normal' AND clients.state <> 'normal' THEN clients." col   \
    " ELSE excluded." col " END"

static int write_client(jr_journal *jr, const jr_rec *r)
{
    buf *b = &jr->scratch[0];
    b->len = 0;
    if (buf_reserve(b, 4 * (r->s[JR_C_FLAGGED_BY].len + 1)) < 0)
        return -1;
    mitsu_value by = text_value(b, r->s[JR_C_FLAGGED_BY]);
    return mitsu_db_exec(jr->db,
                         "INSERT INTO clients (sid, ip, state, score, n4xx, requests, first_seen,"
                         " last_seen, flagged_at, flagged_by, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                         " ON CONFLICT (sid) DO UPDATE SET ip = excluded.ip,"
                         " state = " KEEP_VERDICT("state") ", score = excluded.score,"
                         " n4xx = excluded.n4xx,"
                         " requests = excluded.requests, first_seen = excluded.first_seen,"
                         " last_seen = excluded.last_seen,"
                         " flagged_at = " KEEP_VERDICT("flagged_at") ","
                         " flagged_by = " KEEP_VERDICT("flagged_by") ","
                         " updated_at = excluded.updated_at",
                         MITSU_TEXTN(r->s[JR_C_SID].p, r->s[JR_C_SID].len),
                         MITSU_TEXTN(r->s[JR_C_IP].p, r->s[JR_C_IP].len),
                         MITSU_TEXT(state_names[r->type]), MITSU_REAL(r->score),
                         MITSU_INT(r->n[0]), MITSU_INT(r->n[1]), MITSU_INT(r->n[2]),
                         MITSU_INT(r->n[3]), r->n[4] ? MITSU_INT(r->n[4]) : MITSU_NULL, by,
                         MITSU_INT(r->t)) < 0
               ? -1
               : 0;
}

static int write_event(jr_journal *jr, const jr_rec *r)
{
    buf *b = &jr->scratch[0];
    b->len = 0;
    size_t need = 0;
    for (int i = 0; i < JR_E__MAX; i++)
        need += 3 * r->s[i].len + 1; /* U+FFFD is 3 bytes for 1 */
    if (buf_reserve(b, need) < 0)
        return -1;
    int tx[] = {JR_E_UID, JR_E_SID, JR_E_IP, JR_E_DETECTOR, JR_E_KIND, JR_E_EVIDENCE,
                JR_E_ACTION};
    mitsu_value v[7];
    for (int i = 0; i < 7; i++)
        v[i] = text_value(b, r->s[tx[i]]);
    double score = r->score == r->score ? r->score : 0;
    if (mitsu_db_exec(jr->db,
                      "INSERT INTO events (uid, time, event, sid, ip, detector, kind, score,"
                      " evidence, action) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      v[0], MITSU_INT(r->t), MITSU_TEXT(jr_event_names[r->type]), v[1], v[2],
                      v[3], v[4], MITSU_REAL(score), v[5], v[6]) < 0)
        return -1;
    if (r->type != JR_EVENT_FLAG)
        return 0;
    /* The other instances learn of the verdict from this row, committed with the event. */
    jr->batch_verdicts = 1;
    return jr_verdict_insert(jr->db, r->t, v[1], v[2], "attacker", score, v[3], jr->instance);
}

static jr_str find_header(const jr_rec *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nhdr; i++)
        if (r->hdr[2 * i].len == n && strncasecmp(r->hdr[2 * i].p, name, n) == 0)
            return r->hdr[2 * i + 1];
    return (jr_str){NULL, 0};
}

/* How a request's secrets are stored: masked for pre-flag evidence, else as configured. NULL:
 * as sent. */
static const jr_mask_rule *request_rule(const jr_journal *jr, const jr_rec *r, jr_mask_rule *rule)
{
    if (!r->mask && jr->o.secrets == JR_SECRETS_PLAIN)
        return NULL;
    *rule = (jr_mask_rule){(const char *const *)jr->secrets, jr->o.nsecret_fields,
                           jr->o.secrets == JR_SECRETS_HASH};
    return rule;
}

static int write_request(jr_journal *jr, const jr_rec *r)
{
    jr_mask_rule rule_;
    const jr_mask_rule *rule = request_rule(jr, r, &rule_);
    buf *h = &jr->scratch[0], *body = &jr->scratch[1];
    h->len = body->len = 0;
    int rc = jr_headers_json(h, body, r->hdr, r->nhdr, rule);
    size_t hlen = h->len;

    /* Then the target (its query masked), then the body, all in h/body at known offsets. */
    jr_str target = r->s[JR_R_TARGET];
    size_t tat = h->len;
    if (target.p && rule) {
        body->len = 0;
        rc |= jr_mask_target(body, target.p, target.len, rule);
        rc |= jr_append_utf8(h, body->data ? body->data : "", body->len);
    } else if (target.p) {
        rc |= jr_append_utf8(h, target.p, target.len);
    }
    size_t tlen = h->len - tat;
    size_t mat = h->len;
    rc |= jr_append_utf8(h, r->s[JR_R_METHOD].p ? r->s[JR_R_METHOD].p : "", r->s[JR_R_METHOD].len);
    size_t mlen = h->len - mat;
    size_t sat = h->len;
    rc |= jr_append_utf8(h, r->s[JR_R_SID].p ? r->s[JR_R_SID].p : "", r->s[JR_R_SID].len);
    size_t slen_ = h->len - sat;
    size_t iat = h->len;
    rc |= jr_append_utf8(h, r->s[JR_R_IP].p ? r->s[JR_R_IP].p : "", r->s[JR_R_IP].len);
    size_t ilen = h->len - iat;

    jr_str b = r->s[JR_R_BODY], raw = r->s[JR_R_RAW];
    if (rule && b.p) {
        jr_str ct = find_header(r, "content-type");
        body->len = 0;
        rc |= jr_mask_body(body, ct.p, ct.len, b.p, b.len, rule);
        b = (jr_str){body->len ? body->data : "", body->len};
    }
    if (rule && raw.p && raw.len)
        raw = (jr_str){"[masked]", 8}; /* the raw bytes hold everything, secrets included */
    if (rc)
        return -1;
    return mitsu_db_exec(
               jr->db,
               "INSERT INTO requests (time, sid, ip, method, target, headers, body, raw, status,"
               " response_size, latency_us, served, preflag)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               MITSU_INT(r->t), r->s[JR_R_SID].p ? MITSU_TEXTN(h->data + sat, slen_) : MITSU_NULL,
               r->s[JR_R_IP].p ? MITSU_TEXTN(h->data + iat, ilen) : MITSU_NULL,
               r->s[JR_R_METHOD].p ? MITSU_TEXTN(h->data + mat, mlen) : MITSU_NULL,
               target.p ? MITSU_TEXTN(h->data + tat, tlen) : MITSU_NULL,
               MITSU_TEXTN(h->data, hlen), b.p ? MITSU_BLOB(b.p, b.len) : MITSU_NULL,
               raw.p ? MITSU_BLOB(raw.p, raw.len) : MITSU_NULL,
               r->n[0] ? MITSU_INT(r->n[0]) : MITSU_NULL, MITSU_INT(r->n[1]), MITSU_INT(r->n[2]),
               MITSU_TEXT(r->flag & 1 ? "decoy" : "real"), MITSU_INT((r->flag & 2) != 0)) < 0
               ? -1
               : 0;
}

static int write_one(jr_journal *jr, const jr_rec *r)
{
    switch (r->kind) {
    case JR_REC_CLIENT:
        return write_client(jr, r);
    case JR_REC_EVENT:
        return write_event(jr, r);
    default:
        return write_request(jr, r);
    }
}

/* A flag event appends a verdicts row: the batch takes the verdicts lock first. */
static int has_flag(jr_rec *const *batch, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (batch[i]->kind == JR_REC_EVENT && batch[i]->type == JR_EVENT_FLAG)
            return 1;
    return 0;
}

static int write_batch_tx(jr_journal *jr, jr_rec **batch, size_t n)
{
    if (mitsu_db_begin(jr->db) != 0)
        return -1;
    jr->batch_verdicts = 0;
    if (has_flag(batch, n) && jr_verdict_lock(jr->db) != 0) {
        mitsu_db_rollback(jr->db);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (write_one(jr, batch[i]) != 0) {
            mitsu_db_rollback(jr->db);
            return -1;
        }
    if ((jr->batch_verdicts && jr_verdict_notify(jr->db) != 0) || mitsu_db_commit(jr->db) != 0) {
        mitsu_db_rollback(jr->db);
        return -1;
    }
    return 0;
}

static int closing(jr_journal *jr)
{
    pthread_mutex_lock(&jr->lock);
    int c = jr->closing;
    pthread_mutex_unlock(&jr->lock);
    return c;
}

/* The connection is lost (PostgreSQL restarted, the backend killed): the batch is kept and
 * tried again with a growing pause while new records queue up (past queue_size they are
 * dropped and counted, as always). Told once when lost and once when back. At close it gives
 * up after a few tries rather than hang the shutdown. Returns the last try's result. */
static int write_batch_reconnect(jr_journal *jr, jr_rec **batch, size_t n)
{
    if (!jr->db_down)
        fprintf(stderr, "mitsu: journal: database connection lost (%s); keeping records and"
                        " reconnecting\n", mitsu_db_error(jr->db));
    jr->db_down = 1;
    int rc = -1, tries_at_close = 0;
    for (int64_t pause = 50; rc != 0 && mitsu_db_errcode(jr->db) == MITSU_DB_UNAVAILABLE;
         pause = pause < 3200 ? pause * 2 : 5000) {
        if (closing(jr) && tries_at_close++ >= 5)
            break;
        struct timespec ts = {pause / 1000, (long)(pause % 1000) * 1000000};
        nanosleep(&ts, NULL);
        log_drops(jr, 0);
        /* A new connection: the old one's session, prepared statements included, is gone. */
        mitsu_db_close(jr->db);
        jr->db = mitsu_db_open(jr->url, NULL, 0);
        rc = jr->db ? write_batch_tx(jr, batch, n) : -1;
    }
    if (!jr->db) /* gave up at close: the records are counted as failed */
        return -1;
    if (rc == 0) {
        fprintf(stderr, "mitsu: journal: database connection back\n");
        jr->db_down = 0;
    }
    return rc;
}

static void write_batch(jr_journal *jr, jr_rec **batch, size_t n)
{
    /* The log lines first: they do not depend on the database being up. */
    for (size_t i = 0; i < n; i++)
        if (batch[i]->kind == JR_REC_EVENT)
            log_event(jr, batch[i]);
    if (jr->log)
        fflush(jr->log);

    pthread_mutex_lock(&jr->db_lock);
    int rc = write_batch_tx(jr, batch, n);
    if (rc != 0 && mitsu_db_errcode(jr->db) == MITSU_DB_BUSY) {
        /* Another process held the lock past the busy timeout: one more try. */
        rc = write_batch_tx(jr, batch, n);
    }
    if (rc != 0 && mitsu_db_errcode(jr->db) == MITSU_DB_UNAVAILABLE)
        rc = write_batch_reconnect(jr, batch, n);
    if (rc != 0 && !jr->db) {
        atomic_fetch_add_explicit(&jr->failed, n, memory_order_relaxed);
        fprintf(stderr, "mitsu: journal: %zu records not written: no database\n", n);
    } else if (rc != 0) {
        /* One bad record must not take its batch with it: write them one by one. */
        size_t lost = 0;
        const char *why = NULL;
        for (size_t i = 0; i < n; i++)
            if (write_batch_tx(jr, batch + i, 1) != 0) {
                lost++;
                why = mitsu_db_error(jr->db);
            }
        if (lost) {
            atomic_fetch_add_explicit(&jr->failed, lost, memory_order_relaxed);
            fprintf(stderr, "mitsu: journal: %zu records not written: %s\n", lost,
                    why ? why : "database error");
        }
        atomic_fetch_add_explicit(&jr->written, n - lost, memory_order_relaxed);
        atomic_fetch_add_explicit(&jr->batches, n - lost, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&jr->written, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&jr->batches, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&jr->db_lock);
    for (size_t i = 0; i < n; i++)
        free(batch[i]);
    for (int i = 0; i < 3; i++)
        buf_shrink(&jr->scratch[i], 1 << 20);
}

/* The writer yields to the request workers: where it shares a core with one, an attacker's
 * recorded request must not make the next response wait for an INSERT and a commit (a timing
 * tell: decoy answers slower than real ones). At nice 19 its slices on a contended core are
 * shortest (a flood's p99 halved against nice 10 in bench/paper.sh); the CPU it gets still
 * writes thousands of records a second in batches; a queue that fills up drops, counted. */
enum { WRITER_NICE = 19 };

/* A writer woken by the first record of a quiet spell waits this long for more before it writes:
 * under a flood of recorded requests a batch is then many records and one commit, not one
 * record, one commit and one wake-up per request. Records reach the database that much later;
 * what a kill -9 can lose is still bounded by the queue. */
enum { WRITER_LINGER_MS = 5 };

static void deadline_in(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_REALTIME, t);
    t->tv_nsec += ms % 1000 * 1000000L;
    t->tv_sec += ms / 1000 + t->tv_nsec / 1000000000L;
    t->tv_nsec %= 1000000000L;
}

static void *writer_main(void *arg)
{
    jr_journal *jr = arg;
    /* Linux: the nice value of this thread alone. Failing leaves it as it is. */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), WRITER_NICE);
    for (;;) {
        pthread_mutex_lock(&jr->lock);
        if (jr->count == 0 && !jr->closing) {
            /* Wake at least every second to tell of drops even when nothing comes in. */
            struct timespec until;
            deadline_in(&until, 1000);
            jr->writer_idle = 1;
            pthread_cond_timedwait(&jr->wake, &jr->lock, &until);
            jr->writer_idle = 0;
            if (jr->count && !jr->closing) {
                /* Not idle meanwhile: producers do not signal; jr_close does. */
                deadline_in(&until, WRITER_LINGER_MS);
                pthread_cond_timedwait(&jr->wake, &jr->lock, &until);
            }
        }
        /* Take what is there: while this batch is written, the next one gathers. */
        size_t n = jr->count < jr->o.batch_max ? jr->count : jr->o.batch_max;
        for (size_t i = 0; i < n; i++)
            jr->batch[i] = jr->ring[(jr->head + i) % jr->cap];
        jr->head = (jr->head + n) % jr->cap;
        jr->count -= n;
        int done = jr->closing && jr->count == 0;
        pthread_mutex_unlock(&jr->lock);
        if (n)
            write_batch(jr, jr->batch, n);
        log_drops(jr, done);
        if (done)
            return NULL;
    }
}

/* ---- Opening and closing -------------------------------------------------------------------- */

void jr_options_from_config(const config *cfg, jr_options *o)
{
    memset(o, 0, sizeof *o);
    int64_t q = config_get_int(cfg, "journal", "queue_size");
    o->queue_size = q > 0 ? (size_t)q : 0;
    o->log = config_get_str(cfg, "journal", "log");
    const char *const *items = NULL;
    o->nsecret_fields = config_get_list(cfg, "journal", "secret_fields", &items);
    o->secret_fields = items;
    o->body_max = (size_t)config_get_size(cfg, "journal", "body_max");
    o->secrets = config_get_enum(cfg, "journal", "secrets");
}

static void jr_free(jr_journal *jr)
{
    if (jr->db)
        mitsu_db_close(jr->db);
    if (jr->log && jr->log_owned)
        fclose(jr->log);
    else if (jr->log)
        fflush(jr->log);
    for (size_t i = 0; jr->secrets && i < jr->o.nsecret_fields; i++)
        free(jr->secrets[i]);
    free(jr->secrets);
    for (int i = 0; i < 3; i++)
        buf_free(&jr->scratch[i]);
    free(jr->ring);
    free(jr->batch);
    free(jr->url);
    pthread_mutex_destroy(&jr->lock);
    pthread_mutex_destroy(&jr->db_lock);
    pthread_cond_destroy(&jr->wake);
    free(jr);
}

jr_journal *jr_open(const char *url, const jr_options *opts, char *err, size_t n)
{
    char dummy[8];
    if (!err)
        err = dummy, n = sizeof dummy;
    jr_journal *jr = calloc(1, sizeof *jr);
    if (!jr) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&jr->lock, NULL);
    pthread_mutex_init(&jr->db_lock, NULL);
    pthread_cond_init(&jr->wake, NULL);
    if (opts)
        jr->o = *opts;
    jr_options *o = &jr->o;
    if (!o->queue_size)
        o->queue_size = 10000;
    if (!o->batch_max)
        o->batch_max = 4096;
    if (!o->body_max)
        o->body_max = 65536;
    if (o->drop_log_ms <= 0)
        o->drop_log_ms = 10000;
    if (!o->secret_fields) {
        o->secret_fields = jr_default_secrets;
        o->nsecret_fields = jr_ndefault_secrets;
    }
    /* The caller's strings may not outlive jr_open (a config being reloaded): copy them. */
    jr->secrets = calloc(o->nsecret_fields + 1, sizeof *jr->secrets);
    for (size_t i = 0; jr->secrets && i < o->nsecret_fields; i++)
        if (!(jr->secrets[i] = strdup(o->secret_fields[i])))
            o->nsecret_fields = i;
    o->secret_fields = NULL; /* use jr->secrets */
    o->log = NULL;
    jr->cap = o->queue_size;
    jr->ring = calloc(jr->cap, sizeof *jr->ring);
    jr->batch = calloc(o->batch_max, sizeof *jr->batch);
    jr->url = strdup(url);
    if (!jr->secrets || !jr->ring || !jr->batch || !jr->url) {
        snprintf(err, n, "out of memory");
        goto fail;
    }
    uint8_t rnd[6];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        uint64_t x = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 40);
        memcpy(rnd, &x, sizeof rnd);
    }
    for (int i = 0; i < 6; i++)
        snprintf(jr->instance + 2 * i, 3, "%02x", rnd[i]);

    const char *log = opts && opts->log ? opts->log : "off";
    if (strcmp(log, "stderr") == 0) {
        jr->log = stderr;
    } else if (strcmp(log, "off") != 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0 || !(jr->log = fdopen(fd, "a"))) {
            snprintf(err, n, "journal log %s: %s", log, strerror(errno));
            if (fd >= 0)
                close(fd);
            goto fail;
        }
        jr->log_owned = 1;
    }

    char dberr[512] = "";
    jr->db = mitsu_db_open(url, dberr, sizeof dberr);
    if (!jr->db) {
        snprintf(err, n, "journal database: %s", dberr);
        goto fail;
    }
    if (jr_migrate(jr->db, dberr, sizeof dberr) != 0) {
        snprintf(err, n, "journal database: %s", dberr);
        goto fail;
    }
    jr->drop_logged_at = now_ms() - o->drop_log_ms;
    /* The writer takes no signals: SIGTERM is the server's (its main thread waits for it), and
     * a thread started before the server blocks it would otherwise receive it and die of it. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(&jr->writer, NULL, writer_main, jr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        snprintf(err, n, "journal: cannot start the writer thread");
        goto fail;
    }
    return jr;
fail:
    jr_free(jr);
    return NULL;
}

void jr_close(jr_journal *jr)
{
    if (!jr)
        return;
    pthread_mutex_lock(&jr->lock);
    jr->closing = 1;
    pthread_mutex_unlock(&jr->lock);
    pthread_cond_signal(&jr->wake);
    pthread_join(jr->writer, NULL); /* it writes what is queued before it returns */
    jr_free(jr);
}

/* ---- Reading ---------------------------------------------------------------------------------- */

long jr_load_honeytokens(jr_journal *jr, jr_token_fn *fn, void *arg, char *err, size_t n)
{
    if (!jr || !fn) {
        snprintf(err, n, "no journal");
        return -1;
    }
    pthread_mutex_lock(&jr->db_lock);
    long count = jr_read_honeytokens(jr->db, fn, arg, err, n);
    pthread_mutex_unlock(&jr->db_lock);
    return count;
}

long jr_load_verdicts(jr_journal *jr, jr_verdict_fn *fn, void *arg, char *err, size_t n)
{
    char dummy[8];
    if (!err)
        err = dummy, n = sizeof dummy;
    if (!jr || !fn) {
        snprintf(err, n, "no journal");
        return -1;
    }
    pthread_mutex_lock(&jr->db_lock);
    mitsu_rows *r = mitsu_db_query(jr->db,
                                   "SELECT sid, ip, state, score, n4xx, requests, first_seen,"
                                   " last_seen, flagged_at, flagged_by FROM clients"
                                   " WHERE state <> 'normal' ORDER BY sid");
    long count = 0;
    int rc = 0;
    while (r && (rc = mitsu_rows_next(r)) == 1) {
        hp_client c;
        memset(&c, 0, sizeof c);
        const char *sid = mitsu_rows_text(r, 0), *ip = mitsu_rows_text(r, 1);
        if (!sid || hp_client_sid_parse(sid, strlen(sid), c.sid) != 0)
            continue; /* not an id mitsu made: nothing could match it */
        if (ip)
            hp_client_ip_parse(ip, c.ip);
        const char *state = mitsu_rows_text(r, 2);
        c.state = state && strcmp(state, "attacker") == 0 ? HP_CLIENT_ATTACKER
                                                          : HP_CLIENT_RELEASED;
        c.score = (float)mitsu_rows_real(r, 3);
        int64_t n4xx = mitsu_rows_int(r, 4), req = mitsu_rows_int(r, 5);
        c.n4xx = n4xx < 0 ? 0 : n4xx > UINT32_MAX ? UINT32_MAX : (uint32_t)n4xx;
        c.requests = req < 0 ? 0 : req > UINT32_MAX ? UINT32_MAX : (uint32_t)req;
        c.first_seen = mitsu_rows_int(r, 6);
        c.last_seen = mitsu_rows_int(r, 7);
        c.flagged_at = mitsu_rows_int(r, 8);
        c.score_at = c.last_seen;
        count++;
        if (fn(&c, mitsu_rows_text(r, 9), arg) != 0)
            break;
    }
    if (!r || rc < 0) {
        snprintf(err, n, "journal: %s", mitsu_db_error(jr->db));
        count = -1;
    }
    mitsu_rows_free(r);
    pthread_mutex_unlock(&jr->db_lock);
    return count;
}

void jr_stats_get(jr_journal *jr, jr_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!jr)
        return;
    out->queued = atomic_load_explicit(&jr->queued, memory_order_relaxed);
    out->written = atomic_load_explicit(&jr->written, memory_order_relaxed);
    out->dropped = atomic_load_explicit(&jr->dropped, memory_order_relaxed);
    out->failed = atomic_load_explicit(&jr->failed, memory_order_relaxed);
    out->batches = atomic_load_explicit(&jr->batches, memory_order_relaxed);
    pthread_mutex_lock(&jr->lock);
    out->pending = jr->count;
    pthread_mutex_unlock(&jr->lock);
}

const char *jr_instance(const jr_journal *jr)
{
    return jr ? jr->instance : "";
}

int jr_schema_version(jr_journal *jr)
{
    if (!jr)
        return -1;
    pthread_mutex_lock(&jr->db_lock);
    int v = jr_db_version(jr->db);
    pthread_mutex_unlock(&jr->db_lock);
    return v;
}
