/* Option parsing and TIME / N arguments for the operator's subcommands. */
#ifndef MITSU_TOOLS_ARGS_H
#define MITSU_TOOLS_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* One option a subcommand accepts: "--json" (a flag: *flag is set to 1) or "--since" (takes a
 * value, as "--since V" or "--since=V": *value points into argv). */
typedef struct tool_opt {
    const char *name;
    const char **value;
    int *flag;
} tool_opt;

/* What every database subcommand accepts besides its own options. */
typedef struct tool_common {
    const char *db;     /* --db URL|PATH */
    const char *config; /* --config FILE */
} tool_common;

/* Parses argv[1..argc-1] (argv[0] is the subcommand's name) against opts (plus --db and
 * --config into common) and puts the positional arguments into pos; exactly npos of them are
 * required. 0, or TOOL_USAGE after writing the problem and the usage line to stderr. */
int tool_parse_args(int argc, char **argv, const tool_opt *opts, size_t nopts,
                    tool_common *common, const char **pos, int npos, const char *usage);

/* A TIME argument: RFC 3339 ("2026-11-26T03:00:00Z", "2026-11-26T04:00:00.5+01:00") or a span
 * back from now_ms ("90s", "10m", "2h", "3d", "1w"). Unix milliseconds into *out; 0 or -1. */
int tool_parse_time(const char *s, int64_t now_ms, int64_t *out);

/* A --limit N: a decimal integer from 1 to 10^9 into *out; 0 or -1. */
int tool_parse_limit(const char *s, int64_t *out);

/* Unix ms as RFC 3339 UTC: "2026-11-26T03:00:00Z", or with millis "2026-11-26T03:00:00.123Z".
 * Writes into out (at least 32 bytes) and returns it. */
char *tool_format_time(int64_t ms, int millis, char *out, size_t n);

/* The current time in Unix ms. */
int64_t tool_now_ms(void);

/* The usual prologue of a database subcommand: --since and --limit turned into numbers, each
 * with its error message and TOOL_USAGE. since_ms is INT64_MIN and limit -1 when not given. */
int tool_parse_filters(const char *cmd, const char *since, const char *limit, int64_t *since_ms,
                       int64_t *limit_n);

#endif
