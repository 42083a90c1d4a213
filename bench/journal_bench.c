/* Journal bench: sustained records/s into SQLite from 2 producer threads, and the records lost
 * when the process is killed with SIGKILL mid-stream (acknowledged by jr_request, not in the db).
 *   make build/bench/journal_bench && build/bench/journal_bench [seconds] [queue_size] */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal/journal.h"
#include "mitsu.h"

enum { PRODUCERS = 2 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the killed child shares with its parent: written before it dies, read after. */
typedef struct shared {
    atomic_llong acked;   /* jr_request returned 0 */
    atomic_llong dropped;
    atomic_llong written; /* jr_stats, sampled */
    atomic_llong batches;
    atomic_int stop;
} shared;

typedef struct prod {
    jr_journal *jr;
    int id;
    double until;
    long long ok, refused;
    shared *sh;
} prod;

/* A typical captured request: 4 headers, a 100-byte form body. */
static int one(jr_journal *jr, int id, long long i)
{
    static const char body[] = "username=alice&password=correct-horse-battery-staple&remember=1"
                               "&csrf=0123456789abcdef0123456789ab";
    jr_header h[] = {{"Host", "example.com", 4, 11},
                     {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) bench", 10, 37},
                     {"Accept", "text/html,application/xhtml+xml", 6, 31},
                     {"Content-Type", "application/x-www-form-urlencoded", 12, 33}};
    char sid[33], target[64];
    snprintf(sid, sizeof sid, "%08x%024llx", id, i);
    snprintf(target, sizeof target, "/login?attempt=%lld", i);
    jr_request_rec r = {.time = 1700000000000 + i, .sid = sid, .ip = "198.51.100.23",
                        .method = "POST", .target = target, .headers = h, .nheaders = 4,
                        .body = body, .body_len = sizeof body - 1, .status = 401,
                        .response_size = 512, .latency_us = 180, .served_decoy = 1};
    return jr_request(jr, &r, 0);
}

static void *produce(void *arg)
{
    prod *p = arg;
    for (long long i = 0;; i++) {
        if ((i & 255) == 0 && (now_s() >= p->until || (p->sh && p->sh->stop)))
            break;
        if (one(p->jr, p->id, i) == 0) {
            p->ok++;
            if (p->sh)
                atomic_fetch_add(&p->sh->acked, 1);
        } else {
            p->refused++;
            if (p->sh)
                atomic_fetch_add(&p->sh->dropped, 1);
            /* The queue is full: yield to the writer instead of spinning on the lock. */
            sched_yield();
        }
        if (p->sh && (i & 1023) == 0) {
            jr_stats s;
            jr_stats_get(p->jr, &s);
            atomic_store(&p->sh->written, (long long)s.written);
            atomic_store(&p->sh->batches, (long long)s.batches);
        }
    }
    return NULL;
}

static long long rows(const char *url)
{
    mitsu_db *db = mitsu_db_open(url, NULL, 0);
    mitsu_rows *r = mitsu_db_query(db, "SELECT COUNT(*) FROM requests");
    long long n = r && mitsu_rows_next(r) == 1 ? mitsu_rows_int(r, 0) : -1;
    mitsu_rows_free(r);
    mitsu_db_close(db);
    return n;
}

static void run_producers(jr_journal *jr, double seconds, shared *sh, long long *ok,
                          long long *refused)
{
    pthread_t th[PRODUCERS];
    prod p[PRODUCERS];
    double until = now_s() + seconds;
    for (int i = 0; i < PRODUCERS; i++) {
        p[i] = (prod){.jr = jr, .id = i, .until = until, .sh = sh};
        pthread_create(&th[i], NULL, produce, &p[i]);
    }
    *ok = *refused = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(th[i], NULL);
        *ok += p[i].ok;
        *refused += p[i].refused;
    }
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    size_t qsize = argc > 2 ? (size_t)atol(argv[2]) : 10000;
    char dir[] = "/tmp/mitsu-jr-bench-XXXXXX";
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    char url[128], err[512];
    jr_options o = {.queue_size = qsize};

    /* 1. Sustained rate: from the first record to the last one committed (jr_close). */
    snprintf(url, sizeof url, "sqlite:%s/rate.db", dir);
    jr_journal *jr = jr_open(url, &o, err, sizeof err);
    if (!jr)
        return fprintf(stderr, "jr_open: %s\n", err), 1;
    double t0 = now_s();
    long long ok, refused;
    run_producers(jr, seconds, NULL, &ok, &refused);
    jr_stats s;
    jr_stats_get(jr, &s);
    jr_close(jr);
    double el = now_s() - t0;
    long long n = rows(url);
    printf("sustained: %lld records written in %.2f s = %.0f records/s (SQLite, %d producers, "
           "queue %zu); %llu batches before close (avg %.0f records); %lld refused while the queue was full; "
           "rows in db %lld\n",
           (long long)ok, el, (double)ok / el, PRODUCERS, qsize,
           (unsigned long long)s.batches, s.batches ? (double)s.written / (double)s.batches : 0,
           refused, n);

    /* 2. Loss after kill -9: the child writes at full speed for ~1 s and is killed. */
    snprintf(url, sizeof url, "sqlite:%s/kill.db", dir);
    shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                      0);
    if (sh == MAP_FAILED)
        return perror("mmap"), 1;
    memset(sh, 0, sizeof *sh);
    pid_t pid = fork();
    if (pid == 0) {
        jr = jr_open(url, &o, err, sizeof err);
        if (!jr)
            _exit(1);
        run_producers(jr, 1e9, sh, &ok, &refused);
        _exit(0);
    }
    usleep(1000 * 1000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    long long acked = atomic_load(&sh->acked), got = rows(url);
    long long w = atomic_load(&sh->written), b = atomic_load(&sh->batches);
    double per_batch = b ? (double)w / (double)b : 0, interval_ms = b ? 1000.0 / (double)b : 0;
    printf("kill -9 after 1 s: %lld records acknowledged, %lld rows in db, %lld lost "
           "(%.1f batches of avg %.0f records; one batch every %.1f ms; bound: queue %zu + "
           "batch in flight)\n",
           acked, got, acked - got, per_batch > 0 ? (double)(acked - got) / per_batch : 0,
           per_batch, interval_ms, qsize);
    munmap(sh, sizeof *sh);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
