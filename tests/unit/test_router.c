/* The router's specification, as Criterion tests: one rule per test (patterns, precedence and
 * backtracking, methods and HEAD, Allow lists, refused patterns), then 200 routes at once. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "web/router.h"

/* Handlers are only compared, never called: distinct addresses will do. */
static char h[256];
#define H(i) ((void *)&h[i])

static router *r;
static route_match m;
static char err[256];

static void setup(void)
{
    r = router_new();
    cr_assert_not_null(r);
}

static void teardown(void)
{
    router_free(r);
}

TestSuite(router, .init = setup, .fini = teardown);

static void add(const char *method, const char *pattern, void *handler)
{
    err[0] = '\0';
    int rc = router_add(r, method, pattern, handler, NULL, err, sizeof err);
    cr_assert_eq(rc, 0, "%s %s refused: %s", method, pattern, err);
}

static void refused(const char *method, const char *pattern, const char *why)
{
    err[0] = '\0';
    int rc = router_add(r, method, pattern, H(255), NULL, err, sizeof err);
    cr_assert_eq(rc, -1, "%s %s was accepted", method, pattern);
    cr_assert(strstr(err, why), "%s %s: message \"%s\" lacks \"%s\"", method, pattern, err, why);
}

static route_result match(const char *method, const char *path)
{
    return router_match(r, method, strlen(method), path, strlen(path), &m);
}

/* The path matches with this handler. */
static void finds(const char *method, const char *path, void *handler)
{
    route_result rc = match(method, path);
    cr_assert_eq(rc, ROUTE_MATCH, "%s %s: result %d", method, path, rc);
    cr_assert_eq(m.handler, handler, "%s %s: wrong handler (pattern %s)", method, path,
                 m.pattern);
}

static void not_found(const char *method, const char *path)
{
    route_result rc = match(method, path);
    cr_assert_eq(rc, ROUTE_PATH_NOT_FOUND, "%s %s: result %d (pattern %s)", method, path, rc,
                 rc == ROUTE_MATCH ? m.pattern : "-");
    cr_assert_null(m.handler);
}

static void param_is(const char *name, const char *value)
{
    const route_param *p = route_match_param(&m, name);
    cr_assert_not_null(p, "no parameter %s", name);
    cr_assert_eq(p->value_len, strlen(value), "%s: \"%.*s\", expected \"%s\"", name,
                 (int)p->value_len, p->value, value);
    cr_assert(!memcmp(p->value, value, p->value_len), "%s: \"%.*s\", expected \"%s\"", name,
              (int)p->value_len, p->value, value);
}

static void allow_is(const char *path, const char *expected)
{
    char buf[256];
    size_t n = router_allowed(r, path, strlen(path), buf, sizeof buf);
    cr_assert_str_eq(buf, expected, "Allow for %s", path);
    cr_assert_eq(n, strlen(expected));
}

/* ---- Static routes, parameters, wildcards ---------------------------------------------- */

Test(router, static_route_matches_only_its_exact_path)
{
    add("GET", "/about", H(1));
    finds("GET", "/about", H(1));
    cr_assert_eq(m.nparams, 0);
    cr_assert_str_eq(m.pattern, "/about");
    not_found("GET", "/abou");
    not_found("GET", "/about2");
    not_found("GET", "/ABOUT");
}

Test(router, root_route_matches_only_root)
{
    add("GET", "/", H(1));
    finds("GET", "/", H(1));
    not_found("GET", "/x");
    not_found("GET", "");
}

Test(router, path_without_leading_slash_matches_nothing)
{
    add("GET", "/*all", H(1));
    not_found("GET", "x/y");
    not_found("GET", "*");
}

Test(router, match_reads_only_path_len_and_method_len_bytes)
{
    add("GET", "/users/:id", H(1));
    const char *raw = "GETX /users/42/more";
    cr_assert_eq(router_match(r, raw, 3, raw + 5, 9, &m), ROUTE_MATCH);
    param_is("id", "42");
}

Test(router, static_text_may_end_inside_a_segment_of_another_route)
{
    add("GET", "/user", H(1));
    add("GET", "/users", H(2));
    add("GET", "/use/:x", H(3));
    add("GET", "/usx", H(4));
    finds("GET", "/user", H(1));
    finds("GET", "/users", H(2));
    finds("GET", "/use/r", H(3));
    finds("GET", "/usx", H(4));
    not_found("GET", "/use");
    not_found("GET", "/us");
    not_found("GET", "/userx");
}

Test(router, parameter_captures_one_whole_segment)
{
    add("GET", "/users/:id", H(1));
    finds("GET", "/users/42", H(1));
    cr_assert_eq(m.nparams, 1);
    cr_assert_str_eq(m.params[0].name, "id");
    param_is("id", "42");
    not_found("GET", "/users/42/posts");
    not_found("GET", "/users");
}

Test(router, parameter_never_matches_an_empty_segment)
{
    add("GET", "/users/:id", H(1));
    add("GET", "/users/:id/posts", H(2));
    finds("GET", "/users/x/posts", H(2));
    not_found("GET", "/users/");
    not_found("GET", "/users//posts");
}

Test(router, parameters_are_listed_in_pattern_order_pointing_into_the_path)
{
    add("GET", "/users/:id/posts/:post", H(1));
    const char *path = "/users/7/posts/hello-world";
    finds("GET", path, H(1));
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(m.params[0].name, "id");
    cr_assert_str_eq(m.params[1].name, "post");
    cr_assert_eq(m.params[0].value, path + 7);
    cr_assert_eq(m.params[1].value, path + 15);
    param_is("post", "hello-world");
    cr_assert_null(route_match_param(&m, "missing"));
}

Test(router, wildcard_matches_the_rest_of_the_path_including_slashes)
{
    add("GET", "/static/*path", H(1));
    finds("GET", "/static/css/site/main.css", H(1));
    param_is("path", "css/site/main.css");
    finds("GET", "/static/a//b/", H(1));
    param_is("path", "a//b/");
}

Test(router, wildcard_may_be_empty_but_its_slash_is_required)
{
    add("GET", "/static/*path", H(1));
    finds("GET", "/static/", H(1));
    param_is("path", "");
    not_found("GET", "/static");
    not_found("GET", "/staticx");
}

Test(router, bare_wildcard_matches_without_a_parameter)
{
    add("GET", "/files/*", H(1));
    finds("GET", "/files/a/b", H(1));
    cr_assert_eq(m.nparams, 0);
    not_found("GET", "/file/a");
}

Test(router, root_wildcard_matches_every_path)
{
    add("GET", "/*all", H(1));
    finds("GET", "/", H(1));
    param_is("all", "");
    finds("GET", "/x/y/z", H(1));
    param_is("all", "x/y/z");
}

Test(router, colon_and_star_inside_a_segment_are_plain_text)
{
    add("POST", "/v1/items:batch", H(1));
    add("GET", "/files*", H(2));
    add("GET", "/a/b:c/:d", H(3));
    finds("POST", "/v1/items:batch", H(1));
    not_found("POST", "/v1/items:other");
    not_found("POST", "/v1/items");
    finds("GET", "/files*", H(2));
    not_found("GET", "/files");
    not_found("GET", "/filesx");
    finds("GET", "/a/b:c/1", H(3));
    param_is("d", "1");
}

Test(router, trailing_slash_makes_a_different_path)
{
    add("GET", "/a", H(1));
    add("GET", "/b/", H(2));
    add("GET", "/c/:x/", H(3));
    finds("GET", "/a", H(1));
    not_found("GET", "/a/");
    finds("GET", "/b/", H(2));
    not_found("GET", "/b");
    finds("GET", "/c/1/", H(3));
    not_found("GET", "/c/1");
    add("GET", "/a/", H(4));
    finds("GET", "/a/", H(4));
    finds("GET", "/a", H(1));
}

Test(router, percent_encoded_paths_are_matched_as_sent)
{
    add("GET", "/caf%C3%A9", H(1));
    add("GET", "/u/:name", H(2));
    finds("GET", "/caf%C3%A9", H(1));
    not_found("GET", "/caf%c3%a9");
    not_found("GET", "/caf\xc3\xa9");
    /* %2F is not a separator, and values stay encoded: decoding is the caller's job. */
    finds("GET", "/u/a%2Fb", H(2));
    param_is("name", "a%2Fb");
    not_found("GET", "/u/a/b");
}

/* ---- Precedence and backtracking ------------------------------------------------------- */

Test(router, static_segment_beats_parameter)
{
    add("GET", "/users/:id", H(1));
    add("GET", "/users/new", H(2));
    finds("GET", "/users/new", H(2));
    cr_assert_eq(m.nparams, 0);
    finds("GET", "/users/newer", H(1));
    param_is("id", "newer");
    finds("GET", "/users/ne", H(1));
}

Test(router, parameter_beats_wildcard)
{
    add("GET", "/f/*rest", H(1));
    add("GET", "/f/:name", H(2));
    finds("GET", "/f/a", H(2));
    param_is("name", "a");
    finds("GET", "/f/a/b", H(1));
    param_is("rest", "a/b");
    finds("GET", "/f/", H(1));
}

Test(router, static_beats_wildcard)
{
    add("GET", "/*all", H(1));
    add("GET", "/favicon.ico", H(2));
    finds("GET", "/favicon.ico", H(2));
    finds("GET", "/favicon.icon", H(1));
}

Test(router, backtracks_from_a_dead_static_branch_to_the_wildcard)
{
    add("GET", "/a/:x/d", H(1));
    add("GET", "/a/b/*r", H(2));
    finds("GET", "/a/b/c", H(2));
    param_is("r", "c");
    finds("GET", "/a/z/d", H(1));
}

Test(router, backtracks_from_a_dead_static_branch_to_the_parameter)
{
    add("GET", "/a/b/d", H(1));
    add("GET", "/a/:x/c", H(2));
    finds("GET", "/a/b/c", H(2));
    param_is("x", "b");
    finds("GET", "/a/b/d", H(1));
}

Test(router, earlier_segment_decides_precedence)
{
    /* Segment 2 is "b" in both: static wins there, even though the parameter route spells
     * out segment 3 and the static one only has a wildcard. */
    add("GET", "/a/:x/d", H(1));
    add("GET", "/a/b/*r", H(2));
    finds("GET", "/a/b/d", H(2));
    param_is("r", "d");
}

Test(router, backtracking_drops_the_parameters_of_abandoned_branches)
{
    add("GET", "/a/:x/b/c", H(1));
    add("GET", "/a/*rest", H(2));
    finds("GET", "/a/1/b/d", H(2));
    cr_assert_eq(m.nparams, 1);
    cr_assert_str_eq(m.params[0].name, "rest");
    param_is("rest", "1/b/d");
}

Test(router, backtracks_through_several_levels)
{
    add("GET", "/a/b/c/d", H(1));
    add("GET", "/a/b/:y/e", H(2));
    add("GET", "/a/:x/c/f", H(3));
    add("GET", "/*z", H(4));
    finds("GET", "/a/b/c/d", H(1));
    finds("GET", "/a/b/c/e", H(2));
    param_is("y", "c");
    finds("GET", "/a/b/c/f", H(3));
    param_is("x", "b");
    cr_assert_eq(m.nparams, 1);
    finds("GET", "/a/b/c/g", H(4));
    param_is("z", "a/b/c/g");
    cr_assert_eq(m.nparams, 1);
}

/* ---- Methods --------------------------------------------------------------------------- */

Test(router, route_answers_only_its_method)
{
    add("GET", "/x", H(1));
    cr_assert_eq(match("POST", "/x"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_null(m.handler);
    cr_assert_eq(m.nparams, 0);
    cr_assert_eq(match("get", "/x"), ROUTE_METHOD_NOT_ALLOWED, "methods are case-sensitive");
}

Test(router, unknown_path_is_not_found_whatever_the_method)
{
    add("GET", "/x", H(1));
    not_found("GET", "/y");
    not_found("POST", "/y");
}

Test(router, same_pattern_holds_one_handler_per_method)
{
    add("GET", "/x", H(1));
    add("POST", "/x", H(2));
    add("DELETE", "/x", H(3));
    finds("GET", "/x", H(1));
    finds("POST", "/x", H(2));
    finds("DELETE", "/x", H(3));
    cr_assert_str_eq(m.method, "DELETE");
}

Test(router, head_falls_back_to_get)
{
    add("GET", "/x/:id", H(1));
    finds("HEAD", "/x/1", H(1));
    cr_assert_str_eq(m.method, "GET");
    param_is("id", "1");
    add("POST", "/y", H(2));
    cr_assert_eq(match("HEAD", "/y"), ROUTE_METHOD_NOT_ALLOWED, "HEAD falls back to GET only");
}

Test(router, explicit_head_route_beats_get)
{
    add("GET", "/x", H(1));
    add("HEAD", "/x", H(2));
    finds("HEAD", "/x", H(2));
    finds("GET", "/x", H(1));
}

Test(router, any_method_route_takes_every_method)
{
    add("*", "/x", H(1));
    finds("GET", "/x", H(1));
    finds("HEAD", "/x", H(1));
    finds("POST", "/x", H(1));
    finds("PROPFIND", "/x", H(1));
    cr_assert_str_eq(m.method, "*");
    not_found("GET", "/y");
}

Test(router, exact_method_and_head_to_get_beat_any_method)
{
    add("*", "/x", H(1));
    add("GET", "/x", H(2));
    finds("GET", "/x", H(2));
    finds("HEAD", "/x", H(2));
    finds("PUT", "/x", H(1));
}

Test(router, custom_method_tokens_are_routed)
{
    add("PROPFIND", "/dav/*p", H(1));
    add("M-SEARCH", "/", H(2));
    finds("PROPFIND", "/dav/a", H(1));
    cr_assert_str_eq(m.method, "PROPFIND");
    finds("M-SEARCH", "/", H(2));
    cr_assert_eq(match("propfind", "/dav/a"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(match("PROPPATCH", "/dav/a"), ROUTE_METHOD_NOT_ALLOWED);
}

Test(router, route_without_the_method_gives_way_to_the_next_candidate)
{
    add("GET", "/users/new", H(1));
    add("DELETE", "/users/:id", H(2));
    finds("DELETE", "/users/new", H(2));
    param_is("id", "new");
    finds("GET", "/users/new", H(1));
    cr_assert_eq(match("POST", "/users/new"), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(match("GET", "/users/7"), ROUTE_METHOD_NOT_ALLOWED);
}

Test(router, wildcard_without_the_method_gives_405_not_404)
{
    add("GET", "/s/*p", H(1));
    cr_assert_eq(match("POST", "/s/a/b"), ROUTE_METHOD_NOT_ALLOWED);
}

/* ---- Allow lists ----------------------------------------------------------------------- */

Test(router, allow_list_names_the_methods_of_the_path_with_head_and_options)
{
    add("POST", "/x", H(1));
    add("GET", "/x", H(2));
    allow_is("/x", "GET, HEAD, POST, OPTIONS");
}

Test(router, allow_list_joins_every_route_matching_the_path)
{
    add("GET", "/u/new", H(1));
    add("DELETE", "/u/:id", H(2));
    add("PUT", "/u/*r", H(3));
    add("PATCH", "/v/:id", H(4));
    allow_is("/u/new", "GET, HEAD, PUT, DELETE, OPTIONS");
    allow_is("/u/7", "PUT, DELETE, OPTIONS");
    allow_is("/u/7/8", "PUT, OPTIONS");
}

Test(router, allow_list_of_any_method_route_lists_the_common_methods)
{
    add("*", "/x", H(1));
    allow_is("/x", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
}

Test(router, allow_list_puts_other_methods_in_registration_order_and_options_last)
{
    add("OPTIONS", "/x", H(1));
    add("PROPFIND", "/x", H(2));
    add("MKCOL", "/x", H(3));
    add("HEAD", "/x", H(4));
    add("PROPFIND", "/y", H(5));
    allow_is("/x", "HEAD, PROPFIND, MKCOL, OPTIONS");
}

Test(router, allow_list_is_empty_for_an_unknown_path)
{
    add("GET", "/x", H(1));
    allow_is("/y", "");
    allow_is("/x/", "");
}

Test(router, allow_list_truncates_like_snprintf)
{
    add("GET", "/x", H(1));
    char buf[8];
    size_t n = router_allowed(r, "/x", 2, buf, sizeof buf);
    cr_assert_eq(n, strlen("GET, HEAD, OPTIONS"));
    cr_assert_str_eq(buf, "GET, HE");
    cr_assert_eq(router_allowed(r, "/x", 2, NULL, 0), n);
}

/* ---- Options --------------------------------------------------------------------------- */

Test(router, options_are_copied_and_returned_with_the_match)
{
    int user_data;
    route_options o = {.max_body = 1 << 20, .user = &user_data};
    cr_assert_eq(router_add(r, "POST", "/upload", H(1), &o, err, sizeof err), 0);
    o.max_body = 1; /* the router kept its own copy */
    add("GET", "/plain", H(2));
    finds("POST", "/upload", H(1));
    cr_assert_eq(m.opts->max_body, 1 << 20);
    cr_assert_eq(m.opts->user, &user_data);
    finds("GET", "/plain", H(2));
    cr_assert_not_null(m.opts);
    cr_assert_eq(m.opts->max_body, 0, "no options: the server's default");
    cr_assert_null(m.opts->user);
}

/* ---- Refused routes -------------------------------------------------------------------- */

Test(router, refuses_pattern_not_starting_with_slash)
{
    refused("GET", "", "must start with '/'");
    refused("GET", "users", "must start with '/'");
    refused("GET", ":id", "must start with '/'");
    refused("GET", "*", "must start with '/'");
    add("GET", "/users", H(1));
}

Test(router, refuses_empty_parameter_name)
{
    refused("GET", "/u/:", "parameter without a name");
    refused("GET", "/u/:/x", "parameter without a name");
    add("GET", "/u/:a", H(1));
}

Test(router, refuses_a_parameter_that_is_not_a_whole_segment)
{
    refused("GET", "/u/:id.json", "whole segment");
    refused("GET", "/u/:i-d", "whole segment");
    refused("GET", "/u/*a.b", "whole segment");
    add("GET", "/u/x:id", H(1)); /* a colon inside a segment is text */
    add("GET", "/u/:id_2", H(2));
}

Test(router, refuses_duplicate_parameter_names_in_one_pattern)
{
    refused("GET", "/a/:id/b/:id", "appears twice");
    refused("GET", "/a/:x/*x", "appears twice");
    add("GET", "/a/:id/b/:id2", H(1));
}

Test(router, refuses_wildcard_that_is_not_last)
{
    refused("GET", "/a/*r/b", "last segment");
    refused("GET", "/a/*/b", "last segment");
    refused("GET", "/a/*r/", "last segment");
    add("GET", "/a/*r", H(1));
}

Test(router, refuses_conflicting_parameter_names_at_one_position)
{
    add("GET", "/u/:id", H(1));
    refused("POST", "/u/:name", "conflicts with :id");
    refused("GET", "/u/:name/posts", "conflicts with :id");
    add("POST", "/u/:id", H(2));
    add("GET", "/u/:id/posts/:post", H(3));
    add("GET", "/v/:name", H(4)); /* another position: any name */
}

Test(router, refuses_conflicting_wildcard_names_at_one_position)
{
    add("GET", "/s/*path", H(1));
    refused("POST", "/s/*rest", "conflicts with *path");
    refused("POST", "/s/*", "conflicts with *path");
    add("POST", "/s/*path", H(2));
    add("GET", "/s/:file", H(3)); /* a parameter beside a wildcard is fine */
}

Test(router, refuses_the_same_method_and_pattern_twice)
{
    add("GET", "/x/:id", H(1));
    refused("GET", "/x/:id", "already defined");
    add("*", "/x/:id", H(2));
    refused("*", "/x/:id", "already defined");
    add("PROPFIND", "/x/:id", H(3));
    refused("PROPFIND", "/x/:id", "already defined");
    finds("GET", "/x/1", H(1));
}

Test(router, refuses_empty_segments)
{
    refused("GET", "/a//b", "empty segment");
    refused("GET", "//", "empty segment");
    add("GET", "/a/b/", H(1));
}

Test(router, refuses_bytes_that_cannot_appear_in_a_path)
{
    refused("GET", "/a b", "cannot appear in a path");
    refused("GET", "/search?q=1", "cannot appear in a path");
    refused("GET", "/a#frag", "cannot appear in a path");
    refused("GET", "/caf\xc3\xa9", "cannot appear in a path");
    refused("GET", "/a\r\n", "cannot appear in a path");
    refused("GET", "/a\\b", "cannot appear in a path");
    add("GET", "/a-b.c_d~e!$&'()+,;=@", H(1));
}

Test(router, refuses_malformed_percent_encoding)
{
    refused("GET", "/a%2", "two hex digits");
    refused("GET", "/a%zz", "two hex digits");
    refused("GET", "/a%", "two hex digits");
    add("GET", "/a%2f%2F", H(1));
}

Test(router, accepts_sixteen_parameters_and_refuses_seventeen)
{
    char pat[512] = "", path[512] = "";
    for (int i = 0; i < 16; i++) {
        snprintf(pat + strlen(pat), sizeof pat - strlen(pat), "/:p%d", i);
        snprintf(path + strlen(path), sizeof path - strlen(path), "/v%d", i);
    }
    add("GET", pat, H(1));
    finds("GET", path, H(1));
    cr_assert_eq(m.nparams, ROUTE_MAX_PARAMS);
    param_is("p15", "v15");
    strcat(pat, "/*rest");
    refused("GET", pat, "more than 16 parameters");
    pat[strlen(pat) - 4] = '\0'; /* "/ *": a bare wildcard captures nothing, so it is allowed */
    add("GET", pat, H(2));
}

Test(router, refuses_bad_methods_and_missing_arguments)
{
    refused("", "/x", "empty method");
    refused("GE T", "/x", "not an HTTP token");
    refused("GET\r\n", "/x", "not an HTTP token");
    refused("G(ET", "/x", "not an HTTP token");
    cr_assert_eq(router_add(r, "GET", "/x", NULL, NULL, err, sizeof err), -1);
    cr_assert_eq(router_add(r, NULL, "/x", H(1), NULL, err, sizeof err), -1);
    cr_assert_eq(router_add(r, "GET", NULL, H(1), NULL, err, sizeof err), -1);
    cr_assert_eq(router_add(r, "GET", "bad", H(1), NULL, NULL, 0), -1, "err may be NULL");
    not_found("GET", "/x");
}

Test(router, refuses_more_than_64_distinct_methods)
{
    char name[16];
    int i = 0;
    for (;; i++) {
        snprintf(name, sizeof name, "M%d", i);
        if (router_add(r, name, "/x", H(1), NULL, err, sizeof err) < 0)
            break;
    }
    cr_assert_eq(i, ROUTE_MAX_METHODS - 7, "7 methods are built in: GET HEAD POST PUT PATCH "
                                           "DELETE OPTIONS");
    cr_assert(strstr(err, "distinct methods"), "%s", err);
    add("GET", "/x", H(2)); /* known methods still fit */
}

Test(router, refused_route_leaves_the_router_unchanged)
{
    add("GET", "/u/:id/x", H(1));
    refused("GET", "/u/:name/y", "conflicts");
    refused("NEWMETHOD", "/u/:name/z", "conflicts");
    not_found("GET", "/u/5/y");
    not_found("NEWMETHOD", "/u/5/z");
    allow_is("/u/5/y", "");
    add("GET", "/u/:id/y", H(2));
    finds("GET", "/u/5/y", H(2));
}

/* ---- At scale -------------------------------------------------------------------------- */

#define NROUTES 200

/* Route i has a shape chosen by i % 5, so static text, parameters and wildcards interleave
 * in one tree with shared prefixes. */
static void route_i(int i, char *pat, char *path, size_t n)
{
    switch (i % 5) {
    case 0:
        snprintf(pat, n, "/api/v%d/users/:id/posts/:post", i);
        snprintf(path, n, "/api/v%d/users/u%d/posts/p%d", i, i, i);
        break;
    case 1:
        snprintf(pat, n, "/api/v%d/items", i);
        snprintf(path, n, "/api/v%d/items", i);
        break;
    case 2:
        snprintf(pat, n, "/r%d/:id/edit/:post", i);
        snprintf(path, n, "/r%d/u%d/edit/p%d", i, i, i);
        break;
    case 3:
        snprintf(pat, n, "/api/v%d/files/*id", i);
        snprintf(path, n, "/api/v%d/files/u%d/a/b", i, i);
        break;
    default:
        snprintf(pat, n, "/r%d/:id", i);
        snprintf(path, n, "/r%d/u%d", i, i);
        break;
    }
}

Test(router, finds_each_of_200_routes_with_its_parameters)
{
    static char hs[NROUTES];
    char pat[128], path[128], want[32];
    for (int i = 0; i < NROUTES; i++) {
        route_i(i, pat, path, sizeof pat);
        add(i % 7 ? "GET" : "POST", pat, &hs[i]);
    }
    for (int i = 0; i < NROUTES; i++) {
        route_i(i, pat, path, sizeof pat);
        finds(i % 7 ? "GET" : "POST", path, &hs[i]);
        cr_assert_str_eq(m.pattern, pat);
        if (i % 5 == 1)
            continue;
        snprintf(want, sizeof want, i % 5 == 3 ? "u%d/a/b" : "u%d", i);
        param_is("id", want);
        if (i % 5 == 0 || i % 5 == 2) {
            snprintf(want, sizeof want, "p%d", i);
            param_is("post", want);
        }
        cr_assert_eq(match(i % 7 ? "POST" : "GET", path), ROUTE_METHOD_NOT_ALLOWED);
    }
    not_found("GET", "/api/v200/items");
    not_found("GET", "/r2/u2/edit/");
}

struct lookup_thread {
    int errors;
};

static void *lookup_loop(void *arg)
{
    struct lookup_thread *t = arg;
    char pat[128], path[128];
    for (int k = 0; k < 20; k++)
        for (int i = 0; i < NROUTES; i++) {
            route_match mm;
            route_i(i, pat, path, sizeof pat);
            if (router_match(r, "GET", 3, path, strlen(path), &mm) != ROUTE_MATCH ||
                strcmp(mm.pattern, pat) != 0)
                t->errors++;
        }
    return NULL;
}

Test(router, concurrent_lookups_need_no_lock)
{
    char pat[128], path[128];
    for (int i = 0; i < NROUTES; i++) {
        route_i(i, pat, path, sizeof pat);
        add("GET", pat, H(i % 200));
    }
    pthread_t th[4];
    struct lookup_thread st[4] = {{0}};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, lookup_loop, &st[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(st[i].errors, 0);
    }
}
