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
