/* The `mitsu` command: operator tools. Each subcommand is one function (tools/cmd_*.c) in the
 * table below; every subcommand answers --help. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const subcommand commands[] = {
    {"check-config", "mitsu check-config FILE",
     "Validate a configuration file (with MITSU_* environment overrides applied): every\n"
     "problem is printed as FILE:LINE: message. Exit status 0 when valid, 2 when not.",
     cmd_check_config},
    {"attackers", USAGE_ATTACKERS,
     "The clients flagged as attackers, the latest verdict first: when, address, session id,\n"
     "score, requests (counted; captured: held in the database) and the detector that flagged\n"
     "them. --since TIME keeps the verdicts since then; --json prints one JSON array.",
     cmd_attackers},
    {"clients", USAGE_CLIENTS,
     "Every client the honeypot knows, the last seen first. --state normal|attacker|released\n"
     "keeps one state; --since TIME keeps the clients seen since then.",
     cmd_clients},
    {"show", USAGE_SHOW,
     "One client: its record, then the timeline of its captured requests and detector events\n"
     "(pre-flag evidence marked), ending with the event that flagged it and its evidence.\n"
     "CLIENT is a session id, a unique prefix of at least 6 hex digits, or an IP address.",
     cmd_show},
    {"events", USAGE_EVENTS,
     "Detector events (hit, flag, release), the latest N (default 100) oldest first.\n"
     "--detector NAME and --client CLIENT filter; --since TIME keeps the recent ones.",
     cmd_events},
    {"requests", USAGE_REQUESTS,
     "The requests captured from a client (attackers only), the latest N (default 100) oldest\n"
     "first. --full prints each request whole: headers, body and raw bytes.",
     cmd_requests},
    {"export", USAGE_EXPORT,
     "Streams a whole table (default requests) to stdout in constant memory: JSON lines (blobs\n"
     "as base64) or CSV (RFC 4180, with a header row). --since TIME keeps recent rows.",
     cmd_export},
    {"stats", USAGE_STATS,
     "Counts: clients by state, events by kind and detector, captured requests (real, decoy,\n"
     "pre-flag), honeytokens, and the time span the database covers.",
     cmd_stats},
    {"decoy",
     "mitsu decoy init --from REAL --to DECOY [--rows N] [--seed N]\n"
     "                 mitsu decoy diff CLIENT [--config FILE]",
     "init: copy the real database's schema (REAL, DECOY: URLs or SQLite paths) into DECOY,\n"
     "fill it with fake rows chosen by column name and type (--rows N per table; default: as\n"
     "many as the real table has, at most 1000; --seed N makes it repeatable), plant\n"
     "honeytokens and register them in the management database (--db, --config). A DECOY\n"
     "that has tables is refused unless --force.\n"
     "diff: the rows one attacker (session id, prefix or IP address) added, removed and\n"
     "changed in its private copy of every [db.NAME] with decoy_mode = per_attacker.",
     cmd_decoy},
    {"flag", "mitsu flag CLIENT [--reason TEXT]",
     "Mark a client as an attacker: running instances divert it within a second. CLIENT is a\n"
     "session id, a unique prefix of >= 6 hex digits, or an IP address. --db URL|PATH and\n"
     "--config FILE name the management database.",
     cmd_flag},
    {"release", "mitsu release CLIENT",
     "Release a client (not an attacker): running instances treat it normally again within a\n"
     "second, and the secrets in its recorded requests are masked. --db URL|PATH and\n"
     "--config FILE name the management database (and the secret fields).",
     cmd_release},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *out)
{
    fprintf(out, "usage: mitsu COMMAND [ARGS]\n\ncommands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].usage);
    fprintf(out, "\n'mitsu COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
            printf("usage: %s\n\n%s\n", commands[i].usage, commands[i].summary);
            return 0;
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "mitsu: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
