/* Memory per tracked client and look-up speed of the honeypot's client table.
 * cc -std=c17 -D_GNU_SOURCE -O2 -Isrc -Iinclude bench/client_mem.c src/honeypot/client.c -pthread
 * (or link build/libmitsu.a instead of client.c); argument: the number of clients (1000000). */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "honeypot/client.h"

#define T0 1700000000000ll

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    if (f)
        fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Heap in use: small blocks plus mmap'd ones (what malloc really holds for us). */
static size_t heap_bytes(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* The i-th client's address: distinct for every i, spread over IPv4 and IPv6. */
static void addr(size_t i, uint8_t ip[HP_IP_LEN])
{
    memset(ip, 0, HP_IP_LEN);
    if (i & 1) {
        ip[0] = 0x20, ip[1] = 0x01, ip[2] = 0x0d, ip[3] = 0xb8;
        memcpy(ip + 8, &i, sizeof i);
    } else {
        uint32_t v4 = (uint32_t)(i >> 1) + 0x0a000000u;
        ip[10] = ip[11] = 0xff;
        ip[12] = (uint8_t)(v4 >> 24), ip[13] = (uint8_t)(v4 >> 16);
        ip[14] = (uint8_t)(v4 >> 8), ip[15] = (uint8_t)v4;
    }
}

/* A returning browser's cookie and the index of its address. Look-ups walk these in a shuffled
 * order, sequentially, so the bench's own reads stay in cache and the table's do not. */
typedef struct visitor {
    char hex[HP_SID_HEX + 1];
    uint32_t i;
} visitor;

typedef struct job {
    hp_client_table *t;
    const visitor *v;
    size_t n, ops, first;
    double ns;
} job;

static uint64_t next(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static void *lookups(void *p)
{
    job *j = p;
    hp_client_ref r;
    double t0 = now_s();
    for (size_t k = 0, at = j->first; k < j->ops; k++, at = at + 1 == j->n ? 0 : at + 1) {
        uint8_t ip[HP_IP_LEN];
        addr(j->v[at].i, ip);
        if (hp_client_identify(j->t, ip, j->v[at].hex, HP_SID_HEX, T0 + 1, &r) ||
            r.how != HP_CLIENT_BY_SID)
            abort();
    }
    j->ns = (now_s() - t0) * 1e9 / (double)j->ops;
    return NULL;
}

static void run(hp_client_table *t, const visitor *v, size_t n, int threads)
{
    job j[8];
    pthread_t th[8];
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        j[i] = (job){t, v, n, 4000000, n / (size_t)threads * (size_t)i, 0};
        pthread_create(&th[i], NULL, lookups, &j[i]);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        sum += j[i].ns;
    }
    double per = sum / threads;
    printf("  identify by cookie, %d thread%s: %.0f ns/op per thread, %.1f M op/s in all\n",
           threads, threads > 1 ? "s" : "", per, threads * 1e3 / per);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    hp_client_table_config cfg = {.max_clients = 2 * n};
    visitor *v = malloc(n * sizeof *v);
    hp_client_table *t = hp_client_table_new(&cfg);
    if (!t || !v)
        return 1;

    memset(v, 0, n * sizeof *v); /* the bench's own cookies: resident before measuring */
    size_t rss0 = rss_bytes(), heap0 = heap_bytes();
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        uint8_t ip[HP_IP_LEN];
        hp_client_ref r;
        addr(i, ip);
        if (hp_client_identify(t, ip, NULL, 0, T0, &r) || r.how != HP_CLIENT_NEW)
            return 1;
        hp_client_sid_format(r.sid, v[i].hex);
        v[i].i = (uint32_t)i;
    }
    double create_ns = (now_s() - t0) * 1e9 / (double)n;
    size_t rss1 = rss_bytes(), heap1 = heap_bytes();

    hp_client_stats st;
    hp_client_stats_get(t, &st);
    printf("client table, %zu clients (%zu IP entries), %u-byte records\n", st.clients,
           st.ip_entries, (unsigned)sizeof(hp_client));
    printf("  bytes per client: RSS %.1f, heap %.1f, own accounting %.1f (budget 256)\n",
           (double)(rss1 - rss0) / (double)n, (double)(heap1 - heap0) / (double)n,
           (double)st.bytes / (double)n);
    printf("  create (getrandom id, both indexes): %.0f ns/op\n", create_ns);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        size_t k = next(&seed) % (i + 1);
        visitor tmp = v[i];
        v[i] = v[k];
        v[k] = tmp;
    }
    run(t, v, n, 1);
    run(t, v, n, 2);
    hp_client_table_free(t);
    free(v);
    return 0;
}
