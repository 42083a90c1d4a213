/* libFuzzer target for src/web/config.c: each input is an INI file, optionally followed by
 * "\n--ENV--\n" and environment lines NAME=value; loading must never crash or leak, and a
 * config that loads must answer every getter and fill a server config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/cidr.h"
#include "web/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char env_mark[] = "\n--ENV--\n";
enum { MAX_ENV = 16 };

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_config: contract violated: %s\n", what);
        abort();
    }
}

static void exercise(const config *c)
{
    http_server_config sc;
    http_server_config_defaults(&sc);
    config_fill_http_server(c, &sc);
    require(sc.listen && *sc.listen, "server listen is set");
    require(sc.limits.max_request_line <= sc.limits.max_head, "request line fits the head");
    require(config_get_int(c, "server", "workers") >= 0, "workers in range");
    require(config_get_enum(c, "honeypot", "action") < CONFIG_HP_ACTION__MAX, "action in range");
    const char *const *items;
    size_t n = config_get_list(c, "server", "trusted_proxies", &items);
    for (size_t i = 0; i < n; i++) {
        require(cidr_parse(items[i], NULL, NULL, 0) == 0, "a stored CIDR parses");
    }
    n = config_get_list(c, "app", "secret_keys", &items);
    for (size_t i = 0; i < n; i++)
        require(strlen(items[i]) >= 32, "secret keys are long enough");
    for (size_t i = 0; i < config_db_count(c); i++) {
        const config_db *d = config_db_at(c, i);
        require(d && *d->real && *d->decoy && strcmp(d->real, d->decoy) != 0, "db pair set");
        require(config_db_find(c, d->name) == d, "db found by name");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t ini_len = size;
    char *env[MAX_ENV + 1];
    size_t nenv = 0;
    char *mark = memmem(text, size, env_mark, sizeof env_mark - 1);
    if (mark) {
        ini_len = (size_t)(mark - text);
        char *save = NULL;
        for (char *line = strtok_r(mark + sizeof env_mark - 1, "\n", &save);
             line && nenv < MAX_ENV; line = strtok_r(NULL, "\n", &save))
            env[nenv++] = line;
    }
    env[nenv] = NULL;
    config *c = config_parse(text, ini_len, "fuzz.ini", env, NULL);
    if (c)
        exercise(c);
    config_free(c);
    free(text);
    return 0;
}
