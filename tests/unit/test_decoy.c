/* Specification of `mitsu decoy init` and `decoy diff` (src/db/fake.c, decoy_schema.c,
 * decoy_fill.c, decoy_diff.c): fake values by column name and type, a decoy whose schema
 * passes the start-up check, consistent keys, unique columns unique, no real value copied,
 * the same seed the same decoy, honeytokens planted; and a diff of an attacker's copy. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "db/backend.h"
#include "db/decoy_make.h"
#include "db/fake.h"

/* ---- The value generator ----------------------------------------------------------------- */

static fake_column col(const char *table, const char *name, const char *type)
{
    fake_column c;
    fake_classify(table, name, type, &c);
    return c;
}

Test(fake, columns_are_classified_by_name_and_type)
{
    cr_assert_eq(col("users", "email", "TEXT").kind, FAKE_EMAIL);
    cr_assert_eq(col("users", "contactEmail", "varchar(80)").kind, FAKE_EMAIL);
    cr_assert_eq(col("users", "first_name", "TEXT").kind, FAKE_FIRST_NAME);
    cr_assert_eq(col("users", "surname", "TEXT").kind, FAKE_LAST_NAME);
    cr_assert_eq(col("users", "username", "TEXT").kind, FAKE_USERNAME);
    cr_assert_eq(col("users", "password_hash", "TEXT").kind, FAKE_PASSWORD);
    cr_assert_eq(col("users", "api_key", "TEXT").kind, FAKE_API_KEY);
    cr_assert_eq(col("users", "phone", "TEXT").kind, FAKE_PHONE);
    cr_assert_eq(col("employees", "salary", "INTEGER").kind, FAKE_MONEY);
    cr_assert_eq(col("employees", "salary", "INTEGER").store, FAKE_AS_INT);
    cr_assert_eq(col("orders", "amount", "numeric(10,2)").store, FAKE_AS_REAL);
    cr_assert_eq(col("employees", "birth_date", "DATE").kind, FAKE_DATE);
    cr_assert_eq(col("employees", "created_at", "timestamp with time zone").kind, FAKE_TIMESTAMP);
    cr_assert_eq(col("employees", "name", "TEXT").kind, FAKE_FULL_NAME);
    cr_assert_eq(col("departments", "name", "TEXT").kind, FAKE_LABEL);
    cr_assert_eq(col("t", "notes", "TEXT").kind, FAKE_PROSE);
    cr_assert_eq(col("t", "iban", "TEXT").kind, FAKE_IBAN);
    cr_assert_eq(col("t", "dept_id", "INTEGER").kind, FAKE_INT, "keys go by type");
    cr_assert_eq(col("t", "email_count", "INTEGER").kind, FAKE_INT, "a number named e-mail");
    cr_assert_eq(col("t", "active", "BOOLEAN").store, FAKE_AS_BOOL);
    cr_assert_eq(col("t", "code", "VARCHAR(12)").max_len, 12);
    cr_assert_eq(col("t", "whatever", "REAL").kind, FAKE_REAL);
}

static void value_of(fake_rng *g, const fake_column *c, int64_t row, char *out)
{
    cr_assert_geq(fake_value(g, c, row, out, 512), 0);
}

Test(fake, shapes_are_plausible)
{
    fake_rng g;
    fake_seed(&g, 1);
    char v[512];
    for (int i = 0; i < 200; i++) {
        fake_column e = col("users", "email", "TEXT");
        value_of(&g, &e, i, v);
        const char *at = strchr(v, '@');
        cr_assert(at && at > v && !strchr(at + 1, '@') && strchr(at, '.'), "%s", v);
        cr_assert_eq(strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.@"), strlen(v), "%s", v);

        fake_column p = col("users", "phone", "TEXT");
        value_of(&g, &p, i, v);
        size_t digits = 0;
        for (char *c = v; *c; c++) {
            cr_assert(strchr("0123456789+ ", *c), "%s", v);
            digits += *c >= '0' && *c <= '9';
        }
        cr_assert_geq(digits, 10, "%s", v);

        fake_column d = col("t", "birth_date", "DATE");
        value_of(&g, &d, i, v);
        int y, m, dd;
        cr_assert_eq(sscanf(v, "%4d-%2d-%2d", &y, &m, &dd), 3, "%s", v);
        cr_assert(y >= 1960 && y <= 2005 && m >= 1 && m <= 12 && dd >= 1 && dd <= 31, "%s", v);
        cr_assert_eq(strlen(v), 10);

        fake_column k = col("t", "card_number", "TEXT");
        value_of(&g, &k, i, v);
        cr_assert_eq(strlen(v), 16);
        int sum = 0;
        for (int j = 0; j < 16; j++) { /* Luhn */
            int x = v[15 - j] - '0';
            if (j % 2 && (x *= 2) > 9)
                x -= 9;
            sum += x;
        }
        cr_assert_eq(sum % 10, 0, "%s", v);

        fake_column s = col("t", "code", "VARCHAR(5)");
        s.unique = 1;
        value_of(&g, &s, i, v);
        cr_assert_leq(strlen(v), 5, "%s", v);
    }
}

Test(fake, unique_columns_never_repeat)
{
    static const char *const names[][2] = {{"username", "TEXT"}, {"email", "TEXT"},
                                           {"name", "TEXT"}, {"phone", "TEXT"},
                                           {"amount", "REAL"}, {"code", "INTEGER"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        fake_rng g;
        fake_seed(&g, 3);
        fake_column c = col("users", names[k][0], names[k][1]);
        c.unique = 1;
        char seen[300][64];
        for (int i = 0; i < 300; i++) {
            char v[512];
            value_of(&g, &c, i, v);
            snprintf(seen[i], sizeof seen[i], "%.63s", v);
            for (int j = 0; j < i; j++)
                cr_assert_str_neq(seen[j], seen[i], "%s repeats %s", names[k][0], v);
        }
    }
}

Test(fake, the_same_seed_gives_the_same_values)
{
    fake_rng a, b;
    fake_seed(&a, 42);
    fake_seed(&b, 42);
    fake_column c = col("users", "email", "TEXT");
    for (int i = 0; i < 50; i++) {
        char x[512], y[512];
        value_of(&a, &c, i, x);
        value_of(&b, &c, i, y);
        cr_assert_str_eq(x, y);
    }
    fake_seed(&b, 43);
    char x[512], y[512];
    value_of(&a, &c, 99, x);
    value_of(&b, &c, 99, y);
    cr_assert_str_neq(x, y);
}

/* Django's pbkdf2_sha256$ITER$SALT$HASH: recomputed here with the password. */
Test(fake, honey_password_hashes_verify_in_the_real_scheme)
{
    fake_rng g;
    fake_seed(&g, 5);
    char h[512];
    cr_assert_gt(fake_password_hash(&g, "pbkdf2_sha256$1200$abcdefgh$AAAA", "Winter-2026!", h,
                                    sizeof h), 0);
    int iter;
    char salt[64], b64[128];
    cr_assert_eq(sscanf(h, "pbkdf2_sha256$%d$%63[^$]$%127s", &iter, salt, b64), 3, "%s", h);
    cr_assert_eq(iter, 1200);
    unsigned char dk[32];
    char want[72];
    PKCS5_PBKDF2_HMAC("Winter-2026!", 12, (unsigned char *)salt, (int)strlen(salt), iter,
                      EVP_sha256(), 32, dk);
    EVP_EncodeBlock((unsigned char *)want, dk, 32);
    cr_assert_str_eq(b64, want);

    cr_assert_eq(fake_password_hash(&g, "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                                    "password", h, sizeof h), 64);
    cr_assert_str_eq(h, "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8");

    /* PBKDF2-SHA256 with hex salt and key (examples/intranet): the same check. */
    cr_assert_gt(fake_password_hash(&g, "pbkdf2-sha256$1000$00112233445566778899aabbccddeeff$00",
                                    "Winter-2026!", h, sizeof h), 0);
    char hexkey[80];
    cr_assert_eq(sscanf(h, "pbkdf2-sha256$%d$%32[0-9a-f]$%64[0-9a-f]", &iter, salt, hexkey), 3,
                 "%s", h);
    cr_assert_eq(iter, 1000);
    unsigned char rawsalt[16];
    for (int i = 0; i < 16; i++)
        sscanf(salt + 2 * i, "%2hhx", &rawsalt[i]);
    PKCS5_PBKDF2_HMAC("Winter-2026!", 12, rawsalt, 16, iter, EVP_sha256(), 32, dk);
    for (int i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", dk[i]);
    cr_assert_str_eq(hexkey, want);

    /* An unknown scheme keeps its shape, not its characters. */
    const char *bcrypt = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";
    cr_assert_eq(fake_password_hash(&g, bcrypt, "x", h, sizeof h), (int)strlen(bcrypt));
    cr_assert_eq(strncmp(h, "$2b$12$", 7), 0, "%s", h);
    cr_assert_str_neq(h, bcrypt);
    cr_assert_eq(strspn(h, "$./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
                 strlen(h), "bcrypt's alphabet: %s", h);
}

/* ---- decoy init, on both backends -------------------------------------------------------- */

static struct {
    char dir[256];
    char real[512], decoy[512], decoy2[512];
    char schemas[3][64];
    int pg;
} T;

static void setup_dir(void)
{
    memset(&T, 0, sizeof T);
    snprintf(T.dir, sizeof T.dir, "/tmp/mitsu-test-decoy-XXXXXX");
    cr_assert_not_null(mkdtemp(T.dir));
}

static void setup_sqlite(void)
{
    setup_dir();
    snprintf(T.real, sizeof T.real, "sqlite:%s/real.db", T.dir);
    snprintf(T.decoy, sizeof T.decoy, "sqlite:%s/decoy.db", T.dir);
    snprintf(T.decoy2, sizeof T.decoy2, "sqlite:%s/decoy2.db", T.dir);
}

static void setup_pg(void)
{
    setup_dir();
    T.pg = 1;
    if (!pg_base())
        return;
    static int counter;
    const char *sep = strchr(pg_base(), '?') ? "&" : "?";
    mitsu_db *admin = must_open(pg_base());
    char *urls[] = {T.real, T.decoy, T.decoy2};
    for (int i = 0; i < 3; i++) {
        snprintf(T.schemas[i], sizeof T.schemas[i], "d%ld_%d_%d", (long)getpid(), counter++, i);
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
                 T.schemas[i], T.schemas[i]);
        cr_assert_eq(mitsu_db_script(admin, sql), 0, "%s", mitsu_db_error(admin));
        snprintf(urls[i], sizeof T.real, "%s%soptions=-csearch_path%%3D%s", pg_base(), sep,
                 T.schemas[i]);
    }
    mitsu_db_close(admin);
}

static void teardown(void)
{
    if (T.pg && pg_base() && T.schemas[0][0]) {
        mitsu_db *admin = mitsu_db_open(pg_base(), NULL, 0);
        for (int i = 0; admin && i < 3; i++) {
            char sql[128];
            snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", T.schemas[i]);
            mitsu_db_script(admin, sql);
        }
        mitsu_db_close(admin);
    }
    remove_tree(T.dir);
}

BACKENDS_REPORT("test_decoy")

/* A small company: departments, employees (a self reference), users with credentials, orders
 * with a two-column key referenced by a two-column foreign key. */
static const char *const real_sql[2] = {
    "CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, budget REAL);"
    "CREATE TABLE employees (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT,"
    " email TEXT NOT NULL UNIQUE, phone VARCHAR(20), dept_id INTEGER NOT NULL REFERENCES"
    " departments(id) ON DELETE CASCADE, manager_id INTEGER REFERENCES employees(id),"
    " salary INTEGER, role TEXT NOT NULL CHECK (role IN ('admin', 'staff')), birth_date DATE,"
    " created_at TIMESTAMP, notes TEXT, active BOOLEAN);"
    "CREATE INDEX employees_name ON employees (last_name, first_name);"
    "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE,"
    " password_hash TEXT NOT NULL, api_key TEXT, employee_id INTEGER REFERENCES employees(id));"
    "CREATE TABLE shipments (region TEXT NOT NULL, num INTEGER NOT NULL, city TEXT,"
    " PRIMARY KEY (region, num));"
    "CREATE TABLE items (id INTEGER PRIMARY KEY, region TEXT, num INTEGER, price REAL,"
    " FOREIGN KEY (region, num) REFERENCES shipments (region, num));"
    "CREATE VIEW staff AS SELECT first_name, last_name FROM employees;",
    "CREATE TABLE departments (id SERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, budget"
    " NUMERIC(12,2));"
    "CREATE TABLE employees (id SERIAL PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT,"
    " email TEXT NOT NULL UNIQUE, phone VARCHAR(20), dept_id INTEGER NOT NULL REFERENCES"
    " departments(id) ON DELETE CASCADE, manager_id INTEGER REFERENCES employees(id),"
    " salary INTEGER, role TEXT NOT NULL CHECK (role IN ('admin', 'staff')), birth_date DATE,"
    " created_at TIMESTAMP, notes TEXT, active BOOLEAN);"
    "CREATE INDEX employees_name ON employees (last_name, first_name);"
    "CREATE TABLE users (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, username TEXT"
    " NOT NULL UNIQUE, password_hash TEXT NOT NULL, api_key TEXT, employee_id INTEGER"
    " REFERENCES employees(id));"
    "CREATE TABLE shipments (region TEXT NOT NULL, num INTEGER NOT NULL, city TEXT,"
    " PRIMARY KEY (region, num));"
    "CREATE TABLE items (id SERIAL PRIMARY KEY, region TEXT, num INTEGER, price"
    " DOUBLE PRECISION, FOREIGN KEY (region, num) REFERENCES shipments (region, num));",
};

static const char *const real_rows =
    "INSERT INTO departments (name, budget) VALUES ('CONFIDENTIAL-Skunkworks', 100000.5),"
    " ('Sales', 5000), ('People', 12.25);"
    "INSERT INTO employees (first_name, last_name, email, phone, dept_id, salary, role,"
    " birth_date, created_at, notes, active) VALUES"
    " ('Alice', 'Smith', 'alice@corp.test', '555-0100', 1, 81234, 'admin', '1980-01-01',"
    "  '2020-01-01 10:00:00', 'CONFIDENTIAL-NOTE-1', TRUE),"
    " ('Bob', 'Jones', 'bob@corp.test', '555-0101', 2, 72000, 'staff', '1985-01-01',"
    "  '2021-01-01 10:00:00', 'CONFIDENTIAL-NOTE-2', FALSE),"
    " ('Carol', 'White', 'carol@corp.test', '555-0102', 2, 65000, 'staff', '1990-01-01',"
    "  '2022-01-01 10:00:00', NULL, TRUE),"
    " ('Dan', 'Brown', 'dan@corp.test', '555-0103', 3, 55000, 'staff', '1991-01-01',"
    "  '2022-02-01 10:00:00', 'likes tea', TRUE);"
    "INSERT INTO users (username, password_hash, api_key, employee_id) VALUES"
    " ('alice', 'pbkdf2_sha256$1000$abcdefgh$CONFIDENTIALHASHAAAAAAAAAAAAAAAAAAAAAAAAAAA=',"
    "  'CONFIDENTIAL-KEY-1', 1),"
    " ('bob', 'pbkdf2_sha256$1000$ijklmnop$CONFIDENTIALHASHBBBBBBBBBBBBBBBBBBBBBBBBBBB=',"
    "  'CONFIDENTIAL-KEY-2', 2);"
    "INSERT INTO shipments VALUES ('north', 1, 'Berlin'), ('north', 2, 'Hamburg'),"
    " ('south', 1, 'Munich');"
    "INSERT INTO items (region, num, price) VALUES ('north', 1, 9.99), ('south', 1, 19.5);";

static void make_real(void)
{
    mitsu_db *db = must_open(T.real);
    cr_assert_eq(mitsu_db_script(db, real_sql[T.pg]), 0, "%s", mitsu_db_error(db));
    cr_assert_eq(mitsu_db_script(db, real_rows), 0, "%s", mitsu_db_error(db));
    mitsu_db_close(db);
}

typedef struct tokens {
    char kind[16][16], value[16][128], where[16][64], password[16][64];
    int n;
} tokens;

static int keep(void *arg, const char *kind, const char *value, const char *where,
                const char *password)
{
    tokens *t = arg;
    if (t->n == 16)
        return -1;
    snprintf(t->kind[t->n], 16, "%s", kind);
    snprintf(t->value[t->n], 128, "%s", value);
    snprintf(t->where[t->n], 64, "%s", where);
    snprintf(t->password[t->n], 64, "%s", password ? password : "");
    t->n++;
    return 0;
}

static int init(const char *decoy_url, int64_t rows, uint64_t seed, int force, tokens *t,
                char *err, size_t n)
{
    mitsu_db *real = must_open(T.real), *decoy = must_open(decoy_url);
    decoy_init_opts o = {.rows = rows, .seed = seed, .force = force, .tokens = 2,
                         .token = t ? keep : NULL, .arg = t};
    int rc = db_decoy_init(real, decoy, &o, err, n);
    mitsu_db_close(real);
    mitsu_db_close(decoy);
    return rc;
}

static void must_init(const char *decoy_url, int64_t rows, uint64_t seed, tokens *t)
{
    char err[1024];
    cr_assert_eq(init(decoy_url, rows, seed, 0, t, err, sizeof err), 0, "%s", err);
}

static int64_t count(const char *url, const char *sql)
{
    mitsu_db *db = must_open(url);
    mitsu_rows *r = mitsu_db_query(db, sql);
    cr_assert(r && mitsu_rows_next(r) == 1, "%s: %s", sql, mitsu_db_error(db));
    int64_t v = mitsu_rows_int(r, 0);
    mitsu_db_close(db);
    return v;
}

BACKEND_TEST(the_decoy_schema_passes_the_start_up_check)
{
    make_real();
    must_init(T.decoy, -1, 1, NULL);
    char err[256], *out = NULL;
    size_t len = 0;
    db_conn *r = db_conn_open(T.real, NULL, err, sizeof err);
    db_conn *d = db_conn_open(T.decoy, NULL, err, sizeof err);
    cr_assert(r && d, "%s", err);
    FILE *f = open_memstream(&out, &len);
    int n = db_schema_compare(r, d, "", f);
    fclose(f);
    cr_assert_eq(n, 0, "%s", out);
    free(out);
    db_conn_close(r);
    db_conn_close(d);
}

BACKEND_TEST(rows_default_to_the_real_count_or_rows_n)
{
    make_real();
    must_init(T.decoy, -1, 1, NULL);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM employees"), 4);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM departments"), 3);
    must_init(T.decoy2, 40, 1, NULL);
    cr_assert_eq(count(T.decoy2, "SELECT COUNT(*) FROM employees"), 40);
    cr_assert_eq(count(T.decoy2, "SELECT COUNT(*) FROM items"), 40);
}

BACKEND_TEST(foreign_keys_point_at_rows_that_exist_and_unique_columns_are_unique)
{
    make_real();
    must_init(T.decoy, 60, 2, NULL);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM employees e LEFT JOIN departments d"
                                " ON d.id = e.dept_id WHERE d.id IS NULL"), 0);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM users u LEFT JOIN employees e"
                                " ON e.id = u.employee_id WHERE u.employee_id IS NOT NULL"
                                " AND e.id IS NULL"), 0);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM items i LEFT JOIN shipments s"
                                " ON s.region = i.region AND s.num = i.num"
                                " WHERE i.region IS NOT NULL AND s.region IS NULL"), 0);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM items WHERE region IS NULL"), 0,
                 "every item has its shipment");
    cr_assert_eq(count(T.decoy, "SELECT COUNT(DISTINCT email) FROM employees"), 60);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(DISTINCT username) FROM users"), 60);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM employees WHERE role NOT IN"
                                " ('admin', 'staff')"), 0, "the CHECK's words");
}

/* Every cell of the decoy against every value of the same real column: none equal, except
 * keys (numbers the decoy numbers itself) and the vocabulary column role. */
BACKEND_TEST(no_real_value_is_copied)
{
    make_real();
    must_init(T.decoy, 50, 3, NULL);
    static const char *const cols[][2] = {
        {"departments", "name"}, {"departments", "budget"}, {"employees", "first_name"},
        {"employees", "last_name"}, {"employees", "email"}, {"employees", "phone"},
        {"employees", "salary"}, {"employees", "birth_date"}, {"employees", "created_at"},
        {"employees", "notes"}, {"users", "username"}, {"users", "password_hash"},
        {"users", "api_key"}, {"shipments", "region"}, {"shipments", "city"},
        {"items", "price"}};
    mitsu_db *real = must_open(T.real), *decoy = must_open(T.decoy);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE %s IS NOT NULL", cols[c][1],
                 cols[c][0], cols[c][1]);
        mitsu_rows *d = mitsu_db_query(decoy, sql);
        cr_assert_not_null(d, "%s", mitsu_db_error(decoy));
        int cells = 0;
        while (mitsu_rows_next(d) == 1) {
            cells++;
            mitsu_rows *r = mitsu_db_query(real, sql);
            cr_assert_not_null(r);
            while (mitsu_rows_next(r) == 1) {
                int same = mitsu_rows_type(d, 0) == MITSU_TYPE_REAL ||
                                   mitsu_rows_type(r, 0) == MITSU_TYPE_REAL
                               ? mitsu_rows_real(d, 0) == mitsu_rows_real(r, 0)
                               : strcmp(mitsu_rows_text(d, 0), mitsu_rows_text(r, 0)) == 0;
                cr_assert(!same, "%s.%s: real value %s copied", cols[c][0], cols[c][1],
                          mitsu_rows_text(r, 0));
            }
            mitsu_rows_free(r);
            cr_assert(!strstr(mitsu_rows_text(d, 0), "CONFIDENTIAL"));
        }
        mitsu_rows_free(d);
        cr_assert_gt(cells, 0, "%s.%s has values", cols[c][0], cols[c][1]);
    }
    mitsu_db_close(real);
    mitsu_db_close(decoy);
}

static char *dump(const char *url)
{
    static const char *const q[] = {
        "SELECT id, name, budget FROM departments ORDER BY id",
        ("SELECT id, first_name, last_name, email, phone, dept_id, manager_id, salary, role,"
         " birth_date, created_at, notes, active FROM employees ORDER BY id"),
        "SELECT id, username, password_hash, api_key, employee_id FROM users ORDER BY id",
        "SELECT region, num, city FROM shipments ORDER BY region, num",
        "SELECT id, region, num, price FROM items ORDER BY id"};
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    mitsu_db *db = must_open(url);
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        mitsu_rows *r = mitsu_db_query(db, q[i]);
        cr_assert_not_null(r, "%s", mitsu_db_error(db));
        while (mitsu_rows_next(r) == 1)
            for (int c = 0; c < mitsu_rows_columns(r); c++)
                fprintf(f, "%s%c", mitsu_rows_text(r, c) ? mitsu_rows_text(r, c) : "NULL",
                        c + 1 == mitsu_rows_columns(r) ? '\n' : '|');
    }
    mitsu_db_close(db);
    fclose(f);
    return out;
}

BACKEND_TEST(the_same_seed_gives_the_same_decoy)
{
    make_real();
    must_init(T.decoy, 20, 77, NULL);
    must_init(T.decoy2, 20, 77, NULL);
    char *a = dump(T.decoy), *b = dump(T.decoy2);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
}

/* A real database with orphans (SQLite without foreign_keys, a PostgreSQL restore): rows that
 * need a parent the decoy cannot give them are left out, not a failure. */
BACKEND_TEST(a_child_of_an_empty_table_gets_no_rows)
{
    make_real();
    mitsu_db *db = must_open(T.real);
    cr_assert_eq(mitsu_db_script(db, T.pg ? "SET session_replication_role = replica;"
                                            " DELETE FROM departments"
                                          : "PRAGMA foreign_keys = OFF; DELETE FROM departments"),
                 0, "%s", mitsu_db_error(db));
    mitsu_db_close(db);
    cr_assert_eq(count(T.real, "SELECT COUNT(*) FROM employees"), 4);
    char err[512];
    mitsu_db *real = must_open(T.real), *decoy = must_open(T.decoy);
    decoy_init_opts o = {.rows = -1, .seed = 1};
    cr_assert_eq(db_decoy_init(real, decoy, &o, err, sizeof err), 0, "%s", err);
    mitsu_db_close(real);
    mitsu_db_close(decoy);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM departments"), 0);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM employees"), 0);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM shipments"), 3, "the rest is filled");
}

BACKEND_TEST(a_decoy_with_tables_is_refused_unless_forced)
{
    make_real();
    must_init(T.decoy, 5, 1, NULL);
    char err[512];
    cr_assert_eq(init(T.decoy, 5, 2, 0, NULL, err, sizeof err), -1);
    cr_assert(strstr(err, "refusing to overwrite"), "%s", err);
    cr_assert_eq(init(T.decoy, 7, 2, 1, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(*) FROM employees"), 7);
}

BACKEND_TEST(the_real_database_is_never_taken_for_the_decoy)
{
    make_real();
    char err[512];
    cr_assert_eq(init(T.real, 5, 1, 1, NULL, err, sizeof err), -1);
    cr_assert(strstr(err, "the decoy is the real database"), "%s", err);
    cr_assert_eq(count(T.real, "SELECT COUNT(*) FROM employees"), 4, "untouched");
    if (!T.pg) { /* another spelling of the same file */
        char other[600];
        snprintf(other, sizeof other, "sqlite:%s/./real.db", T.dir);
        cr_assert_eq(init(other, 5, 1, 1, NULL, err, sizeof err), -1);
        cr_assert(strstr(err, "the decoy is the real database"), "%s", err);
    }
}

BACKEND_TEST(honeytokens_are_planted_in_the_decoy)
{
    make_real();
    tokens t = {0};
    must_init(T.decoy, 10, 4, &t);
    int cred = 0, key = 0, mail = 0;
    mitsu_db *db = must_open(T.decoy);
    for (int i = 0; i < t.n; i++) {
        char sql[256];
        const char *dot = strchr(t.where[i], '.');
        cr_assert_not_null(dot);
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %.*s WHERE %s = ?",
                 (int)(dot - t.where[i]), t.where[i], dot + 1);
        mitsu_rows *r = mitsu_db_query(db, sql, MITSU_TEXT(t.value[i]));
        cr_assert(r && mitsu_rows_next(r) == 1 && mitsu_rows_int(r, 0) >= 1,
                  "%s %s is in the decoy", t.where[i], t.value[i]);
        mitsu_rows_free(r);
        if (strcmp(t.kind[i], "credential") == 0) {
            cred++;
            cr_assert_str_eq(t.where[i], "users.username");
            cr_assert_geq(strlen(t.password[i]), 8);
            /* the stored hash is the honey password's, in the real column's scheme */
            r = mitsu_db_query(db, "SELECT password_hash FROM users WHERE username = ?",
                               MITSU_TEXT(t.value[i]));
            cr_assert(r && mitsu_rows_next(r) == 1);
            const char *h = mitsu_rows_text(r, 0);
            int iter;
            char salt[64], b64[128], want[64];
            cr_assert_eq(sscanf(h, "pbkdf2_sha256$%d$%63[^$]$%127s", &iter, salt, b64), 3, "%s", h);
            unsigned char dk[32];
            PKCS5_PBKDF2_HMAC(t.password[i], (int)strlen(t.password[i]), (unsigned char *)salt,
                              (int)strlen(salt), iter, EVP_sha256(), 32, dk);
            EVP_EncodeBlock((unsigned char *)want, dk, 32);
            cr_assert_str_eq(b64, want);
            mitsu_rows_free(r);
        }
        key += strcmp(t.kind[i], "api_key") == 0;
        mail += strcmp(t.kind[i], "email") == 0;
    }
    mitsu_db_close(db);
    cr_assert_eq(count(T.decoy, "SELECT COUNT(DISTINCT length(password_hash)) FROM users"), 1,
                 "honey rows' hashes look like the others");
    cr_assert_eq(cred, 2);
    cr_assert_eq(key, 2);
    cr_assert_eq(mail, 2);
}

/* ---- decoy diff (per-attacker copies are SQLite) ----------------------------------------- */

/* A decoy of 5 rows a table, and an attacker's private copy of it changed by script: the
 * copy's URL into url, the decoy's path into base. */
static void attacker_copy(const char *script, char url[700], char base[600])
{
    make_real();
    must_init(T.decoy, 5, 9, NULL);
    char copy[600];
    snprintf(base, 600, "%s/decoy.db", T.dir);
    snprintf(copy, sizeof copy, "%s/copy.db", T.dir);
    mitsu_db *d = must_open(T.decoy);
    cr_assert_geq(mitsu_db_exec(d, "VACUUM INTO ?", MITSU_TEXT(copy)), 0, "%s", mitsu_db_error(d));
    mitsu_db_close(d);
    snprintf(url, 700, "sqlite:%s", copy);
    mitsu_db *c = must_open(url);
    cr_assert_eq(mitsu_db_script(c, script), 0, "%s", mitsu_db_error(c));
    mitsu_db_close(c);
}

Test(diff, shows_rows_added_removed_and_changed, .init = setup_sqlite, .fini = teardown)
{
    char url[700], base[600];
    attacker_copy("UPDATE employees SET salary = 1 WHERE id = 2;"
                  "DELETE FROM items WHERE id = 5;"
                  "INSERT INTO departments (name) VALUES ('pwned\x1b[2J');"
                  "CREATE TABLE loot (x)", url, base);
    char *out = NULL, err[512];
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    int n = db_decoy_diff(url, base, f, err, sizeof err);
    fclose(f);
    cr_assert_eq(n, 4, "%s\n%s", err, out);
    cr_assert(strstr(out, "table departments: 1 added, 0 removed, 0 changed\n"
                          "  + id=6: id=6 name='pwned\\x1b[2J' budget=NULL\n"), "%s", out);
    cr_assert(strstr(out, "table employees: 0 added, 0 removed, 1 changed\n  ~ id=2: salary: "),
              "%s", out);
    cr_assert(strstr(out, " -> 1\n"), "%s", out);
    cr_assert(strstr(out, "table items: 0 added, 1 removed, 0 changed\n  - id=5: "), "%s", out);
    cr_assert(strstr(out, "table loot: created by the attacker\n"), "%s", out);
    cr_assert_null(strstr(out, "table users"), "unchanged tables are not listed: %s", out);
    free(out);

    f = open_memstream(&out, &len);
    snprintf(url, sizeof url, "sqlite:%s/decoy.db", T.dir);
    cr_assert_eq(db_decoy_diff(url, base, f, err, sizeof err), 0, "%s", err);
    fclose(f);
    free(out);
}

/* The copy is the attacker's: its table and column names and its values reach the operator's
 * terminal escaped (C0, C1 and bidi controls alike), and a column it added does not stop the
 * rows from being compared. */
Test(diff, the_attackers_names_are_escaped_and_a_new_column_is_reported,
     .init = setup_sqlite, .fini = teardown)
{
    char url[700], base[600];
    attacker_copy("ALTER TABLE departments ADD COLUMN \"note\x1b[2J\" TEXT;"
                  "UPDATE departments SET name = 'x\xc2\x9b" "31m\xe2\x80\xae' WHERE id = 1;"
                  "CREATE TABLE \"loot\x1b]0;owned\x07\" (x)", url, base);
    char *out = NULL, err[512];
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    int n = db_decoy_diff(url, base, f, err, sizeof err);
    fclose(f);
    cr_assert_geq(n, 2, "%s\n%s", err, out ? out : "");
    cr_assert_null(strpbrk(out, "\x1b\x07"), "no control byte reaches the terminal: %s", out);
    cr_assert_null(strstr(out, "\xc2\x9b"), "nor a C1 control: %s", out);
    cr_assert_null(strstr(out, "\xe2\x80\xae"), "nor a bidi override: %s", out);
    cr_assert(strstr(out, "table loot\\x1b]0;owned\\x07: created by the attacker\n"), "%s", out);
    cr_assert(strstr(out, "table departments: column note\\x1b[2J added by the attacker\n"),
              "%s", out);
    cr_assert(strstr(out, " -> 'x\\xc2\\x9b31m\\xe2\\x80\\xae'\n"), "%s", out);
    free(out);
}
