/* The `mitsu` command's subcommands: each lives in its own tools/cmd_*.c and is listed in the
 * table in tools/mitsu.c. Shared here: how a subcommand finds the management database. */
#ifndef MITSU_TOOLS_COMMANDS_H
#define MITSU_TOOLS_COMMANDS_H

#include <stddef.h>

#include "mitsu.h"

typedef struct subcommand {
    const char *name;
    const char *usage;
    const char *summary; /* printed by --help after the usage line */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name; returns the exit status */
} subcommand;

/* Exit statuses every subcommand uses. */
enum { TOOL_OK = 0, TOOL_FAIL = 1, TOOL_USAGE = 2 };

/* The management database a subcommand reads, found in this order: db_opt (--db URL or SQLite
 * path), $MITSU_JOURNAL_DB, [journal] db of config_opt (--config FILE), then the default
 * sqlite:var/mitsu.db. An SQLite file that does not exist is an error (never created here), and
 * so is a database without mitsu's schema. NULL with a message for people in err. */
mitsu_db *tool_open_journal(const char *db_opt, const char *config_opt, char *err, size_t n);

/* The URL tool_open_journal would open, for messages (static storage; valid until the next call).
 * NULL when config_opt is needed and cannot be loaded (the reasons are on stderr). */
const char *tool_journal_url(const char *db_opt, const char *config_opt);

/* The session id (32 hex digits and a NUL into sid) of a CLIENT argument: a whole session id, a
 * unique prefix of at least 6 hex digits, or an IP address (the client of that address seen
 * last). 0, or -1 with a message for people in err (unknown, ambiguous, database error). */
int tool_resolve_client(mitsu_db *db, const char *ref, char sid[33], char *err, size_t n);

int cmd_check_config(int argc, char **argv);
int cmd_decoy(int argc, char **argv);

/* The read side (tools/cmd_clients.c, cmd_show.c, cmd_events.c, cmd_requests.c, cmd_export.c,
 * cmd_stats.c); the usage lines are the table's and the subcommands' own. */
#define USAGE_ATTACKERS "mitsu attackers [--json] [--since TIME] [--limit N]"
#define USAGE_CLIENTS "mitsu clients [--json] [--state STATE] [--since TIME] [--limit N]"
#define USAGE_SHOW "mitsu show CLIENT [--json]"
#define USAGE_EVENTS \
    "mitsu events [--json] [--since TIME] [--detector NAME] [--client CLIENT] [--limit N]"
#define USAGE_REQUESTS "mitsu requests CLIENT [--json] [--full] [--limit N]"
#define USAGE_EXPORT "mitsu export --format jsonl|csv [--since TIME] [--table requests|events|clients]"
#define USAGE_STATS "mitsu stats [--json]"
int cmd_attackers(int argc, char **argv);
int cmd_clients(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_requests(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_flag(int argc, char **argv);
int cmd_release(int argc, char **argv);

#endif
