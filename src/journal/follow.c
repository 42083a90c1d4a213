/* The verdict follower: a thread that applies the verdicts other instances (and the operator)
 * append to the management database, polled by id and, on PostgreSQL, woken by NOTIFY; on the
 * same poll it notices a change of the honeytokens table. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal/internal.h"

#define RELISTEN_MS 2000 /* a lost LISTEN connection is tried again this often */
#define BATCH 500        /* rows per query: a backlog is read in several */
#define TEXT_(x) #x
#define TEXT(x) TEXT_(x)

struct jr_follower {
    pthread_t thread;
    int stop[2];            /* a pipe: a byte written wakes the thread to end */
    char *url;
    char *skip;             /* own origin, or NULL */
    jr_follow_hooks h;
    mitsu_db *db;           /* the queries */
    PGconn *listen;         /* PostgreSQL: the LISTEN connection, or NULL while lost */
    int64_t relisten_at;
    int64_t last;           /* the id of the last row seen */
    int down;               /* the database is unreachable: told once */
    int pg;                 /* a PostgreSQL database: LISTEN too */
    int64_t tokens[3];      /* the honeytokens table's COUNT(*), MAX(id), MAX(planted_at) */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- The rows ---------------------------------------------------------------------------------- */

/* Applies the rows after f->last; returns how many were read, or -1 on a database error. */
static int fetch(jr_follower *f)
{
    mitsu_rows *r = mitsu_db_query(f->db,
                                   "SELECT id, time, sid, ip, state, score, by, origin FROM verdicts"
                                   " WHERE id > ? ORDER BY id LIMIT " TEXT(BATCH),
                                   MITSU_INT(f->last));
    int rc = 0, count = 0;
    while (r && (rc = mitsu_rows_next(r)) == 1) {
        jr_verdict v = {.id = mitsu_rows_int(r, 0), .time = mitsu_rows_int(r, 1),
                        .sid = mitsu_rows_text(r, 2), .ip = mitsu_rows_text(r, 3),
                        .state = mitsu_rows_text(r, 4), .score = mitsu_rows_real(r, 5),
                        .by = mitsu_rows_text(r, 6), .origin = mitsu_rows_text(r, 7)};
        f->last = v.id;
        count++;
        if (v.state && !(f->skip && v.origin && strcmp(v.origin, f->skip) == 0))
            f->h.verdict(&v, f->h.arg);
    }
    mitsu_rows_free(r);
    return !r || rc < 0 ? -1 : count;
}

/* The honeytokens table's fingerprint into out[3]. MAX(id) and COUNT(*) see an insert and a
 * delete; MAX(planted_at) sees `decoy init --force`, which removes every token and adds as many
 * (SQLite may then give out the same ids again). 0, or -1 on a database error. */
static int tokens_mark(mitsu_db *db, int64_t out[3])
{
    mitsu_rows *r = mitsu_db_query(db, "SELECT COUNT(*), COALESCE(MAX(id), 0),"
                                       " COALESCE(MAX(planted_at), 0) FROM honeytokens");
    int rc = r ? mitsu_rows_next(r) : -1;
    for (int i = 0; rc == 1 && i < 3; i++)
        out[i] = mitsu_rows_int(r, i);
    mitsu_rows_free(r);
    return rc == 1 ? 0 : -1;
}

/* Tells the hook when the honeytokens table changed since the last look. */
static void tokens_check(jr_follower *f)
{
    int64_t now[3];
    if (!f->h.tokens || !f->db || tokens_mark(f->db, now) != 0 ||
        memcmp(now, f->tokens, sizeof now) == 0)
        return;
    memcpy(f->tokens, now, sizeof now);
    f->h.tokens(f->db, f->h.arg);
}

/* Reads until the backlog is empty; tells a lost database once, and its return. */
static void catch_up(jr_follower *f)
{
    int n;
    while ((n = fetch(f)) == BATCH)
        ;
    if (n < 0 && !f->down)
        fprintf(stderr, "mitsu: journal: following verdicts: %s (retrying)\n",
                f->db ? mitsu_db_error(f->db) : "no connection");
    else if (n >= 0 && f->down)
        fprintf(stderr, "mitsu: journal: following verdicts again\n");
    f->down = n < 0;
    if (n >= 0)
        tokens_check(f);
    if (n < 0 && mitsu_db_errcode(f->db) == MITSU_DB_UNAVAILABLE) {
        /* A lost connection is not mended in place: the next poll uses a new one. */
        mitsu_db_close(f->db);
        f->db = mitsu_db_open(f->url, NULL, 0);
    }
}

/* ---- PostgreSQL's LISTEN -------------------------------------------------------------------- */

/* libpq's default prints server notices on stderr; the follower tells of a loss itself. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void listen_open(jr_follower *f)
{
    f->relisten_at = mono_ms() + RELISTEN_MS;
    /* As the database layer connects (the URL's settings win), with a short timeout: a stop
     * waits for a connection attempt in progress. */
    const char *const keys[] = {"connect_timeout", "application_name", "client_encoding",
                                "dbname", NULL};
    const char *const vals[] = {"2", "mitsu-verdicts", "UTF8", f->url, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) == CONNECTION_OK) {
        PQsetNoticeProcessor(c, quiet, NULL);
        PGresult *res = PQexec(c, "LISTEN " JR_VERDICT_CHANNEL);
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (ok && PQsetnonblocking(c, 1) == 0) {
            f->listen = c;
            return;
        }
    }
    PQfinish(c);
}

/* Drains the notifications: they only say "look", the rows say what. 0, or -1 when lost. */
static int listen_drain(jr_follower *f)
{
    if (!PQconsumeInput(f->listen))
        return -1;
    PGnotify *n;
    while ((n = PQnotifies(f->listen)))
        PQfreemem(n);
    return PQstatus(f->listen) == CONNECTION_OK ? 0 : -1;
}

/* ---- The thread ------------------------------------------------------------------------------ */

/* Waits for a notification, the poll interval or the stop byte: 1 to stop, else 0. */
static int wait_next(jr_follower *f)
{
    int pg = f->pg;
    if (pg && !f->listen && mono_ms() >= f->relisten_at)
        listen_open(f);
    struct pollfd fds[2] = {{.fd = f->stop[0], .events = POLLIN}, {.fd = -1}};
    if (f->listen)
        fds[1] = (struct pollfd){.fd = PQsocket(f->listen), .events = POLLIN};
    int rc = poll(fds, 2, JR_FOLLOW_POLL_MS);
    if (rc > 0 && fds[0].revents)
        return 1;
    if (rc > 0 && fds[1].revents && listen_drain(f) != 0) {
        PQfinish(f->listen); /* the rows are still polled; LISTEN comes back later */
        f->listen = NULL;
    }
    return 0;
}

static void *follow_main(void *arg)
{
    jr_follower *f = arg;
    do {
        catch_up(f);
        if (f->h.tick)
            f->h.tick(f->h.arg);
    } while (!wait_next(f));
    return NULL;
}

/* ---- Start and stop ---------------------------------------------------------------------------- */

static void follower_free(jr_follower *f)
{
    if (f->listen)
        PQfinish(f->listen);
    mitsu_db_close(f->db);
    for (int i = 0; i < 2; i++)
        if (f->stop[i] >= 0)
            close(f->stop[i]);
    free(f->url);
    free(f->skip);
    free(f);
}

/* The id where following starts: the end of the log now. */
static int log_end(jr_follower *f, char *err, size_t n)
{
    mitsu_rows *r = mitsu_db_query(f->db, "SELECT COALESCE(MAX(id), 0) FROM verdicts");
    int rc = r ? mitsu_rows_next(r) : -1;
    if (rc == 1)
        f->last = mitsu_rows_int(r, 0);
    else
        snprintf(err, n, "verdicts: %s", mitsu_db_error(f->db));
    mitsu_rows_free(r);
    return rc == 1 ? 0 : -1;
}

jr_follower *jr_follow_start(const char *url, const char *skip_origin, jr_verdict_apply_fn *fn,
                             void *arg, char *err, size_t n)
{
    jr_follow_hooks h = {.verdict = fn, .arg = arg};
    return jr_follow(url, skip_origin, &h, err, n);
}

jr_follower *jr_follow(const char *url, const char *skip_origin, const jr_follow_hooks *h,
                       char *err, size_t n)
{
    char dummy[8];
    if (!err)
        err = dummy, n = sizeof dummy;
    jr_follower *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, n, "out of memory");
        return NULL;
    }
    f->stop[0] = f->stop[1] = -1;
    f->h = *h;
    f->url = strdup(url);
    f->skip = skip_origin ? strdup(skip_origin) : NULL;
    if (!f->url || (skip_origin && !f->skip) || pipe2(f->stop, O_CLOEXEC) != 0) {
        snprintf(err, n, "out of memory or descriptors");
        goto fail;
    }
    char why[512] = "";
    f->db = mitsu_db_open(url, why, sizeof why);
    if (!f->db) {
        snprintf(err, n, "verdict follower: %s", why);
        goto fail;
    }
    if (log_end(f, err, n) != 0)
        goto fail;
    /* The set the caller loads after this start is the one of now or later: no change missed. */
    if (h->tokens && tokens_mark(f->db, f->tokens) != 0) {
        snprintf(err, n, "honeytokens: %s", mitsu_db_error(f->db));
        goto fail;
    }
    f->pg = mitsu_db_kind(f->db) == MITSU_DB_POSTGRESQL;
    if (f->pg)
        listen_open(f); /* before the thread starts: no notification after now is missed */
    /* Like the writer, it takes no signals: they are the server's main thread's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int started = pthread_create(&f->thread, NULL, follow_main, f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        snprintf(err, n, "cannot start the verdict follower thread");
        goto fail;
    }
    return f;
fail:
    follower_free(f);
    return NULL;
}

void jr_follow_stop(jr_follower *f)
{
    if (!f)
        return;
    ssize_t w;
    do
        w = write(f->stop[1], "x", 1);
    while (w < 0 && errno == EINTR);
    pthread_join(f->thread, NULL);
    follower_free(f);
}
