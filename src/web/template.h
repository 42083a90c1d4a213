/* Mustache templates (the official spec minus lambdas): compile once, render many times against a
 * jansson value; template sets load files from a directory on first use and resolve partials. */
#ifndef MITSU_WEB_TEMPLATE_H
#define MITSU_WEB_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"

/* Sections, inverted sections and partials nested deeper than this while rendering (a partial
 * that includes itself, say) stop the render with an error; sections nested deeper than this in
 * one template's source are a compile error. */
#define TMPL_MAX_DEPTH 64
/* A render that executes more ops than this stops with an error: sections nested over lists
 * multiply (three levels over 1000 items is 10^9 steps), and a page should not spin a worker for
 * minutes. 2^26 ops is far beyond any real page (a 100,000-row table is a few million). */
#define TMPL_MAX_STEPS (1ul << 26)
/* Template files larger than this are refused. */
#define TMPL_MAX_FILE (16u << 20)
/* Longest template name accepted by a set. */
#define TMPL_MAX_NAME 255

typedef struct tmpl tmpl;
typedef struct tmpl_set tmpl_set;

/* Why compiling, loading or rendering failed. `reason` is a static string (NULL when nothing
 * failed); `message` reads "NAME:LINE:COLUMN: reason" (or "NAME: reason" when no position
 * applies), with control bytes in the name shown as '?'. Line and column count from 1; the column
 * counts bytes. */
typedef struct tmpl_error {
    const char *reason;
    unsigned line, column; /* 0 when no position applies */
    char message[384];
} tmpl_error;

/* Compiles `len` bytes of Mustache source. `name` (copied) appears in error messages. Returns a
 * template the caller frees with tmpl_free(), or NULL with *err filled (err may be NULL): an
 * unclosed tag or section, a closing tag that does not match, a bad "{{=a b=}}" delimiter, an
 * empty name, sections nested deeper than TMPL_MAX_DEPTH, or out of memory.
 * Example: tmpl *t = tmpl_compile("hi", "Hello {{name}}!", 15, &err); */
tmpl *tmpl_compile(const char *name, const char *src, size_t len, tmpl_error *err);
void tmpl_free(tmpl *t);
/* The name given at compile time. */
const char *tmpl_name(const tmpl *t);

/* Renders t against ctx (any JSON value; borrowed, not modified), appending to out.
 * Partials are resolved in `set` (may be NULL: partials then render as nothing). Thread-safe:
 * the template is never modified, so many threads may render it at once. Returns 0, or -1 with
 * *err filled (nesting deeper than TMPL_MAX_DEPTH, a partial that fails to load or compile, out
 * of memory), in which case out->len is back to what it was on entry.
 * Rules beyond the spec: `{{name}}` escapes & < > " and ' (as &amp; &lt; &gt; &quot; &#39;);
 * numbers print as integers or the shortest decimal that reads back the same, true and false as
 * "true" and "false", null, objects and arrays as nothing. Missing, null, false, "" and [] are
 * falsy; everything else (0 and {} included) is truthy. A render stops with an error after
 * TMPL_MAX_STEPS ops (or the set's limit, see tmpl_set_max_steps). */
int tmpl_render(const tmpl *t, tmpl_set *set, json_t *ctx, buf *out, tmpl_error *err);

/* Helpers: names in the reserved "mitsu." namespace that the framework renders, not the context
 * ({{mitsu.trap_link}}). put(arg, name, len, out) appends the helper's output for the segment
 * after "mitsu." and returns 1, returns 0 for a name it does not know (the tag is then looked up
 * in the context as usual), or -1 (out of memory). What a helper writes is HTML the framework
 * made: it is not escaped, whether the tag has two braces or three. Only plain tags are helpers;
 * a section {{#mitsu.x}} is looked up in the context. */
typedef struct tmpl_helpers {
    int (*put)(void *arg, const char *name, size_t len, buf *out);
    void *arg;
} tmpl_helpers;

/* tmpl_render with helpers (NULL: none). */
int tmpl_render_helped(const tmpl *t, tmpl_set *set, json_t *ctx, const tmpl_helpers *helpers,
                       buf *out, tmpl_error *err);

/* A set of templates by name: in-memory ones (tmpl_set_add) and files below `dir`, loaded and
 * compiled on first use and kept until tmpl_set_free. dir may be NULL for a memory-only set.
 * Returns NULL with errno set when dir cannot be resolved or memory runs out.
 *
 * Name resolution, for tmpl_set_get and for partials ({{> header}} looks up "header"): the exact
 * name, then name + ".mustache", then name + ".html"; for each, a template already in the set
 * wins over a file. File names are relative to dir; absolute names, a ".." component, and
 * anything whose real path (symlinks followed) lies outside dir are refused with an error.
 * A partial that resolves to nothing renders as nothing (the spec's rule), and is remembered as
 * missing until the next tmpl_set_add; files changed on disk after loading are not reloaded.
 *
 * Threads: lookups of loaded names take no lock; the first use of a name reads and compiles its
 * file under the set's mutex. */
tmpl_set *tmpl_set_new(const char *dir);
void tmpl_set_free(tmpl_set *set);

/* Sets the step limit of renders through this set (default TMPL_MAX_STEPS). */
void tmpl_set_max_steps(tmpl_set *set, unsigned long steps);

/* Compiles `source` (a C string) and adds it under `name` (copied). 0, or -1 with *err filled
 * (err may be NULL): a compile error, a bad name, or a name already defined in the set (names
 * already used, even through resolution, keep their template). */
int tmpl_set_add(tmpl_set *set, const char *name, const char *source, tmpl_error *err);

/* The template for `name` by the rules above, loading it if needed. The pointer stays valid until
 * tmpl_set_free. NULL with *err filled when it does not exist, is refused, or fails to compile. */
const tmpl *tmpl_set_get(tmpl_set *set, const char *name, tmpl_error *err);

/* tmpl_set_get then tmpl_render with this set for partials. 0, or -1 with *err filled. */
int tmpl_set_render(tmpl_set *set, const char *name, json_t *ctx, buf *out, tmpl_error *err);
/* The same with helpers (NULL: none), in partials too. */
int tmpl_set_render_helped(tmpl_set *set, const char *name, json_t *ctx,
                           const tmpl_helpers *helpers, buf *out, tmpl_error *err);

/* Appends s (n bytes) to out escaped for HTML element content and quoted attribute values of
 * either kind (& < > " ' as references, NUL as U+FFFD). 0, or -1 when out of memory. */
int tmpl_html_escape(buf *out, const char *s, size_t n);

#endif
