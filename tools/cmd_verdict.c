/* `mitsu flag CLIENT [--reason TEXT]` and `mitsu release CLIENT`: the operator's verdicts, written
 * by the journal (jr_flag, jr_release) so that running instances pick them up. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "journal/journal.h"
#include "web/config.h"

typedef struct verdict_args {
    const char *client, *reason, *db, *config;
} verdict_args;

/* --db, --config and (flag only) --reason, as "--opt VALUE" or "--opt=VALUE". 0, or -1. */
static int parse(int argc, char **argv, int flag, verdict_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *names[] = {"--db", "--config", "--reason"};
        const char **slots[] = {&a->db, &a->config, &a->reason};
        int k, nopts = flag ? 3 : 2;
        for (k = 0; k < nopts; k++) {
            size_t len = strlen(names[k]);
            if (strncmp(argv[i], names[k], len) != 0)
                continue;
            if (argv[i][len] == '=') {
                *slots[k] = argv[i] + len + 1;
                break;
            }
            if (argv[i][len] == '\0' && i + 1 < argc) {
                *slots[k] = argv[++i];
                break;
            }
        }
        if (k < nopts)
            continue;
        if (argv[i][0] == '-' || a->client)
            return -1;
        a->client = argv[i];
    }
    return a->client ? 0 : -1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run(int argc, char **argv, int flag)
{
    verdict_args a;
    if (parse(argc, argv, flag, &a) != 0) {
        fprintf(stderr, "usage: %s\n", flag ? "mitsu flag CLIENT [--reason TEXT]"
                                            : "mitsu release CLIENT");
        return TOOL_USAGE;
    }
    char err[1024], sid[33];
    mitsu_db *db = tool_open_journal(a.db, a.config, err, sizeof err);
    if (!db) {
        fprintf(stderr, "mitsu %s: %s\n", argv[0], err);
        return TOOL_FAIL;
    }
    /* The secret fields of the configuration, when one is named, for the masking on release. */
    config *cfg = a.config ? config_load(a.config, NULL, stderr) : NULL;
    const char *const *fields = NULL;
    size_t nfields = cfg ? config_get_list(cfg, "journal", "secret_fields", &fields) : 0;
    int rc = tool_resolve_client(db, a.client, sid, err, sizeof err);
    if (rc == 0)
        rc = flag ? jr_flag(db, sid, a.reason, now_ms(), err, sizeof err)
                  : jr_release(db, sid, fields, nfields, now_ms(), err, sizeof err);
    if (rc == 0)
        printf("%s %s\n", sid, flag ? "flagged" : "released");
    else
        fprintf(stderr, "mitsu %s: %s\n", argv[0], err);
    config_free(cfg);
    mitsu_db_close(db);
    return rc == 0 ? TOOL_OK : TOOL_FAIL;
}

int cmd_flag(int argc, char **argv)
{
    return run(argc, argv, 1);
}

int cmd_release(int argc, char **argv)
{
    return run(argc, argv, 0);
}
