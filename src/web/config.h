/* Configuration: one INI file (read with inih) checked against a table of typed keys, overridden
 * by MITSU_SECTION_KEY environment variables; typed getters and the [db.NAME] database pairs. */
#ifndef MITSU_WEB_CONFIG_H
#define MITSU_WEB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "http/server.h"

/* A loaded configuration. Immutable once returned, so any thread may read it; the getters search
 * a small table by name, so look values up at start-up rather than per request. */
typedef struct config config;

/* The words of the enum keys, in this order (config_get_enum returns these indexes). */
enum config_hp_mode { CONFIG_HP_ENFORCE, CONFIG_HP_SIMULATE, CONFIG_HP_MODE__MAX };
enum config_hp_action {
    CONFIG_HP_DIVERT,
    CONFIG_HP_OBSERVE,
    CONFIG_HP_BLOCK,
    CONFIG_HP_TARPIT,
    CONFIG_HP_ACTION__MAX
};
enum config_decoy_mode { CONFIG_DECOY_SHARED, CONFIG_DECOY_PER_ATTACKER, CONFIG_DECOY_MODE__MAX };
enum config_secrets { CONFIG_SECRETS_PLAIN, CONFIG_SECRETS_HASH, CONFIG_SECRETS_REDACT,
                      CONFIG_SECRETS__MAX };

/* One [db.NAME] section. Strings belong to the config. */
typedef struct config_db {
    const char *name;  /* NAME, e.g. "main" */
    const char *real;  /* "sqlite:PATH" or "postgresql://..." */
    const char *decoy;
    enum config_decoy_mode decoy_mode;
} config_db;

/* Reads the INI file at path (NULL: no file, defaults only), then applies the MITSU_* variables
 * of envp (NULL: the process environment). Returns the config, or NULL when anything is wrong;
 * every problem is then written to errs (NULL: nowhere) as one line "FILE:LINE: message" or
 * "env VARIABLE: message". A path that cannot be read is an error. Free with config_free().
 * Example: config *c = config_load("mitsu.ini", NULL, stderr); if (!c) exit(2); */
config *config_load(const char *path, char *const *envp, FILE *errs);

/* The same from len bytes of INI text in memory; name is used in messages. */
config *config_parse(const char *text, size_t len, const char *name, char *const *envp,
                     FILE *errs);

/* `mitsu check-config FILE`: loads path with the process environment, writes every problem to
 * errs, and returns the exit status: 0 valid, 2 invalid. */
int config_check(const char *path, FILE *errs);

void config_free(config *cfg);

/* Typed getters by section and key, e.g. config_get_int(cfg, "server", "workers"). Section may
 * be "db.NAME". Asking for a key that the schema does not have, or with the getter of another
 * type, is a programming error and aborts. For a db.NAME that the configuration does not define,
 * config_get_str returns NULL and the others 0. */
int64_t config_get_int(const config *cfg, const char *section, const char *key);
int config_get_bool(const config *cfg, const char *section, const char *key);
uint64_t config_get_size(const config *cfg, const char *section, const char *key); /* bytes */
int64_t config_get_ms(const config *cfg, const char *section, const char *key); /* durations */
int config_get_enum(const config *cfg, const char *section, const char *key);  /* word index */
/* Any key as normalized text: a string, an enum word, a number as written, a list joined with
 * ",". Owned by the config. */
const char *config_get_str(const config *cfg, const char *section, const char *key);
/* A list key: sets *items to its n items (owned by the config) and returns n. */
size_t config_get_list(const config *cfg, const char *section, const char *key,
                       const char *const **items);

/* The [db.NAME] sections, in the order they first appear (file, then environment). */
size_t config_db_count(const config *cfg);
const config_db *config_db_at(const config *cfg, size_t i);
const config_db *config_db_find(const config *cfg, const char *name); /* NULL if absent */

/* Fills the fields of out that [server] sets: listen, workers, max_connections, the five
 * timeouts and limits.max_request_line/max_head/max_headers/max_body. Other fields (callbacks,
 * raw_limit, chunk and trailer limits) are left alone, so call http_server_config_defaults()
 * first. out->listen points into cfg, which must outlive the server. */
void config_fill_http_server(const config *cfg, http_server_config *out);


#endif
