/* The honeytoken detector's public face inside mitsu: the composition root installs the planted
 * tokens (read from the management database), and may replace them while the server runs. */
#ifndef MITSU_HONEYPOT_HONEYTOKEN_H
#define MITSU_HONEYPOT_HONEYTOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "honeypot/detector.h"

enum hp_token_kind { HP_TOKEN_CREDENTIAL, HP_TOKEN_API_KEY, HP_TOKEN_EMAIL, HP_TOKEN__MAX };
extern const char *const hp_token_kind_names[HP_TOKEN__MAX]; /* "credential", "api_key", "email" */

/* "api_key" -> HP_TOKEN_API_KEY; -1 for an unknown word. */
int hp_token_kind_parse(const char *word);

typedef struct hp_token {
    int64_t id;               /* the honeytokens row, shown in evidence */
    enum hp_token_kind kind;
    const char *value;        /* exact; copied by the install */
} hp_token;

/* Replaces the whole set of tokens the detector looks for with these (n may be 0: none). The
 * new set is built apart and swapped in atomically: requests in flight finish with the set
 * they started with, no request waits. Any thread. 0, or -1 (out of memory, or the detector
 * disabled: [honeytoken] enabled = false, or no honeypot). */
int hp_honeytokens_install(hp_engine *hp, const hp_token *tokens, size_t n);

/* Tokens installed now (for tests and metrics). */
size_t hp_honeytokens_count(hp_engine *hp);

/* mitsu_auth_result's user name: a honeytoken there flags the client (called by the login
 * detector's mitsu_auth_result). */
void hp_honeytoken_user(hp_request *r, const char *user);

#endif
