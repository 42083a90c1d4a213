/* Specification of src/web/static.c: what a static directory serves and what it refuses. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "web/static.h"

static char tmp[64];
static char root[128];
static static_dir sd;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(tmp, "/tmp/mitsu-static-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(root, sizeof root, "%s/www", tmp);
    char p[256];
    mkdir(root, 0755);
    snprintf(p, sizeof p, "%s/secret.txt", tmp);
    write_file(p, "outside");
    snprintf(p, sizeof p, "%s/a.txt", root);
    write_file(p, "hello");
    snprintf(p, sizeof p, "%s/docs", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/docs/index.html", root);
    write_file(p, "<h1>docs</h1>");
    snprintf(p, sizeof p, "%s/empty", root);
    mkdir(p, 0755);
    char target[256];
    snprintf(target, sizeof target, "%s/secret.txt", tmp);
    snprintf(p, sizeof p, "%s/escape", root);
    cr_assert_eq(symlink(target, p), 0);
    snprintf(p, sizeof p, "%s/inside", root);
    cr_assert_eq(symlink("a.txt", p), 0);
    cr_assert_eq(static_dir_open(&sd, root), 0);
}

static void teardown(void)
{
    static_dir_close(&sd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(static_files, .init = setup, .fini = teardown);

static int try_open(const char *rel, int *status)
{
    struct stat st;
    int fd = static_open(&sd, rel, strlen(rel), &st, status);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

Test(static_files, serves_a_file_below_the_root)
{
    int status;
    cr_assert(try_open("/a.txt", &status));
}

Test(static_files, a_directory_serves_its_index_html)
{
    int status;
    cr_assert(try_open("/docs", &status));
    cr_assert(try_open("/docs/", &status));
}

Test(static_files, a_directory_without_index_is_not_found)
{
    int status = 0;
    cr_assert_not(try_open("/empty/", &status));
    cr_assert_eq(status, 404);
}

Test(static_files, missing_file_is_404)
{
    int status = 0;
    cr_assert_not(try_open("/nope.txt", &status));
    cr_assert_eq(status, 404);
}

Test(static_files, dot_dot_is_refused_raw_and_encoded)
{
    int status = 0;
    cr_assert_not(try_open("/../secret.txt", &status));
    cr_assert_eq(status, 403);
    cr_assert_not(try_open("/%2e%2e/secret.txt", &status));
    cr_assert_eq(status, 403);
    cr_assert_not(try_open("/docs/%2E%2E/%2e%2e/secret.txt", &status));
    cr_assert_eq(status, 403);
}

Test(static_files, symlink_out_of_the_root_is_refused)
{
    int status = 0;
    cr_assert_not(try_open("/escape", &status));
    cr_assert_eq(status, 403);
}

Test(static_files, symlink_inside_the_root_is_served)
{
    int status = 0;
    cr_assert(try_open("/inside", &status));
}

Test(static_files, encoded_nul_and_backslash_are_refused)
{
    int status = 0;
    cr_assert_not(try_open("/a.txt%00.png", &status));
    cr_assert_eq(status, 403);
    cr_assert_not(try_open("/..%5csecret.txt", &status));
    cr_assert_eq(status, 403);
}

Test(static_files, absolute_paths_stay_below_the_root)
{
    int status = 0;
    cr_assert_not(try_open("//etc/passwd", &status));
}

Test(static_files, mime_types_by_extension)
{
    cr_assert_str_eq(static_mime_type("a/b.CSS"), "text/css; charset=utf-8");
    cr_assert_str_eq(static_mime_type("x.png"), "image/png");
    cr_assert_str_eq(static_mime_type("dir.d/noext"), "application/octet-stream");
}

Test(static_files, ranges)
{
    uint64_t a, b;
    cr_assert_eq(static_parse_range("bytes=0-4", 10, &a, &b), 1);
    cr_assert(a == 0 && b == 4);
    cr_assert_eq(static_parse_range("bytes=5-", 10, &a, &b), 1);
    cr_assert(a == 5 && b == 9);
    cr_assert_eq(static_parse_range("bytes=-3", 10, &a, &b), 1);
    cr_assert(a == 7 && b == 9);
    cr_assert_eq(static_parse_range("bytes=3-100", 10, &a, &b), 1);
    cr_assert(b == 9, "a last byte past the end is clipped");
    cr_assert_eq(static_parse_range("bytes=10-", 10, &a, &b), -1, "starts past the end: 416");
    cr_assert_eq(static_parse_range("bytes=0-1,3-4", 10, &a, &b), 0, "several ranges: whole");
    cr_assert_eq(static_parse_range("bytes=5-3", 10, &a, &b), 0, "backwards: ignored");
    cr_assert_eq(static_parse_range("items=0-1", 10, &a, &b), 0);
    cr_assert_eq(static_parse_range("bytes=99999999999999999999-", 10, &a, &b), 0);
}

Test(static_files, etag_changes_with_the_file)
{
    struct stat st1, st2;
    char p[256], e1[64], e2[64];
    snprintf(p, sizeof p, "%s/a.txt", root);
    stat(p, &st1);
    static_etag(&st1, e1);
    write_file(p, "hello, longer");
    stat(p, &st2);
    static_etag(&st2, e2);
    cr_assert_str_neq(e1, e2);
    cr_assert_eq(e1[0], '"');
}
