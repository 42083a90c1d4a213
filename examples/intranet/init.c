/* First run of the intranet demo: the real database of a data directory, made from schema.sql
 * and seed.sql, with the demo users' generated passwords hashed into it. */
#include <errno.h>
#include <fcntl.h>
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intranet.h"

#define PASSWORD_LEN 16

/* The whole file as a NUL-terminated string (malloc'ed), or NULL. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    long len;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)len + 1)) && fread(text, 1, (size_t)len, f) == (size_t)len)
        text[len] = '\0';
    else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* Runs SRC_DIR/NAME as a script on db. 0, or -1 with a message. */
static int run_script(mitsu_db *db, const char *src_dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", src_dir, name);
    char *sql = slurp(path);
    if (!sql) {
        fprintf(stderr, "intranet: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = mitsu_db_script(db, sql);
    if (rc < 0)
        fprintf(stderr, "intranet: %s: %s\n", path, mitsu_db_error(db));
    free(sql);
    return rc;
}

/* Writes a secret to a new file only its owner can read. 0, or -1 with a message. */
static int write_secret(const char *path, const char *secret)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "intranet: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(secret);
    int ok = write(fd, secret, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* A user with a fresh password, whose clear text goes to password_file. 0, or -1. */
static int add_user(mitsu_db *db, const char *username, const char *role, const char *email,
                    const char *password_file)
{
    char password[PASSWORD_LEN + 1], hash[PASSWORD_HASH_MAX];
    if (random_password(password, PASSWORD_LEN) < 0 || password_hash(password, hash) < 0)
        return -1;
    if (mitsu_db_exec(db,
                      "INSERT INTO users (username, password_hash, role, employee_id) "
                      "SELECT ?, ?, ?, id FROM employees WHERE email = ?",
                      MITSU_TEXT(username), MITSU_TEXT(hash), MITSU_TEXT(role),
                      MITSU_TEXT(email)) != 1) {
        fprintf(stderr, "intranet: user %s: %s\n", username,
                mitsu_db_error(db) ? mitsu_db_error(db) : "no such employee");
        return -1;
    }
    return write_secret(password_file, password);
}

/* Schema, seed rows and users, in one transaction. */
static int fill(mitsu_db *db, const char *data_dir, const char *src_dir)
{
    char alice[4096], admin[4096];
    snprintf(alice, sizeof alice, "%s/demo_password", data_dir);
    snprintf(admin, sizeof admin, "%s/admin_password", data_dir);
    if (run_script(db, src_dir, "schema.sql") < 0 || mitsu_db_begin(db) < 0 ||
        run_script(db, src_dir, "seed.sql") < 0 ||
        add_user(db, "alice", "hr", "alice.martin@example.com", alice) < 0 ||
        add_user(db, "admin", "admin", "sam.okafor@example.com", admin) < 0)
        return -1;
    return mitsu_db_commit(db);
}

int intranet_init(const char *data_dir, const char *src_dir)
{
    char path[4096], tmp[4096 + 8], url[4096 + 16], err[256];
    snprintf(path, sizeof path, "%s/intranet.db", data_dir);
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "intranet: %s exists; remove it to seed again\n", path);
        return -1;
    }
    /* Built under a temporary name and renamed: a failed first run leaves no half database. */
    snprintf(tmp, sizeof tmp, "%s.new", path);
    unlink(tmp);
    snprintf(url, sizeof url, "sqlite:%s", tmp);
    mitsu_db *db = mitsu_db_open(url, err, sizeof err);
    if (!db) {
        fprintf(stderr, "intranet: %s: %s\n", tmp, err);
        return -1;
    }
    int rc = fill(db, data_dir, src_dir);
    mitsu_db_close(db);
    if (rc == 0 && rename(tmp, path) < 0) {
        fprintf(stderr, "intranet: rename %s: %s\n", tmp, strerror(errno));
        rc = -1;
    }
    if (rc < 0)
        unlink(tmp);
    return rc;
}
