/* Finding and opening the management database for the operator's subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "web/config.h"

const char *tool_journal_url(const char *db_opt, const char *config_opt)
{
    static char url[1024];
    const char *found = db_opt;
    if (!found || !*found)
        found = getenv("MITSU_JOURNAL_DB");
    config *cfg = NULL;
    if ((!found || !*found) && config_opt) {
        cfg = config_load(config_opt, NULL, stderr);
        if (!cfg) /* a file named and not usable is an error, not a fall back to the default */
            return NULL;
        found = config_get_str(cfg, "journal", "db");
    }
    if (!found || !*found)
        found = "sqlite:var/mitsu.db";
    /* A bare path is what people type for SQLite. */
    int bare = strncmp(found, "sqlite:", 7) != 0 && strncmp(found, "postgres", 8) != 0;
    snprintf(url, sizeof url, "%s%s", bare ? "sqlite:" : "", found);
    config_free(cfg);
    return url;
}

mitsu_db *tool_open_journal(const char *db_opt, const char *config_opt, char *err, size_t n)
{
    const char *url = tool_journal_url(db_opt, config_opt);
    struct stat st;
    if (!url) {
        snprintf(err, n, "cannot use the configuration %s (see above)", config_opt);
        return NULL;
    }
    if (strncmp(url, "sqlite:", 7) == 0 && stat(url + 7, &st) != 0) {
        snprintf(err, n, "no management database at %s (start the application once, or name"
                         " one with --db)", url + 7);
        return NULL;
    }
    char why[512];
    mitsu_db *db = mitsu_db_open(url, why, sizeof why);
    if (!db) {
        snprintf(err, n, "cannot open the management database %s: %s", url, why);
        return NULL;
    }
    mitsu_rows *r = mitsu_db_query(db, "SELECT MAX(version) FROM schema_version");
    int ok = r && mitsu_rows_next(r) == 1;
    mitsu_rows_free(r);
    if (!ok) {
        snprintf(err, n, "%s is not a mitsu management database (no schema_version table)", url);
        mitsu_db_close(db);
        return NULL;
    }
    return db;
}

/* A CLIENT argument: the whole session id, a prefix of at least 6 hex digits that names one
 * client, or an IP address (the client of that address seen last). */
int tool_resolve_client(mitsu_db *db, const char *ref, char sid[33], char *err, size_t n)
{
    size_t len = strlen(ref);
    int hex = len >= 6 && len <= 32 && strspn(ref, "0123456789abcdefABCDEF") == len;
    mitsu_rows *r;
    if (hex) {
        char pattern[40];
        snprintf(pattern, sizeof pattern, "%s%%", ref);
        r = mitsu_db_query(db, "SELECT sid FROM clients WHERE lower(sid) LIKE lower(?)"
                               " ORDER BY sid LIMIT 2", MITSU_TEXT(pattern));
    } else {
        r = mitsu_db_query(db, "SELECT sid FROM clients WHERE ip = ?"
                               " ORDER BY last_seen DESC LIMIT 1", MITSU_TEXT(ref));
    }
    if (!r) {
        snprintf(err, n, "reading clients: %s", mitsu_db_error(db));
        return -1;
    }
    int found = 0;
    while (mitsu_rows_next(r) == 1) {
        const char *s = mitsu_rows_text(r, 0);
        if (found++ == 0)
            snprintf(sid, 33, "%s", s ? s : "");
    }
    mitsu_rows_free(r);
    if (found == 0) {
        snprintf(err, n, "no client '%s' (give a session id, a unique prefix of one, or an IP"
                         " address)", ref);
        return -1;
    }
    if (found > 1) {
        snprintf(err, n, "'%s' names more than one client: give more digits", ref);
        return -1;
    }
    return 0;
}
