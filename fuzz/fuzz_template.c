/* libFuzzer target for src/web/template.c: the input is a template, a JSON context and partials
 * separated by NUL bytes; compile, render twice (same bytes, the template is immutable), check. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS 5 /* template, context, partials "a", "b", "c" */
static const char *const part_names[MAX_PARTS] = {"main", NULL, "a", "b", "c"};

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_template: contract violated: %s\n", what);
        abort();
    }
}

/* A failure must name a reason and, when positioned, a sane place. */
static void check_error(const tmpl_error *err)
{
    require(err->reason != NULL, "failure without a reason");
    require(err->message[0] != '\0', "failure without a message");
    require(err->line == 0 || err->column >= 1, "line without a column");
    for (const char *p = err->message; *p; p++)
        require((unsigned char)*p >= 0x20, "control byte in the message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    /* Split at NULs into C strings; the template part is also compiled with its exact length. */
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *part[MAX_PARTS] = {0};
    size_t nparts = 0;
    for (char *p = copy; nparts < MAX_PARTS && p <= copy + size; p += strlen(p) + 1)
        part[nparts++] = p;

    tmpl_error err;
    tmpl *direct = tmpl_compile("main", part[0], strlen(part[0]), &err);
    if (!direct)
        check_error(&err);

    json_t *ctx = nparts > 1 ? json_loads(part[1], JSON_DECODE_ANY, NULL) : NULL;
    tmpl_set *set = tmpl_set_new(NULL);
    require(set != NULL, "tmpl_set_new");
    /* Nested sections over lists multiply: keep each input fast. */
    tmpl_set_max_steps(set, 20000);
    for (size_t i = 0; i < nparts; i++) {
        if (!part_names[i])
            continue;
        int rc = tmpl_set_add(set, part_names[i], part[i], &err);
        if (i == 0)
            require((rc == 0) == (direct != NULL), "tmpl_set_add and tmpl_compile disagree");
        if (rc < 0)
            check_error(&err);
    }
    if (direct) {
        buf a = BUF_INIT, b = BUF_INIT;
        buf_append_str(&b, "prefix");
        int ra = tmpl_set_render(set, "main", ctx, &a, &err);
        if (ra < 0) {
            check_error(&err);
            require(a.len == 0, "output not restored after a failure");
        }
        int rb = tmpl_render(tmpl_set_get(set, "main", &err), set, ctx, &b, &err);
        require(ra == rb, "two renders disagree on failure");
        if (ra == 0)
            require(b.len == a.len + 6 && (a.len == 0 || memcmp(b.data + 6, a.data, a.len) == 0),
                    "two renders differ");
        else
            require(b.len == 6, "output not restored after a failure");
        /* Without a set, partials vanish; the step limit is the default one. */
        buf c = BUF_INIT;
        if (tmpl_render(direct, NULL, ctx, &c, &err) < 0)
            check_error(&err);
        buf_free(&a);
        buf_free(&b);
        buf_free(&c);
    }
    tmpl_set_free(set);
    tmpl_free(direct);
    json_decref(ctx);
    free(copy);
    return 0;
}
