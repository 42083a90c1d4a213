/* The journal's internal pieces shared by its files: the queued record, text cleaning and JSON
 * escaping (text.c), secret masking (mask.c), the schema migrations (schema.c). */
#ifndef MITSU_JOURNAL_INTERNAL_H
#define MITSU_JOURNAL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "journal/journal.h"
#include "mitsu.h"

enum jr_rec_kind { JR_REC_CLIENT, JR_REC_EVENT, JR_REC_REQUEST, JR_REC__MAX };

typedef struct jr_str {
    const char *p; /* NULL: absent (SQL NULL, JSON null) */
    size_t len;
} jr_str;

/* String slots of each kind, indexes into jr_rec.s. */
enum { JR_C_SID, JR_C_IP, JR_C_FLAGGED_BY, JR_C__MAX };
enum {
    JR_E_UID, JR_E_SID, JR_E_IP, JR_E_FORWARDED, JR_E_DETECTOR, JR_E_KIND, JR_E_EVIDENCE,
    JR_E_ACTION, JR_E_METHOD, JR_E_PATH, JR_E__MAX
};
enum { JR_R_SID, JR_R_IP, JR_R_METHOD, JR_R_TARGET, JR_R_BODY, JR_R_RAW, JR_R__MAX };
#define JR_REC_STRS 10

/* One queued record: a single allocation holding the copies of everything it refers to, so the
 * request path does one malloc and one memcpy per field, and the writer one free. */
typedef struct jr_rec {
    uint8_t kind;  /* enum jr_rec_kind */
    uint8_t type;  /* event: enum jr_event_type; client: enum hp_client_state */
    uint8_t mask;  /* request: mask secrets */
    uint8_t flag;  /* event/request: served by the decoy; request: bit 1 preflag */
    uint8_t has_sha;
    uint8_t sha[32];
    double score;
    int64_t t, n[5]; /* time; then per kind (see journal.c) */
    jr_str s[JR_REC_STRS];
    jr_str *hdr;    /* request headers: name, value pairs (2 * nhdr) */
    size_t nhdr;
} jr_rec;

/* ---- text.c ---- */
/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the byte there starts none (NUL
 * counts as invalid: neither PostgreSQL text nor a C string holds it). */
size_t jr_utf8_len(const unsigned char *p, size_t n);
/* Appends s as valid UTF-8, each invalid byte as U+FFFD. 0 or -1 (out of memory). */
int jr_append_utf8(buf *b, const char *s, size_t n);
/* Appends s as a JSON string with its quotes; invalid bytes as the text \xHH (bytes_as_hex) or
 * U+FFFD. A NULL s appends null. 0 or -1. */
int jr_append_json(buf *b, const char *s, size_t n, int bytes_as_hex);
/* Appends a Unix ms time as RFC 3339 UTC with milliseconds. */
int jr_append_time(buf *b, int64_t ms);
/* Case-insensitive: is name (len) one of the secret fields? contains: a substring match. */
int jr_is_secret(const char *const *fields, size_t nfields, const char *name, size_t len,
                 int contains);

/* ---- mask.c ---- */
/* What is a secret and what replaces it: "[masked]", or with hash "[sha256:HEX]" of the value
 * (so equal secrets can still be matched, say a password tried on several accounts). */
typedef struct jr_mask_rule {
    const char *const *fields; /* secret field names (case-insensitive) */
    size_t nfields;
    int hash;
} jr_mask_rule;
/* Appends urlencoded pairs with the values of secret fields replaced. */
int jr_mask_urlencoded(buf *out, const char *s, size_t n, const jr_mask_rule *rule);
/* The body masked according to its content type (the Content-Type header's value, or NULL). */
int jr_mask_body(buf *out, const char *ctype, size_t ctlen, const char *s, size_t n,
                 const jr_mask_rule *rule);
/* Appends a header's value, masked when it carries credentials. */
int jr_mask_header(buf *out, const char *name, size_t nlen, const char *v, size_t vlen,
                   const jr_mask_rule *rule);
/* Appends a request target with the values of secret fields in its query replaced. */
int jr_mask_target(buf *out, const char *t, size_t n, const jr_mask_rule *rule);
/* Appends headers (name, value pairs: 2 * n) as JSON [[name, value], ...], the values masked
 * when rule is not NULL; tmp is scratch space. */
int jr_headers_json(buf *out, buf *tmp, const jr_str *pairs, size_t n, const jr_mask_rule *rule);

/* ---- verdict.c ---- */
#define JR_VERDICT_CHANNEL "mitsu_verdicts" /* NOTIFY channel of new verdicts rows */
/* Appends a verdicts row. 0 or -1. */
int jr_verdict_insert(mitsu_db *db, int64_t time, mitsu_value sid, mitsu_value ip,
                      const char *state, double score, mitsu_value by, const char *origin);
/* Taken in a transaction before anything else when it will append a verdicts row: on
 * PostgreSQL, an id is drawn when the row is inserted but seen at commit, so without it a row
 * committed after one with a higher id would be passed over by followers reading "id > last".
 * Serialized, the ids are in commit order. 0 or -1. */
int jr_verdict_lock(mitsu_db *db);
/* PostgreSQL: NOTIFY the channel (delivered at commit); SQLite: nothing. 0 or -1. */
int jr_verdict_notify(mitsu_db *db);
/* The secret fields when the configuration names none (journal.c). */
extern const char *const jr_default_secrets[];
extern const size_t jr_ndefault_secrets;

/* ---- schema.c ---- */
/* Applies the migrations missing from db, in one transaction each. 0, or -1 with err. */
int jr_migrate(mitsu_db *db, char *err, size_t n);
/* The version recorded in schema_version: 0 when none, -1 on error. */
int jr_db_version(mitsu_db *db);

#endif
