/* The intranet demo's pieces shared between its files: password hashing (password.c) and the
 * first-run set-up of a data directory (init.c). */
#ifndef INTRANET_H
#define INTRANET_H

#include <stddef.h>

/* PBKDF2-HMAC-SHA256 iterations of new hashes (OWASP's 2023 figure for this function). */
#define PASSWORD_ITERATIONS 600000
/* "pbkdf2-sha256$600000$" + 32 hex salt + "$" + 64 hex hash, and a NUL, fits. */
#define PASSWORD_HASH_MAX 128

/* 2 * nbytes lowercase hex digits and a NUL into out, from the CSPRNG. 0, or -1. */
int random_hex(char *out, size_t nbytes);

/* A password of len characters (letters and digits, no look-alikes) and a NUL. 0, or -1. */
int random_password(char *out, size_t len);

/* The stored form of a password: "pbkdf2-sha256$ITERATIONS$SALT$HASH" (hex). 0, or -1. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);

/* 1 when password matches the stored form, else 0 (malformed stored forms included). */
int password_verify(const char *password, const char *stored);

/* Creates DATA_DIR/intranet.db from SRC_DIR/schema.sql and seed.sql with the demo users
 * (alice, hr; admin, admin), whose generated passwords go to DATA_DIR/demo_password and
 * DATA_DIR/admin_password (mode 0600). Refuses when the database exists. 0, or -1 with a
 * message on stderr. */
int intranet_init(const char *data_dir, const char *src_dir);

#endif
