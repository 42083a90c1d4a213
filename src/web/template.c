/* Mustache templates (see template.h): source compiles to a flat, immutable list of ops that
 * rendering walks with a context stack; sets cache compiled templates behind a lock-free lookup. */
#include "web/template.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"

/* ---- Compiled form ---------------------------------------------------------------------- */

enum op_kind {
    OP_TEXT,     /* literal bytes */
    OP_BOL,      /* a source line starts here: a partial's indentation goes out first */
    OP_VAR,      /* {{name}}, HTML-escaped */
    OP_RAW,      /* {{{name}}} and {{& name}} */
    OP_SECTION,  /* {{#name}}: the body is ops [i + 1, end) */
    OP_INVERTED, /* {{^name}} */
    OP_PARTIAL,  /* {{> name}}, with the indentation of a standalone tag */
    OP__MAX
};

typedef struct seg {
    const char *s;
    size_t n;
} seg;

typedef struct tmpl_op {
    enum op_kind kind;
    size_t pos;        /* source offset of the tag, for error positions */
    size_t end;        /* sections: index of the first op after the body */
    const char *str;   /* text bytes; a section's or partial's name as written */
    size_t len;
    const char *indent; /* partial: the standalone tag's leading whitespace */
    size_t indent_len;
    const seg *segs;   /* the name split at dots; nsegs 0 is the implicit iterator "." */
    size_t nsegs;
} tmpl_op;

struct tmpl {
    arena mem; /* holds everything below; freed in one step */
    char *name;
    const char *src; /* a copy of the source: text ops and names point into it */
    size_t src_len;
    tmpl_op *ops;
    size_t nops;
};

const char *tmpl_name(const tmpl *t)
{
    return t->name;
}

void tmpl_free(tmpl *t)
{
    if (!t)
        return;
    arena_free(&t->mem);
    free(t);
}

/* ---- Errors ----------------------------------------------------------------------------- */

/* Copies at most `max` bytes of s into out (NUL-terminated), control bytes shown as '?',
 * so a name or tag from a file cannot forge lines in a log. */
static size_t put_clean(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    out[o] = '\0';
    return o;
}

/* Fills *err: reason, the line and column of src[pos] (pos SIZE_MAX: no position), and the
 * message. `detail`, when given, follows the reason in quotes (a tag name, say). */
static void fail(tmpl_error *err, const char *name, const char *src, size_t pos, const char *reason,
                 const char *detail, size_t detail_len)
{
    if (!err)
        return;
    err->reason = reason;
    err->line = err->column = 0;
    if (pos != SIZE_MAX && src) {
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < pos; i++) {
            if (src[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        err->line = line;
        err->column = col;
    }
    char clean_name[TMPL_MAX_NAME + 1], clean_detail[80];
    put_clean(clean_name, sizeof clean_name, name ? name : "", name ? strlen(name) : 0);
    if (err->line)
        snprintf(err->message, sizeof err->message, "%s:%u:%u: %s", clean_name, err->line,
                 err->column, reason);
    else
        snprintf(err->message, sizeof err->message, "%s: %s", clean_name, reason);
    if (detail) {
        size_t l = strlen(err->message);
        put_clean(clean_detail, sizeof clean_detail, detail, detail_len);
        snprintf(err->message + l, sizeof err->message - l, " '%s'", clean_detail);
    }
}

/* ---- Compiler --------------------------------------------------------------------------- */

typedef struct compiler {
    tmpl *t;
    const char *src;
    size_t len;
    tmpl_op *ops; /* grown with realloc, copied into the arena when done */
    size_t nops, cap;
    const char *otag, *ctag; /* current delimiters ("{{" and "}}", or pointers into src) */
    size_t olen, clen;
    size_t open[TMPL_MAX_DEPTH]; /* indices of the sections not yet closed */
    size_t nopen;
    int at_bol; /* the next op starts a source line */
    tmpl_error *err;
} compiler;

static tmpl_op *push_op(compiler *c, enum op_kind kind, size_t pos)
{
    if (c->nops == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        tmpl_op *ops = realloc(c->ops, cap * sizeof *ops);
        if (!ops)
            return NULL;
        c->ops = ops;
        c->cap = cap;
    }
    tmpl_op *op = &c->ops[c->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->pos = pos;
    return op;
}

static int oom(compiler *c)
{
    fail(c->err, c->t->name, NULL, SIZE_MAX, "out of memory", NULL, 0);
    return -1;
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* A source line starting here is indented when the template renders as a standalone partial:
 * an OP_BOL goes before the first op of every line that survives standalone-tag removal. */
static int mark_bol(compiler *c, size_t pos)
{
    if (!c->at_bol)
        return 0;
    c->at_bol = 0;
    return push_op(c, OP_BOL, pos) ? 0 : oom(c);
}

/* Emits src[from, to) as text ops, one per line, so each line start can take its indentation. */
static int emit_text(compiler *c, size_t from, size_t to)
{
    while (from < to) {
        const char *nl = memchr(c->src + from, '\n', to - from);
        size_t stop = nl ? (size_t)(nl - c->src) + 1 : to;
        if (mark_bol(c, from) < 0)
            return -1;
        tmpl_op *op = push_op(c, OP_TEXT, from);
        if (!op)
            return oom(c);
        op->str = c->src + from;
        op->len = stop - from;
        if (nl)
            c->at_bol = 1;
        from = stop;
    }
    return 0;
}

/* Splits a trimmed name at dots into the op. "." alone is the implicit iterator; otherwise no
 * segment may be empty ("a..b", ".a" and "a." are errors rather than silent misses). */
static int parse_name(compiler *c, tmpl_op *op, const char *s, size_t n, size_t pos)
{
    if (n == 0) {
        fail(c->err, c->t->name, c->src, pos, "empty tag name", NULL, 0);
        return -1;
    }
    if (n == 1 && s[0] == '.')
        return 0;
    size_t nsegs = 1;
    for (size_t i = 0; i < n; i++)
        nsegs += s[i] == '.';
    seg *segs = arena_alloc(&c->t->mem, nsegs * sizeof *segs);
    if (!segs)
        return oom(c);
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (i == start) {
            fail(c->err, c->t->name, c->src, pos, "empty segment in dotted name", s, n);
            return -1;
        }
        segs[k].s = s + start;
        segs[k].n = i - start;
        k++;
        start = i + 1;
    }
    op->segs = segs;
    op->nsegs = nsegs;
    return 0;
}

/* The closing delimiter at or after `from`; with `lead`, the closing delimiter must follow that
 * character ("}" for {{{name}}}, "=" for {{=a b=}}) and the result points at it. */
static const char *find_close(const compiler *c, size_t from, char lead)
{
    const char *p = c->src + from, *end = c->src + c->len;
    for (;;) {
        const char *q = memmem(p, (size_t)(end - p), c->ctag, c->clen);
        if (!q)
            return NULL;
        if (!lead)
            return q;
        if (q > c->src + from && q[-1] == lead)
            return q - 1;
        p = q + 1;
    }
}

/* "{{=<% %>=}}": two delimiters separated by whitespace, neither containing whitespace or '='. */
static int set_delimiters(compiler *c, const char *s, size_t n, size_t pos)
{
    const char *tok[2];
    size_t toklen[2], ntok = 0, i = 0;
    while (i < n) {
        while (i < n && is_ws(s[i]))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && !is_ws(s[i]))
            i++;
        if (ntok == 2)
            goto bad;
        tok[ntok] = s + start;
        toklen[ntok++] = i - start;
    }
    if (ntok != 2 || memchr(tok[0], '=', toklen[0]) || memchr(tok[1], '=', toklen[1]))
        goto bad;
    c->otag = tok[0];
    c->olen = toklen[0];
    c->ctag = tok[1];
    c->clen = toklen[1];
    return 0;
bad:
    fail(c->err, c->t->name, c->src, pos, "bad delimiters (want {{=open close=}})", s, n);
    return -1;
}

static int compile_body(compiler *c)
{
    size_t pos = 0, line_start = 0;
    int line_has_tag = 0; /* a tag already sits on this line: later ones are not standalone */
    c->at_bol = 1;
    while (pos < c->len) {
        const char *hit = memmem(c->src + pos, c->len - pos, c->otag, c->olen);
        if (!hit) {
            if (emit_text(c, pos, c->len) < 0)
                return -1;
            break;
        }
        size_t ts = (size_t)(hit - c->src);
        const char *nl = memrchr(c->src + pos, '\n', ts - pos);
        if (nl) {
            line_start = (size_t)(nl - c->src) + 1;
            line_has_tag = 0;
        }

        /* The tag: its type character, content [cs, ce) and end te. */
        size_t p = ts + c->olen;
        char type = p < c->len ? c->src[p] : '\0';
        char lead = type == '{' ? '}' : type == '=' ? '=' : '\0';
        size_t cs = type && strchr("#^/>!=&{", type) ? p + 1 : p;
        const char *close = find_close(c, cs, lead);
        if (!close) {
            fail(c->err, c->t->name, c->src, ts, "unclosed tag", NULL, 0);
            return -1;
        }
        size_t ce = (size_t)(close - c->src);
        size_t te = ce + (lead ? 1 : 0) + c->clen;
        while (cs < ce && is_ws(c->src[cs]))
            cs++;
        while (ce > cs && is_ws(c->src[ce - 1]))
            ce--;
        const char *cont = c->src + cs;
        size_t clen = ce - cs;

        /* Standalone: the only tag on its line, with nothing but spaces and tabs around it.
         * Such a line (indentation, tag, line end) leaves no trace in the output. */
        int standalone = 0;
        size_t next = te;
        if (type && strchr("#^/>!=", type) && !line_has_tag) {
            size_t i = line_start;
            while (i < ts && (c->src[i] == ' ' || c->src[i] == '\t'))
                i++;
            size_t j = te;
            while (j < c->len && (c->src[j] == ' ' || c->src[j] == '\t'))
                j++;
            if (i == ts) {
                if (j == c->len) {
                    standalone = 1;
                    next = j;
                } else if (c->src[j] == '\n') {
                    standalone = 1;
                    next = j + 1;
                } else if (c->src[j] == '\r' && j + 1 < c->len && c->src[j + 1] == '\n') {
                    standalone = 1;
                    next = j + 2;
                }
            }
        }
        size_t indent_at = line_start;
        if (standalone) {
            if (emit_text(c, pos, line_start) < 0)
                return -1;
            line_start = next;
            line_has_tag = 0;
        } else {
            if (emit_text(c, pos, ts) < 0 || mark_bol(c, ts) < 0)
                return -1;
            line_has_tag = 1;
        }

        tmpl_op *op;
        switch (type) {
        case '!':
            break;
        case '=':
            if (set_delimiters(c, cont, clen, ts) < 0)
                return -1;
            break;
        case '#':
        case '^':
            if (c->nopen == TMPL_MAX_DEPTH) {
                fail(c->err, c->t->name, c->src, ts, "sections nested too deeply", NULL, 0);
                return -1;
            }
            if (!(op = push_op(c, type == '#' ? OP_SECTION : OP_INVERTED, ts)))
                return oom(c);
            op->str = cont;
            op->len = clen;
            if (parse_name(c, op, cont, clen, ts) < 0)
                return -1;
            c->open[c->nopen++] = c->nops - 1;
            break;
        case '/': {
            if (c->nopen == 0) {
                fail(c->err, c->t->name, c->src, ts, "closing tag without an open section", cont,
                     clen);
                return -1;
            }
            tmpl_op *o = &c->ops[c->open[c->nopen - 1]];
            if (o->len != clen || memcmp(o->str, cont, clen) != 0) {
                fail(c->err, c->t->name, c->src, ts, "closing tag does not match the open section",
                     o->str, o->len);
                return -1;
            }
            o->end = c->nops;
            c->nopen--;
            break;
        }
        case '>':
            if (clen == 0) {
                fail(c->err, c->t->name, c->src, ts, "empty partial name", NULL, 0);
                return -1;
            }
            if (!(op = push_op(c, OP_PARTIAL, ts)))
                return oom(c);
            op->str = cont;
            op->len = clen;
            if (standalone) {
                op->indent = c->src + indent_at;
                op->indent_len = ts - indent_at;
            }
            break;
        default:
            if (!(op = push_op(c, (type == '&' || type == '{') ? OP_RAW : OP_VAR, ts)))
                return oom(c);
            if (parse_name(c, op, cont, clen, ts) < 0)
                return -1;
            break;
        }
        pos = next;
    }
    if (c->nopen) {
        const tmpl_op *o = &c->ops[c->open[c->nopen - 1]];
        fail(c->err, c->t->name, c->src, o->pos, "unclosed section", o->str, o->len);
        return -1;
    }
    return 0;
}

tmpl *tmpl_compile(const char *name, const char *src, size_t len, tmpl_error *err)
{
    if (!name)
        name = "";
    tmpl *t = calloc(1, sizeof *t);
    if (!t) {
        fail(err, name, NULL, SIZE_MAX, "out of memory", NULL, 0);
        return NULL;
    }
    arena_init(&t->mem, len < 2048 ? 4096 : 16384);
    compiler c = {.t = t, .len = len, .otag = "{{", .olen = 2, .ctag = "}}", .clen = 2, .err = err};
    char *copy = arena_alloc(&t->mem, len + 1);
    t->name = arena_strdup(&t->mem, name);
    if (!copy || !t->name) {
        fail(err, name, NULL, SIZE_MAX, "out of memory", NULL, 0);
        goto fail;
    }
    if (len)
        memcpy(copy, src, len);
    copy[len] = '\0';
    t->src = c.src = copy;
    t->src_len = len;
    if (compile_body(&c) < 0)
        goto fail;
    t->nops = c.nops;
    t->ops = arena_alloc(&t->mem, (c.nops ? c.nops : 1) * sizeof *t->ops);
    if (!t->ops) {
        oom(&c);
        goto fail;
    }
    if (c.nops)
        memcpy(t->ops, c.ops, c.nops * sizeof *t->ops);
    free(c.ops);
    if (err)
        err->reason = NULL;
    return t;
fail:
    free(c.ops);
    tmpl_free(t);
    return NULL;
}

/* ---- Rendering -------------------------------------------------------------------------- */

typedef struct render {
    buf *out;
    tmpl_set *set;
    json_t *stack[TMPL_MAX_DEPTH + 1]; /* context stack: one push per level of depth at most */
    size_t nstack;
    seg indent[TMPL_MAX_DEPTH]; /* indentation of the standalone partials being rendered */
    size_t nindent;
    unsigned depth;
    unsigned long steps_left; /* ops still allowed: nested loops multiply, this bounds the time */
    const tmpl_helpers *helpers;
    tmpl_error *err;
} render;

static int set_resolve(tmpl_set *s, const char *name, size_t n, int remember_missing,
                       const tmpl **out, tmpl_error *err);

/* The spec's lookup: the first segment in the innermost context (an object) that has it, then
 * each further segment in the value found, with no second walk up the stack when one misses. */
static json_t *lookup(const render *r, const tmpl_op *op)
{
    if (op->nsegs == 0)
        return r->stack[r->nstack - 1];
    json_t *v = NULL;
    for (size_t i = r->nstack; i-- > 0;) {
        if (json_is_object(r->stack[i]) &&
            (v = json_object_getn(r->stack[i], op->segs[0].s, op->segs[0].n)))
            break;
    }
    for (size_t k = 1; v && k < op->nsegs; k++)
        v = json_is_object(v) ? json_object_getn(v, op->segs[k].s, op->segs[k].n) : NULL;
    return v;
}

static int falsy(const json_t *v)
{
    return !v || json_is_null(v) || json_is_false(v) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_string(v) && json_string_length(v) == 0);
}

int tmpl_html_escape(buf *out, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\0': rep = "\xef\xbf\xbd"; break; /* U+FFFD: a NUL has no place in a page */
        default: continue;
        }
        if (buf_append(out, s + run, i - run) < 0 || buf_append_str(out, rep) < 0)
            return -1;
        run = i + 1;
    }
    return buf_append(out, s + run, n - run);
}

static int put_value(buf *out, const json_t *v, int escape)
{
    char num[40];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return escape ? tmpl_html_escape(out, json_string_value(v), json_string_length(v))
                      : buf_append(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf_append_str(out, num);
    case JSON_REAL: {
        /* The shortest form that reads back as the same double: 1.21 prints "1.21". */
        double d = json_real_value(v);
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, d);
            if (strtod(num, NULL) == d)
                break;
        }
        return buf_append_str(out, num);
    }
    case JSON_TRUE:
        return buf_append_str(out, "true");
    case JSON_FALSE:
        return buf_append_str(out, "false");
    default: /* null, objects and arrays print nothing */
        return 0;
    }
}

static int render_oom(render *r, const tmpl *t)
{
    fail(r->err, t->name, NULL, SIZE_MAX, "out of memory", NULL, 0);
    return -1;
}

static int run(render *r, const tmpl *t, size_t i, size_t end);

/* Enters one level of nesting (a section body or a partial), refusing past the limit so that a
 * partial including itself, or deep data driving a recursive one, cannot exhaust the stack. */
static int enter(render *r, const tmpl *t, const tmpl_op *op)
{
    if (r->depth >= TMPL_MAX_DEPTH) {
        fail(r->err, t->name, t->src, op->pos, "sections and partials nested too deeply", NULL, 0);
        return -1;
    }
    r->depth++;
    return 0;
}

static int run_section(render *r, const tmpl *t, size_t i)
{
    const tmpl_op *op = &t->ops[i];
    json_t *v = lookup(r, op);
    if (falsy(v) != (op->kind == OP_INVERTED))
        return 0;
    if (enter(r, t, op) < 0)
        return -1;
    int rc = 0;
    if (op->kind == OP_INVERTED) {
        rc = run(r, t, i + 1, op->end);
    } else if (json_is_array(v)) {
        /* Each item becomes the context in turn. */
        for (size_t k = 0; rc == 0 && k < json_array_size(v); k++) {
            r->stack[r->nstack++] = json_array_get(v, k);
            rc = run(r, t, i + 1, op->end);
            r->nstack--;
        }
    } else {
        r->stack[r->nstack++] = v;
        rc = run(r, t, i + 1, op->end);
        r->nstack--;
    }
    r->depth--;
    return rc;
}

static int run_partial(render *r, const tmpl *t, const tmpl_op *op)
{
    if (!r->set)
        return 0;
    const tmpl *p;
    int found = set_resolve(r->set, op->str, op->len, 1, &p, r->err);
    if (found < 0) {
        /* Point at the tag that asked for it when the failure has no position of its own. */
        if (r->err && r->err->line == 0)
            fail(r->err, t->name, t->src, op->pos, r->err->reason, op->str, op->len);
        return -1;
    }
    if (!found)
        return 0; /* the spec: a missing partial renders as nothing */
    if (enter(r, t, op) < 0)
        return -1;
    r->indent[r->nindent].s = op->indent;
    r->indent[r->nindent++].n = op->indent_len;
    int rc = run(r, p, 0, p->nops);
    r->nindent--;
    r->depth--;
    return rc;
}

/* {{mitsu.NAME}} when a helper knows NAME: 1 written, 0 not a helper, -1 out of memory. */
static int put_helper(render *r, const tmpl_op *op)
{
    if (!r->helpers || op->nsegs != 2 || op->segs[0].n != 5 ||
        memcmp(op->segs[0].s, "mitsu", 5) != 0)
        return 0;
    return r->helpers->put(r->helpers->arg, op->segs[1].s, op->segs[1].n, r->out);
}

static int run(render *r, const tmpl *t, size_t i, size_t end)
{
    while (i < end) {
        const tmpl_op *op = &t->ops[i];
        if (r->steps_left-- == 0) {
            fail(r->err, t->name, t->src, op->pos, "render exceeds its step limit", NULL, 0);
            return -1;
        }
        switch (op->kind) {
        case OP_TEXT:
            if (buf_append(r->out, op->str, op->len) < 0)
                return render_oom(r, t);
            break;
        case OP_BOL:
            for (size_t k = 0; k < r->nindent; k++)
                if (buf_append(r->out, r->indent[k].s, r->indent[k].n) < 0)
                    return render_oom(r, t);
            break;
        case OP_VAR:
        case OP_RAW: {
            int helped = put_helper(r, op);
            if (helped < 0)
                return render_oom(r, t);
            if (helped)
                break;
            json_t *v = lookup(r, op);
            if (v && put_value(r->out, v, op->kind == OP_VAR) < 0)
                return render_oom(r, t);
            break;
        }
        case OP_SECTION:
        case OP_INVERTED:
            if (run_section(r, t, i) < 0)
                return -1;
            i = op->end;
            continue;
        case OP_PARTIAL:
            if (run_partial(r, t, op) < 0)
                return -1;
            break;
        case OP__MAX:
            abort(); /* not an op: the compiler never emits it */
        }
        i++;
    }
    return 0;
}

static unsigned long set_max_steps(const tmpl_set *s);

int tmpl_render(const tmpl *t, tmpl_set *set, json_t *ctx, buf *out, tmpl_error *err)
{
    return tmpl_render_helped(t, set, ctx, NULL, out, err);
}

int tmpl_render_helped(const tmpl *t, tmpl_set *set, json_t *ctx, const tmpl_helpers *helpers,
                       buf *out, tmpl_error *err)
{
    render r = {.out = out, .set = set, .helpers = helpers, .err = err};
    r.steps_left = set ? set_max_steps(set) : TMPL_MAX_STEPS;
    json_t *null_ctx = json_null(); /* a static singleton: no reference to drop */
    r.stack[r.nstack++] = ctx ? ctx : null_ctx;
    size_t len0 = out->len;
    if (run(&r, t, 0, t->nops) < 0) {
        out->len = len0;
        return -1;
    }
    if (err)
        err->reason = NULL;
    return 0;
}

/* ---- Template sets ---------------------------------------------------------------------- */

#define SET_BUCKETS 256

/* Entries are only ever added, at the head of their bucket, and never change once published,
 * so readers walk the buckets without a lock (acquire loads pair with the release store). */
typedef struct set_entry {
    struct set_entry *next; /* in the bucket */
    struct set_entry *all;  /* every entry, for tmpl_set_free */
    const tmpl *t;          /* NULL: a partial known to be missing, while gen is current */
    tmpl *owned;            /* t when this entry owns it; NULL for aliases */
    unsigned gen;
    size_t name_len;
    char name[];
} set_entry;

struct tmpl_set {
    char *dir;      /* the directory's real path; NULL for a memory-only set */
    size_t dir_len; /* 0 when dir is "/", so that the prefix test below stays right */
    pthread_mutex_t lock; /* serializes additions and file loads */
    _Atomic(set_entry *) buckets[SET_BUCKETS];
    atomic_uint gen; /* bumped by tmpl_set_add: forgets what was known to be missing */
    atomic_ulong max_steps;
    set_entry *all;
};

tmpl_set *tmpl_set_new(const char *dir)
{
    tmpl_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (dir) {
        s->dir = realpath(dir, NULL);
        struct stat st;
        if (!s->dir || stat(s->dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            int e = s->dir ? ENOTDIR : errno;
            free(s->dir);
            free(s);
            errno = e;
            return NULL;
        }
        s->dir_len = strlen(s->dir);
        if (s->dir_len == 1)
            s->dir_len = 0;
    }
    pthread_mutex_init(&s->lock, NULL);
    for (size_t i = 0; i < SET_BUCKETS; i++)
        atomic_init(&s->buckets[i], NULL);
    atomic_init(&s->gen, 0);
    atomic_init(&s->max_steps, TMPL_MAX_STEPS);
    return s;
}

void tmpl_set_free(tmpl_set *s)
{
    if (!s)
        return;
    for (set_entry *e = s->all, *next; e; e = next) {
        next = e->all;
        tmpl_free(e->owned);
        free(e);
    }
    pthread_mutex_destroy(&s->lock);
    free(s->dir);
    free(s);
}

void tmpl_set_max_steps(tmpl_set *s, unsigned long steps)
{
    atomic_store_explicit(&s->max_steps, steps, memory_order_relaxed);
}

static unsigned long set_max_steps(const tmpl_set *s)
{
    return atomic_load_explicit(&s->max_steps, memory_order_relaxed);
}

static unsigned hash_name(const char *s, size_t n)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static set_entry *set_find(tmpl_set *s, const char *name, size_t n)
{
    set_entry *e =
        atomic_load_explicit(&s->buckets[hash_name(name, n) % SET_BUCKETS], memory_order_acquire);
    for (; e; e = e->next)
        if (e->name_len == n && memcmp(e->name, name, n) == 0)
            return e;
    return NULL;
}

/* Under the lock. NULL when out of memory. */
static set_entry *set_insert(tmpl_set *s, const char *name, size_t n, const tmpl *t, tmpl *owned)
{
    set_entry *e = malloc(sizeof *e + n + 1);
    if (!e)
        return NULL;
    memcpy(e->name, name, n);
    e->name[n] = '\0';
    e->name_len = n;
    e->t = t;
    e->owned = owned;
    e->gen = atomic_load_explicit(&s->gen, memory_order_relaxed);
    e->all = s->all;
    s->all = e;
    _Atomic(set_entry *) *b = &s->buckets[hash_name(name, n) % SET_BUCKETS];
    e->next = atomic_load_explicit(b, memory_order_relaxed);
    atomic_store_explicit(b, e, memory_order_release);
    return e;
}

/* Why a name cannot be used, or NULL. The realpath test in set_load is the real guard; this
 * refuses the obvious attempts early with a clear reason. */
static const char *name_problem(const char *name, size_t n)
{
    if (n == 0)
        return "empty template name";
    if (n > TMPL_MAX_NAME)
        return "template name too long";
    if (memchr(name, '\0', n))
        return "NUL byte in template name";
    if (name[0] == '/')
        return "absolute template name refused";
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && name[j] != '/')
            j++;
        if (j - i == 2 && name[i] == '.' && name[i + 1] == '.')
            return "'..' in template name refused";
        i = j + 1;
    }
    return NULL;
}

/* Reads and compiles dir/name. 1 with *out, 0 when there is no such regular file, -1 with *err. */
static int set_load(tmpl_set *s, const char *name, tmpl **out, tmpl_error *err)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", s->dir, name) >= sizeof path) {
        fail(err, name, NULL, SIZE_MAX, "template path too long", NULL, 0);
        return -1;
    }
    char *real = realpath(path, NULL);
    if (!real) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        fail(err, name, NULL, SIZE_MAX, "cannot resolve the template's path", NULL, 0);
        return -1;
    }
    /* Symlinks are followed, but where they lead must still be inside the directory. Someone who
     * could swap a link between this test and open() could rewrite the templates anyway. */
    if (strncmp(real, s->dir, s->dir_len) != 0 || real[s->dir_len] != '/') {
        free(real);
        fail(err, name, NULL, SIZE_MAX, "template resolves outside the template directory", NULL,
             0);
        return -1;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(real);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (e == ENOENT)
            return 0;
        fail(err, name, NULL, SIZE_MAX, "cannot open the template file", NULL, 0);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 0; /* a directory called "header" should not hide "header.html" */
    }
    if (st.st_size > (off_t)TMPL_MAX_FILE) {
        close(fd);
        fail(err, name, NULL, SIZE_MAX, "template file too large", NULL, 0);
        return -1;
    }
    size_t cap = (size_t)st.st_size, len = 0;
    char *data = malloc(cap + 1);
    if (!data) {
        close(fd);
        fail(err, name, NULL, SIZE_MAX, "out of memory", NULL, 0);
        return -1;
    }
    while (len < cap) {
        ssize_t k = read(fd, data + len, cap - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            close(fd);
            free(data);
            fail(err, name, NULL, SIZE_MAX, "cannot read the template file", NULL, 0);
            return -1;
        }
        if (k == 0)
            break; /* the file shrank: compile what is there */
        len += (size_t)k;
    }
    close(fd);
    *out = tmpl_compile(name, data, len, err);
    free(data);
    return *out ? 1 : -1;
}

static int known(tmpl_set *s, const set_entry *e, const tmpl **out)
{
    if (e->t) {
        *out = e->t;
        return 1;
    }
    if (e->gen == atomic_load_explicit(&s->gen, memory_order_relaxed)) {
        *out = NULL;
        return 0;
    }
    return -1; /* forgotten since: resolve again */
}

static int resolve_locked(tmpl_set *s, const char *name, size_t n, int remember_missing,
                          const tmpl **out, tmpl_error *err)
{
    set_entry *e = set_find(s, name, n); /* another thread may have loaded it meanwhile */
    int k;
    if (e && (k = known(s, e, out)) >= 0)
        return k;
    static const char *const ext[] = {"", ".mustache", ".html"};
    char cand[TMPL_MAX_NAME + sizeof ".mustache"];
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        size_t el = strlen(ext[i]);
        memcpy(cand, name, n);
        memcpy(cand + n, ext[i], el + 1);
        const tmpl *t = NULL;
        set_entry *ce = set_find(s, cand, n + el);
        if (ce && ce->t) {
            t = ce->t;
        } else if (s->dir) {
            tmpl *loaded;
            int rc = set_load(s, cand, &loaded, err);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                if (!set_insert(s, cand, n + el, loaded, loaded)) {
                    tmpl_free(loaded);
                    fail(err, cand, NULL, SIZE_MAX, "out of memory", NULL, 0);
                    return -1;
                }
                t = loaded;
            }
        }
        if (t) {
            if (i > 0)
                set_insert(s, name, n, t, NULL); /* an alias; on failure, merely slower */
            *out = t;
            return 1;
        }
    }
    if (remember_missing)
        set_insert(s, name, n, NULL, NULL); /* on failure, merely slower */
    *out = NULL;
    return 0;
}

/* 1 with *out, 0 when nothing by that name exists, -1 with *err. */
static int set_resolve(tmpl_set *s, const char *name, size_t n, int remember_missing,
                       const tmpl **out, tmpl_error *err)
{
    const char *why = name_problem(name, n);
    if (why) {
        char shown[TMPL_MAX_NAME + 1];
        put_clean(shown, sizeof shown, name, n);
        fail(err, shown, NULL, SIZE_MAX, why, NULL, 0);
        return -1;
    }
    set_entry *e = set_find(s, name, n);
    int k;
    if (e && (k = known(s, e, out)) >= 0)
        return k;
    pthread_mutex_lock(&s->lock);
    k = resolve_locked(s, name, n, remember_missing, out, err);
    pthread_mutex_unlock(&s->lock);
    return k;
}

int tmpl_set_add(tmpl_set *s, const char *name, const char *source, tmpl_error *err)
{
    size_t n = strlen(name);
    const char *why = name_problem(name, n);
    if (why) {
        fail(err, name, NULL, SIZE_MAX, why, NULL, 0);
        return -1;
    }
    tmpl *t = tmpl_compile(name, source, strlen(source), err);
    if (!t)
        return -1;
    pthread_mutex_lock(&s->lock);
    set_entry *e = set_find(s, name, n);
    int rc = 0;
    if (e && e->t) {
        fail(err, name, NULL, SIZE_MAX, "template name already defined", NULL, 0);
        rc = -1;
    } else if (!set_insert(s, name, n, t, t)) {
        fail(err, name, NULL, SIZE_MAX, "out of memory", NULL, 0);
        rc = -1;
    } else {
        atomic_fetch_add_explicit(&s->gen, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc < 0)
        tmpl_free(t);
    return rc;
}

const tmpl *tmpl_set_get(tmpl_set *s, const char *name, tmpl_error *err)
{
    const tmpl *t = NULL;
    int rc = set_resolve(s, name, strlen(name), 0, &t, err);
    if (rc == 0)
        fail(err, name, NULL, SIZE_MAX, "no such template", NULL, 0);
    return rc > 0 ? t : NULL;
}

int tmpl_set_render(tmpl_set *s, const char *name, json_t *ctx, buf *out, tmpl_error *err)
{
    return tmpl_set_render_helped(s, name, ctx, NULL, out, err);
}

int tmpl_set_render_helped(tmpl_set *s, const char *name, json_t *ctx,
                           const tmpl_helpers *helpers, buf *out, tmpl_error *err)
{
    const tmpl *t = tmpl_set_get(s, name, err);
    return t ? tmpl_render_helped(t, s, ctx, helpers, out, err) : -1;
}
