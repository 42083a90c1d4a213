/* Option parsing and TIME / N arguments for the operator's subcommands: the same spelling and
 * the same error messages in every subcommand. */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"

static int usage_error(const char *cmd, const char *usage, const char *what, const char *arg)
{
    fprintf(stderr, "mitsu %s: %s%s%s%s\nusage: %s\n", cmd, what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "", usage);
    return TOOL_USAGE;
}

/* The option named like arg ("--since" or "--since=..."), or NULL. */
static const tool_opt *find_opt(const tool_opt *opts, size_t n, const char *arg)
{
    size_t len = strcspn(arg, "=");
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
            return &opts[i];
    return NULL;
}

int tool_parse_args(int argc, char **argv, const tool_opt *opts, size_t nopts,
                    tool_common *common, const char **pos, int npos, const char *usage)
{
    const char *cmd = argv[0];
    tool_opt all[32];
    if (nopts + 2 > sizeof all / sizeof all[0])
        return usage_error(cmd, usage, "too many options", NULL);
    memcpy(all, opts, nopts * sizeof *opts);
    all[nopts] = (tool_opt){"--db", &common->db, NULL};
    all[nopts + 1] = (tool_opt){"--config", &common->config, NULL};
    int got = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (got == npos)
                return usage_error(cmd, usage, "unexpected argument", a);
            pos[got++] = a;
            continue;
        }
        const tool_opt *o = find_opt(all, nopts + 2, a);
        if (!o)
            return usage_error(cmd, usage, "unknown option", a);
        const char *eq = strchr(a, '=');
        if (o->flag) {
            if (eq)
                return usage_error(cmd, usage, "option takes no value", a);
            *o->flag = 1;
        } else if (eq) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            return usage_error(cmd, usage, "option needs a value", a);
        }
    }
    if (got < npos)
        return usage_error(cmd, usage, "missing argument", NULL);
    return 0;
}

int64_t tool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "10m": a number and one unit letter. */
static int parse_span(const char *s, int64_t now_ms, int64_t *out)
{
    static const struct { char unit; int64_t ms; } units[] = {
        {'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno || end[0] == '\0' || end[1] != '\0' || n > 100LL * 365 * 86400)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (*end == units[i].unit) {
            *out = now_ms - n * units[i].ms;
            return 0;
        }
    return -1;
}

/* s starts with the shape of tmpl: 'd' a digit, 'T' one of "Tt ", anything else itself. */
static int has_shape(const char *s, const char *tmpl)
{
    for (; *tmpl; s++, tmpl++) {
        int ok = *tmpl == 'd' ? isdigit((unsigned char)*s) != 0
                 : *tmpl == 'T' ? *s != '\0' && strchr("Tt ", *s) != NULL
                                : *s == *tmpl;
        if (!ok)
            return 0;
    }
    return 1;
}

/* The decimal number of the n digits at s (their shape already checked). */
static int num(const char *s, int n)
{
    int v = 0;
    while (n-- > 0)
        v = v * 10 + (*s++ - '0');
    return v;
}

/* The fraction ".123456" after the seconds, as milliseconds (extra digits ignored); *p moves
 * past it. -1 for a dot without digits. */
static int fraction_ms(const char **p)
{
    if (**p != '.')
        return 0;
    (*p)++;
    if (!isdigit((unsigned char)**p))
        return -1;
    int ms = 0, scale = 100;
    for (; isdigit((unsigned char)**p); (*p)++, scale /= 10)
        ms += (**p - '0') * scale;
    return ms;
}

/* The zone after the time: "Z" or "+hh:mm" / "-hh:mm", as seconds east of UTC; *ok 0 if bad. */
static int64_t zone_offset(const char *p, int *ok)
{
    *ok = 1;
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0')
        return 0;
    if ((p[0] == '+' || p[0] == '-') && has_shape(p + 1, "dd:dd") && p[6] == '\0') {
        int oh = num(p + 1, 2), om = num(p + 4, 2);
        if (oh <= 23 && om <= 59)
            return (p[0] == '-' ? -1 : 1) * (int64_t)(oh * 60 + om) * 60;
    }
    *ok = 0;
    return 0;
}

static int parse_rfc3339(const char *s, int64_t *out)
{
    if (!has_shape(s, "dddd-dd-ddTdd:dd:dd"))
        return -1;
    struct tm tm = {0};
    tm.tm_year = num(s, 4) - 1900;
    tm.tm_mon = num(s + 5, 2) - 1;
    tm.tm_mday = num(s + 8, 2);
    tm.tm_hour = num(s + 11, 2);
    tm.tm_min = num(s + 14, 2);
    tm.tm_sec = num(s + 17, 2);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    const char *p = s + 19;
    int ms = fraction_ms(&p), ok;
    int64_t offset = zone_offset(p, &ok);
    if (ms < 0 || !ok)
        return -1;
    int mday = tm.tm_mday;
    time_t t = timegm(&tm);
    if (tm.tm_mday != mday) /* timegm moved a day the month does not have (Feb 30) */
        return -1;
    *out = ((int64_t)t - offset) * 1000 + ms;
    return 0;
}

int tool_parse_time(const char *s, int64_t now_ms, int64_t *out)
{
    if (!s || !*s)
        return -1;
    if (strlen(s) >= 10 && s[4] == '-')
        return parse_rfc3339(s, out);
    return parse_span(s, now_ms, out);
}

int tool_parse_limit(const char *s, int64_t *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno || *end || n < 1 || n > 1000000000)
        return -1;
    *out = n;
    return 0;
}

char *tool_format_time(int64_t ms, int millis, char *out, size_t n)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, n, "?");
        return out;
    }
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    if (millis)
        snprintf(out + k, n - k, ".%03dZ", (int)(ms - (int64_t)t * 1000));
    else
        snprintf(out + k, n - k, "Z");
    return out;
}

int tool_parse_filters(const char *cmd, const char *since, const char *limit, int64_t *since_ms,
                       int64_t *limit_n)
{
    *since_ms = INT64_MIN;
    *limit_n = -1;
    if (since && tool_parse_time(since, tool_now_ms(), since_ms) != 0) {
        fprintf(stderr, "mitsu %s: bad TIME '%s' (give 2026-11-26T03:00:00Z, or 10m, 2h, 3d)\n",
                cmd, since);
        return TOOL_USAGE;
    }
    if (limit && tool_parse_limit(limit, limit_n) != 0) {
        fprintf(stderr, "mitsu %s: bad --limit '%s' (a whole number from 1)\n", cmd, limit);
        return TOOL_USAGE;
    }
    return 0;
}
