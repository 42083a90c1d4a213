/* Runs the official Mustache spec (every JSON file in shared/conformance/mustache-spec, read at run
 * time) against src/web/template.c: a test per module naming each failing case, and a total count. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/template.h"

/* The modules the spec requires; the optional ones ("~lambdas" and the like) start with '~'. */
static const char *const modules[] = {"comments",  "delimiters", "interpolation",
                                      "inverted",  "partials",   "sections"};
#define NMODULES (sizeof modules / sizeof modules[0])

/* MUSTACHE_SPEC_DIR, or the copy beside the repository (tests run from the repository root). */
static const char *spec_dir(void)
{
    const char *d = getenv("MUSTACHE_SPEC_DIR");
    return d && *d ? d : "../shared/conformance/mustache-spec";
}

/* The name the template under test is added as: one no spec partial uses. */
#define TEMPLATE_NAME "spec-template-under-test"

/* Runs one case. 1 when the output is the expected one; otherwise logs why and returns 0. */
static int run_case(const char *file, json_t *tc)
{
    const char *name = json_string_value(json_object_get(tc, "name"));
    const char *src = json_string_value(json_object_get(tc, "template"));
    const char *expected = json_string_value(json_object_get(tc, "expected"));
    if (!name || !src || !expected) {
        cr_log_error("%s: a case without name, template or expected", file);
        return 0;
    }
    tmpl_set *set = tmpl_set_new(NULL);
    cr_assert_not_null(set);
    tmpl_error err;
    int ok = 1;
    const char *pname;
    json_t *psrc;
    json_object_foreach(json_object_get(tc, "partials"), pname, psrc) {
        if (tmpl_set_add(set, pname, json_string_value(psrc), &err) < 0) {
            cr_log_error("%s: \"%s\": partial: %s", file, name, err.message);
            ok = 0;
        }
    }
    buf out = BUF_INIT;
    if (ok && tmpl_set_add(set, TEMPLATE_NAME, src, &err) < 0) {
        cr_log_error("%s: \"%s\": compile: %s", file, name, err.message);
        ok = 0;
    }
    if (ok && tmpl_set_render(set, TEMPLATE_NAME, json_object_get(tc, "data"), &out, &err) < 0) {
        cr_log_error("%s: \"%s\": render: %s", file, name, err.message);
        ok = 0;
    }
    if (ok && (out.len != strlen(expected) || (out.len && memcmp(out.data, expected, out.len) != 0))) {
        cr_log_error("%s: \"%s\": expected [%s] got [%.*s]", file, name, expected, (int)out.len,
                     out.data ? out.data : "");
        ok = 0;
    }
    buf_free(&out);
    tmpl_set_free(set);
    return ok;
}

/* Runs every case of one file; *total gets the number of cases in it. Returns how many passed. */
static size_t run_file(const char *path, const char *label, size_t *total)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    cr_assert_not_null(root, "%s: %s (line %d); set MUSTACHE_SPEC_DIR?", path, jerr.text,
                       jerr.line);
    json_t *tests = json_object_get(root, "tests");
    cr_assert(json_is_array(tests), "%s: no \"tests\" array", path);
    size_t passed = 0, i;
    json_t *tc;
    json_array_foreach(tests, i, tc) passed += (size_t)run_case(label, tc);
    *total = json_array_size(tests);
    json_decref(root);
    return passed;
}

static void run_module(const char *module)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", spec_dir(), module);
    size_t total = 0, passed = run_file(path, module, &total);
    cr_assert_gt(total, 0, "%s: no cases", path);
    cr_assert_eq(passed, total, "%s: %zu of %zu cases pass (failures logged above)", module,
                 passed, total);
}

Test(mustache_spec, comments) { run_module("comments"); }
Test(mustache_spec, delimiters) { run_module("delimiters"); }
Test(mustache_spec, interpolation) { run_module("interpolation"); }
Test(mustache_spec, inverted) { run_module("inverted"); }
Test(mustache_spec, partials) { run_module("partials"); }
Test(mustache_spec, sections) { run_module("sections"); }

/* Every required file is there and every non-optional file is run, so a missing or moved spec
 * directory fails here instead of passing with nothing checked; prints the one-line summary. */
Test(mustache_spec, every_case_of_every_file_passes)
{
    DIR *d = opendir(spec_dir());
    cr_assert_not_null(d, "cannot open %s (set MUSTACHE_SPEC_DIR)", spec_dir());
    size_t passed = 0, total = 0, files = 0;
    int seen[NMODULES] = {0};
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0 || de->d_name[0] == '~')
            continue;
        for (size_t m = 0; m < NMODULES; m++)
            if (n - 5 == strlen(modules[m]) && strncmp(de->d_name, modules[m], n - 5) == 0)
                seen[m] = 1;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", spec_dir(), de->d_name);
        size_t t = 0;
        passed += run_file(path, de->d_name, &t);
        total += t;
        files++;
    }
    closedir(d);
    for (size_t m = 0; m < NMODULES; m++)
        cr_assert(seen[m], "%s/%s.json is missing", spec_dir(), modules[m]);
    cr_log_info("mustache spec: %zu/%zu cases passed in %zu files", passed, total, files);
    fprintf(stderr, "mustache spec: %zu/%zu cases passed in %zu files\n", passed, total, files);
    cr_assert_gt(total, 0);
    cr_assert_eq(passed, total, "%zu of %zu spec cases pass", passed, total);
}
