/* Specification of the login detector's two tables (src/honeypot/detect_login.c): windows, the
 * per-name forgiveness of a success, the distinct-name count, the participants of a stuffing
 * attack and the bound on memory. Included whole, to reach its static functions. */
#include <criterion/criterion.h>

#include "../../src/honeypot/detect_login.c"

#define NOW 1700000000u

static login *fresh(uint32_t ip_failures, uint32_t user_failures, uint32_t window_s)
{
    login *L = calloc(1, sizeof *L);
    cr_assert_not_null(L);
    L->ip_failures = ip_failures;
    L->ip_users = 5;
    L->user_failures = user_failures;
    L->window_s = window_s;
    L->key[0] = 1;
    L->key[1] = 2;
    L->csets = pow2_sets(64);
    L->usets = pow2_sets(64);
    L->ctab = calloc(L->csets * WAYS, sizeof *L->ctab);
    L->utab = calloc(L->usets * WAYS, sizeof *L->utab);
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&L->cs[i].mu, NULL);
        pthread_mutex_init(&L->us[i].mu, NULL);
    }
    return L;
}

static void sid_of(unsigned n, uint8_t sid[HP_SID_LEN])
{
    memset(sid, 0, HP_SID_LEN);
    memcpy(sid, &n, sizeof n);
    sid[15] = 0xaa;
}

static uint32_t h32(login *L, const char *name)
{
    return (uint32_t)name_hash(L, name);
}

Test(login, names_are_folded_and_trimmed_but_otherwise_distinct)
{
    login *L = fresh(10, 20, 900);
    cr_assert_eq(name_hash(L, " Alice\t"), name_hash(L, "alice"));
    cr_assert_neq(name_hash(L, "alice"), name_hash(L, "alicf"));
    cr_assert_neq(name_hash(L, "alice"), name_hash(L, "alice2"));
    cr_assert_neq(name_hash(L, ""), name_hash(L, "a"));
    login_fini(L);
}

Test(login, failures_count_within_the_window_and_restart_after_it)
{
    login *L = fresh(10, 20, 900);
    uint8_t sid[HP_SID_LEN];
    sid_of(1, sid);
    uint32_t f, u;
    for (int i = 0; i < 3; i++)
        client_failed(L, sid, h32(L, "demo"), NOW + (uint32_t)i, &f, &u);
    cr_assert_eq(f, 3);
    cr_assert_eq(u, 1);
    client_failed(L, sid, h32(L, "demo"), NOW + 899, &f, &u);
    cr_assert_eq(f, 4);
    client_failed(L, sid, h32(L, "demo"), NOW + 900, &f, &u);
    cr_assert_eq(f, 1, "a window after the first failure, the count starts again");
    login_fini(L);
}

Test(login, a_success_forgives_only_the_failures_of_its_name)
{
    login *L = fresh(10, 20, 900);
    uint8_t sid[HP_SID_LEN];
    sid_of(2, sid);
    uint32_t f, u;
    for (int i = 0; i < 4; i++)
        client_failed(L, sid, h32(L, "victim"), NOW, &f, &u);
    client_failed(L, sid, h32(L, "demo"), NOW, &f, &u);
    client_failed(L, sid, h32(L, "demo"), NOW, &f, &u);
    cr_assert_eq(f, 6);
    cr_assert_eq(u, 2);
    client_succeeded(L, sid, h32(L, "demo"), &f, &u);
    cr_assert_eq(f, 4);
    cr_assert_eq(u, 1);
    client_succeeded(L, sid, h32(L, "nobody"), &f, &u);
    cr_assert_eq(f, 4);
    login_fini(L);
}

Test(login, distinct_names_count_past_the_remembered_ones)
{
    login *L = fresh(100, 20, 900);
    uint8_t sid[HP_SID_LEN];
    sid_of(3, sid);
    uint32_t f, u;
    char name[16];
    for (int i = 0; i < 3 * NAMES; i++) {
        snprintf(name, sizeof name, "user%d", i);
        client_failed(L, sid, h32(L, name), NOW, &f, &u);
    }
    cr_assert_eq(u, 3 * NAMES);
    cr_assert_eq(f, 3 * NAMES);
    client_failed(L, sid, h32(L, name), NOW, &f, &u); /* the last name is remembered */
    cr_assert_eq(u, 3 * NAMES);
    login_fini(L);
}

Test(login, stuffing_lists_the_tools_among_the_last_participants_once_reached)
{
    login *L = fresh(10, 12, 900);
    uint64_t demo = name_hash(L, "demo");
    uint8_t sid[HP_SID_LEN];
    stuffing st;
    for (unsigned i = 0; i < 11; i++) {
        sid_of(100 + i, sid);
        memset(&st, 0, sizeof st);
        user_failed(L, demo, sid, i == 9 /* one browser */, NOW, &st);
        cr_assert_not(st.reached);
    }
    cr_assert_eq(st.clients, 11);
    sid_of(111, sid);
    memset(&st, 0, sizeof st);
    user_failed(L, demo, sid, 0, NOW, &st);
    cr_assert(st.reached);
    cr_assert_eq(st.failures, 12);
    /* Remembered: 104..110 and the current one; the browser (109) and the current one are left
     * out of the list. */
    cr_assert_eq(st.nflag, PARTS - 2);
    for (size_t i = 0; i < st.nflag; i++) {
        unsigned n;
        memcpy(&n, st.flag[i], sizeof n);
        cr_assert(n >= 104 && n <= 110 && n != 109, "%u", n);
    }
    /* The owner logging in leaves the list. */
    sid_of(110, sid);
    user_succeeded(L, demo, sid);
    sid_of(112, sid);
    memset(&st, 0, sizeof st);
    user_failed(L, demo, sid, 0, NOW, &st);
    for (size_t i = 0; i < st.nflag; i++) {
        unsigned n;
        memcpy(&n, st.flag[i], sizeof n);
        cr_assert_neq(n, 110);
    }
    login_fini(L);
}

Test(login, the_tables_stay_within_their_size_evicting_the_least_recent)
{
    login *L = fresh(10, 20, 900);
    size_t cap = L->csets * WAYS;
    uint8_t sid[HP_SID_LEN];
    uint32_t f, u;
    sid_of(7, sid);
    client_failed(L, sid, h32(L, "x"), NOW + 1000000, &f, &u); /* kept fresh: never evicted */
    for (unsigned i = 0; i < 20 * cap; i++) {
        uint8_t other[HP_SID_LEN];
        sid_of(1000 + i, other);
        client_failed(L, other, h32(L, "x"), NOW + i, &f, &u);
    }
    pthread_mutex_lock(client_lock(L, sid));
    cr_assert_not_null(client_entry(L, sid, 0));
    pthread_mutex_unlock(client_lock(L, sid));
    size_t used = 0;
    for (size_t i = 0; i < cap; i++)
        used += L->ctab[i].used != 0;
    cr_assert_eq(used, cap);
    login_fini(L);
}
