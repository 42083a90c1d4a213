/* Plausible fake values for a decoy database, chosen by a column's name and declared type, from
 * a seeded generator: the same seed gives the same decoy. No real value is ever an input. */
#ifndef MITSU_DB_FAKE_H
#define MITSU_DB_FAKE_H

#include <stddef.h>
#include <stdint.h>

/* What a column holds, as its name and type say. */
enum fake_kind {
    FAKE_INT, FAKE_REAL, FAKE_BOOL, FAKE_TEXT, FAKE_BLOB, /* by type alone */
    FAKE_FIRST_NAME, FAKE_LAST_NAME, FAKE_FULL_NAME, FAKE_USERNAME, FAKE_EMAIL, FAKE_PHONE,
    FAKE_STREET, FAKE_CITY, FAKE_ZIP, FAKE_COUNTRY, FAKE_ADDRESS,
    FAKE_DATE, FAKE_TIMESTAMP, FAKE_MONEY, FAKE_PASSWORD, FAKE_API_KEY, FAKE_IBAN, FAKE_CARD,
    FAKE_PROSE, FAKE_TITLE, FAKE_LABEL, FAKE_KIND__MAX
};
extern const char *const fake_kind_names[FAKE_KIND__MAX];

/* How a value is written, from the declared type: an integer, a real, 't'/'f', text, a blob;
 * dates in an integer column are Unix seconds, in a text or date column ISO 8601. */
enum fake_store { FAKE_AS_INT, FAKE_AS_REAL, FAKE_AS_BOOL, FAKE_AS_TEXT, FAKE_AS_BLOB };

typedef struct fake_column {
    enum fake_kind kind;
    enum fake_store store;
    size_t max_len;   /* VARCHAR(n) / CHAR(n): at most n characters; 0: no limit */
    int unique;       /* values must differ from row to row */
    int date_only;    /* DATE type: no time of day */
    /* FAKE_PASSWORD: a real value whose shape the fake ones take ("$pbkdf2-sha256$..."); the
     * shape only (scheme word, cost, lengths and alphabets), never its characters. NULL: the
     * default scheme. */
    const char *hash_shape;
} fake_column;

/* Classifies a column by name (case-insensitive words: "email", "first_name", "salary"...) and
 * declared type ("VARCHAR(40)", "bigint", "timestamp"). table (may be NULL) tells a person's
 * "name" (employees, users ...) from a thing's (departments: FAKE_LABEL). */
void fake_classify(const char *table, const char *name, const char *type, fake_column *out);

/* The generator: xoshiro256** seeded by splitmix64. persona: the names of one row's person
 * (first name, last name, user name, e-mail agree) come from it and the row number. */
typedef struct fake_rng {
    uint64_t s[4];
    uint64_t persona;
} fake_rng;
/* A new persona key: call it when starting a table. */
void fake_new_table(fake_rng *g);
void fake_seed(fake_rng *g, uint64_t seed);
uint64_t fake_next(fake_rng *g);
uint64_t fake_below(fake_rng *g, uint64_t n); /* 0 .. n-1 (n > 0) */

/* One value for column c of row `row` (0-based) into out (n bytes, NUL-terminated), as text:
 * the caller binds it as the column's store says. Unique columns get the row number worked in,
 * so no two rows of one run collide. Returns the length, or -1 when out is too small. */
int fake_value(fake_rng *g, const fake_column *c, int64_t row, char *out, size_t n);

/* A password hash of password in the scheme of shape (NULL: "pbkdf2_sha256$ITER$SALT$HASH",
 * Django's, 1000 iterations): exact for the schemes mitsu can compute (pbkdf2_sha256$...,
 * $pbkdf2-sha256$..., 64 hex digits of SHA-256(password)), with the shape's cost and salt
 * length; else a value of the same shape. password NULL: random digest bytes (no one's
 * password, and no key stretching). Returns the length, or -1. */
int fake_password_hash(fake_rng *g, const char *shape, const char *password, char *out,
                       size_t n);

/* A honey password people would believe: "Winter-2026!" like, from g. */
void fake_password(fake_rng *g, char *out, size_t n);

#endif
