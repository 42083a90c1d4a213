/* Detector signature: attack strings (SQL injection, XSS, path traversal, command and template
 * injection, Log4Shell, SSRF to cloud metadata, scanner user agents) matched with PCRE2 JIT
 * rules over the request's path, parameters, cookies and selected headers, after decoding. A
 * rule class counts once per request. Rules: data/signatures.rules, compiled into the library. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "honeypot/hp.h"
#include "honeypot/signature.h"

const char *const sig_kind_names[SIG_KIND__MAX] = {"path", "args", "names",
                                                   "cookies", "headers", "agent"};

/* Rule WHERE bits: one per kind; "any" is all of them. */
enum { W_ALL = (1u << SIG_KIND__MAX) - 1 };

/* Which rule bits apply to a value of each kind: the user agent is a header too. */
static const unsigned kind_mask[SIG_KIND__MAX] = {
    [SIG_PATH] = 1u << SIG_PATH,     [SIG_ARG] = 1u << SIG_ARG,
    [SIG_NAME] = 1u << SIG_NAME,     [SIG_COOKIE] = 1u << SIG_COOKIE,
    [SIG_HEADER] = 1u << SIG_HEADER, [SIG_AGENT] = 1u << SIG_AGENT | 1u << SIG_HEADER,
};

/* Limits that keep a hostile pattern or input from costing much: the JIT honours the match
 * limit, the interpreter (no JIT on this CPU) all three. */
enum {
    DECODE_PASSES = 3,
    MATCH_LIMIT = 200000,
    DEPTH_LIMIT = 2000,
    HEAP_LIMIT_KIB = 2048,
    FILE_MAX = 4 << 20,
};

/* A set of bytes, one bit each. */
typedef struct byteset {
    uint64_t w[4];
} byteset;

typedef struct sig_rule {
    pcre2_code *code;
    char *src;       /* its pattern, to join it with others */
    uint32_t id;
    uint32_t line;
    uint32_t minlen; /* the shortest subject it can match (PCRE2's study) */
    uint8_t cls;
    uint8_t where;   /* bits of enum sig_kind */
    uint8_t joinable; /* means the same as one branch of an alternation (no numbered groups) */
    uint8_t anchored; /* matches at the start only: one attempt, cheap whatever its first byte */
    /* A match starts with one of these bytes, and contains one of need (both from PCRE2's own
     * study of the pattern; all bits set when it could not tell): a value without any of them
     * cannot match, and most values are skipped by these two tests without calling PCRE2. */
    byteset start, need;
} sig_rule;

/* Rules that start with the same bytes, matched as one alternation: PCRE2 keeps its fast search
 * for the first byte, and a value that matches none of them (almost every value) costs one call.
 * When the group matches, its rules are run one by one to know which. */
typedef struct sig_group {
    pcre2_code *code; /* the alternation; NULL: a single rule, or one that would not compile */
    int owner;        /* code is this group's to free (groups of other kinds may share it) */
    byteset start;    /* the bytes its rules start with */
    uint32_t minlen;  /* the shortest of theirs */
    uint32_t classes; /* bits of their classes */
    uint32_t *idx;    /* indexes into rules[] */
    size_t n;
} sig_group;

/* The rules that apply to one kind of value. */
typedef struct sig_kind_set {
    sig_group *groups;
    size_t ngroups;
    uint32_t classes; /* bits of the classes these rules can hit */
    uint32_t minlen;  /* the shortest subject any of them can match */
} sig_kind_set;

struct sig_rules {
    uint64_t gen;    /* tells these rules from any compiled before, for the clean-value cache */
    sig_rule *rules; /* one per rule, or per top-level alternative of a rule */
    size_t n, cap;
    size_t nlines;   /* rules as written */
    char *classes[SIG_CLASSES_MAX];
    size_t nclasses;
    sig_kind_set kinds[SIG_KIND__MAX];
    pcre2_match_context *mctx;
};

/* ---- Loading ------------------------------------------------------------------------------ */

static const struct {
    const char *word;
    unsigned bits;
} where_words[] = {
    {"path", 1u << SIG_PATH},       {"args", 1u << SIG_ARG},     {"names", 1u << SIG_NAME},
    {"cookies", 1u << SIG_COOKIE},  {"headers", 1u << SIG_HEADER},
    {"agent", 1u << SIG_AGENT},     {"any", W_ALL},
};

/* "args,cookies" -> bits; 0 on an unknown word. */
static unsigned parse_where(const char *s, size_t len)
{
    unsigned bits = 0;
    while (len) {
        const char *comma = memchr(s, ',', len);
        size_t n = comma ? (size_t)(comma - s) : len;
        unsigned b = 0;
        for (size_t i = 0; i < sizeof where_words / sizeof where_words[0]; i++)
            if (strlen(where_words[i].word) == n && strncmp(where_words[i].word, s, n) == 0)
                b = where_words[i].bits;
        if (!b)
            return 0;
        bits |= b;
        if (!comma)
            break;
        s = comma + 1;
        len -= n + 1;
        if (!len)
            return 0; /* a trailing comma */
    }
    return bits;
}

static int class_index(sig_rules *r, const char *s, size_t len)
{
    for (size_t i = 0; i < r->nclasses; i++)
        if (strlen(r->classes[i]) == len && strncmp(r->classes[i], s, len) == 0)
            return (int)i;
    if (r->nclasses == SIG_CLASSES_MAX)
        return -1;
    char *name = strndup(s, len);
    if (!name)
        return -1;
    r->classes[r->nclasses] = name;
    return (int)r->nclasses++;
}

static int valid_class(const char *s, size_t len)
{
    if (!len || len > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The next whitespace-separated field of [*p, end): its start and length; *p moves past it. */
static size_t next_field(const char **p, const char *end, const char **field)
{
    const char *s = *p;
    while (s < end && is_blank(*s))
        s++;
    const char *f = s;
    while (s < end && !is_blank(*s))
        s++;
    *field = f;
    *p = s;
    return (size_t)(s - f);
}

/* Every rule is caseless: attackers vary case. NEVER_UTF: a rule cannot switch to UTF mode,
 * which would refuse the invalid UTF-8 that attackers send. DUPNAMES: alternatives of one rule
 * (and rules joined in a group) may reuse a group name, each back-reference then finds the group
 * of its own alternative, the only one set when that alternative matches. */
static const uint32_t COMPILE_OPTIONS = PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_DUPNAMES;

static void byteset_add(byteset *b, unsigned c)
{
    b->w[c >> 6] |= 1ull << (c & 63);
}

static void byteset_add_caseless(byteset *b, unsigned c)
{
    byteset_add(b, c);
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        byteset_add(b, c ^ 0x20);
}

static int byteset_meets(const byteset *a, const byteset *b)
{
    return ((a->w[0] & b->w[0]) | (a->w[1] & b->w[1]) | (a->w[2] & b->w[2]) |
            (a->w[3] & b->w[3])) != 0;
}

/* What PCRE2 learnt studying the pattern: the bytes a match can start with, a byte every match
 * contains, the shortest subject it can match. Letters count in both cases (rules are caseless
 * unless they say (?-i)). */
static void study(sig_rule *rule)
{
    memset(&rule->start, 0xff, sizeof rule->start);
    memset(&rule->need, 0xff, sizeof rule->need);
    uint32_t type = 0, unit = 0;
    const uint8_t *bits = NULL;
    if (pcre2_pattern_info(rule->code, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 && type == 1 &&
        pcre2_pattern_info(rule->code, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 && unit < 256) {
        memset(&rule->start, 0, sizeof rule->start);
        byteset_add_caseless(&rule->start, unit);
    } else if (type == 0 && pcre2_pattern_info(rule->code, PCRE2_INFO_FIRSTBITMAP, &bits) == 0 &&
               bits) {
        memset(&rule->start, 0, sizeof rule->start);
        for (unsigned c = 0; c < 256; c++)
            if (bits[c >> 3] & (1u << (c & 7)))
                byteset_add(&rule->start, c);
    }
    if (pcre2_pattern_info(rule->code, PCRE2_INFO_MINLENGTH, &rule->minlen) != 0)
        rule->minlen = 0;
    if (pcre2_pattern_info(rule->code, PCRE2_INFO_LASTCODETYPE, &type) == 0 && type == 1 &&
        pcre2_pattern_info(rule->code, PCRE2_INFO_LASTCODEUNIT, &unit) == 0 && unit < 256) {
        memset(&rule->need, 0, sizeof rule->need);
        byteset_add_caseless(&rule->need, unit);
    }
}

static int byteset_equal(const byteset *a, const byteset *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static int same_members(const sig_group *a, const sig_group *b)
{
    return a->n == b->n && memcmp(a->idx, b->idx, a->n * sizeof *a->idx) == 0;
}

/* Compiles the alternation of a group's rules, or takes it from an identical group of an earlier
 * kind (most rules apply to every kind). A group that will not compile keeps code NULL: its
 * rules then run one by one, as they are. */
static int join_group(sig_rules *r, int kind, sig_group *g)
{
    for (int k = 0; k < kind; k++)
        for (size_t i = 0; i < r->kinds[k].ngroups; i++)
            if (r->kinds[k].groups[i].code && same_members(&r->kinds[k].groups[i], g)) {
                g->code = r->kinds[k].groups[i].code;
                return 0;
            }
    size_t len = 0;
    for (size_t i = 0; i < g->n; i++)
        len += strlen(r->rules[g->idx[i]].src) + 5;
    char *alt = malloc(len + 1);
    if (!alt)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < g->n; i++)
        o += (size_t)sprintf(alt + o, "%s(?:%s)", i ? "|" : "", r->rules[g->idx[i]].src);
    int ec;
    PCRE2_SIZE eo;
    g->code = pcre2_compile((PCRE2_SPTR)alt, o, COMPILE_OPTIONS, &ec, &eo, NULL);
    free(alt);
    if (g->code) {
        pcre2_jit_compile(g->code, PCRE2_JIT_COMPLETE);
        g->owner = 1;
    }
    return 0;
}

static int build_kinds(sig_rules *r)
{
    for (int k = 0; k < SIG_KIND__MAX; k++) {
        sig_kind_set *ks = &r->kinds[k];
        ks->groups = calloc(r->n ? r->n : 1, sizeof *ks->groups);
        if (!ks->groups)
            return -1;
        for (size_t i = 0; i < r->n; i++) {
            const sig_rule *rule = &r->rules[i];
            if (!(rule->where & kind_mask[k]))
                continue;
            ks->classes |= 1u << rule->cls;
            sig_group *g = NULL;
            /* Same first bytes, or both anchored (one attempt each, whatever they start with). */
            for (size_t j = 0; rule->joinable && j < ks->ngroups && !g; j++) {
                const sig_rule *first = &r->rules[ks->groups[j].idx[0]];
                if (first->joinable && first->anchored == rule->anchored &&
                    (rule->anchored || byteset_equal(&ks->groups[j].start, &rule->start)))
                    g = &ks->groups[j];
            }
            if (!g) {
                g = &ks->groups[ks->ngroups++];
                g->start = rule->start;
                g->minlen = rule->minlen;
                if (!(g->idx = calloc(r->n, sizeof *g->idx)))
                    return -1;
            }
            g->idx[g->n++] = (uint32_t)i;
            g->classes |= 1u << rule->cls;
            for (int w = 0; w < 4; w++)
                g->start.w[w] |= rule->start.w[w];
            if (rule->minlen < g->minlen)
                g->minlen = rule->minlen;
        }
        ks->minlen = UINT32_MAX;
        for (size_t j = 0; j < ks->ngroups; j++) {
            if (ks->groups[j].n > 1 && join_group(r, k, &ks->groups[j]) < 0)
                return -1;
            if (ks->groups[j].minlen < ks->minlen)
                ks->minlen = ks->groups[j].minlen;
        }
    }
    return 0;
}

void sig_rules_free(sig_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        pcre2_code_free(r->rules[i].code);
        free(r->rules[i].src);
    }
    free(r->rules);
    for (size_t i = 0; i < r->nclasses; i++)
        free(r->classes[i]);
    for (int k = 0; k < SIG_KIND__MAX; k++) {
        for (size_t j = 0; j < r->kinds[k].ngroups; j++) {
            if (r->kinds[k].groups[j].owner)
                pcre2_code_free(r->kinds[k].groups[j].code);
            free(r->kinds[k].groups[j].idx);
        }
        free(r->kinds[k].groups);
    }
    pcre2_match_context_free(r->mctx);
    free(r);
}

/* Whether a pattern means the same cut out of a longer one, or inside one: every capture group
 * has a name, and nothing refers to a group by number nor recurses into the whole pattern. */
static int named_only(const pcre2_code *code, const char *src, size_t len)
{
    uint32_t captures = 0, names = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &names);
    if (captures != names)
        return 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (src[i] == '\\') {
            char c = src[++i];
            if ((c >= '0' && c <= '9') || c == 'g')
                return 0; /* \1, \g1, \g{-1}, \g<0> */
        } else if (src[i] == '(' && src[i + 1] == '?' && i + 2 < len && src[i + 2] &&
                   strchr("0123456789+-(R&P", src[i + 2])) {
            if (src[i + 2] == '-' && i + 3 < len && !(src[i + 3] >= '0' && src[i + 3] <= '9'))
                continue; /* (?-i): an option, not a call */
            if (src[i + 2] == 'P' && i + 3 < len && src[i + 3] == '<')
                continue; /* (?P<name>: a named group */
            return 0; /* (?1) (?+1) (?R) (?&name) (?P>name) (?(1)...) */
        }
    }
    return 1;
}

static int add_rule(sig_rules *r, const sig_rule *proto, pcre2_code *code, const char *src,
                    size_t len)
{
    char *copy = strndup(src, len);
    if (!copy)
        return -1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        sig_rule *grown = realloc(r->rules, cap * sizeof *grown);
        if (!grown) {
            free(copy);
            return -1;
        }
        r->rules = grown;
        r->cap = cap;
    }
    sig_rule *rule = &r->rules[r->n++];
    *rule = *proto;
    rule->code = code;
    rule->src = copy;
    /* Group numbers would shift in an alternation (names do not); (*VERB)s apply to a whole
     * pattern. */
    rule->joinable = named_only(code, src, len) && !(len > 1 && src[0] == '(' && src[1] == '*') &&
                     !memchr(src, '\0', len); /* joined as text */
    uint32_t options = 0;
    pcre2_pattern_info(code, PCRE2_INFO_ALLOPTIONS, &options);
    rule->anchored = (options & PCRE2_ANCHORED) != 0;
    /* No JIT on this CPU, or out of executable memory: the interpreter still matches. */
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    study(rule);
    return 0;
}

/* The length of a leading option setting such as (?i) or (?-i), else 0. */
static size_t leading_options(const char *re, size_t len)
{
    if (len < 3 || re[0] != '(' || re[1] != '?')
        return 0;
    size_t i = 2;
    while (i < len && (re[i] == '-' || re[i] == '^' || (re[i] >= 'a' && re[i] <= 'z') ||
                       (re[i] >= 'A' && re[i] <= 'Z')))
        i++;
    return i < len && i > 2 && re[i] == ')' ? i + 1 : 0;
}

/* Where the top-level alternatives of re[0..len) end: their end offsets in ends[] (at most max),
 * or 0 when the pattern cannot be cut safely (an option set midway, \Q, an unbalanced group,
 * too many branches). Escapes, classes and groups are stepped over. */
static size_t top_branches(const char *re, size_t len, size_t *ends, size_t max)
{
    size_t n = 0;
    int depth = 0;
    for (size_t i = leading_options(re, len); i < len; i++) {
        char c = re[i];
        if (c == '\\') {
            if (i + 1 < len && (re[i + 1] == 'Q' || re[i + 1] == 'E'))
                return 0;
            i++;
        } else if (c == '[') {
            size_t j = i + 1;
            if (j < len && re[j] == '^')
                j++;
            if (j < len && re[j] == ']')
                j++;
            for (; j < len && re[j] != ']'; j++) {
                if (re[j] == '\\')
                    j++;
                else if (re[j] == '[' && j + 1 < len && re[j + 1] == ':')
                    for (j += 2; j < len && !(re[j] == ']' && re[j - 1] == ':'); j++)
                        ;
            }
            if (j >= len)
                return 0;
            i = j;
        } else if (c == '(') {
            if (depth == 0 && leading_options(re + i, len - i))
                return 0; /* (?i) midway would carry into the later branches */
            depth++;
        } else if (c == ')') {
            if (--depth < 0)
                return 0;
        } else if (c == '|' && depth == 0) {
            if (n + 1 == max)
                return 0;
            ends[n++] = i;
        }
    }
    if (depth != 0)
        return 0;
    ends[n++] = len;
    return n;
}

/* Adds the rule compiled whole, or, when its top-level alternatives can stand alone (no numbered
 * groups, whose numbers would shift), one entry per alternative with the rule's id: PCRE2 then
 * learns a first byte or a required byte for each, and the gates in scan_one skip far more. The
 * whole pattern was compiled (and checked) already: code is kept or freed here, even on error. */
static int add_branches(sig_rules *r, const sig_rule *proto, const char *re, size_t len,
                        pcre2_code *code)
{
    enum { MAX_BRANCHES = 64 };
    size_t ends[MAX_BRANCHES];
    size_t opts = leading_options(re, len);
    /* Not with (*VERB)s that apply to the whole, nor in extended mode (# comments). */
    size_t n = named_only(code, re, len) && !(len > 1 && re[0] == '(' && re[1] == '*') &&
                       !memchr(re, 'x', opts)
                   ? top_branches(re, len, ends, MAX_BRANCHES)
                   : 0;
    if (n < 2)
        goto whole;
    pcre2_code *parts[MAX_BRANCHES];
    char *part = malloc(len + 1);
    size_t from = opts, done = 0;
    for (; part && done < n; done++) {
        memcpy(part, re, opts);
        memcpy(part + opts, re + from, ends[done] - from);
        int ec;
        PCRE2_SIZE eo;
        parts[done] = pcre2_compile((PCRE2_SPTR)part, opts + ends[done] - from, COMPILE_OPTIONS,
                                    &ec, &eo, NULL);
        if (!parts[done])
            break;
        from = ends[done] + 1;
    }
    free(part);
    if (done < n) { /* a branch that does not stand alone: keep the rule whole */
        while (done)
            pcre2_code_free(parts[--done]);
        goto whole;
    }
    pcre2_code_free(code);
    from = opts;
    for (size_t i = 0; i < n; i++) {
        /* The branch's text with the rule's leading options, as it was compiled. */
        char *text = malloc(opts + ends[i] - from + 1);
        if (text) {
            memcpy(text, re, opts);
            memcpy(text + opts, re + from, ends[i] - from);
        }
        if (!text || add_rule(r, proto, parts[i], text, opts + ends[i] - from) < 0) {
            free(text);
            while (i < n)
                pcre2_code_free(parts[i++]);
            return -1;
        }
        free(text);
        from = ends[i] + 1;
    }
    return 0;
whole:
    if (add_rule(r, proto, code, re, len) < 0) {
        pcre2_code_free(code);
        return -1;
    }
    return 0;
}

/* Parses one rule line; 0, or -1 with the message (without FILE:LINE) in msg. */
static int parse_line(sig_rules *r, const char *p, const char *end, uint32_t lineno, char *msg,
                      size_t msglen)
{
    const char *f;
    size_t n = next_field(&p, end, &f);
    if (!valid_class(f, n)) {
        snprintf(msg, msglen, "bad class '%.*s' (a-z, 0-9, _; up to 32): expected CLASS ID WHERE "
                 "REGEX", (int)(n > 40 ? 40 : n), f);
        return -1;
    }
    const char *cls = f;
    size_t clslen = n;
    n = next_field(&p, end, &f);
    char num[16];
    char *nend = NULL;
    unsigned long id = 0;
    if (n && n < sizeof num) {
        memcpy(num, f, n);
        num[n] = '\0';
        id = strtoul(num, &nend, 10);
    }
    if (!n || n >= sizeof num || *nend || id == 0 || id > UINT32_MAX || f[0] == '-' ||
        f[0] == '+') {
        snprintf(msg, msglen, "bad rule id '%.*s': a number from 1", (int)(n > 20 ? 20 : n), f);
        return -1;
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->rules[i].id == id) {
            snprintf(msg, msglen, "rule id %lu already used on line %u", id, r->rules[i].line);
            return -1;
        }
    n = next_field(&p, end, &f);
    unsigned where = parse_where(f, n);
    if (!where) {
        snprintf(msg, msglen, "bad WHERE '%.*s': path, args, names, cookies, headers, agent or "
                 "any, or a comma-separated list", (int)(n > 40 ? 40 : n), f);
        return -1;
    }
    while (p < end && is_blank(*p))
        p++;
    if (p == end) {
        snprintf(msg, msglen, "no regex: expected CLASS ID WHERE REGEX");
        return -1;
    }
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)p, (size_t)(end - p), COMPILE_OPTIONS, &ec, &eo,
                                     NULL);
    if (!code) {
        char why[160];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)why, sizeof why);
        snprintf(msg, msglen, "bad regex at offset %zu: %s", (size_t)eo, why);
        return -1;
    }
    int ci = class_index(r, cls, clslen);
    if (ci < 0) {
        pcre2_code_free(code);
        snprintf(msg, msglen, "more than %d classes", SIG_CLASSES_MAX);
        return -1;
    }
    sig_rule proto = {.id = (uint32_t)id, .line = lineno, .cls = (uint8_t)ci,
                      .where = (uint8_t)where};
    if (add_branches(r, &proto, p, (size_t)(end - p), code) < 0) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    return 0;
}

sig_rules *sig_rules_compile(const char *text, size_t len, const char *origin, char *err,
                             size_t errlen)
{
    sig_rules *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", origin);
        goto fail;
    }
    const char *p = text, *end = text + len;
    for (uint32_t lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        /* Trailing blanks and a CR are not part of the regex: write \x20 for a final space. */
        while (eol > p && (is_blank(eol[-1]) || eol[-1] == '\r'))
            eol--;
        const char *s = p;
        while (s < eol && is_blank(*s))
            s++;
        if (s < eol && *s != '#') {
            char msg[300];
            if (parse_line(r, s, eol, lineno, msg, sizeof msg) < 0) {
                snprintf(err, errlen, "%s:%u: %s", origin, lineno, msg);
                goto fail;
            }
            r->nlines++;
        }
        p = next;
    }
    if (r->n == 0) {
        snprintf(err, errlen, "%s: no rules", origin);
        goto fail;
    }
    r->mctx = pcre2_match_context_create(NULL);
    if (!r->mctx || build_kinds(r) < 0) {
        snprintf(err, errlen, "%s: out of memory", origin);
        goto fail;
    }
    static atomic_uint_fast64_t generation;
    r->gen = (uint64_t)atomic_fetch_add(&generation, 1) + 1;
    pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(r->mctx, DEPTH_LIMIT);
    pcre2_set_heap_limit(r->mctx, HEAP_LIMIT_KIB);
    return r;
fail:
    sig_rules_free(r);
    return NULL;
}

sig_rules *sig_rules_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %m", path);
        return NULL;
    }
    char *text = malloc(FILE_MAX);
    size_t len = text ? fread(text, 1, FILE_MAX, f) : 0;
    int bad = !text || ferror(f) || len == FILE_MAX;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: cannot read, or larger than %d bytes", path, FILE_MAX);
        free(text);
        return NULL;
    }
    sig_rules *r = sig_rules_compile(text, len, path, err, errlen);
    free(text);
    return r;
}

size_t sig_rules_count(const sig_rules *r)
{
    return r->nlines;
}

size_t sig_rules_nclasses(const sig_rules *r)
{
    return r->nclasses;
}

const char *sig_rules_class(const sig_rules *r, unsigned c)
{
    return c < r->nclasses ? r->classes[c] : NULL;
}

uint32_t sig_rules_class_bit(const sig_rules *r, const char *name)
{
    for (size_t i = 0; i < r->nclasses; i++)
        if (strcmp(r->classes[i], name) == 0)
            return 1u << i;
    return 0;
}

/* ---- Matching ----------------------------------------------------------------------------- */

/* PCRE2 allocates through the request's arena: nothing to free, nothing shared between
 * threads. */
static void *arena_malloc(PCRE2_SIZE size, void *data)
{
    return arena_alloc(data, size);
}

static void arena_nofree(void *p, void *data)
{
    (void)p;
    (void)data;
}

int sig_scan_init(sig_scan *s, const sig_rules *r, arena *a)
{
    /* rule_id[] is left as it is: a class's entry is written when its bit is set, and read only
     * then; clearing it costs every request 128 bytes of stores */
    s->rules = r;
    s->arena = a;
    s->md = NULL;
    s->buf[0] = s->buf[1] = NULL;
    s->classes = 0;
    s->values = s->bytes = s->errors = 0;
    return 0;
}

/* The match data, made on the first match: most requests are settled by the gates and the
 * clean cache without one. */
static pcre2_match_data *match_data(sig_scan *s)
{
    if (!s->md) {
        pcre2_general_context *gc =
            pcre2_general_context_create(arena_malloc, arena_nofree, s->arena);
        /* One pair is enough: only whether a rule matches counts, and a match with a short
         * ovector still reports success (0). */
        s->md = gc ? pcre2_match_data_create(1, gc) : NULL;
    }
    return s->md;
}

/* pcre2_match's result. */
static int match(sig_scan *s, const pcre2_code *code, const char *v, size_t len)
{
    if (!match_data(s))
        return PCRE2_ERROR_NOMEMORY;
    int rc = pcre2_match(code, (PCRE2_SPTR)v, len, 0, 0, s->md, s->rules->mctx);
    /* The JIT's stack is small: the interpreter, on the heap within the limits, finishes the
     * job, or a long value would be a way around a rule. */
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(code, (PCRE2_SPTR)v, len, 0, PCRE2_NO_JIT, s->md, s->rules->mctx);
    return rc;
}

/* 1 on a match; a limit reached counts as no match (and is counted). */
static int matches(sig_scan *s, const pcre2_code *code, const char *v, size_t len)
{
    int rc = match(s, code, v, len);
    if (rc >= 0)
        return 1;
    if (rc != PCRE2_ERROR_NOMATCH)
        s->errors++;
    return 0;
}

static void run_rule(sig_scan *s, const sig_rule *rule, const byteset *present, const char *v,
                     size_t len, uint32_t *hit)
{
    uint32_t bit = 1u << rule->cls;
    if ((s->classes & bit) || len < rule->minlen || !byteset_meets(&rule->start, present) ||
        !byteset_meets(&rule->need, present) || !matches(s, rule->code, v, len))
        return;
    s->classes |= bit;
    s->rule_id[rule->cls] = rule->id;
    *hit |= bit;
}

static void scan_one(sig_scan *s, const sig_kind_set *ks, const char *v, size_t len,
                     uint32_t *hit)
{
    s->bytes += len;
    byteset present = {{0}};
    for (size_t i = 0; i < len; i++)
        byteset_add(&present, (unsigned char)v[i]);
    for (size_t i = 0; i < ks->ngroups; i++) {
        const sig_group *g = &ks->groups[i];
        if ((s->classes & g->classes) == g->classes || len < g->minlen ||
            !byteset_meets(&g->start, &present))
            continue;
        /* A limit reached on the alternation: its rules decide, one by one. */
        if (g->code && match(s, g->code, v, len) == PCRE2_ERROR_NOMATCH)
            continue;
        for (size_t j = 0; j < g->n; j++)
            run_rule(s, &s->rules->rules[g->idx[j]], &present, v, len, hit);
    }
}

/* Browsers send the same User-Agent, Accept-Language and cookies with every request, and ask for
 * the same paths: the values of those kinds last found clean are remembered per thread, by their
 * exact bytes, so a returning browser costs a hash and a comparison. Only a scan that hit nothing, skipped nothing and hit no
 * limit is remembered; the rules' generation keeps another rule set's verdicts out. */
enum { CLEAN_SETS = 64, CLEAN_WAYS = 2, CLEAN_LEN = 240 };

typedef struct clean_entry {
    uint64_t gen;
    uint32_t len;
    uint32_t kind; /* enum sig_kind, and the plus flag in bit 8 */
    uint64_t used; /* the thread's scan count when last looked up: the older way goes */
    char text[CLEAN_LEN];
} clean_entry;
static _Thread_local uint64_t clean_clock;

static pthread_key_t clean_key;
static pthread_once_t clean_once = PTHREAD_ONCE_INIT;
static int clean_key_ok;
static _Thread_local clean_entry *clean_cache; /* also in clean_key, which frees it */
/* Per kind, the entry the thread found last: a browser sends the same User-Agent request after
 * request, and one comparison then answers without hashing it. */
static _Thread_local clean_entry *clean_last[SIG_KIND__MAX];

static void clean_key_make(void)
{
    clean_key_ok = pthread_key_create(&clean_key, free) == 0;
}

static int clean_hit(const clean_entry *e, uint64_t gen, uint32_t kind, const char *v, size_t len)
{
    return e->gen == gen && e->kind == kind && e->len == len && memcmp(e->text, v, len) == 0;
}

/* Eight bytes a step (a User-Agent is a hundred): only which set a value falls in depends on
 * it, so a collision costs a scan, never a wrong verdict (entries compare the whole text). */
static uint64_t clean_hash(uint32_t kind, const char *v, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (kind + 1) ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) { /* a fixed-size copy is one load */
        uint64_t w;
        memcpy(&w, v + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, v + i, len - i);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h ^ h >> 29;
}

/* The entry holding the value, or the one to replace with it: two ways per set, so that two
 * values a browser sends with every request (its path and its cookie, say) that fall into the
 * same set do not evict each other on every request. */
static clean_entry *clean_slot(uint32_t kind, const char *v, size_t len, uint64_t gen, int *hit)
{
    *hit = 0;
    if (!clean_cache) {
        pthread_once(&clean_once, clean_key_make);
        if (!clean_key_ok || !(clean_cache = calloc(CLEAN_SETS * CLEAN_WAYS, sizeof *clean_cache)))
            return NULL;
        if (pthread_setspecific(clean_key, clean_cache) != 0) {
            free(clean_cache);
            clean_cache = NULL;
            return NULL;
        }
    }
    clean_entry **last = &clean_last[(kind & 0xff) % SIG_KIND__MAX];
    if (*last && clean_hit(*last, gen, kind, v, len)) {
        (*last)->used = ++clean_clock;
        *hit = 1;
        return *last;
    }
    uint64_t h = clean_hash(kind, v, len);
    clean_entry *set = &clean_cache[h % CLEAN_SETS * CLEAN_WAYS], *victim = set;
    for (int w = 0; w < CLEAN_WAYS; w++) {
        clean_entry *e = &set[w];
        if (clean_hit(e, gen, kind, v, len)) {
            e->used = ++clean_clock;
            *hit = 1;
            *last = e;
            return e;
        }
        if (e->used < victim->used)
            victim = e;
    }
    return victim;
}


static int cacheable(enum sig_kind kind, size_t len)
{
    return (kind == SIG_AGENT || kind == SIG_HEADER || kind == SIG_COOKIE || kind == SIG_PATH) &&
           len <= CLEAN_LEN;
}

/* PCRE2's JIT reads whole aligned blocks around its subject (within the page, harmless): every
 * subject is a copy that starts aligned and ends with zeroed bytes, so all it reads is
 * initialised memory (valgrind runs clean). */
enum { PAD = 64 };

static char *padded(arena *a, size_t cap)
{
    char *p = arena_alloc(a, cap + 2 * PAD);
    return p ? (char *)(((uintptr_t)p + PAD - 1) & ~(uintptr_t)(PAD - 1)) : NULL;
}

static int needs_decoding(const char *v, size_t len, int plus)
{
    return memchr(v, '%', len) || (plus && memchr(v, '+', len));
}

/* HTML character references that script hides behind: numeric ones (&#106; &#x6A &#0000106,
 * the ';' optional as browsers allow) for ASCII, and the named ones that spell punctuation. Other
 * references stay as they are. out holds len + 1 bytes. Returns the new length. */
static const struct {
    const char *name;
    char c;
} named_refs[] = {
    {"colon", ':'}, {"tab", '\t'},    {"newline", '\n'}, {"lpar", '('},   {"rpar", ')'},
    {"lt", '<'},    {"gt", '>'},      {"quot", '"'},     {"apos", '\''},  {"amp", '&'},
    {"sol", '/'},   {"bsol", '\\'},   {"equals", '='},   {"period", '.'}, {"comma", ','},
    {"excl", '!'},  {"num", '#'},     {"semi", ';'},     {"grave", '`'},  {"lsqb", '['},
    {"rsqb", ']'},  {"lcub", '{'},    {"rcub", '}'},     {"percnt", '%'}, {"plus", '+'},
};

static int digit_value(char c, int hex)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

/* The length of the reference at in[0] == '&' and its character in *c, or 0 when it is not one
 * we decode. */
static size_t entity_at(const char *in, size_t len, char *c)
{
    size_t j = 1;
    if (j < len && in[j] == '#') {
        int hex = ++j < len && (in[j] | 0x20) == 'x';
        j += (size_t)hex;
        size_t start = j;
        unsigned long cp = 0;
        int d;
        while (j < len && j - start < 10 && (d = digit_value(in[j], hex)) >= 0) {
            cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            j++;
        }
        if (j == start || cp >= 0x80)
            return 0;
        *c = (char)cp;
    } else {
        size_t k = 0, n = 0;
        for (; k < sizeof named_refs / sizeof named_refs[0]; k++) {
            n = strlen(named_refs[k].name);
            if (j + n < len && in[j + n] == ';' && strncasecmp(in + j, named_refs[k].name, n) == 0)
                break;
        }
        if (k == sizeof named_refs / sizeof named_refs[0])
            return 0;
        *c = named_refs[k].c;
        j += n;
    }
    return j < len && in[j] == ';' ? j + 1 : j;
}

static size_t entity_decode(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = in[i] == '&' ? entity_at(in + i, len - i, &out[o]) : 0;
        if (n) {
            o++;
            i += n;
        } else {
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    return o;
}

static int has_entity(const char *v, size_t len)
{
    for (const char *p = v; (p = memchr(p, '&', len - (size_t)(p - v))); p++) {
        char c;
        if (entity_at(p, len - (size_t)(p - v), &c))
            return 1;
    }
    return 0;
}

uint32_t sig_scan_value(sig_scan *s, enum sig_kind kind, int plus, const char *value, size_t len)
{
    if ((unsigned)kind >= SIG_KIND__MAX || !value || !len)
        return 0;
    const sig_kind_set *ks = &s->rules->kinds[kind];
    if ((s->classes & ks->classes) == ks->classes)
        return 0; /* every class these rules could add has hit already */
    if (len > SIG_VALUE_MAX)
        len = SIG_VALUE_MAX;
    s->values++;
    /* Shorter than any rule can match (decoding only shortens): a path of "/", say. */
    if (len < ks->minlen)
        return 0;
    clean_entry *slot = NULL;
    size_t errors = s->errors;
    uint32_t key = (uint32_t)kind | (plus ? 1u << 8 : 0);
    if (cacheable(kind, len) && !(s->classes & ks->classes)) {
        int clean;
        slot = clean_slot(key, value, len, s->rules->gen, &clean);
        if (clean)
            return 0;
    }
    char *copy = padded(s->arena, len);
    if (!copy)
        return 0;
    memcpy(copy, value, len);
    memset(copy + len, 0, PAD);
    uint32_t hit = 0;
    scan_one(s, ks, copy, len, &hit);
    /* Decoded, then again while it changes: double (and triple) encoding gets past filters
     * that decode once. Parameters arrive decoded once already; the rest arrive as sent. */
    const char *v = copy;
    size_t vlen = len;
    for (int pass = 0; pass < DECODE_PASSES && needs_decoding(v, vlen, plus); pass++) {
        char **out = &s->buf[pass & 1];
        if (!*out && !(*out = padded(s->arena, SIG_VALUE_MAX)))
            break;
        size_t dlen = form_decode(v, vlen, *out, plus, NULL);
        memset(*out + dlen, 0, PAD);
        if (dlen == vlen && memcmp(*out, v, vlen) == 0)
            break;
        v = *out;
        vlen = dlen;
        scan_one(s, ks, v, vlen, &hit);
    }
    /* Character references, as a browser decodes them: <a href="&#106;avascript&colon;..."> */
    if (has_entity(v, vlen)) {
        char **out = &s->buf[v == s->buf[0]];
        if (*out || (*out = padded(s->arena, SIG_VALUE_MAX))) {
            size_t dlen = entity_decode(v, vlen, *out);
            memset(*out + dlen, 0, PAD);
            if (dlen != vlen)
                scan_one(s, ks, *out, dlen, &hit);
        }
    }
    if (slot && !hit && s->errors == errors) {
        slot->used = ++clean_clock;
        slot->gen = s->rules->gen;
        slot->kind = key;
        slot->len = (uint32_t)len;
        memcpy(slot->text, value, len);
    }
    return hit;
}

uint32_t sig_match(const sig_rules *r, enum sig_kind kind, const char *value, size_t len)
{
    arena a;
    arena_init(&a, 4096);
    sig_scan s;
    uint32_t hit = 0;
    if (sig_scan_init(&s, r, &a) == 0)
        hit = sig_scan_value(&s, kind, kind == SIG_ARG, value, len);
    arena_free(&a);
    return hit;
}

/* ---- The detector ------------------------------------------------------------------------- */

/* What one request may cost at most (about 20 ms of hostile values; a typical request costs
 * microseconds): values beyond these are not examined. */
enum {
    REQUEST_VALUES = 256,
    REQUEST_BYTES = 64 << 10,
    JSON_BODY_MAX = 64 << 10,
    JSON_DEPTH = 32,
    EVIDENCE = 120,
};

typedef struct sig_state {
    sig_rules *rules;
    double weight;
    /* Bit n of names[c]: a scanned header (below) is n bytes long and starts with the letter
     * c ('a' + c, either case; 26: anything else); of ends[c], ends with it. Most header names
     * are ruled out by the two (Accept-Encoding, against Accept-Language, by the second). */
    uint64_t names[27], ends[27];
} sig_state;

static unsigned letter(char c)
{
    unsigned l = (unsigned)(c | 0x20) - 'a';
    return l < 26 ? l : 26;
}

/* The headers attackers put payloads in (Log4Shell scanners sprayed these) that a request
 * carries for the application; Authorization and Cookie are left out of evidence on purpose
 * (cookies are matched one by one). */
#define HEADER(name) {name, sizeof name - 1}
static const struct {
    const char *name;
    size_t len; /* compared first: most headers are told apart by their length alone */
} scanned_headers[] = {
    HEADER("Referer"),        HEADER("X-Forwarded-For"), HEADER("X-Forwarded-Host"),
    HEADER("X-Real-IP"),      HEADER("X-Client-IP"),     HEADER("True-Client-IP"),
    HEADER("X-Api-Version"),  HEADER("Accept-Language"), HEADER("Origin"),
    HEADER("Forwarded"),      HEADER("From"),
};
#undef HEADER

static int sig_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)hp;
    if (!config_get_bool(cfg, "signature", "enabled"))
        return 0;
    sig_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "signature: out of memory");
        return -1;
    }
    const char *path = config_get_str(cfg, "signature", "rules");
    char msg[400];
    if (path && *path)
        st->rules = sig_rules_load(path, msg, sizeof msg);
    else
        st->rules = sig_rules_compile(mitsu_signature_rules, strlen(mitsu_signature_rules),
                                      "built-in data/signatures.rules", msg, sizeof msg);
    if (!st->rules) {
        snprintf(err, errlen, "signature rules: %s", msg);
        free(st);
        return -1;
    }
    st->weight = (double)config_get_int(cfg, "signature", "weight");
    for (size_t j = 0; j < sizeof scanned_headers / sizeof scanned_headers[0]; j++) {
        st->names[letter(scanned_headers[j].name[0])] |= 1ull << scanned_headers[j].len;
        st->ends[letter(scanned_headers[j].name[scanned_headers[j].len - 1])] |=
            1ull << scanned_headers[j].len;
    }
    *state = st;
    return 0;
}

static void sig_fini(void *state)
{
    sig_state *st = state;
    if (!st)
        return;
    sig_rules_free(st->rules);
    free(st);
}

typedef struct walk {
    const sig_state *st;
    hp_request *r;
    sig_scan scan;
} walk;

static void value(walk *w, enum sig_kind kind, int plus, const char *name, const char *v,
                  size_t len)
{
    sig_scan *s = &w->scan;
    if (s->values >= REQUEST_VALUES || s->bytes >= REQUEST_BYTES)
        return;
    /* Shorter than any rule of its kind can match (every request's path of "/"): what
     * sig_scan_value() concludes first, without the call. */
    const sig_kind_set *ks = &s->rules->kinds[kind];
    if (len && len < ks->minlen) {
        if ((s->classes & ks->classes) != ks->classes)
            s->values++;
        return;
    }
    uint32_t hit = sig_scan_value(s, kind, plus, v, len);
    for (unsigned c = 0; hit; c++, hit >>= 1) {
        if (!(hit & 1))
            continue;
        char shown[EVIDENCE + 1], label[64];
        hp_printable(v, len, shown, sizeof shown);
        hp_printable(name, strlen(name), label, sizeof label);
        hp_report(w->r, &hp_detect_signature, HP_ATTACK, w->st->weight,
                  "%s rule %u in %s%s%s: %s%s", sig_rules_class(w->st->rules, c),
                  (unsigned)s->rule_id[c], sig_kind_names[kind], *label ? " " : "", label,
                  shown, len > EVIDENCE ? "..." : "");
    }
}

static void fields(walk *w, const form_fields *f, int plus)
{
    for (size_t i = 0; i < f->count; i++) {
        const form_field *x = &f->items[i];
        value(w, SIG_NAME, 0, "", x->name, strlen(x->name));
        if (x->filename) /* a file's bytes are not text; its name may climb directories */
            value(w, SIG_ARG, 0, x->name, x->filename, strlen(x->filename));
        else
            value(w, SIG_ARG, plus, x->name, x->value, x->value_len);
    }
}

/* The strings of a JSON body (object keys are not: filters like {"$gt": 1} are legitimate). */
static void json_strings(walk *w, json_t *j, const char *name, int depth)
{
    if (depth > JSON_DEPTH)
        return;
    if (json_is_string(j)) {
        value(w, SIG_ARG, 0, name, json_string_value(j), json_string_length(j));
    } else if (json_is_array(j)) {
        size_t i;
        json_t *x;
        json_array_foreach(j, i, x) json_strings(w, x, name, depth + 1);
    } else if (json_is_object(j)) {
        const char *k;
        json_t *x;
        json_object_foreach(j, k, x) json_strings(w, x, k, depth + 1);
    }
}

/* The fields the detector reads from the head: the User-Agent, the scanned headers and every
 * cookie but a known client id. */
static void scan_fields(walk *w, const http_request *hr, mitsu_req *req)
{
    const sig_state *st = w->st;
    for (size_t i = 0; i < hr->nheaders; i++) {
        const http_header *h = &hr->headers[i];
        if (!h->name.len)
            continue;
        /* Length and first letter tell most names apart before a whole comparison. */
        char first = (char)(h->name.base[0] | 0x20);
        if (h->name.len == 10 && first == 'u' && http_slice_ieq(h->name, "User-Agent")) {
            value(w, SIG_AGENT, 0, "User-Agent", h->value.base, h->value.len);
            continue;
        }
        if (h->name.len >= 64 || !(st->names[letter(first)] >> h->name.len & 1) ||
            !(st->ends[letter(h->name.base[h->name.len - 1])] >> h->name.len & 1))
            continue;
        for (size_t j = 0; j < sizeof scanned_headers / sizeof scanned_headers[0]; j++)
            if (h->name.len == scanned_headers[j].len &&
                first == (scanned_headers[j].name[0] | 0x20) &&
                http_slice_ieq(h->name, scanned_headers[j].name)) {
                value(w, SIG_HEADER, 0, scanned_headers[j].name, h->value.base, h->value.len);
                break;
            }
    }
    const cookie_jar *jar = req_cookies(req);
    for (size_t i = 0; i < jar->count; i++)
        if (jar->pairs[i].value != w->r->id_cookie)
            value(w, SIG_COOKIE, 0, jar->pairs[i].name, jar->pairs[i].value,
                  jar->pairs[i].value_len);
}

/* A browser sends the same header fields (its User-Agent, languages, cookies) request after
 * request. Each thread remembers the last block of fields it found clean: the same bytes, under
 * the same rules and with the id cookie known alike, are clean again without a look. */
enum { BLOCK_MAX = 2048 };
typedef struct block_memo {
    uint64_t gen;
    size_t len; /* 0: nothing remembered */
    int id_known;
    size_t values, bytes; /* what scanning the block added to the scan's counts */
    char text[BLOCK_MAX];
} block_memo;
static _Thread_local block_memo bmemo;

/* The header fields as sent, from the first name to the end of the last value: the parser
 * leaves them in order in one buffer. 0 when there are none. */
static size_t header_block(const http_request *hr, const char **base)
{
    if (!hr->nheaders || !hr->headers[0].name.base)
        return 0;
    const http_header *last = &hr->headers[hr->nheaders - 1];
    const char *b = hr->headers[0].name.base, *e = last->value.base + last->value.len;
    if (!last->value.base || e <= b)
        return 0;
    *base = b;
    return (size_t)(e - b);
}

static void sig_before(void *state, hp_request *r)
{
    const sig_state *st = state;
    if (!st)
        return;
    mitsu_req *req = r->req;
    const http_request *hr = &req->ex->req;
    walk w; /* not zeroed here: sig_scan_init() does that for the scan */
    w.st = st;
    w.r = r;
    if (sig_scan_init(&w.scan, st->rules, r->arena) < 0)
        return;
    value(&w, SIG_PATH, 0, "", req->path.base ? req->path.base : "", req->path.len);
    const char *block = NULL;
    size_t blen = header_block(hr, &block);
    int id_known = r->id_cookie != NULL;
    block_memo *m = &bmemo;
    if (blen && blen == m->len && m->gen == st->rules->gen && m->id_known == id_known &&
        memcmp(block, m->text, blen) == 0) {
        w.scan.values += m->values;
        w.scan.bytes += m->bytes;
    } else {
        size_t hits = r->nhits, values = w.scan.values, bytes = w.scan.bytes;
        size_t errors = w.scan.errors;
        /* Remembered only from a scan that started with no class hit (a hit class is not
         * looked for again) and found nothing, not even a match stopped by a limit. */
        int fresh = w.scan.classes == 0;
        scan_fields(&w, hr, req);
        m->len = 0;
        if (fresh && blen && blen <= BLOCK_MAX && r->nhits == hits && w.scan.classes == 0 &&
            w.scan.errors == errors) {
            memcpy(m->text, block, blen);
            m->len = blen;
            m->gen = st->rules->gen;
            m->id_known = id_known;
            m->values = w.scan.values - values;
            m->bytes = w.scan.bytes - bytes;
        }
    }
    if (hr->query.len) {
        mitsu_query(req, ""); /* parses the query string once, for the handler too */
        fields(&w, &req->query, 1);
    }
    if (req->ex->body_len) { /* no body, no form: parsing would find nothing */
        mitsu_form(req, "");
        fields(&w, &req->form, 1);
    }
    if (req->ex->body_len && req->ex->body_len <= JSON_BODY_MAX) {
        json_t *j = mitsu_json_body(req);
        if (j)
            json_strings(&w, j, "", 0);
    }
}

const hp_detector hp_detect_signature = {
    .name = "signature",
    .phases = HP_BEFORE,
    .init = sig_init,
    .fini = sig_fini,
    .before = sig_before,
};
