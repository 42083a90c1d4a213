/* The configuration's specification, as Criterion tests: every value type valid and invalid,
 * "file:line: message" texts, environment overrides, [db.NAME] sections, defaults, the server. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/config.c" /* the key table, to check that docs/config.md covers it */

static char *const noenv[] = {NULL};
static char *errtext; /* the messages of the last parse */

static config *parse_env(const char *text, char *const *env)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    config *c = config_parse(text, strlen(text), "t.ini", env, f);
    fclose(f);
    free(errtext);
    errtext = out;
    return c;
}

static config *parse(const char *text)
{
    return parse_env(text, noenv);
}

/* The text must be refused with exactly this message (one line). */
static void rejects(const char *text, const char *message)
{
    config *c = parse(text);
    cr_expect_null(c, "accepted: %s", text);
    config_free(c);
    char want[1024];
    snprintf(want, sizeof want, "%s\n", message);
    cr_expect_str_eq(errtext, want, "for: %s", text);
}

static config *accepts(const char *text)
{
    config *c = parse(text);
    cr_assert_not_null(c, "refused: %s\n%s", text, errtext);
    return c;
}

/* The repository root, from where this file was compiled (make runs from the root). */
static void repo_path(char *out, size_t n, const char *rel)
{
    const char *me = __FILE__;
    const char *tail = strstr(me, "tests/unit/test_config.c");
    snprintf(out, n, "%.*s%s", tail ? (int)(tail - me) : 0, me, rel);
}

static void teardown(void)
{
    free(errtext);
    errtext = NULL;
}

TestSuite(config, .fini = teardown);

/* ---- Defaults ---- */

Test(config, defaults_apply_when_no_file_is_given)
{
    config *c = config_load(NULL, noenv, stderr);
    cr_assert_not_null(c);
    cr_expect_str_eq(config_get_str(c, "server", "listen"), "127.0.0.1:8080");
    cr_expect_eq(config_get_int(c, "server", "workers"), 0);
    cr_expect_eq(config_get_size(c, "server", "max_body"), 1024 * 1024);
    cr_expect_eq(config_get_ms(c, "server", "idle_timeout"), 60000);
    cr_expect_eq(config_get_bool(c, "honeypot", "enabled"), 1);
    cr_expect_eq(config_get_enum(c, "honeypot", "mode"), CONFIG_HP_ENFORCE);
    cr_expect_eq(config_get_enum(c, "honeypot", "action"), CONFIG_HP_DIVERT);
    cr_expect_eq(config_get_int(c, "honeypot", "threshold"), 100);
    cr_expect_str_eq(config_get_str(c, "journal", "db"), "sqlite:var/mitsu.db");
    cr_expect_str_eq(config_get_str(c, "journal", "log"), "stderr");
    cr_expect_str_eq(config_get_str(c, "admin", "listen"), "127.0.0.1:8081");
    cr_expect_str_eq(config_get_str(c, "admin", "token"), "");
    cr_expect_eq(config_get_bool(c, "session", "secure"), 0);
    const char *const *items;
    cr_expect_eq(config_get_list(c, "journal", "secret_fields", &items), 6);
    cr_expect_str_eq(items[0], "password");
    cr_expect_str_eq(items[5], "secret");
    cr_expect_eq(config_get_list(c, "app", "secret_keys", &items), 0);
    cr_expect_eq(config_db_count(c), 0);
    config_free(c);
}

Test(config, empty_file_gives_the_defaults)
{
    config *c = accepts("");
    cr_expect_str_eq(config_get_str(c, "session", "cookie_name"), "session");
    config_free(c);
}

Test(config, server_defaults_equal_the_http_server_defaults)
{
    config *c = accepts("");
    http_server_config want, got;
    http_server_config_defaults(&want);
    http_server_config_defaults(&got);
    got.listen = "elsewhere";
    got.workers = 99;
    config_fill_http_server(c, &got);
    cr_expect_str_eq(got.listen, want.listen);
    cr_expect_eq(got.workers, want.workers);
    cr_expect_eq(got.max_connections, want.max_connections);
    cr_expect_eq(got.header_timeout_ms, want.header_timeout_ms);
    cr_expect_eq(got.body_timeout_ms, want.body_timeout_ms);
    cr_expect_eq(got.idle_timeout_ms, want.idle_timeout_ms);
    cr_expect_eq(got.write_timeout_ms, want.write_timeout_ms);
    cr_expect_eq(got.shutdown_timeout_ms, want.shutdown_timeout_ms);
    cr_expect_eq(memcmp(&got.limits, &want.limits, sizeof got.limits), 0);
    config_free(c);
}

Test(config, every_key_and_section_is_documented)
{
    char path[4096];
    repo_path(path, sizeof path, "docs/config.md");
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    char want[128];
    for (size_t i = 0; i < NSECTIONS; i++) {
        snprintf(want, sizeof want, sections[i].prefixed ? "## [%s.NAME]" : "## [%s]",
                 sections[i].name);
        cr_expect_not_null(strstr(doc, want), "docs/config.md lacks a heading %s", want);
    }
    for (size_t i = 0; i < NKEYS; i++) {
        /* each key has a row "| `key` |" under its section's heading */
        char head[64];
        snprintf(head, sizeof head, strcmp(keys[i].section, "db") ? "## [%s]" : "## [%s.NAME]",
                 keys[i].section);
        const char *sec = strstr(doc, head);
        cr_assert_not_null(sec, "no heading %s", head);
        const char *next = strstr(sec + 3, "\n## ");
        snprintf(want, sizeof want, "| `%s` |", keys[i].name);
        const char *row = strstr(sec, want);
        cr_expect(row && (!next || row < next), "docs/config.md: no row for [%s] %s",
                  keys[i].section, keys[i].name);
        /* and every one of its env variables is spelled out for fixed sections */
        if (strcmp(keys[i].section, "db") != 0) {
            char var[96];
            size_t o = (size_t)snprintf(var, sizeof var, "MITSU_");
            for (const char *p = keys[i].section; *p; p++)
                var[o++] = (char)toupper((unsigned char)*p);
            var[o++] = '_';
            for (const char *p = keys[i].name; *p; p++)
                var[o++] = (char)toupper((unsigned char)*p);
            var[o] = '\0';
            cr_expect_not_null(strstr(doc, var), "docs/config.md does not name %s", var);
        }
    }
}

/* ---- Value types ---- */

Test(config, int_accepts_its_range)
{
    config *c = accepts("[server]\nworkers = 1024\nmax_connections = +7\n");
    cr_expect_eq(config_get_int(c, "server", "workers"), 1024);
    cr_expect_eq(config_get_int(c, "server", "max_connections"), 7);
    config_free(c);
}

Test(config, int_rejects_out_of_range_and_non_numbers)
{
    rejects("[server]\nworkers = 1025\n",
            "t.ini:2: [server] workers: expected an integer from 0 to 1024, got '1025'");
    rejects("[server]\nworkers = -1\n",
            "t.ini:2: [server] workers: expected an integer from 0 to 1024, got '-1'");
    rejects("[server]\nworkers = 4x\n",
            "t.ini:2: [server] workers: expected an integer from 0 to 1024, got '4x'");
    rejects("[server]\nworkers = 0x10\n",
            "t.ini:2: [server] workers: expected an integer from 0 to 1024, got '0x10'");
    rejects("[server]\nworkers =\n",
            "t.ini:2: [server] workers: expected an integer from 0 to 1024, got ''");
    rejects("[server]\nworkers = 99999999999999999999999\n",
            "t.ini:2: [server] workers: expected an integer from 0 to 1024, "
            "got '99999999999999999999999'");
}

Test(config, bool_accepts_the_usual_words)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
    static const char *const no[] = {"false", "no", "off", "0", "FALSE", "Off"};
    char text[128];
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(text, sizeof text, "[session]\nsecure = %s\n[honeypot]\nenabled = %s\n", yes[i],
                 no[i]);
        config *c = accepts(text);
        cr_expect_eq(config_get_bool(c, "session", "secure"), 1, "%s", yes[i]);
        cr_expect_eq(config_get_bool(c, "honeypot", "enabled"), 0, "%s", no[i]);
        config_free(c);
    }
}

Test(config, bool_rejects_other_words)
{
    rejects("[session]\nsecure = maybe\n",
            "t.ini:2: [session] secure: expected true or false (yes/no, on/off, 1/0), got 'maybe'");
    rejects("[session]\nsecure = 2\n",
            "t.ini:2: [session] secure: expected true or false (yes/no, on/off, 1/0), got '2'");
}

Test(config, size_accepts_bytes_and_k_m_g_suffixes)
{
    config *c = accepts("[server]\nmax_request_line = 100\nmax_head = 8k\nmax_body = 2G\n");
    cr_expect_eq(config_get_size(c, "server", "max_request_line"), 100);
    cr_expect_eq(config_get_size(c, "server", "max_head"), 8192);
    cr_expect_eq(config_get_size(c, "server", "max_body"), 2ULL << 30);
    config_free(c);
    c = accepts("[server]\nmax_body = 0\nmax_head = 1m\n");
    cr_expect_eq(config_get_size(c, "server", "max_body"), 0);
    cr_expect_eq(config_get_size(c, "server", "max_head"), 1 << 20);
    config_free(c);
}

Test(config, size_rejects_other_suffixes_fractions_and_out_of_range)
{
    const char *msg = "t.ini:2: [server] max_body: expected a size from 0 to 1024G (bytes, or "
                      "with K, M, G), got '%s'";
    static const char *const bad[] = {"10X", "1KB", "1.5M", "-1", "M", "1 M", "2048G",
                                      "99999999999999999999G", "18014398509481984K"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], want[300];
        snprintf(text, sizeof text, "[server]\nmax_body = %s\n", bad[i]);
        snprintf(want, sizeof want, msg, bad[i]);
        rejects(text, want);
    }
    rejects("[server]\nmax_request_line = 63\n",
            "t.ini:2: [server] max_request_line: expected a size from 64 to 1M (bytes, or with "
            "K, M, G), got '63'");
}

Test(config, duration_accepts_ms_s_m_h)
{
    config *c = accepts("[server]\nheader_timeout = 250ms\nbody_timeout = 45s\n"
                        "idle_timeout = 5m\nwrite_timeout = 1h\nshutdown_timeout = 0\n");
    cr_expect_eq(config_get_ms(c, "server", "header_timeout"), 250);
    cr_expect_eq(config_get_ms(c, "server", "body_timeout"), 45000);
    cr_expect_eq(config_get_ms(c, "server", "idle_timeout"), 300000);
    cr_expect_eq(config_get_ms(c, "server", "write_timeout"), 3600000);
    cr_expect_eq(config_get_ms(c, "server", "shutdown_timeout"), 0);
    config_free(c);
}

Test(config, duration_needs_a_unit_and_its_range)
{
    rejects("[server]\nidle_timeout = 30\n",
            "t.ini:2: [server] idle_timeout: expected a duration from 1ms to 24h (with ms, s, m "
            "or h), got '30'");
    rejects("[server]\nidle_timeout = 1d\n",
            "t.ini:2: [server] idle_timeout: expected a duration from 1ms to 24h (with ms, s, m "
            "or h), got '1d'");
    rejects("[server]\nidle_timeout = 0\n",
            "t.ini:2: [server] idle_timeout: expected a duration from 1ms to 24h (with ms, s, m "
            "or h), got '0'");
    rejects("[server]\nidle_timeout = 25h\n",
            "t.ini:2: [server] idle_timeout: expected a duration from 1ms to 24h (with ms, s, m "
            "or h), got '25h'");
    rejects("[server]\nidle_timeout = 1.5s\n",
            "t.ini:2: [server] idle_timeout: expected a duration from 1ms to 24h (with ms, s, m "
            "or h), got '1.5s'");
    rejects("[server]\nidle_timeout = 9999999999999999999h\n",
            "t.ini:2: [server] idle_timeout: expected a duration from 1ms to 24h (with ms, s, m "
            "or h), got '9999999999999999999h'");
    rejects("[session]\nlifetime = 500ms\n",
            "t.ini:2: [session] lifetime: expected a duration from 1s to 8784h (with ms, s, m "
            "or h), got '500ms'");
}

Test(config, enum_accepts_its_words_only)
{
    config *c = accepts("[honeypot]\nmode = simulate\naction = block\n");
    cr_expect_eq(config_get_enum(c, "honeypot", "mode"), CONFIG_HP_SIMULATE);
    cr_expect_eq(config_get_enum(c, "honeypot", "action"), CONFIG_HP_BLOCK);
    cr_expect_str_eq(config_get_str(c, "honeypot", "action"), "block");
    config_free(c);
    rejects("[honeypot]\nmode = Simulate\n",
            "t.ini:2: [honeypot] mode: expected one of enforce, simulate, got 'Simulate'");
    rejects("[honeypot]\naction = kill\n",
            "t.ini:2: [honeypot] action: expected one of divert, observe, block, tarpit, got "
            "'kill'");
}

Test(config, cidr_list_accepts_v4_v6_and_bare_addresses)
{
    config *c = accepts("[server]\ntrusted_proxies = 10.0.0.0/8, ::1 ,fd00::/8,192.0.2.7\n");
    const char *const *items;
    cr_assert_eq(config_get_list(c, "server", "trusted_proxies", &items), 4);
    cr_expect_str_eq(items[1], "::1");
    cr_expect_str_eq(config_get_str(c, "server", "trusted_proxies"),
                     "10.0.0.0/8,::1,fd00::/8,192.0.2.7");
    config_free(c);
}

Test(config, cidr_list_rejects_host_bits_bad_prefixes_and_words)
{
    rejects("[server]\ntrusted_proxies = 10.0.0.0/8, 10.0.0.1/8\n",
            "t.ini:2: [server] trusted_proxies: item 2 '10.0.0.1/8': host bits are set after "
            "the /8 prefix");
    rejects("[server]\ntrusted_proxies = 10.0.0.0/33\n",
            "t.ini:2: [server] trusted_proxies: item 1 '10.0.0.0/33': the prefix length must be "
            "0 to 32");
    rejects("[server]\ntrusted_proxies = proxy.local\n",
            "t.ini:2: [server] trusted_proxies: item 1 'proxy.local': expected ADDRESS/PREFIX, "
            "e.g. 10.0.0.0/8 or fd00::/8");
    rejects("[server]\ntrusted_proxies = ::/129\n",
            "t.ini:2: [server] trusted_proxies: item 1 '::/129': the prefix length must be 0 to "
            "128");
}


Test(config, listen_list_accepts_the_server_forms)
{
    config *c = accepts("[server]\nlisten = [::1]:8080, *:80, :0, localhost:8443, 0.0.0.0:1\n");
    cr_expect_str_eq(config_get_str(c, "server", "listen"),
                     "[::1]:8080,*:80,:0,localhost:8443,0.0.0.0:1");
    config_free(c);
}

Test(config, listen_list_rejects_bad_addresses)
{
    rejects("[server]\nlisten = ::1:8080\n",
            "t.ini:2: [server] listen: item 1 '::1:8080': an IPv6 address goes in brackets: "
            "[ADDR]:PORT");
    rejects("[server]\nlisten = 127.0.0.1\n",
            "t.ini:2: [server] listen: item 1 '127.0.0.1': expected HOST:PORT, [IPV6]:PORT, "
            ":PORT or *:PORT");
    rejects("[server]\nlisten = :70000\n",
            "t.ini:2: [server] listen: item 1 ':70000': the port must be a number from 0 to 65535");
    rejects("[server]\nlisten = 999.1.1.1:80\n",
            "t.ini:2: [server] listen: item 1 '999.1.1.1:80': not an IPv4 address");
    rejects("[server]\nlisten = [nope]:80\n",
            "t.ini:2: [server] listen: item 1 '[nope]:80': not an IPv6 address between the "
            "brackets");
    rejects("[server]\nlisten = :1,:2,:3,:4,:5,:6,:7,:8,:9\n",
            "t.ini:2: [server] listen: at most 8 items");
    rejects("[server]\nlisten =\n", "t.ini:2: [server] listen: must not be empty");
    rejects("[admin]\nlisten = a b:1\n",
            "t.ini:2: [admin] listen: item 1 'a b:1': not a host name or IPv4 address");
}

Test(config, strings_are_trimmed_and_checked)
{
    config *c = accepts("[app]\ntemplates =   my views   \nstatic =\nstatic_prefix = /s\n"
                        "[session]\ncookie_name = __Host-sid\n");
    cr_expect_str_eq(config_get_str(c, "app", "templates"), "my views");
    cr_expect_str_eq(config_get_str(c, "app", "static"), "");
    config_free(c);
    rejects("[session]\ncookie_name = my sid\n",
            "t.ini:2: [session] cookie_name: a cookie name is letters, digits and "
            "!#$%&'*+-.^_`|~ only, got 'my sid'");
    rejects("[session]\ncookie_name =\n", "t.ini:2: [session] cookie_name: must not be empty");
    rejects("[app]\nstatic_prefix = static\n",
            "t.ini:2: [app] static_prefix: must start with /, got 'static'");
    rejects("[journal]\nlog =\n", "t.ini:2: [journal] log: must not be empty");
}

Test(config, secrets_are_checked_but_never_echoed)
{
    config *c = accepts("[app]\nsecret_keys = 0123456789abcdef0123456789abcdef, "
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345==\n");
    const char *const *items;
    cr_assert_eq(config_get_list(c, "app", "secret_keys", &items), 2);
    cr_expect_str_eq(items[0], "0123456789abcdef0123456789abcdef"); /* the first signs */
    config_free(c);
    rejects("[app]\nsecret_keys = 0123456789abcdef0123456789abcdef, tooshort-secret\n",
            "t.ini:2: [app] secret_keys: item 2 is 15 characters long; each needs at least 32");
    rejects("[admin]\ntoken = hunter2\n",
            "t.ini:2: [admin] token: is 7 characters long; at least 32 needed");
    rejects("[journal]\ndb = mysql://root:hunter2@db/x\n",
            "t.ini:2: [journal] db: expected sqlite:PATH or postgresql://...");
    cr_expect_null(strstr(errtext, "hunter2"));
}

Test(config, database_urls_take_sqlite_or_postgresql)
{
    config *c = accepts("[journal]\ndb = postgres://u@h/d\n");
    config_free(c);
    c = accepts("[journal]\ndb = sqlite::memory:\n");
    config_free(c);
    rejects("[journal]\ndb = sqlite:\n",
            "t.ini:2: [journal] db: expected sqlite:PATH or postgresql://...");
}

/* ---- File structure ---- */

Test(config, unknown_key_is_rejected_with_its_line)
{
    rejects("[server]\nworkers = 2\n\nworkrs = 3\n", "t.ini:4: unknown key 'workrs' in [server]");
}

Test(config, unknown_section_is_rejected_once_with_its_line)
{
    rejects("; x\n[servre]\nworkers = 2\nlisten = :1\n", "t.ini:2: unknown section [servre]");
    rejects("[ server ]\n", "t.ini:1: unknown section [ server ]");
}

Test(config, key_outside_any_section_is_rejected)
{
    rejects("workers = 2\n[server]\n", "t.ini:1: key 'workers' is outside any [section]");
}

Test(config, duplicate_key_is_rejected_with_both_lines)
{
    rejects("[server]\nworkers = 2\n[app]\nstatic = s\n[server]\nworkers = 2\n",
            "t.ini:6: duplicate key 'workers' in [server], first set at line 2");
    rejects("[db.main]\nreal = sqlite:a\ndecoy = sqlite:b\nreal = sqlite:c\n",
            "t.ini:4: duplicate key 'real' in [db.main], first set at line 2");
}

Test(config, syntax_errors_are_reported_each_with_its_line)
{
    rejects("[server]\nworkers\n", "t.ini:2: expected 'key = value' or '[section]'");
    rejects("[server\nworkers = 1\n", "t.ini:1: section header without a closing ']'\n"
                                        "t.ini:2: key 'workers' is outside any [section]");
    config *c = parse("[server]\nnot a key\nworkers = 1\nalso not\n[app\n");
    cr_expect_null(c);
    cr_expect_str_eq(errtext, "t.ini:2: expected 'key = value' or '[section]'\n"
                              "t.ini:4: expected 'key = value' or '[section]'\n"
                              "t.ini:5: section header without a closing ']'\n");
}

Test(config, inline_comments_follow_inih)
{
    /* Debian inih: INI_ALLOW_INLINE_COMMENTS 1, ";" after whitespace; "#" only at line start */
    config *c = accepts("# hash comment\n[app] ; the app\ntemplates = views ; where\n"
                        "static = a;b\nstatic_prefix = /x\n[session]\ncookie_name = a#b\n");
    cr_expect_str_eq(config_get_str(c, "app", "templates"), "views");
    cr_expect_str_eq(config_get_str(c, "app", "static"), "a;b");
    cr_expect_str_eq(config_get_str(c, "session", "cookie_name"), "a#b");
    config_free(c);
}

Test(config, separators_bom_and_crlf_are_accepted)
{
    config *c = accepts("\xEF\xBB\xBF[server]\r\nworkers: 3\r\nmax_connections=9\r\n");
    cr_expect_eq(config_get_int(c, "server", "workers"), 3);
    cr_expect_eq(config_get_int(c, "server", "max_connections"), 9);
    config_free(c);
}

Test(config, long_lines_and_nul_bytes_are_rejected)
{
    char text[600];
    snprintf(text, sizeof text, "[app]\ntemplates = %0300d\n", 7);
    rejects(text, "t.ini:2: line longer than 198 bytes (inih's limit); split a long list over "
                  "indented lines");
    static const char nul[] = "[app]\ntemplates = a\0b\n";
    config *c = config_parse(nul, sizeof nul - 1, "t.ini", noenv, NULL);
    cr_expect_null(c);
}

Test(config, lists_continue_on_indented_lines)
{
    config *c = accepts("[server]\nlisten = :1,\n    :2, :3 ; more\n\n; a comment\n"
                        "\tlocalhost:4\nworkers = 2\n");
    cr_expect_str_eq(config_get_str(c, "server", "listen"), ":1,:2,:3,localhost:4");
    cr_expect_eq(config_get_int(c, "server", "workers"), 2);
    config_free(c);
    c = accepts("[server]\nlisten =\n  :1\n");
    cr_expect_str_eq(config_get_str(c, "server", "listen"), ":1");
    config_free(c);
}

Test(config, indented_lines_after_a_single_value_or_that_look_like_keys_are_rejected)
{
    rejects("[server]\nworkers = 2\n  3\n",
            "t.ini:3: indented line continues the value of 'workers' (only lists take more "
            "lines): do not indent keys or section headers");
    rejects("[server]\n  listen = :1\n  workers = 2\n",
            "t.ini:3: indented line continues the value of 'listen' (only lists take more "
            "lines): do not indent keys or section headers");
    rejects("[server]\nlisten = :1\n  [app]\n",
            "t.ini:3: indented line continues the value of 'listen' (only lists take more "
            "lines): do not indent keys or section headers");
    rejects("[server]\nlisten = :1\n  :99999\n",
            "t.ini:3: [server] listen: item 2 ':99999': the port must be a number from 0 to "
            "65535");
}

Test(config, all_errors_are_reported_in_line_order)
{
    char path[4096];
    repo_path(path, sizeof path, "tests/data/config/errors.ini");
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    config *c = config_load(path, noenv, f);
    fclose(f);
    cr_expect_null(c);
    static char want[1 << 16];
    snprintf(want, sizeof want,
             "%1$s:3: [server] workers: expected an integer from 0 to 1024, got 'many'\n"
             "%1$s:4: [server] listen: item 1 '::1:8080': an IPv6 address goes in brackets: "
             "[ADDR]:PORT\n"
             "%1$s:5: duplicate key 'workers' in [server], first set at line 3\n"
             "%1$s:6: duplicate key 'workers' in [server], first set at line 3\n"
             "%1$s:7: unknown key 'colour' in [server]\n"
             "%1$s:8: unknown section [serverr]\n"
             "%1$s:10: [db.main] has no 'decoy' (the decoy with the same schema, used for "
             "diverted requests)\n"
             "%1$s:12: expected 'key = value' or '[section]'\n"
             "%1$s:13: section header without a closing ']'\n",
             path);
    cr_expect_str_eq(out, want);
    free(out);
}

Test(config, errors_past_one_hundred_are_counted)
{
    static char text[8192];
    size_t o = (size_t)snprintf(text, sizeof text, "[server]\n");
    for (int i = 0; i < 150; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "x%d = 1\n", i);
    config *c = parse(text);
    cr_expect_null(c);
    cr_expect_not_null(strstr(errtext, "t.ini: ... and 50 more errors\n"));
}

/* ---- Files ---- */

Test(config, full_fixture_sets_every_key)
{
    char path[4096];
    repo_path(path, sizeof path, "tests/data/config/full.ini");
    config *c = config_load(path, noenv, stderr);
    cr_assert_not_null(c);
    cr_expect_str_eq(config_get_str(c, "server", "listen"), "127.0.0.1:9000,[::1]:9000");
    cr_expect_eq(config_get_ms(c, "server", "idle_timeout"), 120000);
    const char *const *items;
    cr_expect_eq(config_get_list(c, "server", "trusted_proxies", &items), 3);
    cr_expect_str_eq(items[2], "fd00::/8");
    cr_expect_eq(config_get_list(c, "app", "secret_keys", &items), 2);
    cr_expect_eq(config_get_bool(c, "honeypot", "enabled"), 0);
    cr_expect_eq(config_get_enum(c, "honeypot", "action"), CONFIG_HP_TARPIT);
    cr_expect_str_eq(config_get_str(c, "journal", "log"), "var/events.log");
    cr_expect_eq(config_db_count(c), 2);
    /* every key differs from its default */
    config *d = config_load(NULL, noenv, stderr);
    for (size_t i = 0; i < NKEYS; i++) {
        if (strcmp(keys[i].section, "db") == 0)
            continue;
        cr_expect_str_neq(config_get_str(c, keys[i].section, keys[i].name),
                          config_get_str(d, keys[i].section, keys[i].name),
                          "full.ini leaves [%s] %s at its default", keys[i].section,
                          keys[i].name);
    }
    config_free(d);
    config_free(c);
}

Test(config, a_path_that_cannot_be_read_is_an_error)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    cr_expect_null(config_load("/nonexistent/mitsu.ini", noenv, f));
    cr_expect_null(config_load("/", noenv, f));
    fclose(f);
    cr_expect_str_eq(out, "/nonexistent/mitsu.ini: cannot read: No such file or directory\n"
                          "/: cannot read: Is a directory\n");
    free(out);
}

Test(config, check_returns_0_for_valid_and_2_for_invalid)
{
    char ok[4096], bad[4096];
    repo_path(ok, sizeof ok, "tests/data/config/minimal.ini");
    repo_path(bad, sizeof bad, "tests/data/config/errors.ini");
    FILE *devnull = fopen("/dev/null", "w");
    cr_expect_eq(config_check(ok, devnull), 0);
    cr_expect_eq(config_check(bad, devnull), 2);
    cr_expect_eq(config_check("/nonexistent.ini", devnull), 2);
    fclose(devnull);
}

/* ---- Environment ---- */

Test(config, env_overrides_file_and_default)
{
    char *env[] = {"MITSU_SERVER_WORKERS=8", "MITSU_JOURNAL_DB= sqlite:/tmp/j.db ",
                   "MITSU_SERVER_LISTEN=[::]:80,:81", "PATH=/bin", NULL};
    config *c = parse_env("[server]\nworkers = 2\n", env);
    cr_assert_not_null(c, "%s", errtext);
    cr_expect_eq(config_get_int(c, "server", "workers"), 8);
    cr_expect_str_eq(config_get_str(c, "journal", "db"), "sqlite:/tmp/j.db");
    cr_expect_str_eq(config_get_str(c, "server", "listen"), "[::]:80,:81");
    config_free(c);
}

Test(config, env_with_a_bad_value_is_an_error_naming_the_variable)
{
    char *env[] = {"MITSU_SERVER_WORKERS=lots", NULL};
    cr_expect_null(parse_env("", env));
    cr_expect_str_eq(errtext, "env MITSU_SERVER_WORKERS: [server] workers: expected an integer "
                              "from 0 to 1024, got 'lots'\n");
    char *env2[] = {"MITSU_ADMIN_TOKEN=short", NULL};
    cr_expect_null(parse_env("", env2));
    cr_expect_str_eq(errtext,
                     "env MITSU_ADMIN_TOKEN: [admin] token: is 5 characters long; at least 32 "
                     "needed\n");
}

Test(config, env_errors_follow_file_errors)
{
    char *env[] = {"MITSU_SERVER_WORKERS=-5", NULL};
    cr_expect_null(parse_env("[app]\nnope = 1\n", env));
    cr_expect_str_eq(errtext, "t.ini:2: unknown key 'nope' in [app]\n"
                              "env MITSU_SERVER_WORKERS: [server] workers: expected an integer "
                              "from 0 to 1024, got '-5'\n");
}

Test(config, env_unknown_key_of_a_known_section_is_an_error_others_are_ignored)
{
    char *env[] = {"MITSU_SERVER_WORKRS=2", NULL};
    cr_expect_null(parse_env("", env));
    cr_expect_str_eq(errtext, "env MITSU_SERVER_WORKRS: unknown key 'workrs' in [server]\n");
    char *env2[] = {"MITSU_CONFIG=/etc/mitsu.ini", "MITSU=1", "MITSU_SERVER=1", "MITSUX_A=1",
                    "MITSU_server_workers=x", NULL};
    config *c = parse_env("", env2);
    cr_expect_not_null(c, "%s", errtext);
    config_free(c);
}

Test(config, env_empty_value_counts_as_unset)
{
    char *env[] = {"MITSU_SERVER_WORKERS=", "MITSU_SESSION_COOKIE_NAME=  ", NULL};
    config *c = parse_env("[server]\nworkers = 3\n", env);
    cr_assert_not_null(c, "%s", errtext);
    cr_expect_eq(config_get_int(c, "server", "workers"), 3);
    cr_expect_str_eq(config_get_str(c, "session", "cookie_name"), "session");
    config_free(c);
}

Test(config, env_first_of_a_repeated_variable_wins)
{
    char *env[] = {"MITSU_SERVER_WORKERS=5", "MITSU_SERVER_WORKERS=6", NULL};
    config *c = parse_env("", env);
    cr_assert_not_null(c, "%s", errtext);
    cr_expect_eq(config_get_int(c, "server", "workers"), 5);
    config_free(c);
}

Test(config, env_names_db_sections_by_upper_case_name)
{
    char *env[] = {"MITSU_DB_MAIN_REAL=sqlite:env.db", "MITSU_DB_MY_APP_REAL=sqlite:r.db",
                   "MITSU_DB_MY_APP_DECOY=sqlite:d.db", "MITSU_DB_MY_APP_DECOY_MODE=per_attacker",
                   NULL};
    config *c = parse_env("[db.main]\nreal = sqlite:file.db\ndecoy = sqlite:decoy.db\n", env);
    cr_assert_not_null(c, "%s", errtext);
    cr_assert_eq(config_db_count(c), 2);
    cr_expect_str_eq(config_db_at(c, 0)->name, "main");
    cr_expect_str_eq(config_db_at(c, 0)->real, "sqlite:env.db");
    const config_db *d = config_db_find(c, "my_app");
    cr_assert_not_null(d);
    cr_expect_str_eq(d->real, "sqlite:r.db");
    cr_expect_str_eq(d->decoy, "sqlite:d.db");
    cr_expect_eq(d->decoy_mode, CONFIG_DECOY_PER_ATTACKER);
    config_free(c);
}

Test(config, env_db_variable_errors)
{
    char *env[] = {"MITSU_DB_MAIN_COLOUR=x", NULL};
    cr_expect_null(parse_env("", env));
    cr_expect_str_eq(errtext, "env MITSU_DB_MAIN_COLOUR: expected MITSU_DB_NAME_KEY with KEY one "
                              "of the [db.NAME] keys\n");
    char *env2[] = {"MITSU_DB_REAL=sqlite:x", NULL};
    cr_expect_null(parse_env("", env2));
    char *env3[] = {"MITSU_DB_CACHE_REAL=sqlite:x", NULL};
    cr_expect_null(parse_env("", env3));
    cr_expect_str_eq(errtext, "env MITSU_DB_CACHE_REAL: [db.cache] has no 'decoy' (the decoy "
                              "with the same schema, used for diverted requests)\n");
    char *env4[] = {"MITSU_DB_9X_REAL=sqlite:x", NULL};
    cr_expect_null(parse_env("", env4));
    cr_expect_not_null(strstr(errtext, "env MITSU_DB_9X_REAL: bad section name [db.9x]"));
}

/* ---- Databases ---- */

Test(config, db_sections_are_enumerable_in_file_order)
{
    char path[4096];
    repo_path(path, sizeof path, "tests/data/config/full.ini");
    config *c = config_load(path, noenv, stderr);
    cr_assert_not_null(c);
    cr_assert_eq(config_db_count(c), 2);
    const config_db *m = config_db_at(c, 0), *a = config_db_at(c, 1);
    cr_expect_str_eq(m->name, "main");
    cr_expect_str_eq(m->real, "sqlite:data/app.db");
    cr_expect_str_eq(m->decoy, "sqlite:data/decoy.db");
    cr_expect_eq(m->decoy_mode, CONFIG_DECOY_PER_ATTACKER);
    cr_expect_str_eq(a->name, "audit_log");
    cr_expect_eq(a->decoy_mode, CONFIG_DECOY_SHARED);
    cr_expect_null(config_db_at(c, 2));
    cr_expect_eq(config_db_find(c, "audit_log"), a);
    cr_expect_null(config_db_find(c, "nope"));
    cr_expect_str_eq(config_get_str(c, "db.main", "real"), "sqlite:data/app.db");
    cr_expect_eq(config_get_enum(c, "db.audit_log", "decoy_mode"), CONFIG_DECOY_SHARED);
    cr_expect_null(config_get_str(c, "db.nope", "real"));
    cr_expect_eq(config_get_enum(c, "db.nope", "decoy_mode"), 0);
    config_free(c);
}

Test(config, db_section_needs_real_and_decoy)
{
    rejects("[db.main]\nreal = sqlite:a.db\n",
            "t.ini:1: [db.main] has no 'decoy' (the decoy with the same schema, used for "
            "diverted requests)");
    rejects("\n[db.main]\n",
            "t.ini:2: [db.main] has no 'real' (the application's database: sqlite:PATH or "
            "postgresql://...)\n"
            "t.ini:2: [db.main] has no 'decoy' (the decoy with the same schema, used for "
            "diverted requests)");
}

Test(config, db_section_names_are_checked)
{
    rejects("[db]\n", "t.ini:1: section [db] needs a name: [db.NAME]");
    rejects("[db.Main]\n", "t.ini:1: bad section name [db.Main]: NAME in [db.NAME] is a "
                           "lowercase letter, then lowercase letters, digits or _ (at most 32)");
    rejects("[db.]\n", "t.ini:1: bad section name [db.]: NAME in [db.NAME] is a lowercase "
                       "letter, then lowercase letters, digits or _ (at most 32)");
    rejects("[app.x]\n", "t.ini:1: unknown section [app.x]");
}

Test(config, decoy_must_differ_from_real)
{
    rejects("[db.main]\nreal = sqlite:a.db\ndecoy = sqlite:a.db\n",
            "t.ini:3: [db.main] decoy is the same database as real: attackers would reach the "
            "real data");
}

Test(config, per_attacker_decoys_need_sqlite)
{
    rejects("[db.main]\nreal = sqlite:a.db\ndecoy = postgresql://h/d\n"
            "decoy_mode = per_attacker\n",
            "t.ini:4: [db.main] decoy_mode = per_attacker needs an sqlite: decoy");
    rejects("[db.main]\nreal = sqlite:a.db\ndecoy_mode = shared, per_attacker\ndecoy = sqlite:b\n",
            "t.ini:3: [db.main] decoy_mode: expected one of shared, per_attacker, got 'shared, "
            "per_attacker'");
}

/* ---- Cross-key checks and the server ---- */

Test(config, request_line_limit_must_fit_in_the_head_limit)
{
    rejects("[server]\nmax_request_line = 64K\n",
            "t.ini:2: [server] max_request_line (64K) is larger than max_head (32K)");
    rejects("[server]\nmax_head = 1K\n",
            "t.ini:2: [server] max_request_line (8K) is larger than max_head (1K)");
}

Test(config, fill_http_server_config_from_server_section)
{
    config *c = accepts("[server]\nlisten = [::1]:0, 127.0.0.1:0\nworkers = 3\n"
                        "max_connections = 77\nheader_timeout = 1s\nbody_timeout = 2s\n"
                        "idle_timeout = 3s\nwrite_timeout = 4s\nshutdown_timeout = 5s\n"
                        "max_request_line = 1K\nmax_head = 2K\nmax_headers = 7\nmax_body = 5M\n");
    http_server_config sc;
    http_server_config_defaults(&sc);
    sc.raw_limit = 123;
    config_fill_http_server(c, &sc);
    cr_expect_str_eq(sc.listen, "[::1]:0,127.0.0.1:0");
    cr_expect_eq(sc.workers, 3);
    cr_expect_eq(sc.max_connections, 77);
    cr_expect_eq(sc.header_timeout_ms, 1000);
    cr_expect_eq(sc.body_timeout_ms, 2000);
    cr_expect_eq(sc.idle_timeout_ms, 3000);
    cr_expect_eq(sc.write_timeout_ms, 4000);
    cr_expect_eq(sc.shutdown_timeout_ms, 5000);
    cr_expect_eq(sc.limits.max_request_line, 1024);
    cr_expect_eq(sc.limits.max_head, 2048);
    cr_expect_eq(sc.limits.max_headers, 7);
    cr_expect_eq(sc.limits.max_body, 5 << 20);
    cr_expect_eq(sc.limits.max_chunk_line, http_default_limits.max_chunk_line);
    cr_expect_eq(sc.raw_limit, 123);
    cr_expect_null(sc.on_request);
    config_free(c);
}

static int answer_nothing(http_exchange *ex, void *ctx)
{
    (void)ex;
    (void)ctx;
    return -1;
}

Test(config, filled_server_config_starts_a_server)
{
    config *c = accepts("[server]\nlisten = 127.0.0.1:0\nworkers = 1\n");
    http_server_config sc;
    http_server_config_defaults(&sc);
    sc.quiet = 1;
    sc.on_request = answer_nothing;
    config_fill_http_server(c, &sc);
    char err[256] = "";
    http_server *s = http_server_new(&sc, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    cr_expect_gt(http_server_port(s), 0);
    http_server_free(s);
    config_free(c);
}

/* ---- Getters ---- */

Test(config, getter_of_the_wrong_type_aborts, .signal = SIGABRT)
{
    config *c = accepts("");
    config_get_int(c, "server", "max_body");
}

Test(config, getter_of_an_unknown_key_aborts, .signal = SIGABRT)
{
    config *c = accepts("");
    config_get_str(c, "server", "nope");
}

Test(config, str_getter_gives_any_key_as_text)
{
    config *c = accepts("[server]\nmax_body = 2M\nidle_timeout = 90s\n");
    cr_expect_str_eq(config_get_str(c, "server", "max_body"), "2M");
    cr_expect_str_eq(config_get_str(c, "server", "idle_timeout"), "90s");
    cr_expect_str_eq(config_get_str(c, "server", "workers"), "0");
    config_free(c);
}
