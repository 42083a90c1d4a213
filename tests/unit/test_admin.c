/* The admin layer: HTML escaping of hostile text, SVG charts that a strict CSP accepts, the
 * token comparison, the Prometheus text, and the JSON API read from a management database on
 * SQLite and PostgreSQL (skipped, and said so, unless MITSU_TEST_PG_URL is set). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/internal.h"
#include "backends.h"
#include "journal/journal.h"
#include "mitsu.h"

static const char token[] = "unit-test-admin-token-0123456789abcdef";

static char *text_of(hbuf *h)
{
    cr_assert_not(h->oom);
    cr_assert_eq(buf_append(&h->b, "", 1), 0);
    return h->b.data;
}

/* ---- HTML ----------------------------------------------------------------------------------- */

Test(html, text_escapes_every_markup_character)
{
    hbuf h = {0};
    h_text(&h, "<script>alert(\"x\" + 'y')</script>&amp;");
    cr_assert_str_eq(text_of(&h), "&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt;"
                                  "&amp;amp;");
    buf_free(&h.b);
}

Test(html, a_nul_byte_becomes_a_replacement_character)
{
    hbuf h = {0};
    h_textn(&h, "a\0b", 3);
    cr_assert_str_eq(text_of(&h), "a\xef\xbf\xbd" "b");
    buf_free(&h.b);
}

Test(html, url_segments_are_percent_encoded)
{
    hbuf h = {0};
    h_url_segment(&h, "1.2.3.4/\"><x y='z'>?#%");
    cr_assert_str_eq(text_of(&h), "1.2.3.4%2F%22%3E%3Cx%20y%3D%27z%27%3E%3F%23%25");
    buf_free(&h.b);
}

Test(html, times_are_rfc3339_utc_with_milliseconds)
{
    char t[32];
    adm_time_text(1700000000123, t, sizeof t);
    cr_assert_str_eq(t, "2023-11-14T22:13:20.123Z");
    adm_time_text(0, t, sizeof t);
    cr_assert_str_eq(t, "");
}

/* ---- SVG ------------------------------------------------------------------------------------ */

Test(svg, charts_escape_labels_and_use_no_inline_style)
{
    hbuf h = {0};
    int64_t v[3] = {1, 5, 0};
    svg_series(&h, "<b>requests</b>", v, 3, 1700000000000, 3600000);
    const char *labels[] = {"/a\"><script>x</script>", NULL, "plain"};
    svg_hbars(&h, "paths", labels, v, 3);
    const char *s = text_of(&h);
    cr_assert_null(strstr(s, "<script"), "%s", s);
    cr_assert_null(strstr(s, "<b>"), "%s", s);
    cr_assert_null(strstr(s, "style="), "a strict CSP refuses inline styles: %s", s);
    cr_assert_not_null(strstr(s, "&lt;script&gt;"), "%s", s);
    cr_assert_not_null(strstr(s, "2023-11-14T22:13:20.000Z"), "%s", s);
    buf_free(&h.b);
}

Test(svg, long_labels_are_cut_between_characters)
{
    hbuf h = {0};
    char label[64];
    memset(label, 'a', 35);
    strcpy(label + 35, "\xc3\xa9\xc3\xa9\xc3\xa9"); /* "ééé" straddles the 36-byte cut */
    const char *labels[] = {label};
    int64_t v[1] = {1};
    svg_hbars(&h, "t", labels, v, 1);
    const char *s = text_of(&h);
    cr_assert_not_null(strstr(s, "aaa<"), "the cut é must go whole: %s", s);
    buf_free(&h.b);
}

/* ---- Token ---------------------------------------------------------------------------------- */

Test(auth, only_the_exact_token_matches)
{
    admin_server a = {0};
    cr_assert_eq(auth_init(&a, token), 0);
    cr_assert(auth_token_matches(&a, token, strlen(token)));
    cr_assert_not(auth_token_matches(&a, token, strlen(token) - 1));
    cr_assert_not(auth_token_matches(&a, "x", 1));
    cr_assert_not(auth_token_matches(&a, "", 0));
    char longer[128];
    snprintf(longer, sizeof longer, "%sx", token);
    cr_assert_not(auth_token_matches(&a, longer, strlen(longer)));
    sign_ring_free(a.cookie_keys);
}

Test(auth, a_short_token_is_refused)
{
    admin_options o = {.listen = "127.0.0.1:0", .token = "short", .quiet = 1};
    char err[256] = "";
    cr_assert_null(admin_new(&o, err, sizeof err));
    cr_assert_not_null(strstr(err, "32"), "%s", err);
}

/* ---- Prometheus text ------------------------------------------------------------------------ */

Test(prom, every_line_is_exposition_format_with_help_and_type_first)
{
    admin_server a = {0};
    hbuf h = {0};
    prom_write(&h, &a);
    char *s = text_of(&h);
    cr_assert(strlen(s) > 0 && s[strlen(s) - 1] == '\n');
    char typed[32][96];
    int ntyped = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        char name[96], kind[16];
        if (strncmp(line, "# HELP ", 7) == 0)
            continue;
        if (sscanf(line, "# TYPE %95s %15s", name, kind) == 2) {
            cr_assert(strcmp(kind, "counter") == 0 || strcmp(kind, "gauge") == 0, "%s", line);
            cr_assert_lt(ntyped, 32);
            strcpy(typed[ntyped++], name);
            continue;
        }
        size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
        cr_assert_gt(n, 0, "%s", line);
        cr_assert(line[n] == ' ' || line[n] == '{', "%s", line);
        int known = 0;
        for (int i = 0; i < ntyped; i++)
            known |= strlen(typed[i]) == n && strncmp(typed[i], line, n) == 0;
        cr_assert(known, "a sample before its TYPE: %s", line);
        const char *value = strrchr(line, ' ') + 1;
        cr_assert_eq(strspn(value, "0123456789"), strlen(value), "%s", line);
    }
    cr_assert_geq(ntyped, 3);
    buf_free(&h.b);
}

/* ---- The API on a management database ------------------------------------------------------- */

static struct {
    int pg;
    char dir[256];
    char url[1024];
    char schema[64];
    admin_server *admin;
} T;

static void setup_sqlite(void)
{
    snprintf(T.dir, sizeof T.dir, "/tmp/mitsu-test-admin-XXXXXX");
    cr_assert_not_null(mkdtemp(T.dir));
    snprintf(T.url, sizeof T.url, "sqlite:%s/mitsu.db", T.dir);
}

static void setup_pg(void)
{
    T.pg = 1;
    snprintf(T.schema, sizeof T.schema, "adm%ld", (long)getpid());
    if (pg_base())
        pg_schema_create(T.schema, T.url, sizeof T.url);
}

static void teardown(void)
{
    admin_free(T.admin);
    if (T.pg && pg_base())
        pg_schema_drop(T.schema);
    remove_tree(T.dir);
    memset(&T, 0, sizeof T);
}

BACKENDS_REPORT("test_admin")

static const char sid[] = "0123456789abcdef0123456789abcdef";

/* The journal's schema, and one attacker with an event and two requests, written as the
 * journal would; then the admin server on it. */
static void seed_and_start(int64_t now)
{
    char err[512] = "";
    jr_journal *jr = jr_open(T.url, NULL, err, sizeof err);
    cr_assert_not_null(jr, "%s", err);
    jr_close(jr);
    mitsu_db *db = mitsu_db_open(T.url, err, sizeof err);
    cr_assert_not_null(db, "%s", err);
    cr_assert_eq(mitsu_db_exec(db, "INSERT INTO clients (sid, ip, state, score, requests,"
                                   " first_seen, last_seen, flagged_at, flagged_by)"
                                   " VALUES (?, '192.0.2.66', 'attacker', 120, 2, ?, ?, ?, 'trap')",
                               MITSU_TEXT(sid), MITSU_INT(now - 5000), MITSU_INT(now - 1000),
                               MITSU_INT(now - 4000)), 1, "%s", mitsu_db_error(db));
    cr_assert_eq(mitsu_db_exec(db, "INSERT INTO clients (sid, ip, state, first_seen, last_seen)"
                                   " VALUES ('ffffffffffffffffffffffffffffffff', '192.0.2.1',"
                                   " 'normal', ?, ?)", MITSU_INT(now), MITSU_INT(now)), 1);
    cr_assert_eq(mitsu_db_exec(db, "INSERT INTO events (time, event, sid, ip, detector, kind,"
                                   " score, evidence, action) VALUES (?, 'flag', ?, '192.0.2.66',"
                                   " 'trap', 'attack', 100, '/.env <b>', 'divert')",
                               MITSU_INT(now - 4000), MITSU_TEXT(sid)), 1);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(mitsu_db_exec(db, "INSERT INTO requests (time, sid, ip, method, target,"
                                       " status, served) VALUES (?, ?, '192.0.2.66', 'GET', ?,"
                                       " 404, 'decoy')",
                                   MITSU_INT(now - 3000 + i), MITSU_TEXT(sid),
                                   MITSU_TEXT(i ? "/.env?x=1" : "/.env")), 1);
    mitsu_db_close(db);
    admin_options o = {.listen = "127.0.0.1:0", .token = token, .db_url = T.url, .quiet = 1};
    T.admin = admin_new(&o, err, sizeof err);
    cr_assert_not_null(T.admin, "%s", err);
    cr_assert_eq(admin_start(T.admin), 0);
}

/* GET path with the token: the status; the first bytes of the response in a static buffer
 * (*res), and how many bytes it had in all (*total). */
static int get_raw(const char *path, const char **res_out, size_t *total)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)admin_port(T.admin))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                                      "Authorization: Bearer %s\r\n\r\n", path, token);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    static char res[65536];
    char rest[4096];
    size_t got = 0, all = 0;
    ssize_t r;
    while (got < sizeof res - 1 && (r = read(fd, res + got, sizeof res - 1 - got)) > 0)
        got += (size_t)r;
    res[got] = '\0';
    for (all = got; (r = read(fd, rest, sizeof rest)) > 0;)
        all += (size_t)r;
    close(fd);
    int status = 0;
    sscanf(res, "HTTP/1.1 %d", &status);
    *res_out = res;
    *total = all;
    return status;
}

/* GET path with the token: the status, and the body as JSON into *out (NULL if none). */
static int get_json(const char *path, json_t **out)
{
    const char *res;
    size_t total;
    int status = get_raw(path, &res, &total);
    const char *body = strstr(res, "\r\n\r\n");
    *out = body ? json_loads(body + 4, 0, NULL) : NULL;
    return status;
}

BACKEND_TEST(the_api_reads_attackers_clients_detectors_and_top_paths)
{
    int64_t now = (int64_t)time(NULL) * 1000;
    seed_and_start(now);
    json_t *v;
    cr_assert_eq(get_json("/api/attackers", &v), 200);
    cr_assert_eq(json_array_size(v), 1, "only the attacker, not the normal client");
    json_t *a = json_array_get(v, 0);
    cr_assert_str_eq(json_string_value(json_object_get(a, "session_id")), sid);
    cr_assert_str_eq(json_string_value(json_object_get(a, "ip")), "192.0.2.66");
    cr_assert_str_eq(json_string_value(json_object_get(a, "flagged_by")), "trap");
    cr_assert_eq(json_integer_value(json_object_get(a, "requests")), 2);
    cr_assert_eq(json_real_value(json_object_get(a, "score")), 120.0);
    json_decref(v);

    cr_assert_eq(get_json("/api/client/192.0.2.66", &v), 200);
    cr_assert_eq(json_array_size(json_object_get(v, "requests")), 2);
    json_t *e = json_array_get(json_object_get(v, "events"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(e, "evidence")), "/.env <b>");
    json_decref(v);
    cr_assert_eq(get_json("/api/client/" "00000000000000000000000000000000", &v), 404);
    json_decref(v);
    cr_assert_eq(get_json("/api/client/0123456789", &v), 200, "a unique prefix");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(v, "client"), "ip")),
                     "192.0.2.66");
    json_decref(v);
    cr_assert_eq(get_json("/api/client/01234", &v), 404, "too short to be a prefix");
    json_decref(v);

    cr_assert_eq(get_json("/api/overview?range=3600&buckets=12", &v), 200);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(v, "totals"), "clients")), 2);
    json_t *req = json_object_get(v, "requests");
    cr_assert_eq(json_array_size(req), 12);
    cr_assert_eq(json_integer_value(json_array_get(req, 11)), 2, "both in the last bucket");
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(v, "attackers"), 11)), 1);
    json_decref(v);

    cr_assert_eq(get_json("/api/detectors", &v), 200);
    size_t i;
    json_t *d;
    int seen = 0;
    json_array_foreach(v, i, d)
        if (strcmp(json_string_value(json_object_get(d, "detector")), "trap") == 0) {
            seen = 1;
            cr_assert_eq(json_integer_value(json_object_get(d, "events")), 1);
            cr_assert_str_eq(json_string_value(json_object_get(d, "last_ip")), "192.0.2.66");
        }
    cr_assert(seen);
    json_decref(v);

    cr_assert_eq(get_json("/api/top", &v), 200);
    json_t *p = json_array_get(json_object_get(v, "paths"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(p, "path")), "/.env");
    cr_assert_eq(json_integer_value(json_object_get(p, "count")), 2, "the query is not the path");
    json_t *q = json_array_get(json_object_get(v, "queries"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(q, "query")), "x=1");
    json_decref(v);
}

/* An attacker's target of 100,000 quote characters (each 6 bytes escaped): the page shows its
 * start and an ellipsis, the API the whole value. A page stays small whatever was sent. */
BACKEND_TEST(pages_cut_long_attacker_text)
{
    int64_t now = (int64_t)time(NULL) * 1000;
    seed_and_start(now);
    char *target = malloc(100001);
    cr_assert_not_null(target);
    memset(target, '"', 100000);
    target[0] = '/';
    target[100000] = '\0';
    char err[512];
    mitsu_db *db = mitsu_db_open(T.url, err, sizeof err);
    cr_assert_not_null(db, "%s", err);
    cr_assert_eq(mitsu_db_exec(db, "INSERT INTO requests (time, sid, ip, method, target, status,"
                                   " served) VALUES (?, ?, '192.0.2.66', 'GET', ?, 404, 'decoy')",
                               MITSU_INT(now - 100), MITSU_TEXT(sid), MITSU_TEXT(target)), 1,
                 "%s", mitsu_db_error(db));
    mitsu_db_close(db);
    free(target);
    const char *res;
    size_t total;
    cr_assert_eq(get_raw("/clients/0123456789abcdef0123456789abcdef", &res, &total), 200);
    cr_assert_lt(total, 20000, "a page of %zu bytes", total);
    cr_assert(strstr(res, "&quot;&quot;\xe2\x80\xa6</code>"), "cut with an ellipsis");
    cr_assert_eq(get_raw("/top", &res, &total), 200);
    cr_assert_lt(total, 40000, "a page of %zu bytes", total);
    cr_assert_eq(get_raw("/api/client/0123456789abcdef0123456789abcdef", &res, &total), 200);
    cr_assert_gt(total, 100000, "the API has the value whole");
}

BACKEND_TEST(the_connection_is_read_only)
{
    seed_and_start((int64_t)time(NULL) * 1000);
    arena ar;
    arena_init(&ar, 1024);
    mitsu_db *db = db_handle(T.admin->db, &ar);
    cr_assert_lt(mitsu_db_exec(db, "DELETE FROM clients"), 0, "the admin could write");
    arena_free(&ar);
    json_t *v;
    cr_assert_eq(get_json("/api/attackers", &v), 200);
    cr_assert_eq(json_array_size(v), 1);
    json_decref(v);
}
