/* The journal: schema migrations, records written and read back, concurrent producers, drops,
 * secret masking, verdict reload and JSON log lines. Database tests run on SQLite and on
 * PostgreSQL (skipped, and said so, unless MITSU_TEST_PG_URL is set; see scripts/pg-test-server.sh). */
#include <criterion/criterion.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backends.h"
#include "honeypot/client.h"
#include "journal/internal.h"
#include "journal/journal.h"
#include "mitsu.h"

static struct {
    int pg;
    char dir[256];
    char url[1024];
    char log[512];
    char schema[64];
} T;


static void setup_dir(void)
{
    snprintf(T.dir, sizeof T.dir, "/tmp/mitsu-test-jr-XXXXXX");
    cr_assert_not_null(mkdtemp(T.dir));
    snprintf(T.log, sizeof T.log, "%s/journal.log", T.dir);
}

static void setup_sqlite(void)
{
    setup_dir();
    snprintf(T.url, sizeof T.url, "sqlite:%s/mitsu.db", T.dir);
}

/* A schema per test, first on the search path of the URL. */
static void setup_pg(void)
{
    setup_dir();
    T.pg = 1;
    if (!pg_base())
        return;
    static int counter;
    snprintf(T.schema, sizeof T.schema, "jr%ld_%d", (long)getpid(), counter++);
    pg_schema_create(T.schema, T.url, sizeof T.url);
}


static void teardown(void)
{
    if (T.pg && pg_base() && T.schema[0])
        pg_schema_drop(T.schema);
    remove_tree(T.dir);
    memset(&T, 0, sizeof T);
}


BACKENDS_REPORT("test_journal")

static jr_journal *open_jr(const jr_options *o)
{
    char err[512] = "";
    jr_journal *jr = jr_open(T.url, o, err, sizeof err);
    cr_assert_not_null(jr, "jr_open: %s", err);
    return jr;
}

static int64_t count(mitsu_db *db, const char *sql)
{
    mitsu_rows *r = mitsu_db_query(db, sql);
    cr_assert_not_null(r, "%s: %s", sql, mitsu_db_error(db));
    cr_assert_eq(mitsu_rows_next(r), 1);
    int64_t n = mitsu_rows_int(r, 0);
    mitsu_rows_free(r);
    return n;
}

static const char sid_a[] = "0123456789abcdef0123456789abcdef";
static const char sid_b[] = "fedcba9876543210fedcba9876543210";
static const char sid_c[] = "00112233445566778899aabbccddeeff";

static hp_client make_client(const char *sid, const char *ip, enum hp_client_state st)
{
    hp_client c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(hp_client_sid_parse(sid, 32, c.sid), 0);
    cr_assert_eq(hp_client_ip_parse(ip, c.ip), 0);
    c.state = (uint8_t)st;
    c.score = 12.5f;
    c.n4xx = 7;
    c.requests = 42;
    c.first_seen = 1700000000000;
    c.last_seen = 1700000005000;
    c.flagged_at = st == HP_CLIENT_ATTACKER ? 1700000004000 : 0;
    return c;
}

static int request(jr_journal *jr, const char *sid, int64_t t, int mask)
{
    jr_header h[] = {{"Host", "example.com", 4, 11}};
    jr_request_rec r = {.time = t, .sid = sid, .ip = "192.0.2.1", .method = "GET",
                        .target = "/x", .headers = h, .nheaders = 1, .status = 200};
    return jr_request(jr, &r, mask);
}

/* ---- Schema ---------------------------------------------------------------------------- */

BACKEND_TEST(migrations_create_the_schema_and_a_second_open_keeps_it)
{
    jr_journal *jr = open_jr(NULL);
    cr_assert_eq(jr_schema_version(jr), JR_SCHEMA_VERSION);
    jr_close(jr);
    jr = open_jr(NULL);
    cr_assert_eq(jr_schema_version(jr), JR_SCHEMA_VERSION);
    jr_close(jr);

    mitsu_db *db = must_open(T.url);
    cr_assert_eq(count(db, "SELECT COUNT(*) FROM schema_version"), JR_SCHEMA_VERSION, "applied once");
    static const char *const tables[] = {"clients", "events", "requests", "honeytokens"};
    for (size_t i = 0; i < 4; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i]);
        cr_assert_eq(count(db, sql), 0, "%s", tables[i]);
    }
    cr_assert_gt(mitsu_db_exec(db, "INSERT INTO honeytokens (kind, value, planted_at, db)"
                                   " VALUES ('api_key', 'k', 1, 'main')"),
                 0, "%s", mitsu_db_error(db));
    /* The state is checked: a typo cannot make a verdict nobody reloads. */
    cr_assert_lt(mitsu_db_exec(db, "INSERT INTO clients (sid, state) VALUES ('x', 'evil')"), 0);
    mitsu_db_close(db);
}

Test(schema, a_newer_database_is_refused, .init = setup_sqlite, .fini = teardown)
{
    jr_close(open_jr(NULL));
    mitsu_db *db = must_open(T.url);
    mitsu_db_exec(db, "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)");
    mitsu_db_close(db);
    char err[256] = "";
    cr_assert_null(jr_open(T.url, NULL, err, sizeof err));
    cr_assert(strstr(err, "newer"), "%s", err);
}

/* ---- Records ----------------------------------------------------------------------------- */

BACKEND_TEST(records_are_written_and_read_back)
{
    jr_journal *jr = open_jr(NULL);
    hp_client c = make_client(sid_a, "192.0.2.7", HP_CLIENT_ATTACKER);
    cr_assert_eq(jr_client(jr, &c, "trap", 1700000006000), 0);
    c.requests = 43; /* an upsert: the second wins */
    cr_assert_eq(jr_client(jr, &c, "trap", 1700000007000), 0);

    jr_event_rec e = {.type = JR_EVENT_FLAG, .time = 1700000004000, .sid = sid_a,
                      .ip = "192.0.2.7", .detector = "trap", .kind = "attack", .score = -1,
                      .evidence = "GET /wp-admin \xff", .action = "decoy"};
    cr_assert_eq(jr_event(jr, &e), 0);

    static const char body[] = "a\0b\xff";
    jr_header h[] = {{"Host", "example.com", 4, 11}, {"X-Bad", "v\xc3\x28", 5, 3}};
    jr_request_rec r = {.time = 1700000003000, .sid = sid_a, .ip = "192.0.2.7",
                        .method = "POST", .target = "/login\xff?a=1", .headers = h,
                        .nheaders = 2, .body = body, .body_len = 4, .status = 404,
                        .response_size = 321, .latency_us = 1500, .served_decoy = 1,
                        .preflag = 1};
    cr_assert_eq(jr_request(jr, &r, 0), 0);
    static const char raw[] = "GARBAGE\r\n\0\x80";
    jr_request_rec bad = {.time = 1700000003500, .ip = "192.0.2.8", .raw = raw, .raw_len = 11};
    cr_assert_eq(jr_request(jr, &bad, 0), 0);
    jr_close(jr);

    mitsu_db *db = must_open(T.url);
    json_t *row = mitsu_db_one(db, "SELECT * FROM clients");
    cr_assert_not_null(row, "%s", mitsu_db_error(db));
    cr_assert_str_eq(json_string_value(json_object_get(row, "sid")), sid_a);
    cr_assert_str_eq(json_string_value(json_object_get(row, "ip")), "192.0.2.7");
    cr_assert_str_eq(json_string_value(json_object_get(row, "state")), "attacker");
    cr_assert_float_eq(json_number_value(json_object_get(row, "score")), 12.5, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(row, "n4xx")), 7);
    cr_assert_eq(json_integer_value(json_object_get(row, "requests")), 43);
    cr_assert_eq(json_integer_value(json_object_get(row, "flagged_at")), 1700000004000);
    cr_assert_str_eq(json_string_value(json_object_get(row, "flagged_by")), "trap");
    cr_assert_eq(json_integer_value(json_object_get(row, "updated_at")), 1700000007000);

    row = mitsu_db_one(db, "SELECT * FROM events");
    cr_assert_not_null(row, "%s", mitsu_db_error(db));
    cr_assert_str_eq(json_string_value(json_object_get(row, "event")), "flag");
    cr_assert_str_eq(json_string_value(json_object_get(row, "detector")), "trap");
    cr_assert_str_eq(json_string_value(json_object_get(row, "action")), "decoy");
    cr_assert_str_eq(json_string_value(json_object_get(row, "evidence")),
                     "GET /wp-admin \xef\xbf\xbd", "stored text is valid UTF-8");
    cr_assert_not_null(json_string_value(json_object_get(row, "uid")));

    mitsu_rows *rows = mitsu_db_query(db, "SELECT method, target, headers, body, status,"
                                          " response_size, latency_us, served, preflag, raw"
                                          " FROM requests ORDER BY time");
    cr_assert_not_null(rows, "%s", mitsu_db_error(db));
    cr_assert_eq(mitsu_rows_next(rows), 1);
    cr_assert_str_eq(mitsu_rows_text(rows, 0), "POST");
    cr_assert_str_eq(mitsu_rows_text(rows, 1), "/login\xef\xbf\xbd?a=1");
    json_t *hj = json_loads(mitsu_rows_text(rows, 2), 0, NULL);
    cr_assert(json_is_array(hj) && json_array_size(hj) == 2);
    cr_assert_str_eq(json_string_value(json_array_get(json_array_get(hj, 0), 1)), "example.com");
    cr_assert_str_eq(json_string_value(json_array_get(json_array_get(hj, 1), 1)),
                     "v\xef\xbf\xbd(");
    json_decref(hj);
    size_t blen = 0;
    const void *b = mitsu_rows_blob(rows, 3, &blen);
    cr_assert_eq(blen, 4);
    cr_assert_eq(memcmp(b, body, 4), 0, "the body is kept byte for byte");
    cr_assert_eq(mitsu_rows_int(rows, 4), 404);
    cr_assert_eq(mitsu_rows_int(rows, 5), 321);
    cr_assert_eq(mitsu_rows_int(rows, 6), 1500);
    cr_assert_str_eq(mitsu_rows_text(rows, 7), "decoy");
    cr_assert_eq(mitsu_rows_int(rows, 8), 1);
    cr_assert(mitsu_rows_is_null(rows, 9));
    cr_assert_eq(mitsu_rows_next(rows), 1);
    b = mitsu_rows_blob(rows, 9, &blen);
    cr_assert_eq(blen, 11);
    cr_assert_eq(memcmp(b, raw, 11), 0, "raw bytes of a malformed request");
    cr_assert_str_eq(mitsu_rows_text(rows, 7), "real");
    mitsu_rows_free(rows);
    mitsu_db_close(db);
}

typedef struct producer {
    jr_journal *jr;
    int id, n, failed;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    for (int i = 0; i < p->n; i++) {
        char sid[33];
        snprintf(sid, sizeof sid, "%08x%024x", p->id, i);
        if (request(p->jr, sid, 1700000000000 + i, i & 1) != 0)
            p->failed++;
    }
    return NULL;
}

BACKEND_TEST(concurrent_producers_all_written_after_close)
{
    enum { THREADS = 4, EACH = 5000 };
    jr_options o = {.queue_size = THREADS * EACH, .batch_max = 512};
    jr_journal *jr = open_jr(&o);
    pthread_t th[THREADS];
    producer p[THREADS];
    for (int i = 0; i < THREADS; i++) {
        p[i] = (producer){.jr = jr, .id = i, .n = EACH};
        cr_assert_eq(pthread_create(&th[i], NULL, produce, &p[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(p[i].failed, 0);
    }
    jr_stats s;
    jr_stats_get(jr, &s);
    cr_assert_eq(s.queued, THREADS * EACH);
    jr_close(jr); /* flushes */

    mitsu_db *db = must_open(T.url);
    cr_assert_eq(count(db, "SELECT COUNT(*) FROM requests"), THREADS * EACH);
    cr_assert_eq(count(db, "SELECT COUNT(DISTINCT sid) FROM requests"), THREADS * EACH);
    mitsu_db_close(db);
}

BACKEND_TEST(stats_count_written_and_batches)
{
    jr_journal *jr = open_jr(NULL);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(request(jr, sid_a, i, 0), 0);
    for (int tries = 0; tries < 500; tries++) {
        jr_stats s;
        jr_stats_get(jr, &s);
        if (s.written == 100)
            break;
        usleep(10000);
    }
    jr_stats s;
    jr_stats_get(jr, &s);
    cr_assert_eq(s.written, 100);
    cr_assert_geq(s.batches, 1);
    cr_assert_leq(s.batches, 100);
    cr_assert_eq(s.dropped, 0);
    cr_assert_eq(s.pending, 0);
    jr_close(jr);
}

/* The writer is held by a lock another connection keeps on the table (SQLite: a write
 * transaction, within the 5 s busy timeout; PostgreSQL: LOCK TABLE), so the queue fills. */
BACKEND_TEST(a_full_queue_drops_and_counts_exactly)
{
    jr_options o = {.queue_size = 10, .log = T.log, .drop_log_ms = 1};
    jr_journal *jr = open_jr(&o);
    mitsu_db *blocker = must_open(T.url);
    cr_assert_eq(mitsu_db_begin(blocker), 0, "%s", mitsu_db_error(blocker));
    if (T.pg)
        cr_assert_eq(mitsu_db_script(blocker, "LOCK TABLE requests IN ACCESS EXCLUSIVE MODE"), 0);
    cr_assert_eq(request(jr, sid_a, 1, 0), 0);
    jr_stats s;
    for (int tries = 0; tries < 200; tries++) { /* the writer took it and now waits */
        jr_stats_get(jr, &s);
        if (s.pending == 0)
            break;
        usleep(5000);
    }
    cr_assert_eq(s.pending, 0);
    int ok = 0, dropped = 0;
    for (int i = 0; i < 15; i++)
        request(jr, sid_a, 2 + i, 0) == 0 ? ok++ : dropped++;
    cr_assert_eq(ok, 10);
    cr_assert_eq(dropped, 5);
    jr_stats_get(jr, &s);
    cr_assert_eq(s.dropped, 5);
    cr_assert_eq(s.pending, 10);
    mitsu_db_rollback(blocker);
    mitsu_db_close(blocker);
    jr_close(jr);

    mitsu_db *db = must_open(T.url);
    cr_assert_eq(count(db, "SELECT COUNT(*) FROM requests"), 11);
    mitsu_db_close(db);

    /* Never silent: a drop line with the count. */
    FILE *f = fopen(T.log, "r");
    cr_assert_not_null(f);
    char line[4096];
    json_int_t total = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "%s", line);
        if (strcmp(json_string_value(json_object_get(j, "event")), "drop") == 0)
            total = json_integer_value(json_object_get(j, "dropped_total"));
        json_decref(j);
    }
    fclose(f);
    cr_assert_eq(total, 5);
}

Test(queue, records_after_close_or_on_null_are_refused)
{
    cr_assert_eq(request(NULL, sid_a, 1, 0), -1);
    cr_assert_eq(jr_event(NULL, NULL), -1);
    jr_close(NULL);
}

/* ---- Masking ------------------------------------------------------------------------------ */

static const char *const secrets[] = {"password", "token", "secret"};
static const jr_mask_rule rule = {secrets, 3, 0};

static char *masked_form(const char *s)
{
    buf b = BUF_INIT;
    cr_assert_eq(jr_mask_urlencoded(&b, s, strlen(s), &rule), 0);
    buf_append(&b, "", 1);
    return b.data;
}

Test(mask, urlencoded_values_of_secret_fields)
{
    char *m = masked_form("user=bob&password=hunter2&Pass%77ord=x&TOKEN=t&x=&secret");
    cr_assert_str_eq(m, "user=bob&password=[masked]&Pass%77ord=[masked]&TOKEN=[masked]&x="
                        "&secret");
    free(m);
    m = masked_form("");
    cr_assert_str_eq(m, "");
    free(m);
}

Test(mask, json_bodies_at_any_depth_and_other_types_whole)
{
    const char *js = "{\"user\":\"bob\",\"password\":\"p\",\"a\":[{\"token\":1}]}";
    buf b = BUF_INIT;
    cr_assert_eq(jr_mask_body(&b, "application/json; charset=utf-8", 31, js, strlen(js),
                              &rule), 0);
    buf_append(&b, "", 1);
    cr_assert_str_eq(b.data, "{\"user\":\"bob\",\"password\":\"[masked]\",\"a\":[{\"token\":"
                             "\"[masked]\"}]}");
    b.len = 0;
    cr_assert_eq(jr_mask_body(&b, "application/json", 16, "{\"password\":\"tru", 16, &rule), 0);
    cr_assert_eq(b.len, 8, "truncated JSON is masked whole");
    b.len = 0;
    cr_assert_eq(jr_mask_body(&b, "multipart/form-data", 19, "--x\r\npassword", 13, &rule),
                 0);
    cr_assert_eq(memcmp(b.data, "[masked]", 8), 0);
    buf_free(&b);
}

Test(mask, credential_headers)
{
    buf b = BUF_INIT;
    jr_mask_header(&b, "Authorization", 13, "Basic Ym9iOmh1bnRlcjI=", 22, &rule);
    jr_mask_header(&b, "|", 1, "", 0, &rule);
    jr_mask_header(&b, "Cookie", 6, "sid=123; theme=dark", 19, &rule);
    jr_mask_header(&b, "|", 1, "", 0, &rule);
    jr_mask_header(&b, "X-Auth-Token", 12, "abc", 3, &rule);
    jr_mask_header(&b, "|", 1, "", 0, &rule);
    jr_mask_header(&b, "Accept", 6, "text/html", 9, &rule);
    buf_append(&b, "", 1);
    cr_assert_str_eq(b.data, "Basic [masked]sid=[masked]; theme=[masked][masked]text/html");
    buf_free(&b);
}

BACKEND_TEST(mask_secrets_applies_to_target_body_and_headers_only_when_asked)
{
    jr_options o = {.secret_fields = secrets, .nsecret_fields = 3};
    jr_journal *jr = open_jr(&o);
    static const char form[] = "user=bob&password=hunter2";
    jr_header h[] = {{"Content-Type", "application/x-www-form-urlencoded", 12, 33},
                     {"Authorization", "Bearer xyz", 13, 10},
                     {"Cookie", "sid=1", 6, 5}};
    jr_request_rec r = {.time = 1, .ip = "192.0.2.1", .method = "POST",
                        .target = "/login?token=abc&next=/", .headers = h, .nheaders = 3,
                        .body = form, .body_len = sizeof form - 1};
    cr_assert_eq(jr_request(jr, &r, 1), 0);
    r.time = 2;
    cr_assert_eq(jr_request(jr, &r, 0), 0);
    jr_close(jr);

    mitsu_db *db = must_open(T.url);
    mitsu_rows *rows =
        mitsu_db_query(db, "SELECT target, headers, body FROM requests ORDER BY time");
    cr_assert_not_null(rows);
    cr_assert_eq(mitsu_rows_next(rows), 1);
    cr_assert_str_eq(mitsu_rows_text(rows, 0), "/login?token=[masked]&next=/");
    cr_assert_str_eq(mitsu_rows_text(rows, 1),
                     "[[\"Content-Type\",\"application/x-www-form-urlencoded\"],"
                     "[\"Authorization\",\"Bearer [masked]\"],[\"Cookie\",\"sid=[masked]\"]]");
    size_t n;
    const char *b = mitsu_rows_blob(rows, 2, &n);
    cr_assert_eq(n, strlen("user=bob&password=[masked]"));
    cr_assert_eq(memcmp(b, "user=bob&password=[masked]", n), 0);
    cr_assert_eq(mitsu_rows_next(rows), 1);
    cr_assert_str_eq(mitsu_rows_text(rows, 0), "/login?token=abc&next=/");
    b = mitsu_rows_blob(rows, 2, &n);
    cr_assert_eq(memcmp(b, form, n), 0, "unmasked: attacker evidence is kept whole");
    mitsu_rows_free(rows);
    mitsu_db_close(db);
}

/* ---- Verdicts ------------------------------------------------------------------------------ */

typedef struct loaded {
    hp_client_table *t;
    int n;
    char by[3][32];
    hp_client c[3];
} loaded;

static int on_verdict(const hp_client *c, const char *flagged_by, void *arg)
{
    loaded *l = arg;
    cr_assert_lt(l->n, 3);
    l->c[l->n] = *c;
    snprintf(l->by[l->n], sizeof l->by[0], "%s", flagged_by ? flagged_by : "-");
    l->n++;
    cr_assert_eq(hp_client_load(l->t, c), 0);
    return 0;
}

BACKEND_TEST(verdicts_are_reloaded_at_start)
{
    jr_journal *jr = open_jr(NULL);
    hp_client a = make_client(sid_a, "192.0.2.1", HP_CLIENT_ATTACKER);
    hp_client b = make_client(sid_b, "2001:db8::1", HP_CLIENT_NORMAL);
    hp_client c = make_client(sid_c, "192.0.2.3", HP_CLIENT_RELEASED);
    cr_assert_eq(jr_client(jr, &a, "status4xx", 1), 0);
    cr_assert_eq(jr_client(jr, &b, NULL, 1), 0);
    cr_assert_eq(jr_client(jr, &c, NULL, 1), 0);
    jr_close(jr);

    jr = open_jr(NULL); /* a restart */
    loaded l = {.t = hp_client_table_new(NULL)};
    char err[256] = "";
    cr_assert_eq(jr_load_verdicts(jr, on_verdict, &l, err, sizeof err), 2, "%s", err);
    jr_close(jr);
    cr_assert_eq(l.n, 2);
    /* Ordered by sid: sid_c (0011...) before sid_a (0123...). */
    cr_assert_eq(memcmp(l.c[0].sid, c.sid, HP_SID_LEN), 0);
    cr_assert_eq(l.c[0].state, HP_CLIENT_RELEASED);
    cr_assert_str_eq(l.by[0], "-");
    cr_assert_eq(memcmp(l.c[1].sid, a.sid, HP_SID_LEN), 0);
    cr_assert_eq(l.c[1].state, HP_CLIENT_ATTACKER);
    cr_assert_eq(memcmp(l.c[1].ip, a.ip, HP_IP_LEN), 0);
    cr_assert_eq(l.c[1].flagged_at, a.flagged_at);
    cr_assert_eq(l.c[1].n4xx, 7);
    cr_assert_float_eq(l.c[1].score, 12.5f, 1e-6);
    cr_assert_str_eq(l.by[1], "status4xx");

    hp_client got;
    cr_assert_eq(hp_client_get(l.t, a.sid, &got), 0);
    cr_assert_eq(got.state, HP_CLIENT_ATTACKER);
    cr_assert_neq(hp_client_get(l.t, b.sid, &got), 0, "normal clients are not reloaded");
    hp_client_table_free(l.t);
}

/* ---- Log lines ------------------------------------------------------------------------------ */

static const char *const log_keys[] = {
    "time", "event", "event_id", "client_id", "session_id", "peer", "forwarded", "method",
    "path", "detector", "kind", "score", "action", "served", "body_sha256"};

Test(log, lines_parse_and_escape_hostile_bytes, .init = setup_sqlite, .fini = teardown)
{
    jr_options o = {.log = T.log};
    jr_journal *jr = open_jr(&o);
    jr_event_rec e = {.type = JR_EVENT_HIT, .time = 1700000000123, .sid = sid_a,
                      .ip = "192.0.2.1", .forwarded = "203.0.113.9\"}",
                      .detector = "signature", .kind = "attack", .score = 5,
                      .evidence = "\xff\xfe<script>\"\n\x01\x7f\xc3\xa9\xed\xa0\x80",
                      .method = "GET", .path = "/a\x80?b", .served_decoy = 1, .body = "abc",
                      .body_len = 3};
    cr_assert_eq(jr_event(jr, &e), 0);
    e.type = JR_EVENT_FLAG;
    e.score = -1;
    e.body = NULL;
    e.served_decoy = 0;
    cr_assert_eq(jr_event(jr, &e), 0);
    jr_close(jr);

    FILE *f = fopen(T.log, "r");
    cr_assert_not_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je); /* jansson refuses invalid UTF-8 */
        cr_assert_not_null(j, "line %d: %s: %s", n, je.text, line);
        for (size_t k = 0; k < sizeof log_keys / sizeof log_keys[0]; k++)
            cr_assert_not_null(json_object_get(j, log_keys[k]), "%s", log_keys[k]);
        cr_assert_str_eq(json_string_value(json_object_get(j, "client_id")), sid_a);
        cr_assert_str_eq(json_string_value(json_object_get(j, "session_id")), sid_a);
        cr_assert_str_eq(json_string_value(json_object_get(j, "forwarded")), "203.0.113.9\"}");
        cr_assert_str_eq(json_string_value(json_object_get(j, "evidence")),
                         "\\xff\\xfe<script>\"\n\x01\x7f\xc3\xa9\\xed\\xa0\\x80");
        cr_assert_str_eq(json_string_value(json_object_get(j, "path")), "/a\\x80?b");
        cr_assert_str_eq(json_string_value(json_object_get(j, "time")),
                         "2023-11-14T22:13:20.123Z");
        if (n == 0) {
            cr_assert_str_eq(json_string_value(json_object_get(j, "event")), "hit");
            cr_assert_str_eq(json_string_value(json_object_get(j, "served")), "decoy");
            cr_assert_str_eq(json_string_value(json_object_get(j, "body_sha256")),
                             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            cr_assert_float_eq(json_number_value(json_object_get(j, "score")), 5, 1e-9);
        } else {
            cr_assert_str_eq(json_string_value(json_object_get(j, "event")), "flag");
            cr_assert(json_is_null(json_object_get(j, "body_sha256")));
            cr_assert_str_eq(json_string_value(json_object_get(j, "served")), "real");
        }
        json_decref(j);
        n++;
    }
    fclose(f);
    cr_assert_eq(n, 2);
}

Test(log, json_escape_keeps_valid_utf8_and_marks_the_rest)
{
    buf b = BUF_INIT;
    cr_assert_eq(jr_append_json(&b, "a\0\xc0\xaf\xf4\x90\x80\x80\xe2\x82\xac", 11, 1), 0);
    buf_append(&b, "", 1);
    /* NUL, an overlong '/', a code point past U+10FFFF; the euro sign is kept. */
    cr_assert_str_eq(b.data, "\"a\\u0000\\\\xc0\\\\xaf\\\\xf4\\\\x90\\\\x80\\\\x80\xe2\x82\xac\"");
    b.len = 0;
    cr_assert_eq(jr_append_utf8(&b, "x\xff", 2), 0);
    cr_assert_eq(b.len, 4);
    cr_assert_eq(memcmp(b.data, "x\xef\xbf\xbd", 4), 0);
    buf_free(&b);
}

/* Event lines get read on terminals (tail -f): C1 controls (U+009B is CSI to many terminals)
 * and bidi overrides go as \u escapes, the same string to any JSON reader. */
Test(log, json_escape_writes_terminal_controls_as_u_escapes)
{
    buf b = BUF_INIT;
    cr_assert_eq(jr_append_json(&b, "a\xc2\x9b" "2J\xe2\x80\xae" "b\xc2\xa0", 11, 1), 0);
    buf_append(&b, "", 1);
    cr_assert_str_eq(b.data, "\"a\\u009b2J\\u202eb\xc2\xa0\"", "U+00A0 is text: kept");
    json_t *j = json_loads(b.data, JSON_DECODE_ANY, NULL);
    cr_assert_str_eq(json_string_value(j), "a\xc2\x9b" "2J\xe2\x80\xae" "b\xc2\xa0");
    json_decref(j);
    buf_free(&b);
}

/* ---- Shared verdicts: the log, the follower, the operator --------------------------------- */

static int64_t count_where(mitsu_db *db, const char *sql, const char *arg)
{
    mitsu_rows *r = mitsu_db_query(db, sql, MITSU_TEXT(arg));
    cr_assert_not_null(r, "%s: %s", sql, mitsu_db_error(db));
    cr_assert_eq(mitsu_rows_next(r), 1);
    int64_t n = mitsu_rows_int(r, 0);
    mitsu_rows_free(r);
    return n;
}

static void flag_event(jr_journal *jr, const char *sid, const char *ip)
{
    jr_event_rec e = {.type = JR_EVENT_FLAG, .time = 1700000000000, .sid = sid, .ip = ip,
                      .detector = "trap", .score = 100, .evidence = "/.env"};
    cr_assert_eq(jr_event(jr, &e), 0);
}

BACKEND_TEST(a_flag_appends_a_verdicts_row_of_this_instance_with_its_event)
{
    jr_journal *jr = open_jr(NULL);
    char origin[32];
    snprintf(origin, sizeof origin, "%s", jr_instance(jr));
    cr_assert_eq(strlen(origin), 12);
    flag_event(jr, sid_a, "192.0.2.7");
    jr_event_rec hit = {.type = JR_EVENT_HIT, .time = 1, .sid = sid_b, .detector = "rate"};
    cr_assert_eq(jr_event(jr, &hit), 0);
    jr_close(jr);

    mitsu_db *db = must_open(T.url);
    mitsu_rows *r = mitsu_db_query(db, "SELECT sid, ip, state, score, by, origin, time"
                                       " FROM verdicts");
    cr_assert_not_null(r, "%s", mitsu_db_error(db));
    cr_assert_eq(mitsu_rows_next(r), 1);
    cr_assert_str_eq(mitsu_rows_text(r, 0), sid_a);
    cr_assert_str_eq(mitsu_rows_text(r, 1), "192.0.2.7");
    cr_assert_str_eq(mitsu_rows_text(r, 2), "attacker");
    cr_assert_float_eq(mitsu_rows_real(r, 3), 100.0, 1e-9);
    cr_assert_str_eq(mitsu_rows_text(r, 4), "trap");
    cr_assert_str_eq(mitsu_rows_text(r, 5), origin);
    cr_assert_eq(mitsu_rows_int(r, 6), 1700000000000);
    cr_assert_eq(mitsu_rows_next(r), 0, "a hit is no verdict");
    mitsu_rows_free(r);
    mitsu_db_close(db);
}

/* What the follower hands over, for the test thread to wait on. */
typedef struct seen {
    pthread_mutex_t mu;
    int n;
    char sid[8][40], state[8][16], origin[8][24];
    int64_t at_ms[8];
} seen;

static int64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_followed(const jr_verdict *v, void *arg)
{
    seen *s = arg;
    pthread_mutex_lock(&s->mu);
    if (s->n < 8) {
        snprintf(s->sid[s->n], sizeof s->sid[0], "%s", v->sid ? v->sid : "");
        snprintf(s->state[s->n], sizeof s->state[0], "%s", v->state);
        snprintf(s->origin[s->n], sizeof s->origin[0], "%s", v->origin ? v->origin : "");
        s->at_ms[s->n] = mono_now();
        s->n++;
    }
    pthread_mutex_unlock(&s->mu);
}

/* Waits until *count (guarded by mu) reaches n, or ms passed: what it is then. */
static int wait_count(pthread_mutex_t *mu, const int *count, int n, int ms)
{
    for (int waited = 0;; waited += 10) {
        pthread_mutex_lock(mu);
        int have = *count;
        pthread_mutex_unlock(mu);
        if (have >= n || waited >= ms)
            return have;
        usleep(10000);
    }
}

static int wait_seen(seen *s, int n, int ms)
{
    return wait_count(&s->mu, &s->n, n, ms);
}

static void add_client(const char *sid, const char *ip)
{
    jr_journal *jr = open_jr(NULL);
    hp_client c = make_client(sid, ip, HP_CLIENT_NORMAL);
    cr_assert_eq(jr_client(jr, &c, NULL, 1), 0);
    jr_close(jr);
}

BACKEND_TEST(the_follower_applies_new_rows_of_other_origins_within_a_second)
{
    add_client(sid_a, "192.0.2.1");
    add_client(sid_b, "192.0.2.2");
    mitsu_db *db = must_open(T.url);
    cr_assert_eq(jr_verdict_insert(db, 1, MITSU_TEXT(sid_c), MITSU_NULL, "attacker", 1,
                                   MITSU_NULL, "other"), 0, "before the start: not applied");
    seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char err[512] = "";
    jr_follower *f = jr_follow_start(T.url, "me", on_followed, &s, err, sizeof err);
    cr_assert_not_null(f, "%s", err);

    cr_assert_eq(jr_verdict_insert(db, 2, MITSU_TEXT(sid_c), MITSU_NULL, "attacker", 1,
                                   MITSU_NULL, "me"), 0);
    int64_t t0 = mono_now();
    cr_assert_eq(jr_verdict_insert(db, 3, MITSU_TEXT(sid_b), MITSU_TEXT("192.0.2.2"),
                                   "attacker", 50, MITSU_TEXT("trap"), "other"), 0);
    cr_assert_eq(wait_seen(&s, 1, 3000), 1);
    cr_assert_lt(s.at_ms[0] - t0, 1000, "applied after %lld ms", (long long)(s.at_ms[0] - t0));
    cr_assert_str_eq(s.sid[0], sid_b);
    cr_assert_str_eq(s.origin[0], "other");

    /* The operator's release comes the same way (NOTIFY on PostgreSQL, the poll on SQLite). */
    t0 = mono_now();
    cr_assert_eq(jr_release(db, sid_a, NULL, 0, 5, err, sizeof err), 0, "%s", err);
    cr_assert_eq(wait_seen(&s, 2, 3000), 2);
    cr_assert_lt(s.at_ms[1] - t0, 1000);
    cr_assert_str_eq(s.sid[1], sid_a);
    cr_assert_str_eq(s.state[1], "released");
    cr_assert_str_eq(s.origin[1], "operator");
    usleep(600 * 1000); /* one more poll: nothing else (not its own row, not the old one) */
    cr_assert_eq(wait_seen(&s, 3, 0), 2);
    jr_follow_stop(f);
    mitsu_db_close(db);
}

/* What the tokens hook saw: how often it was called, the size of the set it read each time on
 * the connection it was given, and how often the follower ticked. */
typedef struct token_calls {
    pthread_mutex_t mu;
    int calls, ticks;
    long read[8];
} token_calls;

static int count_token(int64_t id, const char *kind, const char *value, void *arg)
{
    (void)id, (void)kind, (void)value, (void)arg;
    return 0;
}

static void on_tokens(mitsu_db *db, void *arg)
{
    token_calls *t = arg;
    long n = jr_read_honeytokens(db, count_token, NULL, NULL, 0);
    pthread_mutex_lock(&t->mu);
    if (t->calls < 8)
        t->read[t->calls] = n;
    t->calls++;
    pthread_mutex_unlock(&t->mu);
}

static void on_tick(void *arg)
{
    token_calls *t = arg;
    pthread_mutex_lock(&t->mu);
    t->ticks++;
    pthread_mutex_unlock(&t->mu);
}

static void on_no_verdict(const jr_verdict *v, void *arg)
{
    (void)v, (void)arg;
}

static int wait_token_calls(token_calls *t, int n, int ms)
{
    return wait_count(&t->mu, &t->calls, n, ms);
}

BACKEND_TEST(the_follower_tells_of_tokens_added_and_removed_and_ticks)
{
    char err[512] = "";
    mitsu_db *db = jr_open_db(T.url, err, sizeof err);
    cr_assert_not_null(db, "%s", err);
    cr_assert_eq(jr_add_honeytoken(db, "email", "old@decoy.test", 1000, "sqlite:/d1"), 0);
    token_calls t = {.mu = PTHREAD_MUTEX_INITIALIZER};
    jr_follow_hooks h = {on_no_verdict, on_tokens, on_tick, &t};
    jr_follower *f = jr_follow(T.url, NULL, &h, err, sizeof err);
    cr_assert_not_null(f, "%s", err);
    usleep(700 * 1000);
    cr_assert_eq(wait_token_calls(&t, 1, 0), 0, "the set of the start is no change");
    pthread_mutex_lock(&t.mu);
    cr_assert_geq(t.ticks, 2, "a tick after every poll: %d", t.ticks);
    pthread_mutex_unlock(&t.mu);

    int64_t t0 = mono_now();
    cr_assert_eq(jr_add_honeytoken(db, "api_key", "k-123", 2000, "sqlite:/d2"), 0);
    cr_assert_eq(wait_token_calls(&t, 1, 3000), 1, "an insert");
    cr_assert_lt(mono_now() - t0, 1000);
    cr_assert_eq(t.read[0], 2, "read on the follower's connection: %ld", t.read[0]);

    cr_assert_eq(jr_forget_honeytokens(db, "sqlite:/d1"), 1);
    cr_assert_eq(wait_token_calls(&t, 2, 3000), 2, "a delete");
    cr_assert_eq(t.read[1], 1);

    /* `decoy init --force`: every token removed and as many added (SQLite may reuse the ids). */
    cr_assert_eq(jr_forget_honeytokens(db, "sqlite:/d2"), 1);
    cr_assert_eq(jr_add_honeytoken(db, "api_key", "k-456", 3000, "sqlite:/d2"), 0);
    cr_assert_geq(wait_token_calls(&t, 3, 3000), 3, "a replacement");
    usleep(600 * 1000);
    int calls = wait_token_calls(&t, 99, 0);
    cr_assert_eq(t.read[calls - 1], 1, "the last read is the set of now");
    cr_assert_leq(calls, 4, "no call without a change: %d", calls);
    jr_follow_stop(f);
    mitsu_db_close(db);
}

BACKEND_TEST(operator_flag_sets_the_state_once_and_logs_a_verdict_and_an_event)
{
    add_client(sid_a, "192.0.2.1");
    mitsu_db *db = must_open(T.url);
    char err[512] = "";
    cr_assert_eq(jr_flag(db, sid_a, "seen scanning", 1000, err, sizeof err), 0, "%s", err);
    cr_assert_eq(jr_flag(db, sid_a, NULL, 2000, err, sizeof err), 0, "%s", err);
    cr_assert_eq(jr_flag(db, sid_c, NULL, 3000, err, sizeof err), -1, "unknown client");
    cr_assert(strstr(err, sid_c), "%s", err);
    mitsu_rows *r = mitsu_db_query(db, "SELECT state, flagged_at, flagged_by FROM clients"
                                       " WHERE sid = ?", MITSU_TEXT(sid_a));
    cr_assert_eq(mitsu_rows_next(r), 1);
    cr_assert_str_eq(mitsu_rows_text(r, 0), "attacker");
    cr_assert_eq(mitsu_rows_int(r, 1), 1000, "the first verdict's time is kept");
    cr_assert_str_eq(mitsu_rows_text(r, 2), "operator");
    mitsu_rows_free(r);
    cr_assert_eq(count_where(db, "SELECT COUNT(*) FROM verdicts WHERE sid = ? AND"
                                 " state = 'attacker' AND origin = 'operator' AND"
                                 " by = 'operator'", sid_a), 2);
    cr_assert_eq(count_where(db, "SELECT COUNT(*) FROM events WHERE sid = ? AND event = 'flag'"
                                 " AND detector = 'operator' AND evidence = 'seen scanning'",
                             sid_a), 1);
    mitsu_db_close(db);
}

/* The requests are rewritten a batch at a time (memory stays bounded): every one of many
 * batches is masked, the last one partly full. */
BACKEND_TEST(release_masks_every_request_of_a_busy_client)
{
    jr_journal *jr = open_jr(NULL);
    hp_client c = make_client(sid_a, "192.0.2.1", HP_CLIENT_ATTACKER);
    cr_assert_eq(jr_client(jr, &c, "login", 1), 0);
    for (int i = 0; i < 250; i++) {
        jr_request_rec r = {.time = 1 + i, .sid = sid_a, .ip = "192.0.2.1", .method = "GET",
                            .target = "/login?password=hunter2"};
        cr_assert_eq(jr_request(jr, &r, 0), 0);
    }
    jr_close(jr);
    mitsu_db *db = must_open(T.url);
    char err[512] = "";
    cr_assert_eq(jr_release(db, sid_a, secrets, 3, 9000, err, sizeof err), 0, "%s", err);
    cr_assert_eq(count_where(db, "SELECT COUNT(*) FROM requests WHERE sid = ? AND"
                                 " target = '/login?password=[masked]'", sid_a), 250);
    mitsu_db_close(db);
}

BACKEND_TEST(release_masks_the_secrets_of_every_request_of_that_client_only)
{
    jr_journal *jr = open_jr(NULL);
    hp_client c = make_client(sid_a, "192.0.2.1", HP_CLIENT_ATTACKER);
    cr_assert_eq(jr_client(jr, &c, "login", 1), 0);
    static const char form[] = "user=bob&password=hunter2";
    static const char json[] = "{\"user\":\"bob\",\"token\":\"hunter2\"}";
    jr_header h[] = {{"Content-Type", "application/x-www-form-urlencoded", 12, 33},
                     {"Authorization", "Basic aHVudGVyMg==", 13, 18},
                     {"Cookie", "sid=hunter2", 6, 11}};
    jr_request_rec r = {.time = 1, .sid = sid_a, .ip = "192.0.2.1", .method = "POST",
                        .target = "/login?password=hunter2&next=/", .headers = h,
                        .nheaders = 3, .body = form, .body_len = sizeof form - 1,
                        .preflag = 1};
    cr_assert_eq(jr_request(jr, &r, 0), 0, "pre-flag evidence, kept whole for the test");
    jr_header hj[] = {{"Content-Type", "application/json", 12, 16}};
    jr_request_rec rj = {.time = 2, .sid = sid_a, .ip = "192.0.2.1", .method = "POST",
                         .target = "/api", .headers = hj, .nheaders = 1, .body = json,
                         .body_len = sizeof json - 1};
    cr_assert_eq(jr_request(jr, &rj, 0), 0);
    r.sid = sid_b;
    cr_assert_eq(jr_request(jr, &r, 0), 0, "another client's: untouched");
    jr_close(jr);

    mitsu_db *db = must_open(T.url);
    char err[512] = "";
    cr_assert_eq(jr_release(db, sid_a, secrets, 3, 9000, err, sizeof err), 0, "%s", err);
    cr_assert_eq(count_where(db, "SELECT COUNT(*) FROM clients WHERE sid = ? AND"
                                 " state = 'released' AND score = 0", sid_a), 1);
    cr_assert_eq(count_where(db, "SELECT COUNT(*) FROM verdicts WHERE sid = ? AND"
                                 " state = 'released' AND origin = 'operator'", sid_a), 1);
    cr_assert_eq(count_where(db, "SELECT COUNT(*) FROM events WHERE sid = ? AND"
                                 " event = 'release' AND detector = 'operator'", sid_a), 1);
    mitsu_rows *q = mitsu_db_query(db, "SELECT target, headers, body, sid FROM requests"
                                       " ORDER BY time, sid");
    cr_assert_eq(mitsu_rows_next(q), 1);
    cr_assert_str_eq(mitsu_rows_text(q, 0), "/login?password=[masked]&next=/");
    cr_assert_str_eq(mitsu_rows_text(q, 1),
                     "[[\"Content-Type\",\"application/x-www-form-urlencoded\"],"
                     "[\"Authorization\",\"Basic [masked]\"],[\"Cookie\",\"sid=[masked]\"]]");
    size_t n;
    const char *b = mitsu_rows_blob(q, 2, &n);
    cr_assert_eq(n, strlen("user=bob&password=[masked]"));
    cr_assert_eq(memcmp(b, "user=bob&password=[masked]", n), 0);
    cr_assert_eq(mitsu_rows_next(q), 1, "the other client's row");
    cr_assert_str_eq(mitsu_rows_text(q, 3), sid_b);
    b = mitsu_rows_blob(q, 2, &n);
    cr_assert_eq(memcmp(b, form, n), 0);
    cr_assert_eq(mitsu_rows_next(q), 1, "the JSON capture");
    b = mitsu_rows_blob(q, 2, &n);
    cr_assert_eq(n, strlen("{\"user\":\"bob\",\"token\":\"[masked]\"}"), "%.*s", (int)n, b);
    mitsu_rows_free(q);
    mitsu_db_close(db);
}

BACKEND_TEST(secrets_hash_and_redact_apply_to_attackers_captures_too)
{
    for (int mode = JR_SECRETS_HASH; mode <= JR_SECRETS_REDACT; mode++) {
        jr_options o = {.secret_fields = secrets, .nsecret_fields = 3, .secrets = mode};
        jr_journal *jr = open_jr(&o);
        jr_request_rec r = {.time = mode, .sid = sid_a, .ip = "192.0.2.1", .method = "GET",
                            .target = "/x?token=hunter2"};
        cr_assert_eq(jr_request(jr, &r, 0), 0);
        jr_close(jr);
    }
    mitsu_db *db = must_open(T.url);
    mitsu_rows *q = mitsu_db_query(db, "SELECT target FROM requests ORDER BY time");
    cr_assert_eq(mitsu_rows_next(q), 1);
    /* SHA-256 of "hunter2" */
    cr_assert_str_eq(mitsu_rows_text(q, 0), "/x?token=[sha256:f52fbd32b2b3b86ff88ef6c490628285f"
                                            "482af15ddcb29541f94bcf526a3f6c7]");
    cr_assert_eq(mitsu_rows_next(q), 1);
    cr_assert_str_eq(mitsu_rows_text(q, 0), "/x?token=[masked]");
    mitsu_rows_free(q);
    mitsu_db_close(db);
}

/* PostgreSQL only: its backend killed under the writer, the journal reconnects and loses
 * nothing queued. */
Test(postgresql, the_writer_survives_a_lost_connection, .init = setup_pg, .fini = teardown)
{
    if (!pg_base())
        cr_skip_test("MITSU_TEST_PG_URL is not set");
    char url[1200];
    snprintf(url, sizeof url, "%s&application_name=mitsu_jr_%ld", T.url, (long)getpid());
    char err[512] = "";
    jr_journal *jr = jr_open(url, NULL, err, sizeof err);
    cr_assert_not_null(jr, "%s", err);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(request(jr, sid_a, i, 0), 0);
    jr_stats st;
    for (int i = 0; i < 300 && (jr_stats_get(jr, &st), st.written < 10); i++)
        usleep(10000);
    cr_assert_eq(st.written, 10);

    mitsu_db *admin = must_open(pg_base());
    char name[64];
    snprintf(name, sizeof name, "mitsu_jr_%ld", (long)getpid());
    json_t *killed = mitsu_db_one(admin, "SELECT COUNT(pg_terminate_backend(pid)) AS n"
                                         " FROM pg_stat_activity WHERE application_name = ?",
                                  MITSU_TEXT(name));
    cr_assert_not_null(killed, "%s", mitsu_db_error(admin));
    cr_assert_geq(json_integer_value(json_object_get(killed, "n")), 1);
    mitsu_db_close(admin); /* frees killed */

    for (int i = 10; i < 30; i++)
        cr_assert_eq(request(jr, sid_a, i, 0), 0);
    jr_close(jr);
    mitsu_db *db = must_open(T.url);
    cr_assert_eq(count(db, "SELECT COUNT(*) FROM requests"), 30, "every record arrived");
    mitsu_db_close(db);
}

/* PostgreSQL only: a new row is applied on NOTIFY, not at the next poll (every 500 ms, which
 * would make the mean about 250 ms). */
Test(postgresql, the_follower_is_woken_by_notify, .init = setup_pg, .fini = teardown)
{
    if (!pg_base())
        cr_skip_test("MITSU_TEST_PG_URL is not set");
    add_client(sid_a, "192.0.2.1");
    mitsu_db *db = must_open(T.url);
    seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char err[512] = "";
    jr_follower *f = jr_follow_start(T.url, NULL, on_followed, &s, err, sizeof err);
    cr_assert_not_null(f, "%s", err);
    int64_t total = 0;
    for (int i = 0; i < 5; i++) {
        usleep(37 * 1000 * (i + 1)); /* not in step with the poll */
        int64_t t0 = mono_now();
        cr_assert_eq(jr_flag(db, sid_a, NULL, i, err, sizeof err), 0, "%s", err);
        cr_assert_eq(wait_seen(&s, i + 1, 2000), i + 1);
        total += s.at_ms[i] - t0;
    }
    cr_assert_lt(total / 5, 100, "mean %lld ms", (long long)(total / 5));
    jr_follow_stop(f);
    mitsu_db_close(db);
}

Test(options, from_config_reads_body_max_secrets_and_fields, .init = setup_sqlite,
     .fini = teardown)
{
    char path[300];
    snprintf(path, sizeof path, "%s/m.ini", T.dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("[journal]\nbody_max = 1K\nsecrets = redact\nsecret_fields = pin, otp\n", f);
    fclose(f);
    char *const noenv[] = {NULL};
    config *cfg = config_load(path, noenv, stderr);
    cr_assert_not_null(cfg);
    jr_options o;
    jr_options_from_config(cfg, &o);
    cr_assert_eq(o.body_max, 1024);
    cr_assert_eq(o.secrets, JR_SECRETS_REDACT);
    cr_assert_eq(o.nsecret_fields, 2);
    cr_assert_str_eq(o.secret_fields[1], "otp");

    /* And they apply: the body cut at 1 KiB, the secret field masked though the record is an
     * attacker's. */
    jr_journal *jr = open_jr(&o);
    config_free(cfg);
    char body[3000];
    memset(body, 'a', sizeof body);
    memcpy(body, "pin=1234&x=", 11);
    jr_request_rec r = {.time = 1, .sid = sid_a, .method = "POST", .target = "/",
                        .body = body, .body_len = sizeof body};
    jr_header h[] = {{"Content-Type", "application/x-www-form-urlencoded", 12, 33}};
    r.headers = h;
    r.nheaders = 1;
    cr_assert_eq(jr_request(jr, &r, 0), 0);
    jr_close(jr);
    mitsu_db *db = must_open(T.url);
    mitsu_rows *q = mitsu_db_query(db, "SELECT body FROM requests");
    cr_assert_eq(mitsu_rows_next(q), 1);
    size_t n;
    const char *b = mitsu_rows_blob(q, 0, &n);
    cr_assert_eq(n, 1024 - 4 + 8, "1 KiB kept, then 1234 masked: %zu", n);
    cr_assert_eq(memcmp(b, "pin=[masked]&x=aaa", 18), 0);
    mitsu_rows_free(q);
    mitsu_db_close(db);
}

BACKEND_TEST(a_normal_row_never_overwrites_a_verdict_reached_elsewhere)
{
    jr_journal *jr = open_jr(NULL);
    hp_client c = make_client(sid_a, "192.0.2.1", HP_CLIENT_ATTACKER);
    cr_assert_eq(jr_client(jr, &c, "trap", 1), 0);
    hp_client late = make_client(sid_a, "192.0.2.1", HP_CLIENT_NORMAL);
    late.requests = 43;
    cr_assert_eq(jr_client(jr, &late, NULL, 2), 0, "an instance that has not heard yet");
    hp_client b = make_client(sid_b, "192.0.2.2", HP_CLIENT_ATTACKER);
    cr_assert_eq(jr_client(jr, &b, "trap", 1), 0);
    b.state = HP_CLIENT_RELEASED;
    cr_assert_eq(jr_client(jr, &b, "trap", 2), 0, "a verdict changes it");
    jr_close(jr);
    mitsu_db *db = must_open(T.url);
    mitsu_rows *r = mitsu_db_query(db, "SELECT state, flagged_by, flagged_at, requests"
                                       " FROM clients ORDER BY sid");
    cr_assert_eq(mitsu_rows_next(r), 1);
    cr_assert_str_eq(mitsu_rows_text(r, 0), "attacker");
    cr_assert_str_eq(mitsu_rows_text(r, 1), "trap");
    cr_assert_eq(mitsu_rows_int(r, 2), 1700000004000);
    cr_assert_eq(mitsu_rows_int(r, 3), 43, "the counters are the latest");
    cr_assert_eq(mitsu_rows_next(r), 1);
    cr_assert_str_eq(mitsu_rows_text(r, 0), "released");
    mitsu_rows_free(r);
    mitsu_db_close(db);
}

/* PostgreSQL only: the follower's connections killed, it connects again and misses nothing. */
Test(postgresql, the_follower_survives_lost_connections, .init = setup_pg, .fini = teardown)
{
    if (!pg_base())
        cr_skip_test("MITSU_TEST_PG_URL is not set");
    add_client(sid_a, "192.0.2.1");
    char url[1200], name[64];
    snprintf(name, sizeof name, "mitsu_fw_%ld", (long)getpid());
    snprintf(url, sizeof url, "%s&application_name=%s", T.url, name);
    seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char err[512] = "";
    jr_follower *f = jr_follow_start(url, NULL, on_followed, &s, err, sizeof err);
    cr_assert_not_null(f, "%s", err);
    mitsu_db *db = must_open(T.url);
    json_t *killed = mitsu_db_one(db, "SELECT COUNT(pg_terminate_backend(pid)) AS n"
                                      " FROM pg_stat_activity WHERE application_name = ?",
                                  MITSU_TEXT(name));
    cr_assert_not_null(killed, "%s", mitsu_db_error(db));
    cr_assert_eq(json_integer_value(json_object_get(killed, "n")), 2, "the poll and the LISTEN");
    usleep(100 * 1000);
    cr_assert_eq(jr_flag(db, sid_a, NULL, 1, err, sizeof err), 0, "%s", err);
    cr_assert_eq(wait_seen(&s, 1, 5000), 1, "applied after the reconnection");
    usleep(2500 * 1000); /* LISTEN again after its pause: then at once once more */
    int64_t t0 = mono_now();
    cr_assert_eq(jr_release(db, sid_a, NULL, 0, 2, err, sizeof err), 0, "%s", err);
    cr_assert_eq(wait_seen(&s, 2, 3000), 2);
    cr_assert_str_eq(s.state[1], "released");
    cr_assert_lt(s.at_ms[1] - t0, 1000);
    jr_follow_stop(f);
    mitsu_db_close(db);
}

/* PostgreSQL only: verdict rows are committed in id order, so that a follower reading
 * "id > last" never passes over one committed late with a lower id. */
typedef struct flag_arg {
    const char *url;
    int done, rc;
} flag_arg;

static void *flag_thread(void *p)
{
    flag_arg *a = p;
    mitsu_db *db = mitsu_db_open(a->url, NULL, 0);
    a->rc = db ? jr_flag(db, sid_b, NULL, 2, NULL, 0) : -1;
    mitsu_db_close(db);
    __atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

Test(postgresql, verdict_rows_commit_in_id_order, .init = setup_pg, .fini = teardown)
{
    if (!pg_base())
        cr_skip_test("MITSU_TEST_PG_URL is not set");
    add_client(sid_a, "192.0.2.1");
    add_client(sid_b, "192.0.2.2");
    seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    char err[512] = "";
    jr_follower *f = jr_follow_start(T.url, NULL, on_followed, &s, err, sizeof err);
    cr_assert_not_null(f, "%s", err);
    /* A writer's transaction draws its id, then takes long to commit... */
    mitsu_db *slow = must_open(T.url);
    cr_assert_eq(mitsu_db_begin(slow), 0);
    cr_assert_eq(jr_verdict_lock(slow), 0);
    cr_assert_eq(jr_verdict_insert(slow, 1, MITSU_TEXT(sid_a), MITSU_NULL, "attacker", 1,
                                   MITSU_NULL, "slow"), 0);
    /* ...while the operator flags another client: it waits for the first to commit. */
    flag_arg a = {.url = T.url};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, flag_thread, &a), 0);
    usleep(700 * 1000); /* longer than a poll */
    int waited = !__atomic_load_n(&a.done, __ATOMIC_SEQ_CST);
    /* Committed before any assertion: an open transaction would hang the teardown. */
    cr_assert_eq(mitsu_db_commit(slow), 0);
    pthread_join(t, NULL);
    cr_assert(waited, "the second verdict waits for the first");
    cr_assert_eq(a.rc, 0);
    cr_assert_eq(wait_seen(&s, 2, 3000), 2, "both applied, none passed over");
    cr_assert_str_eq(s.sid[0], sid_a);
    cr_assert_str_eq(s.sid[1], sid_b);
    jr_follow_stop(f);
    mitsu_db_close(slow);
}
