/* The template module's own specification, beyond the Mustache spec: escaping, value printing,
 * truthiness, error positions, nesting limits, the directory loader's safety, caching, threads. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web/template.h"

/* Compiles and renders src against the JSON text data (no set); returns the output, malloc'ed. */
static char *render_str(const char *src, const char *data)
{
    tmpl_error err;
    tmpl *t = tmpl_compile("t", src, strlen(src), &err);
    cr_assert_not_null(t, "compile %s: %s", src, err.message);
    json_error_t jerr;
    json_t *ctx = json_loads(data, JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(ctx, "bad test JSON: %s", jerr.text);
    buf out = BUF_INIT;
    cr_assert_eq(tmpl_render(t, NULL, ctx, &out, &err), 0, "render: %s", err.message);
    char *s = strndup(out.data ? out.data : "", out.len);
    buf_free(&out);
    json_decref(ctx);
    tmpl_free(t);
    return s;
}

static void expect(const char *src, const char *data, const char *want)
{
    char *got = render_str(src, data);
    cr_expect_str_eq(got, want, "template [%s] data %s", src, data);
    free(got);
}

/* Compiling src must fail with exactly this message. */
static void expect_compile_error(const char *src, const char *message)
{
    tmpl_error err;
    tmpl *t = tmpl_compile("page.html", src, strlen(src), &err);
    cr_expect_null(t, "compiled: [%s]", src);
    tmpl_free(t);
    if (!t)
        cr_expect_str_eq(err.message, message, "template [%s]", src);
}

/* ---- Values ----------------------------------------------------------------------------- */

Test(template, variables_escape_the_five_html_specials)
{
    expect("{{x}}", "{\"x\": \"a&b <i> \\\"q\\\" 'a'\"}", "a&amp;b &lt;i&gt; &quot;q&quot; &#39;a&#39;");
}

Test(template, triple_mustache_and_ampersand_do_not_escape)
{
    expect("{{{x}}}|{{& x}}", "{\"x\": \"<b>&'\"}", "<b>&'|<b>&'");
}

Test(template, numbers_booleans_and_null_print_as_documented)
{
    expect("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}}", "{\"a\": 42, \"b\": -7, \"c\": 1.21, \"d\": 0.1, \"e\": 3.0, \"f\": 1e100}",
           "42 -7 1.21 0.1 3 1e+100");
    expect("[{{t}}] [{{f}}] [{{n}}] [{{o}}] [{{l}}] [{{missing}}]",
           "{\"t\": true, \"f\": false, \"n\": null, \"o\": {\"k\": 1}, \"l\": [1]}",
           "[true] [false] [] [] [] []");
}

Test(template, missing_null_false_empty_string_and_empty_list_are_falsy)
{
    const char *src = "{{#v}}T{{/v}}{{^v}}F{{/v}}";
    expect(src, "{}", "F");
    expect(src, "{\"v\": null}", "F");
    expect(src, "{\"v\": false}", "F");
    expect(src, "{\"v\": \"\"}", "F");
    expect(src, "{\"v\": []}", "F");
    expect(src, "{\"v\": 0}", "T");
    expect(src, "{\"v\": \"0\"}", "T");
    expect(src, "{\"v\": {}}", "T");
}

Test(template, lists_iterate_objects_push_and_lookup_walks_up)
{
    expect("{{#people}}{{name}}@{{site}}{{#last}}.{{/last}}{{^last}}, {{/last}}{{/people}}",
           "{\"site\": \"x\", \"people\": [{\"name\": \"a\"}, {\"name\": \"b\", \"last\": true}]}",
           "a@x, b@x.");
    expect("{{#nums}}{{.}};{{/nums}}", "{\"nums\": [1, \"two\", 3.5]}", "1;two;3.5;");
    expect("{{a.b.c}}|{{#a}}{{b.c}}{{/a}}", "{\"a\": {\"b\": {\"c\": \"<\"}}}", "&lt;|&lt;");
}

Test(template, bytes_pass_through_including_nul)
{
    tmpl_error err;
    const char src[] = "a\0b{{x}}";
    tmpl *t = tmpl_compile("t", src, sizeof src - 1, &err);
    cr_assert_not_null(t);
    buf out = BUF_INIT;
    json_t *ctx = json_pack("{s:s}", "x", "!");
    cr_assert_eq(tmpl_render(t, NULL, ctx, &out, &err), 0);
    cr_assert_eq(out.len, 4);
    cr_assert_eq(memcmp(out.data, "a\0b!", 4), 0);
    buf_free(&out);
    json_decref(ctx);
    tmpl_free(t);
}

/* ---- Errors ----------------------------------------------------------------------------- */

Test(template, errors_give_name_line_and_column)
{
    expect_compile_error("ab{{#items}}x", "page.html:1:3: unclosed section 'items'");
    expect_compile_error("{{#a}}\n  {{/b}}", "page.html:2:3: closing tag does not match the open section 'a'");
    expect_compile_error("x\n\n {{/a}}", "page.html:3:2: closing tag without an open section 'a'");
    expect_compile_error("ok\nthen {{name", "page.html:2:6: unclosed tag");
    expect_compile_error("{{{x}}", "page.html:1:1: unclosed tag");
    expect_compile_error("1\n{{=<% =}}", "page.html:2:1: bad delimiters (want {{=open close=}}) '<%'");
    expect_compile_error("{{= a b c =}}", "page.html:1:1: bad delimiters (want {{=open close=}}) 'a b c'");
    expect_compile_error("{{=a= b=}}", "page.html:1:1: bad delimiters (want {{=open close=}}) 'a= b'");
    expect_compile_error("{{ }}", "page.html:1:1: empty tag name");
    expect_compile_error("{{>}}", "page.html:1:1: empty partial name");
    expect_compile_error("{{a..b}}", "page.html:1:1: empty segment in dotted name 'a..b'");
    /* After a delimiter change the position still counts from the source. */
    expect_compile_error("{{=<% %>=}}\n<%#s%>\n<%/t%>", "page.html:3:1: closing tag does not match the open section 's'");
}

Test(template, control_bytes_in_names_are_not_echoed)
{
    tmpl_error err;
    cr_assert_null(tmpl_compile("evil\n\x1b[31m", "{{#a}}", 6, &err));
    cr_expect_str_eq(err.message, "evil??[31m:1:1: unclosed section 'a'");
}

Test(template, sections_nested_past_the_limit_do_not_compile)
{
    char src[TMPL_MAX_DEPTH * 12 + 32] = "";
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        strcat(src, "{{#a}}");
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        strcat(src, "{{/a}}");
    tmpl_error err;
    tmpl *t = tmpl_compile("t", src, strlen(src), &err);
    cr_assert_not_null(t, "%d levels must compile: %s", TMPL_MAX_DEPTH, err.message);
    tmpl_free(t);
    char deeper[sizeof src + 16] = "{{#a}}";
    strcat(deeper, src);
    strcat(deeper, "{{/a}}");
    cr_assert_null(tmpl_compile("t", deeper, strlen(deeper), &err));
    cr_expect_str_eq(err.reason, "sections nested too deeply");
    cr_expect_eq(err.column, 1 + 6 * TMPL_MAX_DEPTH);
}

Test(template, recursive_partial_stops_at_the_depth_limit_and_restores_output)
{
    tmpl_set *set = tmpl_set_new(NULL);
    tmpl_error err;
    cr_assert_eq(tmpl_set_add(set, "self", "x\n{{>self}}", &err), 0);
    buf out = BUF_INIT;
    buf_append_str(&out, "kept");
    cr_assert_eq(tmpl_set_render(set, "self", NULL, &out, &err), -1);
    cr_expect_str_eq(err.message, "self:2:1: sections and partials nested too deeply");
    cr_expect_eq(out.len, 4, "output restored on failure");
    /* Recursion bounded by the data renders. */
    cr_assert_eq(tmpl_set_add(set, "node", "{{name}}({{#kids}}{{>node}}{{/kids}})", &err), 0);
    /* Leaves need "kids": [] of their own, or the lookup walks up to their parent's list. */
    json_t *tree = json_loads("{\"name\":\"r\",\"kids\":[{\"name\":\"a\",\"kids\":[{\"name\":\"b\","
                              "\"kids\":[]}]},{\"name\":\"c\",\"kids\":[]}]}", 0, NULL);
    out.len = 0;
    cr_assert_eq(tmpl_set_render(set, "node", tree, &out, &err), 0, "%s", err.message);
    cr_expect_eq(out.len, strlen("r(a(b())c())"));
    cr_expect_eq(memcmp(out.data, "r(a(b())c())", out.len), 0);
    json_decref(tree);
    buf_free(&out);
    tmpl_set_free(set);
}

/* ---- Sets: memory ----------------------------------------------------------------------- */

static char *set_render(tmpl_set *set, const char *name, const char *data)
{
    json_t *ctx = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
    buf out = BUF_INIT;
    tmpl_error err;
    int rc = tmpl_set_render(set, name, ctx, &out, &err);
    cr_assert_eq(rc, 0, "render %s: %s", name, err.message);
    char *s = strndup(out.data ? out.data : "", out.len);
    buf_free(&out);
    json_decref(ctx);
    return s;
}

Test(template, missing_partial_renders_nothing_until_added)
{
    tmpl_set *set = tmpl_set_new(NULL);
    tmpl_error err;
    cr_assert_eq(tmpl_set_add(set, "page", "[{{>late}}]", &err), 0);
    char *s = set_render(set, "page", NULL);
    cr_expect_str_eq(s, "[]");
    free(s);
    cr_assert_eq(tmpl_set_add(set, "late", "here", &err), 0);
    s = set_render(set, "page", NULL);
    cr_expect_str_eq(s, "[here]", "tmpl_set_add forgets remembered misses");
    free(s);
    tmpl_set_free(set);
}

Test(template, partial_names_try_exact_then_mustache_then_html)
{
    tmpl_set *set = tmpl_set_new(NULL);
    tmpl_error err;
    cr_assert_eq(tmpl_set_add(set, "a.html", "A-html", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "a.mustache", "A-mustache", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "b.html", "B-html", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "c", "C", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "c.html", "C-html", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "page", "{{>a}} {{>b}} {{>c}} {{>b.html}}", &err), 0);
    char *s = set_render(set, "page", NULL);
    cr_expect_str_eq(s, "A-mustache B-html C B-html");
    free(s);
    cr_expect_eq(tmpl_set_get(set, "b", &err), tmpl_set_get(set, "b.html", &err));
    tmpl_set_free(set);
}

Test(template, a_name_is_defined_once)
{
    tmpl_set *set = tmpl_set_new(NULL);
    tmpl_error err;
    cr_assert_eq(tmpl_set_add(set, "x", "1", &err), 0);
    cr_expect_eq(tmpl_set_add(set, "x", "2", &err), -1);
    cr_expect_str_eq(err.message, "x: template name already defined");
    cr_expect_eq(tmpl_set_add(set, "y", "{{#open}}", &err), -1);
    cr_expect_str_eq(err.message, "y:1:1: unclosed section 'open'");
    cr_expect_null(tmpl_set_get(set, "y", &err), "a failed add leaves nothing behind");
    cr_expect_str_eq(err.message, "y: no such template");
    tmpl_set_free(set);
}

Test(template, standalone_partial_indentation_accumulates)
{
    tmpl_set *set = tmpl_set_new(NULL);
    tmpl_error err;
    cr_assert_eq(tmpl_set_add(set, "outer", "<ul>\n  {{>inner}}\n</ul>\n", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "inner", "{{#items}}\n  <li>{{.}}</li>\n{{/items}}\n", &err), 0);
    char *s = set_render(set, "outer", "{\"items\": [1, 2]}");
    cr_expect_str_eq(s, "<ul>\n    <li>1</li>\n    <li>2</li>\n</ul>\n");
    free(s);
    tmpl_set_free(set);
}

Test(template, without_a_set_partials_render_nothing)
{
    expect("a{{>p}}b", "{}", "ab");
}

/* ---- Sets: the directory loader --------------------------------------------------------- */

static char root[64], views[128], outside[128];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* root/views holds the templates; root/outside is what symlinks try to reach. */
static void make_dirs(void)
{
    strcpy(root, "/tmp/mitsu-tmpl-XXXXXX");
    cr_assert_not_null(mkdtemp(root));
    snprintf(views, sizeof views, "%s/views", root);
    snprintf(outside, sizeof outside, "%s/outside", root);
    cr_assert_eq(mkdir(views, 0700), 0);
    cr_assert_eq(mkdir(outside, 0700), 0);
    char sub[256];
    snprintf(sub, sizeof sub, "%s/sub", views);
    cr_assert_eq(mkdir(sub, 0700), 0);
    write_file(views, "employee.html", "{{>header}}<p>{{name}}</p>{{>sub/footer}}");
    write_file(views, "header.mustache", "<h1>{{title}}</h1>");
    write_file(views, "sub/footer.html", "<footer/>");
    write_file(outside, "secret.html", "SECRET");
    char link[256], target[256];
    snprintf(link, sizeof link, "%s/inside-link.html", views);
    cr_assert_eq(symlink("employee.html", link), 0);
    snprintf(link, sizeof link, "%s/evil.html", views);
    snprintf(target, sizeof target, "%s/secret.html", outside);
    cr_assert_eq(symlink(target, link), 0);
    snprintf(link, sizeof link, "%s/evil-dir", views);
    cr_assert_eq(symlink("../outside", link), 0);
    write_file(views, "uses-evil.html", "a{{>evil}}b");
}

static void remove_dirs(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (root[0] && system(cmd) != 0)
        cr_log_warn("could not remove %s", root);
}

TestSuite(loader, .init = make_dirs, .fini = remove_dirs);

Test(loader, loads_by_name_and_resolves_partials_in_the_directory)
{
    tmpl_set *set = tmpl_set_new(views);
    cr_assert_not_null(set);
    char *s = set_render(set, "employee.html", "{\"title\": \"Staff\", \"name\": \"Ann & Bo\"}");
    cr_expect_str_eq(s, "<h1>Staff</h1><p>Ann &amp; Bo</p><footer/>");
    free(s);
    s = set_render(set, "employee", "{\"name\": \"x\"}");
    cr_expect_str_eq(s, "<h1></h1><p>x</p><footer/>", "name + .html found too");
    free(s);
    s = set_render(set, "inside-link.html", "{\"name\": \"y\"}");
    cr_expect_str_eq(s, "<h1></h1><p>y</p><footer/>", "a symlink inside the directory is fine");
    free(s);
    tmpl_set_free(set);
}

static void expect_refused(tmpl_set *set, const char *name, const char *message)
{
    tmpl_error err;
    cr_expect_null(tmpl_set_get(set, name, &err), "%s loaded", name);
    cr_expect_str_eq(err.message, message);
}

Test(loader, refuses_names_that_leave_the_directory)
{
    tmpl_set *set = tmpl_set_new(views);
    cr_assert_not_null(set);
    expect_refused(set, "../outside/secret.html", "../outside/secret.html: '..' in template name refused");
    expect_refused(set, "sub/../../outside/secret.html", "sub/../../outside/secret.html: '..' in template name refused");
    expect_refused(set, "sub/..", "sub/..: '..' in template name refused");
    expect_refused(set, "/etc/passwd", "/etc/passwd: absolute template name refused");
    expect_refused(set, "", ": empty template name");
    expect_refused(set, "evil.html", "evil.html: template resolves outside the template directory");
    expect_refused(set, "evil", "evil.html: template resolves outside the template directory");
    expect_refused(set, "evil-dir/secret.html", "evil-dir/secret.html: template resolves outside the template directory");
    expect_refused(set, "nope.html", "nope.html: no such template");
    /* The same through a partial: an error at the partial tag, not an empty string. */
    tmpl_error err;
    buf out = BUF_INIT;
    cr_expect_eq(tmpl_set_render(set, "uses-evil.html", NULL, &out, &err), -1);
    cr_expect_str_eq(err.message, "uses-evil.html:1:2: template resolves outside the template directory 'evil'");
    cr_expect_eq(out.len, 0);
    buf_free(&out);
    tmpl_set_free(set);
}

Test(loader, rejects_a_directory_that_does_not_exist)
{
    cr_expect_null(tmpl_set_new("/nonexistent/mitsu/views"));
    char file[256];
    snprintf(file, sizeof file, "%s/employee.html", views);
    cr_expect_null(tmpl_set_new(file), "a file is not a directory");
}

Test(loader, compiles_each_file_once_and_keeps_it)
{
    tmpl_set *set = tmpl_set_new(views);
    tmpl_error err;
    const tmpl *a = tmpl_set_get(set, "employee.html", &err);
    cr_assert_not_null(a, "%s", err.message);
    cr_expect_eq(tmpl_set_get(set, "employee.html", &err), a, "second lookup hits the cache");
    cr_expect_eq(tmpl_set_get(set, "employee", &err), a, "resolved names share the template");
    char path[256];
    snprintf(path, sizeof path, "%s/employee.html", views);
    cr_assert_eq(rename(path, "/tmp/mitsu-tmpl-moved"), 0);
    cr_expect_eq(tmpl_set_get(set, "employee.html", &err), a, "cached, the disk is not read again");
    cr_assert_eq(rename("/tmp/mitsu-tmpl-moved", path), 0);
    cr_expect_str_eq(tmpl_name(a), "employee.html");
    write_file(views, "broken.html", "line 1\n{{#x}}\n");
    expect_refused(set, "broken.html", "broken.html:2:1: unclosed section 'x'");
    tmpl_set_free(set);
}

/* Many threads render through one set whose partials load lazily: same output everywhere. */
typedef struct job {
    tmpl_set *set;
    json_t *ctx;
    int ok;
} job;

static void *render_many(void *arg)
{
    job *j = arg;
    buf out = BUF_INIT;
    tmpl_error err;
    j->ok = 1;
    for (int i = 0; i < 300; i++) {
        out.len = 0;
        if (tmpl_set_render(j->set, "employee.html", j->ctx, &out, &err) < 0 ||
            out.len != strlen("<h1>T</h1><p>N</p><footer/>") ||
            memcmp(out.data, "<h1>T</h1><p>N</p><footer/>", out.len) != 0)
            j->ok = 0;
    }
    buf_free(&out);
    return NULL;
}

Test(loader, renders_concurrently_while_loading)
{
    tmpl_set *set = tmpl_set_new(views);
    json_t *ctx = json_pack("{s:s, s:s}", "title", "T", "name", "N");
    enum { N = 8 };
    pthread_t th[N];
    job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){set, ctx, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_expect(jobs[i].ok, "thread %d saw a wrong render", i);
    }
    json_decref(ctx);
    tmpl_set_free(set);
}

Test(template, nested_loops_stop_at_the_step_limit)
{
    tmpl_set *set = tmpl_set_new(NULL);
    tmpl_error err;
    tmpl_set_max_steps(set, 1000);
    cr_assert_eq(tmpl_set_add(set, "two", "{{#l}}{{#l}}x{{/l}}{{/l}}", &err), 0);
    cr_assert_eq(tmpl_set_add(set, "three", "{{#l}}{{#l}}\n{{#l}}x{{/l}}{{/l}}{{/l}}", &err), 0);
    const char *ten = "{\"l\": [0,1,2,3,4,5,6,7,8,9]}";
    char *s = set_render(set, "two", ten);
    cr_expect_eq(strlen(s), 100);
    free(s);
    json_t *ctx = json_loads(ten, 0, NULL);
    buf out = BUF_INIT;
    cr_expect_eq(tmpl_set_render(set, "three", ctx, &out, &err), -1);
    cr_expect_str_eq(err.message, "three:2:1: render exceeds its step limit");
    cr_expect_eq(out.len, 0);
    tmpl_set_max_steps(set, TMPL_MAX_STEPS);
    cr_expect_eq(tmpl_set_render(set, "three", ctx, &out, &err), 0);
    cr_expect_eq(out.len, 1100); /* 1000 x and 100 newlines */
    buf_free(&out);
    json_decref(ctx);
    tmpl_set_free(set);
}

/* ---- Helpers: {{mitsu.NAME}} rendered by the framework ---------------------------------- */

/* A helper set for the tests: "link" writes HTML, "fail" runs out of memory, the rest are not
 * helpers. Counts its calls. */
static int helper_calls;
static int test_helper(void *arg, const char *name, size_t len, buf *out)
{
    (void)arg;
    helper_calls++;
    if (len == 4 && memcmp(name, "link", 4) == 0)
        return buf_append_str(out, "<a href=\"/trap\">x</a>") < 0 ? -1 : 1;
    if (len == 4 && memcmp(name, "fail", 4) == 0)
        return -1;
    return 0;
}

static int render_helped(const char *src, const char *data, tmpl_set *set, char **got)
{
    tmpl_error err;
    tmpl *t = tmpl_compile("t", src, strlen(src), &err);
    cr_assert_not_null(t, "compile %s: %s", src, err.message);
    json_t *ctx = json_loads(data, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(ctx);
    buf out = BUF_INIT;
    buf_append_str(&out, "[");
    tmpl_helpers h = {test_helper, NULL};
    int rc = tmpl_render_helped(t, set, ctx, &h, &out, &err);
    *got = strndup(out.data, out.len);
    buf_free(&out);
    json_decref(ctx);
    tmpl_free(t);
    return rc;
}

static void expect_helped(const char *src, const char *data, const char *want)
{
    char *got;
    cr_assert_eq(render_helped(src, data, NULL, &got), 0, "[%s]", src);
    cr_expect_str_eq(got, want, "template [%s] data %s", src, data);
    free(got);
}

Test(helpers, a_helper_writes_html_unescaped_with_two_braces_or_three)
{
    expect_helped("{{mitsu.link}}|{{{mitsu.link}}}|{{& mitsu.link}}", "{}",
                  "[<a href=\"/trap\">x</a>|<a href=\"/trap\">x</a>|<a href=\"/trap\">x</a>");
}

Test(helpers, the_context_cannot_stand_in_for_a_helper)
{
    expect_helped("{{mitsu.link}}", "{\"mitsu\": {\"link\": \"<b>ctx</b>\"}}",
                  "[<a href=\"/trap\">x</a>");
}

Test(helpers, other_names_are_looked_up_in_the_context_as_usual)
{
    expect_helped("{{mitsu.other}}|{{mitsu}}|{{a.link}}|{{mitsu.link.x}}",
                  "{\"mitsu\": {\"other\": \"<ctx>\", \"link\": {\"x\": 1}}, \"a\": {\"link\": 2}}",
                  "[&lt;ctx&gt;||2|1");
}

Test(helpers, sections_are_not_helpers)
{
    helper_calls = 0;
    expect_helped("{{#mitsu.link}}yes{{/mitsu.link}}{{^mitsu.link}}no{{/mitsu.link}}", "{}",
                  "[no");
    cr_expect_eq(helper_calls, 0);
}

Test(helpers, without_helpers_the_names_come_from_the_context)
{
    expect("{{mitsu.link}}", "{\"mitsu\": {\"link\": \"<b>\"}}", "&lt;b&gt;");
    expect("{{mitsu.link}}", "{}", "");
}

Test(helpers, they_reach_into_partials)
{
    tmpl_set *set = tmpl_set_new(NULL);
    cr_assert_not_null(set);
    cr_assert_eq(tmpl_set_add(set, "footer", "({{mitsu.link}})", NULL), 0);
    char *got;
    cr_assert_eq(render_helped("a{{> footer}}", "{}", set, &got), 0);
    cr_expect_str_eq(got, "[a(<a href=\"/trap\">x</a>)");
    free(got);
    tmpl_set_free(set);
}

Test(helpers, a_failing_helper_fails_the_render_and_leaves_the_output_as_it_was)
{
    char *got;
    cr_assert_eq(render_helped("before {{mitsu.fail}} after", "{}", NULL, &got), -1);
    cr_expect_str_eq(got, "[");
    free(got);
}
