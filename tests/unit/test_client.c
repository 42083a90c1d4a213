/* Specification of src/honeypot/client.c: who a request's client is, the ring of recent
 * requests, the cap and its eviction order, expiry, verdict reloads, and thread safety. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "honeypot/client.h"

#define T0 1700000000000ll /* a Unix time in ms */
#define DAY (86400ll * 1000)

static hp_client_table *table(unsigned shards, size_t max)
{
    hp_client_table_config cfg = {.shards = shards, .max_clients = max};
    hp_client_table *t = hp_client_table_new(&cfg);
    cr_assert_not_null(t);
    return t;
}

static void ip(const char *text, uint8_t out[HP_IP_LEN])
{
    cr_assert_eq(hp_client_ip_parse(text, out), 0, "%s", text);
}

/* A request from addr with the cookie of ref (NULL: no cookie). */
static hp_client_ref visit(hp_client_table *t, const char *addr, const hp_client_ref *cookie,
                           int64_t now)
{
    uint8_t a[HP_IP_LEN];
    char hex[HP_SID_HEX + 1];
    hp_client_ref r;
    ip(addr, a);
    if (cookie)
        hp_client_sid_format(cookie->sid, hex);
    cr_assert_eq(hp_client_identify(t, a, cookie ? hex : NULL, cookie ? HP_SID_HEX : 0, now, &r),
                 0);
    return r;
}

static int same(const hp_client_ref *a, const hp_client_ref *b)
{
    return !memcmp(a->sid, b->sid, HP_SID_LEN);
}

static void flag(hp_client_table *t, const hp_client_ref *r)
{
    cr_assert_eq(hp_client_set_state(t, r->sid, HP_CLIENT_ATTACKER, 3, T0), 0);
}

/* ---- Identity ------------------------------------------------------------------------------ */

Test(client, unknown_ip_without_cookie_is_a_new_normal_client_with_a_cookie_to_set)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref r = visit(t, "192.0.2.1", NULL, T0);
    cr_assert_eq(r.how, HP_CLIENT_NEW);
    cr_assert_eq(r.state, HP_CLIENT_NORMAL);
    cr_assert_eq(r.cookie, HP_COOKIE_NONE);
    cr_assert(r.set_cookie);
    hp_client c;
    cr_assert_eq(hp_client_get(t, r.sid, &c), 0);
    cr_assert_eq(c.first_seen, T0);
    cr_assert_eq(c.requests, 1);
    hp_client_table_free(t);
}

Test(client, new_clients_get_distinct_random_ids)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "192.0.2.1", NULL, T0);
    hp_client_ref b = visit(t, "192.0.2.2", NULL, T0);
    cr_assert_not(same(&a, &b));
    hp_client_table_free(t);
}

Test(client, known_cookie_is_the_same_client_and_needs_no_set_cookie)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "192.0.2.1", NULL, T0);
    hp_client_ref b = visit(t, "192.0.2.1", &a, T0 + 5);
    cr_assert(same(&a, &b));
    cr_assert_eq(b.how, HP_CLIENT_BY_SID);
    cr_assert_eq(b.cookie, HP_COOKIE_KNOWN);
    cr_assert_not(b.set_cookie);
    hp_client c;
    hp_client_get(t, a.sid, &c);
    cr_assert_eq(c.requests, 2);
    cr_assert_eq(c.last_seen, T0 + 5);
    cr_assert(c.flags & HP_CLIENT_CONFIRMED);
    hp_client_table_free(t);
}

Test(client, dropping_the_cookie_keeps_the_ips_verdict)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "198.51.100.7", NULL, T0);
    visit(t, "198.51.100.7", &a, T0 + 1);
    flag(t, &a);
    hp_client_ref b = visit(t, "198.51.100.7", NULL, T0 + 2);
    cr_assert_eq(b.state, HP_CLIENT_ATTACKER);
    cr_assert_eq(b.how, HP_CLIENT_BY_IP);
    cr_assert(same(&a, &b), "the attacker's own record, not a new one per request");
    cr_assert(b.set_cookie, "the attacker's id is given back");
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.clients, 1);
    hp_client_table_free(t);
}

Test(client, changing_ip_with_the_same_cookie_keeps_the_cookies_verdict)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "198.51.100.7", NULL, T0);
    flag(t, &a);
    hp_client_ref b = visit(t, "203.0.113.50", &a, T0 + 1);
    cr_assert(same(&a, &b));
    cr_assert_eq(b.state, HP_CLIENT_ATTACKER);
    /* and the new address now leads to it, the old one still does */
    cr_assert_eq(visit(t, "203.0.113.50", NULL, T0 + 2).state, HP_CLIENT_ATTACKER);
    cr_assert_eq(visit(t, "198.51.100.7", NULL, T0 + 3).state, HP_CLIENT_ATTACKER);
    hp_client c;
    hp_client_get(t, a.sid, &c);
    cr_assert(c.flags & HP_CLIENT_MOVED);
    hp_client_table_free(t);
}

Test(client, a_normal_cookie_stays_normal_on_an_attackers_address)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref bad = visit(t, "198.51.100.7", NULL, T0);
    flag(t, &bad);
    hp_client_ref good = visit(t, "192.0.2.1", NULL, T0);
    hp_client_ref g2 = visit(t, "198.51.100.7", &good, T0 + 1); /* same NAT as the attacker */
    cr_assert(same(&good, &g2));
    cr_assert_eq(g2.state, HP_CLIENT_NORMAL);
    /* and it does not take the address over: a cookieless request there is still the attacker */
    hp_client_ref x = visit(t, "198.51.100.7", NULL, T0 + 2);
    cr_assert(same(&x, &bad));
    hp_client_table_free(t);
}

Test(client, a_normal_client_that_moves_leaves_no_entry_behind)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "192.0.2.1", NULL, T0);
    visit(t, "192.0.2.2", &a, T0 + 1);
    uint8_t old[HP_IP_LEN];
    hp_client c;
    ip("192.0.2.1", old);
    cr_assert_eq(hp_client_get_by_ip(t, old, &c), -1);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.ip_entries, 1);
    hp_client_table_free(t);
}

Test(client, unknown_cookie_is_replaced_never_adopted)
{
    hp_client_table *t = table(0, 0);
    uint8_t a[HP_IP_LEN];
    ip("192.0.2.9", a);
    const char *forged = "0123456789abcdef0123456789abcdef";
    hp_client_ref r;
    cr_assert_eq(hp_client_identify(t, a, forged, HP_SID_HEX, T0, &r), 0);
    cr_assert_eq(r.cookie, HP_COOKIE_UNKNOWN);
    cr_assert_eq(r.how, HP_CLIENT_NEW);
    cr_assert(r.set_cookie);
    char hex[HP_SID_HEX + 1];
    hp_client_sid_format(r.sid, hex);
    cr_assert_str_neq(hex, forged);
    hp_client_table_free(t);
}

Test(client, unknown_cookie_on_an_attackers_address_is_the_attacker)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref bad = visit(t, "198.51.100.7", NULL, T0);
    flag(t, &bad);
    uint8_t a[HP_IP_LEN];
    ip("198.51.100.7", a);
    hp_client_ref r;
    cr_assert_eq(hp_client_identify(t, a, "ffffffffffffffffffffffffffffffff", 32, T0, &r), 0);
    cr_assert(same(&r, &bad));
    cr_assert_eq(r.state, HP_CLIENT_ATTACKER);
    hp_client_table_free(t);
}

Test(client, malformed_cookie_is_told_apart)
{
    hp_client_table *t = table(0, 0);
    uint8_t a[HP_IP_LEN];
    ip("192.0.2.9", a);
    hp_client_ref r;
    const char *bad[] = {"0123456789ABCDEF0123456789abcdef", "0123", "",
                         "0123456789abcdef0123456789abcdeg"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(hp_client_identify(t, a, bad[i], strlen(bad[i]), T0, &r), 0);
        cr_assert_eq(r.cookie, HP_COOKIE_MALFORMED, "%s", bad[i]);
    }
    hp_client_table_free(t);
}

Test(client, cookieless_repeats_from_one_ip_are_one_client_so_4xx_add_up)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref first = visit(t, "203.0.113.9", NULL, T0);
    for (int i = 1; i < 50; i++) {
        hp_client_ref r = visit(t, "203.0.113.9", NULL, T0 + i);
        cr_assert(same(&r, &first));
        cr_assert_eq(r.how, HP_CLIENT_BY_IP);
    }
    hp_client c;
    hp_client_get(t, first.sid, &c);
    cr_assert_eq(c.requests, 50);
    hp_client_table_free(t);
}

Test(client, cookieless_request_beside_a_browser_is_a_new_client)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref browser = visit(t, "192.0.2.1", NULL, T0);
    visit(t, "192.0.2.1", &browser, T0 + 1); /* it keeps cookies: confirmed */
    hp_client_ref other = visit(t, "192.0.2.1", NULL, T0 + 2);
    cr_assert_not(same(&browser, &other));
    cr_assert_eq(other.how, HP_CLIENT_NEW);
    hp_client_table_free(t);
}

Test(client, released_attackers_address_no_longer_diverts_and_does_not_flood)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref bad = visit(t, "198.51.100.7", NULL, T0);
    visit(t, "198.51.100.7", &bad, T0);
    flag(t, &bad);
    cr_assert_eq(hp_client_set_state(t, bad.sid, HP_CLIENT_RELEASED, 0, T0 + 1), 0);
    hp_client_ref a = visit(t, "198.51.100.7", NULL, T0 + 2);
    hp_client_ref b = visit(t, "198.51.100.7", NULL, T0 + 3);
    cr_assert_eq(a.state, HP_CLIENT_NORMAL);
    cr_assert_eq(a.how, HP_CLIENT_NEW);
    cr_assert(same(&a, &b), "the next cookieless request reuses it");
    hp_client_table_free(t);
}

Test(client, flagging_inside_update_makes_the_ip_follow)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "198.51.100.7", NULL, T0);
    visit(t, "198.51.100.7", &a, T0);
    hp_client_ref other = visit(t, "198.51.100.7", NULL, T0); /* now the IP's latest client */
    cr_assert_not(same(&a, &other));
    visit(t, "198.51.100.7", &other, T0);
    cr_assert_eq(hp_client_set_state(t, a.sid, HP_CLIENT_ATTACKER, 7, T0 + 9), 0);
    hp_client_ref r = visit(t, "198.51.100.7", NULL, T0 + 10);
    cr_assert(same(&r, &a));
    hp_client c;
    hp_client_get(t, a.sid, &c);
    cr_assert_eq(c.flagged_at, T0 + 9);
    cr_assert_eq(c.flagged_by, 7);
    hp_client_table_free(t);
}

Test(client, ipv4_and_mapped_ipv4_are_one_address)
{
    uint8_t a[HP_IP_LEN], b[HP_IP_LEN];
    char text[HP_IP_TEXT];
    ip("192.0.2.1", a);
    ip("::ffff:192.0.2.1", b);
    cr_assert_eq(memcmp(a, b, HP_IP_LEN), 0);
    hp_client_ip_format(a, text);
    cr_assert_str_eq(text, "192.0.2.1");
    ip("2001:db8::1", a);
    hp_client_ip_format(a, text);
    cr_assert_str_eq(text, "2001:db8::1");
    cr_assert_eq(hp_client_ip_parse("example.com", a), -1);
}

/* Addresses are parsed by hand for speed: what inet_pton takes, the same bytes; what it refuses,
 * refused. */
Test(keys, ip_parse_agrees_with_inet_pton)
{
    static const char *const texts[] = {
        "1.2.3.4",  "0.0.0.0",   "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3.04",
        "1.2.3",    "1.2.3.4.5", "1..2.3",          "",          " 1.2.3.4", "1.2.3.4 ",
        "1234.1.1.1", "1.2.3.4a", "1.2.3.", ".1.2.3", "::ffff:1.2.3.4", "::1",  "1.2.3.-4",
        "10.0.0.255", "99.0.100.9",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        uint8_t got[HP_IP_LEN], want[HP_IP_LEN] = {0};
        int ok4 = inet_pton(AF_INET, texts[i], want + 12) == 1;
        if (ok4)
            want[10] = want[11] = 0xff;
        int ok = ok4 || inet_pton(AF_INET6, texts[i], want) == 1;
        cr_assert_eq(hp_client_ip_parse(texts[i], got), ok ? 0 : -1, "\"%s\"", texts[i]);
        if (ok)
            cr_assert_eq(memcmp(got, want, HP_IP_LEN), 0, "%s", texts[i]);
    }
}

/* Every byte value, formatted and parsed back. All are formatted before any is parsed: the
 * thread remembers only the id it formatted last, so the others are decoded digit by digit. */
Test(keys, ids_format_as_lowercase_hex_and_parse_back)
{
    enum { N = 256 / HP_SID_LEN };
    uint8_t sid[N][HP_SID_LEN];
    char hex[N][HP_SID_HEX + 1];
    for (int k = 0; k < N; k++) {
        char want[HP_SID_HEX + 1];
        for (int i = 0; i < HP_SID_LEN; i++) {
            sid[k][i] = (uint8_t)(k * HP_SID_LEN + i);
            snprintf(want + 2 * i, 3, "%02x", sid[k][i]);
        }
        hp_client_sid_format(sid[k], hex[k]);
        cr_assert_str_eq(hex[k], want);
    }
    for (int k = 0; k < N; k++) {
        uint8_t back[HP_SID_LEN];
        cr_assert_eq(hp_client_sid_parse(hex[k], HP_SID_HEX, back), 0);
        cr_assert_arr_eq(back, sid[k], HP_SID_LEN);
    }
}

/* A thread answers the address it looked up last from memory while nothing changed: each of
 * these changes the address's entry after the thread has looked it up, and the next look-up must
 * see the change. */
typedef struct elsewhere {
    hp_client_table *t;
    hp_client_ref attacker;
} elsewhere;

/* Another thread: a new client from elsewhere, flagged, then seen on 198.51.100.7 by its cookie. */
static void *attacker_arrives(void *p)
{
    elsewhere *e = p;
    e->attacker = visit(e->t, "203.0.113.50", NULL, T0 + 1);
    flag(e->t, &e->attacker);
    visit(e->t, "198.51.100.7", &e->attacker, T0 + 2);
    return NULL;
}

Test(client, an_attacker_arriving_on_a_remembered_address_from_another_thread_takes_it)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref tool = visit(t, "198.51.100.7", NULL, T0); /* remembered by this thread */
    elsewhere e = {.t = t};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, attacker_arrives, &e), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    hp_client_ref r = visit(t, "198.51.100.7", NULL, T0 + 3);
    cr_assert(same(&r, &e.attacker));
    cr_assert_not(same(&r, &tool));
    cr_assert_eq(r.state, HP_CLIENT_ATTACKER);
    cr_assert_eq(r.how, HP_CLIENT_BY_IP);
    hp_client_table_free(t);
}

Test(client, a_verdict_loaded_for_a_remembered_address_applies_at_once)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref tool = visit(t, "198.51.100.8", NULL, T0);
    hp_client c = {.state = HP_CLIENT_ATTACKER, .flagged_by = 3, .first_seen = T0,
                   .last_seen = T0, .flagged_at = T0};
    memset(c.sid, 0x42, HP_SID_LEN);
    ip("198.51.100.8", c.ip);
    cr_assert_eq(hp_client_load(t, &c), 0); /* another instance's verdict */
    hp_client_ref r = visit(t, "198.51.100.8", NULL, T0 + 1);
    cr_assert_not(same(&r, &tool));
    cr_assert_eq(memcmp(r.sid, c.sid, HP_SID_LEN), 0);
    cr_assert_eq(r.state, HP_CLIENT_ATTACKER);
    hp_client_table_free(t);
}

Test(client, a_remembered_address_whose_client_expired_or_was_evicted_gets_a_new_one)
{
    hp_client_table *t = table(1, 2);
    hp_client_ref old = visit(t, "198.51.100.9", NULL, T0);
    cr_assert_eq(hp_client_expire(t, T0 + 2 * DAY, DAY, 0), 1);
    hp_client_ref r = visit(t, "198.51.100.9", NULL, T0 + 2 * DAY);
    cr_assert_not(same(&r, &old));
    cr_assert_eq(r.how, HP_CLIENT_NEW);
    visit(t, "198.51.100.10", NULL, T0 + 2 * DAY);
    visit(t, "198.51.100.11", NULL, T0 + 2 * DAY); /* the cap is 2: r goes */
    hp_client c;
    cr_assert_eq(hp_client_get(t, r.sid, &c), -1);
    hp_client_ref again = visit(t, "198.51.100.9", NULL, T0 + 2 * DAY + 1);
    cr_assert_not(same(&again, &r));
    cr_assert_eq(again.how, HP_CLIENT_NEW);
    hp_client_table_free(t);
}

Test(client, a_remembered_address_whose_client_starts_keeping_cookies_gets_a_new_client)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "198.51.100.12", NULL, T0);
    visit(t, "198.51.100.12", &a, T0 + 1); /* the cookie back: a browser, not a tool */
    hp_client_ref b = visit(t, "198.51.100.12", NULL, T0 + 2);
    cr_assert_not(same(&b, &a));
    cr_assert_eq(b.how, HP_CLIENT_NEW);
    hp_client_ref b2 = visit(t, "198.51.100.12", NULL, T0 + 3);
    cr_assert(same(&b2, &b));
    cr_assert_eq(b2.how, HP_CLIENT_BY_IP);
    hp_client_ref a2 = visit(t, "198.51.100.12", &a, T0 + 4);
    cr_assert(same(&a2, &a));
    cr_assert_eq(a2.how, HP_CLIENT_BY_SID);
    hp_client_table_free(t);
}

/* ---- The ring ------------------------------------------------------------------------------ */

static void push20(hp_client *c, void *arg)
{
    (void)arg;
    for (int i = 1; i <= 20; i++)
        hp_client_ring_push(c, T0 + i * 1000, (uint8_t)(i % 3), (uint16_t)(200 + i), (uint32_t)i,
                            i % 2 ? HP_REQ_DECOY : 0);
}

static void add_one(hp_client *c, void *arg)
{
    hp_client_ring_push(c, *(const int64_t *)arg, 1, 404, 0, 0);
}

Test(client, ring_keeps_the_last_n_requests_oldest_first)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "192.0.2.1", NULL, T0);
    cr_assert_eq(hp_client_update(t, a.sid, push20, NULL), 0);
    hp_client c;
    hp_client_req_full r[HP_CLIENT_RING];
    hp_client_get(t, a.sid, &c);
    cr_assert_eq(hp_client_ring_read(&c, r), HP_CLIENT_RING);
    for (int k = 0; k < HP_CLIENT_RING; k++) {
        int i = 20 - HP_CLIENT_RING + 1 + k;
        cr_assert_eq(r[k].path, (uint32_t)i);
        cr_assert_eq(r[k].status, 200 + i);
        cr_assert_eq(r[k].method, i % 3);
        cr_assert_eq(r[k].t, T0 + i * 1000);
        cr_assert_eq(r[k].flags, i % 2 ? HP_REQ_DECOY : 0);
    }
    hp_client_table_free(t);
}

Test(client, ring_times_are_exact_across_the_32_bit_wrap)
{
    hp_client c = {0};
    int64_t base = (int64_t)0x17fffff000ll; /* low 32 bits about to wrap */
    c.last_seen = base;
    for (int i = 0; i < 5; i++)
        hp_client_ring_push(&c, base + i * 2000, 1, 0, 0, 0);
    hp_client_req_full r[HP_CLIENT_RING];
    cr_assert_eq(hp_client_ring_read(&c, r), 5);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(r[i].t, base + i * 2000);
    cr_assert_eq(r[0].status, 0, "no response is kept as 0");
}

Test(client, ring_drops_requests_older_than_24_days)
{
    hp_client c = {.last_seen = T0};
    hp_client_ring_push(&c, T0, 1, 404, 1, 0);
    hp_client_ring_push(&c, T0 + 10 * DAY, 1, 404, 2, 0);
    hp_client_ring_push(&c, T0 + 30 * DAY, 1, 404, 3, 0);
    hp_client_req_full r[HP_CLIENT_RING];
    cr_assert_eq(hp_client_ring_read(&c, r), 2);
    cr_assert_eq(r[0].t, T0 + 10 * DAY);
    cr_assert_eq(r[1].t, T0 + 30 * DAY);
}

Test(client, ring_times_stay_exact_while_identify_moves_last_seen)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "192.0.2.1", NULL, T0);
    int64_t at = T0;
    cr_assert_eq(hp_client_update(t, a.sid, add_one, &at), 0);
    visit(t, "192.0.2.1", &a, T0 + 20 * DAY); /* 2^32 ms is 49.7 days; 20 days is past 2^30 */
    hp_client c;
    hp_client_req_full r[HP_CLIENT_RING];
    hp_client_get(t, a.sid, &c);
    cr_assert_eq(hp_client_ring_read(&c, r), 1);
    cr_assert_eq(r[0].t, T0);
    visit(t, "192.0.2.1", &a, T0 + 25 * DAY); /* past the window: dropped, not misdated */
    hp_client_get(t, a.sid, &c);
    cr_assert_eq(hp_client_ring_read(&c, r), 0);
    hp_client_table_free(t);
}

/* ---- Paths --------------------------------------------------------------------------------- */

Test(client, paths_intern_to_stable_ids_and_read_back)
{
    hp_client_table *t = table(0, 0);
    uint32_t a = hp_client_path_intern(t, "/.env", 5);
    uint32_t b = hp_client_path_intern(t, "/wp-login.php", 13);
    cr_assert_neq(a, 0);
    cr_assert_neq(a, b);
    cr_assert_eq(hp_client_path_intern(t, "/.env", 5), a);
    char out[64];
    cr_assert_eq(hp_client_path_get(t, b, out, sizeof out), 13);
    cr_assert_str_eq(out, "/wp-login.php");
    cr_assert_eq(hp_client_path_get(t, 0, out, sizeof out), -1);
    hp_client_table_free(t);
}

Test(client, a_recycled_path_id_reads_as_gone)
{
    hp_client_table_config cfg = {.path_slots = 2}; /* one set of two ways */
    hp_client_table *t = hp_client_table_new(&cfg);
    uint32_t a = hp_client_path_intern(t, "/a", 2);
    uint32_t b = hp_client_path_intern(t, "/b", 2);
    hp_client_path_intern(t, "/a", 2);                /* /a used last: /b goes next */
    uint32_t c = hp_client_path_intern(t, "/c", 2);
    char out[8];
    cr_assert_eq(hp_client_path_get(t, a, out, sizeof out), 2);
    cr_assert_eq(hp_client_path_get(t, b, out, sizeof out), -1);
    cr_assert_eq(hp_client_path_get(t, c, out, sizeof out), 2);
    cr_assert_str_eq(out, "/c");
    hp_client_table_free(t);
}

/* A thread answers a path it interned lately from memory: the answers must be the table's. */
Test(client, a_remembered_path_id_is_dropped_once_its_slot_is_recycled)
{
    hp_client_table_config cfg = {.path_slots = 2};
    hp_client_table *t = hp_client_table_new(&cfg);
    uint32_t b = hp_client_path_intern(t, "/b", 2);
    hp_client_path_intern(t, "/a", 2);
    hp_client_path_intern(t, "/c", 2);                /* /b's slot goes to /c */
    uint32_t b2 = hp_client_path_intern(t, "/b", 2); /* and /a's to /b */
    cr_assert_neq(b2, b);
    char out[8];
    cr_assert_eq(hp_client_path_get(t, b2, out, sizeof out), 2);
    cr_assert_str_eq(out, "/b");
    cr_assert_eq(hp_client_path_get(t, b, out, sizeof out), -1);
    hp_client_table_free(t);
}

typedef struct path_job {
    hp_client_table *t;
    const char *path;
    uint32_t id;
} path_job;

static void *intern_job(void *p)
{
    path_job *j = p;
    j->id = hp_client_path_intern(j->t, j->path, strlen(j->path));
    return NULL;
}

static uint32_t intern_elsewhere(hp_client_table *t, const char *path)
{
    path_job j = {.t = t, .path = path};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, intern_job, &j), 0);
    cr_assert_eq(pthread_join(th, NULL), 0);
    return j.id;
}

Test(client, a_path_recycled_by_another_thread_is_not_answered_from_memory)
{
    hp_client_table_config cfg = {.path_slots = 2};
    hp_client_table *t = hp_client_table_new(&cfg);
    uint32_t x = hp_client_path_intern(t, "/x", 2); /* this thread remembers /x */
    intern_elsewhere(t, "/y");
    intern_elsewhere(t, "/z");                      /* recycles /x's slot */
    char out[8];
    cr_assert_eq(hp_client_path_get(t, x, out, sizeof out), -1);
    uint32_t x2 = hp_client_path_intern(t, "/x", 2);
    cr_assert_neq(x2, x);
    cr_assert_eq(hp_client_path_get(t, x2, out, sizeof out), 2);
    cr_assert_str_eq(out, "/x");
    hp_client_table_free(t);
}

Test(client, a_path_remembered_for_one_table_is_not_answered_for_another)
{
    hp_client_table_config one = {.path_slots = 2}, many = {.path_slots = 1024};
    hp_client_table *t = hp_client_table_new(&one), *u = hp_client_table_new(&many);
    for (int i = 0; i < 40; i++) { /* fill u so that its ids differ from t's */
        char p[16];
        snprintf(p, sizeof p, "/p%d", i);
        hp_client_path_intern(u, p, strlen(p));
    }
    uint32_t a = hp_client_path_intern(t, "/same", 5);
    uint32_t b = hp_client_path_intern(u, "/same", 5);
    char out[8];
    cr_assert_eq(hp_client_path_get(u, b, out, sizeof out), 5);
    cr_assert_str_eq(out, "/same");
    cr_assert_eq(hp_client_path_intern(t, "/same", 5), a);
    hp_client_table_free(t);
    hp_client_table_free(u);
}

/* ---- The cap ------------------------------------------------------------------------------- */

static void ipn(unsigned n, char out[32])
{
    snprintf(out, 32, "10.%u.%u.%u", (n >> 16) & 255, (n >> 8) & 255, n & 255);
}

Test(client, cap_evicts_idle_normal_clients_first)
{
    hp_client_table *t = table(1, 10);
    hp_client_ref r[15];
    char a[32];
    for (unsigned i = 0; i < 10; i++) {
        ipn(i, a);
        r[i] = visit(t, a, NULL, T0);
    }
    for (unsigned i = 0; i < 10; i += 2) { /* the even ones come back */
        ipn(i, a);
        visit(t, a, &r[i], T0 + 1);
    }
    for (unsigned i = 10; i < 15; i++) {
        ipn(i, a);
        r[i] = visit(t, a, NULL, T0 + 2);
    }
    hp_client c;
    for (unsigned i = 0; i < 10; i++)
        cr_assert_eq(hp_client_get(t, r[i].sid, &c), i % 2 ? -1 : 0, "client %u", i);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.clients, 10);
    cr_assert_eq(st.evicted, 5);
    cr_assert_eq(st.ip_entries, 10, "an evicted client's address is let go too");
    hp_client_table_free(t);
}

Test(client, cap_never_drops_an_attacker_while_normal_clients_exist)
{
    hp_client_table *t = table(4, 8);
    hp_client_ref r[8];
    char a[32];
    for (unsigned i = 0; i < 8; i++) {
        ipn(i, a);
        r[i] = visit(t, a, NULL, T0);
        if (i < 7)
            flag(t, &r[i]);
    }
    for (unsigned i = 100; i < 130; i++) { /* the one normal slot churns, whatever shard */
        ipn(i, a);
        visit(t, a, NULL, T0 + 1);
    }
    hp_client c;
    for (unsigned i = 0; i < 7; i++)
        cr_assert_eq(hp_client_get(t, r[i].sid, &c), 0);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.evicted_verdicts, 0);
    cr_assert_eq(st.clients, 8);
    hp_client_table_free(t);
}

Test(client, cap_drops_an_attacker_only_when_all_are_attackers_and_counts_it)
{
    hp_client_table *t = table(2, 4);
    char a[32];
    for (unsigned i = 0; i < 4; i++) {
        ipn(i, a);
        hp_client_ref r = visit(t, a, NULL, T0);
        flag(t, &r);
    }
    ipn(99, a);
    visit(t, a, NULL, T0 + 1);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.clients, 4);
    cr_assert_eq(st.attackers, 3);
    cr_assert_eq(st.evicted_verdicts, 1);
    hp_client_table_free(t);
}

/* ---- Expiry -------------------------------------------------------------------------------- */

Test(client, ttl_forgets_idle_normal_clients_and_keeps_attackers)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref idle = visit(t, "192.0.2.1", NULL, T0);
    hp_client_ref busy = visit(t, "192.0.2.2", NULL, T0);
    hp_client_ref bad = visit(t, "192.0.2.3", NULL, T0);
    flag(t, &bad);
    visit(t, "192.0.2.2", &busy, T0 + DAY - 1);
    cr_assert_eq(hp_client_expire(t, T0 + DAY, DAY, 0), 1);
    hp_client c;
    uint8_t a[HP_IP_LEN];
    cr_assert_eq(hp_client_get(t, idle.sid, &c), -1);
    ip("192.0.2.1", a);
    cr_assert_eq(hp_client_get_by_ip(t, a, &c), -1);
    cr_assert_eq(hp_client_get(t, busy.sid, &c), 0);
    cr_assert_eq(hp_client_get(t, bad.sid, &c), 0);
    cr_assert_eq(hp_client_expire(t, T0 + 400 * DAY, DAY, 30 * DAY), 2);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.clients, 0);
    cr_assert_eq(st.ip_entries, 0);
    cr_assert_eq(st.expired, 3);
    hp_client_table_free(t);
}

Test(client, expiry_prunes_addresses_a_moved_attacker_left)
{
    hp_client_table *t = table(8, 0);
    hp_client_ref bad = visit(t, "198.51.100.1", NULL, T0);
    flag(t, &bad);
    visit(t, "198.51.100.2", &bad, T0);
    visit(t, "198.51.100.3", &bad, T0);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.ip_entries, 3);
    cr_assert_eq(hp_client_expire(t, T0 + 2 * DAY, DAY, DAY), 1);
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.ip_entries, 0);
    hp_client_table_free(t);
}

/* ---- Shards, memory, reload, walks --------------------------------------------------------- */

static hp_client loaded(unsigned n, enum hp_client_state state)
{
    hp_client c = {.first_seen = T0, .last_seen = T0, .state = (uint8_t)state};
    memcpy(c.sid, &n, sizeof n);
    c.sid[15] = 0x5a;
    memcpy(c.ip, (const uint8_t[]){0x20, 0x01, 0x0d, 0xb8}, 4);
    memcpy(c.ip + 12, &n, sizeof n);
    return c;
}

Test(client, shards_fill_evenly)
{
    hp_client_table *t = table(64, 1000000);
    for (unsigned i = 0; i < 64000; i++) {
        hp_client c = loaded(i, HP_CLIENT_NORMAL);
        cr_assert_eq(hp_client_load(t, &c), 0);
    }
    size_t n[64];
    cr_assert_eq(hp_client_shard_sizes(t, n, 64), 64);
    for (int i = 0; i < 64; i++)
        cr_assert(n[i] > 850 && n[i] < 1150, "shard %d has %zu of ~1000", i, n[i]);
    hp_client_table_free(t);
}

Test(client, memory_per_client_is_within_256_bytes)
{
    hp_client_table *t = table(4, 1000000);
    for (unsigned i = 0; i < 100000; i++) {
        hp_client c = loaded(i, HP_CLIENT_NORMAL);
        hp_client_load(t, &c);
    }
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.clients, 100000);
    cr_assert_eq(st.ip_entries, 100000);
    cr_assert_leq(st.bytes / st.clients, 256, "%zu bytes a client", st.bytes / st.clients);
    hp_client_table_free(t);
}

Test(client, reloaded_verdicts_apply_to_cookie_and_address)
{
    hp_client_table *t = table(0, 0);
    hp_client c = loaded(42, HP_CLIENT_ATTACKER);
    c.flagged_at = T0 - DAY;
    c.flagged_by = 5;
    c.score = 120.f;
    c.n4xx = 11;
    cr_assert_eq(hp_client_load(t, &c), 0);
    hp_client_ref by_cookie = {.state = HP_CLIENT_NORMAL};
    memcpy(by_cookie.sid, c.sid, HP_SID_LEN);
    hp_client_ref r = visit(t, "192.0.2.77", &by_cookie, T0);
    cr_assert_eq(r.how, HP_CLIENT_BY_SID);
    cr_assert_eq(r.state, HP_CLIENT_ATTACKER);
    char addr[HP_IP_TEXT];
    hp_client_ip_format(c.ip, addr);
    r = visit(t, addr, NULL, T0);
    cr_assert_eq(r.state, HP_CLIENT_ATTACKER, "its recorded address too");
    hp_client got;
    hp_client_get(t, c.sid, &got);
    cr_assert_eq(got.n4xx, 11);
    cr_assert_eq(got.flagged_at, T0 - DAY);

    /* A verdict from another instance for a known client: taken, counters kept. */
    hp_client rel = c;
    rel.state = HP_CLIENT_RELEASED;
    rel.n4xx = 0;
    cr_assert_eq(hp_client_load(t, &rel), 0);
    hp_client_get(t, c.sid, &got);
    cr_assert_eq(got.state, HP_CLIENT_RELEASED);
    cr_assert_eq(got.n4xx, 11);
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.attackers, 0);
    cr_assert_eq(st.verdicts, 1);
    cr_assert_eq(st.clients, 1);
    hp_client_table_free(t);
}

static int count_attackers(const hp_client *c, void *arg)
{
    *(size_t *)arg += c->state == HP_CLIENT_ATTACKER;
    return 0;
}

Test(client, foreach_visits_every_client_once)
{
    hp_client_table *t = table(8, 0);
    for (unsigned i = 0; i < 3000; i++) {
        hp_client c = loaded(i, i % 3 ? HP_CLIENT_NORMAL : HP_CLIENT_ATTACKER);
        hp_client_load(t, &c);
    }
    size_t attackers = 0;
    cr_assert_eq(hp_client_foreach(t, count_attackers, &attackers), 3000);
    cr_assert_eq(attackers, 1000);
    hp_client_table_free(t);
}

static void change_sid(hp_client *c, void *arg)
{
    (void)arg;
    c->sid[0] ^= 1;
}

Test(client, an_update_that_changes_the_id_aborts, .signal = SIGABRT)
{
    hp_client_table *t = table(0, 0);
    hp_client_ref a = visit(t, "192.0.2.1", NULL, T0);
    hp_client_update(t, a.sid, change_sid, NULL);
}

/* ---- Threads ------------------------------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 20000
#define SHARED 64

typedef struct worker {
    hp_client_table *t;
    hp_client_ref *shared;
    unsigned id;
} worker;

static void add_4xx(hp_client *c, void *arg)
{
    c->n4xx++;
    c->score += 1.0f;
    hp_client_ring_push(c, *(const int64_t *)arg, 1, 404, 0, 0);
}

static void *hammer(void *p)
{
    worker *w = p;
    char hex[HP_SID_HEX + 1];
    for (unsigned i = 0; i < ROUNDS; i++) {
        hp_client_ref *s = &w->shared[(i * 7 + w->id) % SHARED];
        uint8_t a[HP_IP_LEN] = {0};
        a[0] = 0x20;
        a[1] = (uint8_t)w->id; /* each thread moves the client around */
        hp_client_ref r;
        hp_client_sid_format(s->sid, hex);
        int64_t now = T0 + i;
        if (hp_client_identify(w->t, a, hex, HP_SID_HEX, now, &r) || r.how != HP_CLIENT_BY_SID)
            return (void *)1;
        if (hp_client_update(w->t, r.sid, add_4xx, &now))
            return (void *)1;
    }
    return NULL;
}

Test(client, concurrent_updates_add_up_exactly)
{
    hp_client_table *t = table(16, 0);
    hp_client_ref shared[SHARED];
    char a[32];
    for (unsigned i = 0; i < SHARED; i++) {
        ipn(i, a);
        shared[i] = visit(t, a, NULL, T0);
    }
    pthread_t th[THREADS];
    worker w[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (worker){t, shared, i};
        pthread_create(&th[i], NULL, hammer, &w[i]);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        cr_assert_null(rv);
    }
    uint64_t n4xx = 0, requests = 0;
    for (unsigned i = 0; i < SHARED; i++) {
        hp_client c;
        cr_assert_eq(hp_client_get(t, shared[i].sid, &c), 0);
        n4xx += c.n4xx;
        requests += c.requests;
    }
    cr_assert_eq(n4xx, (uint64_t)THREADS * ROUNDS);
    cr_assert_eq(requests, (uint64_t)THREADS * ROUNDS + SHARED);
    hp_client_table_free(t);
}

/* Creation, eviction under a small cap, expiry and flagging at once: the counts must agree. */
static void *churn(void *p)
{
    worker *w = p;
    char a[32];
    for (unsigned i = 0; i < ROUNDS / 4; i++) {
        ipn(w->id << 14 | (i & 0x3fff), a);
        uint8_t k[HP_IP_LEN];
        hp_client_ip_parse(a, k);
        hp_client_ref r;
        if (hp_client_identify(w->t, k, NULL, 0, T0 + i, &r))
            return (void *)1;
        if (i % 5 == 0)
            hp_client_set_state(w->t, r.sid, HP_CLIENT_ATTACKER, 1, T0 + i);
        if (w->id == 0 && i % 500 == 0)
            hp_client_expire(w->t, T0 + i, 100, 2000);
    }
    return NULL;
}

static int count_all(const hp_client *c, void *arg)
{
    (void)c;
    ++*(size_t *)arg;
    return 0;
}

Test(client, concurrent_churn_keeps_the_counts_consistent)
{
    hp_client_table *t = table(8, 500);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (unsigned i = 0; i < THREADS; i++) {
        w[i] = (worker){t, NULL, i};
        pthread_create(&th[i], NULL, churn, &w[i]);
    }
    for (unsigned i = 0; i < THREADS; i++) {
        void *rv;
        pthread_join(th[i], &rv);
        cr_assert_null(rv);
    }
    hp_client_stats st;
    hp_client_stats_get(t, &st);
    size_t seen = 0, attackers = 0;
    hp_client_foreach(t, count_all, &seen);
    hp_client_foreach(t, count_attackers, &attackers);
    cr_assert_leq(st.clients, 500);
    cr_assert_eq(seen, st.clients);
    cr_assert_eq(attackers, st.attackers);
    cr_assert_eq(st.created, st.clients + st.evicted + st.expired);
    hp_client_expire(t, T0 + 10 * DAY, 1, 1);
    hp_client_stats_get(t, &st);
    cr_assert_eq(st.clients, 0);
    cr_assert_eq(st.ip_entries, 0, "no address leads to a forgotten client");
    hp_client_table_free(t);
}

/* ---- Work under the identification's lock --------------------------------------------------- */

static void count_in_det(hp_client *c, void *arg)
{
    c->det[0]++;
    (*(int *)arg)++;
}

Test(client, identify_then_runs_on_the_record_found_or_made_and_its_change_stays)
{
    hp_client_table *t = table(0, 0);
    uint8_t a[HP_IP_LEN];
    ip("192.0.2.7", a);
    int calls = 0;
    hp_client_then then = {count_in_det, &calls};
    hp_client_ref r, again, byid;
    cr_assert_eq(hp_client_identify_then(t, a, NULL, 0, T0, &r, &then), 0);
    cr_assert_eq(r.how, HP_CLIENT_NEW);
    cr_assert_eq(hp_client_identify_then(t, a, NULL, 0, T0 + 1, &again, &then), 0);
    cr_assert_eq(again.how, HP_CLIENT_BY_IP);
    char hex[HP_SID_HEX + 1];
    hp_client_sid_format(r.sid, hex);
    cr_assert_eq(hp_client_identify_then(t, a, hex, HP_SID_HEX, T0 + 2, &byid, &then), 0);
    cr_assert_eq(byid.how, HP_CLIENT_BY_SID);
    cr_assert_eq(hp_client_identify_then(t, a, hex, HP_SID_HEX, T0 + 3, &byid, NULL), 0);
    hp_client c;
    cr_assert_eq(hp_client_get(t, r.sid, &c), 0);
    cr_assert_eq(calls, 3);
    cr_assert_eq(c.det[0], 3, "new, by IP and by id: each ran once on the stored record");
    cr_assert_eq(c.requests, 4);
    hp_client_table_free(t);
}

/* A thread keeps the last id it formatted: an id differing from it in one byte, and then that
 * id again, are each formatted as themselves. */
Test(client, ids_formatted_in_turn_are_each_their_own_digits)
{
    uint8_t a[HP_SID_LEN], b[HP_SID_LEN];
    memset(a, 0xab, sizeof a);
    memcpy(b, a, sizeof b);
    b[15] = 0xac;
    char hex[HP_SID_HEX + 1];
    const char *ta = "abababababababababababababababab", *tb = "abababababababababababababababac";
    hp_client_sid_format(a, hex);
    cr_assert_str_eq(hex, ta);
    hp_client_sid_format(b, hex);
    cr_assert_str_eq(hex, tb);
    hp_client_sid_format(a, hex);
    cr_assert_str_eq(hex, ta);
    b[15] = 0xab; /* the very buffer formatted last, changed */
    hp_client_sid_format(b, hex);
    cr_assert_str_eq(hex, ta);
}

/* The thread remembers the id it formatted last, and parsing those digits again answers from
 * it: a digit away from them is still decoded, or refused, on its own. */
Test(client, parsing_right_after_formatting_agrees_with_decoding)
{
    uint8_t sid[HP_SID_LEN], back[HP_SID_LEN];
    char hex[HP_SID_HEX + 1];
    for (int i = 0; i < HP_SID_LEN; i++)
        sid[i] = (uint8_t)(0x3c * i + 7);
    hp_client_sid_format(sid, hex);
    cr_assert_eq(hp_client_sid_parse(hex, HP_SID_HEX, back), 0);
    cr_assert_arr_eq(back, sid, HP_SID_LEN);
    hex[31] = hex[31] == '0' ? '1' : '0';
    cr_assert_eq(hp_client_sid_parse(hex, HP_SID_HEX, back), 0);
    cr_assert_arr_neq(back, sid, HP_SID_LEN);
    cr_assert_arr_eq(back, sid, HP_SID_LEN - 1);
    hex[31] = 'g';
    cr_assert_eq(hp_client_sid_parse(hex, HP_SID_HEX, back), -1);
    cr_assert_eq(hp_client_sid_parse(hex, HP_SID_HEX - 1, back), -1, "too short");
}

Test(client, an_id_with_any_byte_but_a_lowercase_hex_digit_anywhere_is_refused)
{
    const char *good = "0123456789abcdef0123456789abcdef";
    for (int c = 0; c < 256; c++) {
        for (int at = 0; at < HP_SID_HEX; at += 5) {
            char hex[HP_SID_HEX + 1];
            uint8_t sid[HP_SID_LEN];
            memcpy(hex, good, sizeof hex);
            hex[at] = (char)c;
            int want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ? 0 : -1;
            cr_assert_eq(hp_client_sid_parse(hex, HP_SID_HEX, sid), want, "byte %d at %d", c, at);
            if (want == 0) {
                unsigned v = c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
                unsigned got = at % 2 ? sid[at / 2] & 15u : (unsigned)sid[at / 2] >> 4;
                cr_assert_eq(got, v, "byte %d at %d", c, at);
            }
        }
    }
}
