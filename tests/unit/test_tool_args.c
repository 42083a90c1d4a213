/* Specification of the mitsu command's shared pieces: TIME and N arguments, option parsing
 * (tools/args.c), CSV quoting (tools/json_out.c) and terminal-safe table cells (tools/table.c). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/args.c"
#include "../../tools/json_out.c"
#include "../../tools/table.c"

static const int64_t NOW = 1795654800000; /* 2026-11-26T01:00:00Z */

static int64_t when(const char *s)
{
    int64_t t = 0;
    cr_assert_eq(tool_parse_time(s, NOW, &t), 0, "'%s' is a TIME", s);
    return t;
}

Test(time, rfc3339_in_utc_and_with_offsets)
{
    cr_assert_eq(when("2026-11-26T03:00:00Z"), 1795662000000);
    cr_assert_eq(when("2026-11-26t03:00:00z"), 1795662000000, "lower-case t and z");
    cr_assert_eq(when("2026-11-26 03:00:00Z"), 1795662000000, "a space for the T");
    cr_assert_eq(when("2026-11-26T04:00:00+01:00"), 1795662000000);
    cr_assert_eq(when("2026-11-26T01:30:00-01:30"), 1795662000000);
    cr_assert_eq(when("2026-11-26T03:00:00.25Z"), 1795662000250, "fractions to the ms");
    cr_assert_eq(when("2026-11-26T03:00:00.123456Z"), 1795662000123);
    cr_assert_eq(when("1970-01-01T00:00:00Z"), 0);
    cr_assert_eq(when("2024-02-29T00:00:00Z"), 1709164800000, "a leap day");
}

Test(time, relative_spans_back_from_now)
{
    cr_assert_eq(when("10m"), NOW - 600000);
    cr_assert_eq(when("2h"), NOW - 7200000);
    cr_assert_eq(when("3d"), NOW - 3 * 86400000LL);
    cr_assert_eq(when("90s"), NOW - 90000);
    cr_assert_eq(when("1w"), NOW - 604800000);
    cr_assert_eq(when("0m"), NOW);
}

Test(time, everything_else_is_refused)
{
    static const char *const bad[] = {
        "", "yesterday", "10", "m", "10x", "10mm", "-5m", "1.5h", " 10m",
        "2026-11-26", "2026-11-26T03:00Z", "2026-11-26T03:00:00", "2026-11-26T03:00:00+0100",
        "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-26T24:00:00Z",
        "2026-11-26T03:60:00Z", "2026-11-26T03:00:00.Z", "2026-11-26T03:00:00Zjunk",
        "2026-1-26T03:00:00Z", "99999999999999999999m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        cr_assert_eq(tool_parse_time(bad[i], NOW, &t), -1, "'%s' is not a TIME", bad[i]);
        cr_assert_eq(t, 42, "nothing written for '%s'", bad[i]);
    }
}

Test(time, formatted_as_rfc3339_utc)
{
    char buf[40];
    cr_assert_str_eq(tool_format_time(1795662000000, 0, buf, sizeof buf), "2026-11-26T03:00:00Z");
    cr_assert_str_eq(tool_format_time(1795662000123, 1, buf, sizeof buf),
                     "2026-11-26T03:00:00.123Z");
    cr_assert_str_eq(tool_format_time(1795662000999, 0, buf, sizeof buf), "2026-11-26T03:00:00Z",
                     "seconds are cut, not rounded");
    int64_t back = 0;
    cr_assert_eq(tool_parse_time(tool_format_time(1795662000042, 1, buf, sizeof buf), 0, &back), 0);
    cr_assert_eq(back, 1795662000042, "what is printed reads back");
}

Test(limit, a_whole_number_from_one)
{
    int64_t n = 0;
    cr_assert_eq(tool_parse_limit("1", &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(tool_parse_limit("250", &n), 0);
    cr_assert_eq(n, 250);
    static const char *const bad[] = {"0", "-1", "", "ten", "5x", "1e3", "99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(tool_parse_limit(bad[i], &n), -1, "'%s'", bad[i]);
}

Test(options, values_flags_positionals_and_the_common_ones)
{
    const char *since = NULL, *pos = NULL;
    int json = 0;
    tool_common c = {0};
    const tool_opt opts[] = {{"--json", NULL, &json}, {"--since", &since, NULL}};
    char *argv[] = {"show", "--since=2h", "abcdef12", "--json", "--db", "x.db", "--config", "m.ini"};
    cr_assert_eq(tool_parse_args(8, argv, opts, 2, &c, &pos, 1, "usage"), 0);
    cr_assert_str_eq(since, "2h");
    cr_assert_str_eq(pos, "abcdef12");
    cr_assert_eq(json, 1);
    cr_assert_str_eq(c.db, "x.db");
    cr_assert_str_eq(c.config, "m.ini");
}

Test(options, mistakes_are_usage_errors, .init = cr_redirect_stderr)
{
    const char *since = NULL, *pos = NULL;
    int json = 0;
    tool_common c = {0};
    const tool_opt opts[] = {{"--json", NULL, &json}, {"--since", &since, NULL}};
    char *unknown[] = {"x", "--jsonx"}, *novalue[] = {"x", "--since"};
    char *flagvalue[] = {"x", "--json=1"}, *extra[] = {"x", "a", "b"}, *missing[] = {"x"};
    cr_assert_eq(tool_parse_args(2, unknown, opts, 2, &c, &pos, 0, "u"), TOOL_USAGE,
                 "a prefix of an option is not that option");
    cr_assert_eq(tool_parse_args(2, novalue, opts, 2, &c, &pos, 0, "u"), TOOL_USAGE);
    cr_assert_eq(tool_parse_args(2, flagvalue, opts, 2, &c, &pos, 0, "u"), TOOL_USAGE);
    cr_assert_eq(tool_parse_args(3, extra, opts, 2, &c, &pos, 1, "u"), TOOL_USAGE);
    cr_assert_eq(tool_parse_args(1, missing, opts, 2, &c, &pos, 1, "u"), TOOL_USAGE);
}

/* tool_csv_field's output for s. */
static char *csv(const char *s)
{
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    cr_assert_not_null(f);
    tool_csv_field(f, s);
    fclose(f);
    return out;
}

static void csv_is(const char *in, const char *want)
{
    char *got = csv(in);
    cr_assert_str_eq(got, want, "field '%s'", in);
    free(got);
}

Test(csv, rfc4180_quoting)
{
    csv_is("plain", "plain");
    csv_is("", "");
    csv_is("a,b", "\"a,b\"");
    csv_is("say \"hi\"", "\"say \"\"hi\"\"\"");
    csv_is("two\nlines", "\"two\nlines\"");
    csv_is("cr\r", "\"cr\r\"");
    csv_is("'single' and ;semicolon", "'single' and ;semicolon");
    csv_is("\"", "\"\"\"\"");
}

/* The cells are the attacker's: one a spreadsheet would run as a formula (=, +, -, @, or a tab
 * or CR first) starts with a ' so that it is shown as text; a number stays a number. */
Test(csv, a_cell_a_spreadsheet_would_run_as_a_formula_is_text)
{
    csv_is("=HYPERLINK(\"http://evil/\",\"x\")", "\"'=HYPERLINK(\"\"http://evil/\"\",\"\"x\"\")\"");
    csv_is("@SUM(A1)", "'@SUM(A1)");
    csv_is("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0");
    csv_is("-2+3", "'-2+3");
    csv_is("\t=1", "'\t=1");
    csv_is("\r=1", "\"'\r=1\"");
    csv_is("-", "'-");
    csv_is("-12", "-12");
    csv_is("+1.5", "+1.5");
    csv_is("a=b", "a=b");
}

Test(cells, control_bytes_are_shown_not_sent)
{
    char *s = tool_clean("a\x1b[2Jb\n\x7f", 0);
    cr_assert_str_eq(s, "a\\x1b[2Jb\\x0a\\x7f");
    free(s);
}

/* UTF-8 C1 controls (U+009B is CSI to many terminals), a raw 0x9b, bidi overrides that reorder
 * what the operator reads, and malformed UTF-8: escaped byte by byte; other UTF-8 kept. */
Test(cells, c1_controls_bidi_overrides_and_bad_utf8_are_shown_not_sent)
{
    char *s = tool_clean("a\xc2\x9b" "2J|\x9b" "31m|\xe2\x80\xae" "cba|\xc0\xaf|\xc3\xa9", 0);
    cr_assert_str_eq(s, "a\\xc2\\x9b2J|\\x9b31m|\\xe2\\x80\\xaecba|\\xc0\\xaf|\xc3\xa9");
    free(s);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    tool_print_escaped(f, "a\n\tb\xc2\x9b" "c\x1b", 8);
    fclose(f);
    cr_assert_str_eq(out, "a\n\tb\\xc2\\x9bc\\x1b", "newlines and tabs kept, controls not");
    free(out);
}

/* --json on a terminal: everything beyond ASCII as \u escapes, so C1 controls and bidi
 * overrides cannot act; the same string to any JSON reader. */
Test(json, output_is_ascii, .init = cr_redirect_stdout)
{
    cr_assert_eq(tool_print_json(json_string("a\xc2\x9b" "2J\xe2\x80\xae\xc3\xa9")), TOOL_OK);
    fflush(stdout);
    cr_assert_stdout_eq_str("\"a\\u009B2J\\u202E\\u00E9\"\n");
}

/* A block of attacker text (a body): every line after the first starts with the indent, so
 * that no line of it can pass for one of ours. */
Test(cells, a_block_is_indented_after_every_newline)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    tool_print_block(f, "a\n#9  forged\r\n\x1b", 15, "  ");
    fclose(f);
    cr_assert_str_eq(out, "a\n  #9  forged\\x0d\n  \\x1b");
    free(out);
}

Test(cells, long_text_is_cut_with_an_ellipsis_counting_characters)
{
    char *s = tool_clean("abcdefghij", 5);
    cr_assert_str_eq(s, "abcd\xe2\x80\xa6");
    cr_assert_eq(tool_width(s), 5);
    free(s);
    s = tool_clean("abcde", 5);
    cr_assert_str_eq(s, "abcde", "exactly the width: not cut");
    free(s);
    s = tool_clean("\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9", 4);
    cr_assert_str_eq(s, "\xc3\xa9t\xc3\xa9\xe2\x80\xa6", "never inside a UTF-8 character");
    free(s);
    s = tool_clean(NULL, 3);
    cr_assert_str_eq(s, "-");
    free(s);
}
