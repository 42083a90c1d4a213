/* `decoy init`, second half: fills the copied schema with fake rows, table by table in
 * foreign-key order, and plants honeytokens in a few rows. Real values are read only to be
 * avoided (a hash set per column), to learn a password column's hash scheme, and for the few
 * low-cardinality "vocabulary" columns (role, status) whose words the application itself uses. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/siphash.h"
#include "db/decoy_model.h"

enum {
    MAX_ROWS = 1000,       /* default cap on rows per table */
    REAL_VALUES = 200000,  /* real values per column remembered for avoidance, at most */
    TRIES = 16,            /* new values for one cell before giving up on avoiding */
    ROW_TRIES = 10,        /* new rows after a constraint refused one */
    VOCAB_MAX = 8,         /* distinct words of a vocabulary column, at most */
    VALUE_MAX = 512,
};

static const uint64_t set_key[2] = {0x6d69747375646563ULL, 0x6f79696e69746b79ULL};

/* A set of 64-bit hashes, open addressing; 0 marks a free slot. */
typedef struct hset {
    uint64_t *slot;
    size_t cap, n;
} hset;

static uint64_t hkey(const char *s, size_t len)
{
    uint64_t h = siphash13(set_key, s, len);
    return h ? h : 1;
}

static int hset_add(hset *h, uint64_t k)
{
    if (2 * (h->n + 1) > h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        uint64_t *s = calloc(cap, sizeof *s);
        if (!s)
            return -1;
        for (size_t i = 0; i < h->cap; i++)
            if (h->slot[i])
                for (size_t j = h->slot[i] & (cap - 1);; j = (j + 1) & (cap - 1))
                    if (!s[j]) {
                        s[j] = h->slot[i];
                        break;
                    }
        free(h->slot);
        h->slot = s;
        h->cap = cap;
    }
    for (size_t j = k & (h->cap - 1);; j = (j + 1) & (h->cap - 1)) {
        if (h->slot[j] == k)
            return 0;
        if (!h->slot[j]) {
            h->slot[j] = k;
            h->n++;
            return 0;
        }
    }
}

static int hset_has(const hset *h, uint64_t k)
{
    if (!h->cap)
        return 0;
    for (size_t j = k & (h->cap - 1); h->slot[j]; j = (j + 1) & (h->cap - 1))
        if (h->slot[j] == k)
            return 1;
    return 0;
}

/* ---- Per column, per table ------------------------------------------------------------- */

/* Where a column's values come from. */
enum src { SRC_OMIT, SRC_FK, SRC_VOCAB, SRC_FAKE };

typedef struct colgen {
    const dm_col *col;
    enum src src;
    fake_column fc;
    hset avoid;            /* the real column's values */
    char *vocab[VOCAB_MAX];
    size_t nvocab;
    char hash_shape[VALUE_MAX];
} colgen;

/* A parent's key tuples, read back from the decoy. */
typedef struct parent_keys {
    char **v; /* nrows * ncols strings */
    size_t nrows, ncols;
} parent_keys;

typedef struct filler {
    mitsu_db *real, *decoy;
    const decoy_init_opts *o;
    fake_rng g;
    arena *a;
    char *err;
    size_t errlen;
    int64_t tokens_planted;
} filler;

static int failed(filler *f, mitsu_db *db, const char *fmt, const char *what)
{
    char msg[320];
    snprintf(msg, sizeof msg, fmt, what);
    msg[200] = '\0';
    snprintf(f->err, f->errlen, "%s: %s", msg,
             db && mitsu_db_error(db) ? mitsu_db_error(db) : "out of memory");
    return -1;
}

/* Text the way the set keys it: reals by value (1234.5 is 1234.50), the rest by bytes. */
static uint64_t value_key(const fake_column *c, const char *s, size_t len)
{
    if (c->store == FAKE_AS_REAL || c->store == FAKE_AS_INT) {
        char *end;
        double d = strtod(s, &end);
        if (end != s && *end == '\0')
            return hkey((const char *)&d, sizeof d);
    }
    return hkey(s, len);
}

static int load_avoid(filler *f, const dm_table *t, colgen *cg)
{
    const char *q = dm_quote(f->a, cg->col->name);
    const char *sql = arena_printf(f->a, "SELECT %s FROM %s WHERE %s IS NOT NULL LIMIT %d", q,
                                   dm_quote(f->a, t->name), q, REAL_VALUES);
    mitsu_rows *r = sql ? mitsu_db_query(f->real, sql) : NULL;
    int rc = r ? 0 : -1, shaped = 0;
    while (r && (rc = mitsu_rows_next(r)) == 1) {
        size_t len = 0;
        const char *v = mitsu_rows_type(r, 0) == MITSU_TYPE_BLOB ? mitsu_rows_blob(r, 0, &len)
                                                                 : mitsu_rows_text(r, 0);
        if (!v)
            continue;
        if (!len)
            len = strlen(v);
        if (cg->fc.kind == FAKE_PASSWORD && !shaped && len < sizeof cg->hash_shape) {
            memcpy(cg->hash_shape, v, len); /* only its shape is used: see fake_password_hash */
            cg->hash_shape[len] = '\0';
            cg->fc.hash_shape = cg->hash_shape;
            shaped = 1;
        }
        if (hset_add(&cg->avoid, value_key(&cg->fc, v, len)) < 0)
            rc = -1;
    }
    mitsu_rows_free(r);
    return rc < 0 ? failed(f, f->real, "reading real column %s", cg->col->name) : 0;
}

/* A word the application's code uses (role = 'admin', status = 'active'): letters only. */
static int is_word(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 24)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalpha((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != ' ')
            return 0;
    return 1;
}

static int enum_named(const char *name)
{
    /* Only true enumerations: a department or a category is data, and counts as vocabulary
     * only when each of its words is used twice. */
    static const char *const names[] = {"role", "status", "state", "type", "kind", "level",
                                        "gender", "tier", NULL};
    for (const char *const *n = names; *n; n++)
        if (strcasecmp(name, *n) == 0)
            return 1;
    return 0;
}

/* A vocabulary column: at most VOCAB_MAX distinct words, each used at least twice (or the
 * column is named like an enumeration). Its words are the decoy's values: they are the
 * application's vocabulary, not its data, and a CHECK constraint may admit nothing else. */
static int load_vocab(filler *f, const dm_table *t, colgen *cg)
{
    if (cg->fc.store != FAKE_AS_TEXT || t->real_rows < 2 ||
        (cg->fc.kind != FAKE_TEXT && cg->fc.kind != FAKE_TITLE && !enum_named(cg->col->name)))
        return 0;
    const char *q = dm_quote(f->a, cg->col->name);
    const char *sql = arena_printf(f->a, "SELECT %s, COUNT(*) FROM %s WHERE %s IS NOT NULL"
                                         " GROUP BY %s ORDER BY 1 LIMIT %d", q,
                                   dm_quote(f->a, t->name), q, q, VOCAB_MAX + 1);
    mitsu_rows *r = sql ? mitsu_db_query(f->real, sql) : NULL;
    if (!r)
        return failed(f, f->real, "reading real column %s", cg->col->name);
    int ok = 1, rc;
    size_t n = 0;
    while ((rc = mitsu_rows_next(r)) == 1) {
        const char *w = mitsu_rows_text(r, 0);
        if (n == VOCAB_MAX || !w || !is_word(w) ||
            (mitsu_rows_int(r, 1) < 2 && !enum_named(cg->col->name))) {
            ok = 0;
            break;
        }
        cg->vocab[n++] = arena_strdup(f->a, w);
    }
    mitsu_rows_free(r);
    if (ok && rc == 0 && n > 0) {
        cg->nvocab = n;
        cg->src = SRC_VOCAB;
    }
    return 0;
}

static int load_parent(filler *f, const dm_fk *fk, parent_keys *pk)
{
    memset(pk, 0, sizeof *pk);
    pk->ncols = fk->ncols;
    const char *cols = "";
    for (size_t i = 0; i < fk->ncols; i++)
        cols = arena_printf(f->a, "%s%s%s", cols, i ? ", " : "", dm_quote(f->a, fk->to[i]));
    const char *sql = arena_printf(f->a, "SELECT %s FROM %s", cols, dm_quote(f->a, fk->table));
    mitsu_rows *r = sql ? mitsu_db_query(f->decoy, sql) : NULL;
    int rc = r ? 0 : -1;
    while (r && (rc = mitsu_rows_next(r)) == 1) {
        char **v = arena_grow(f->a, pk->v, pk->nrows, pk->ncols * sizeof *v);
        if (!v) {
            rc = -1;
            break;
        }
        pk->v = v;
        for (size_t i = 0; i < pk->ncols; i++)
            v[pk->nrows * pk->ncols + i] =
                mitsu_rows_is_null(r, (int)i) ? NULL : arena_strdup(f->a, mitsu_rows_text(r, (int)i));
        pk->nrows++;
    }
    mitsu_rows_free(r);
    return rc < 0 ? failed(f, f->decoy, "reading decoy table %s", fk->table) : 0;
}

/* ---- Rows -------------------------------------------------------------------------------- */

typedef struct table_gen {
    const dm_table *t;
    colgen *cols;
    parent_keys *parents; /* per foreign key */
    int64_t rows;
    int64_t *honey;       /* rows that carry honeytokens, sorted */
    size_t nhoney;
    int cred_col, pass_col; /* the credential's user name and password columns, or -1 */
    char *sql;            /* the INSERT */
    size_t nbound;
} table_gen;

static int is_honey(const table_gen *tg, int64_t row)
{
    for (size_t i = 0; i < tg->nhoney; i++)
        if (tg->honey[i] == row)
            return 1;
    return 0;
}

/* A fake value for one cell that no real value of its column equals. */
static int fake_cell(filler *f, colgen *cg, int64_t row, char *out, size_t n)
{
    for (int i = 0; i < TRIES; i++) {
        int len = fake_value(&f->g, &cg->fc, row, out, n);
        if (len < 0)
            return -1;
        if ((cg->fc.store == FAKE_AS_INT && cg->fc.kind == FAKE_INT) ||
            cg->fc.store == FAKE_AS_BOOL)
            return 0; /* plain integers (counts, small codes) and booleans collide by nature */
        if (!hset_has(&cg->avoid, value_key(&cg->fc, out, (size_t)len)))
            return 0;
    }
    /* A small list exhausted by the real values: mark it as ours. */
    size_t len = strlen(out);
    if (cg->fc.store != FAKE_AS_TEXT || len + 4 >= n)
        return -1;
    snprintf(out + len, n - len, " %02d", (int)fake_below(&f->g, 100));
    return hset_has(&cg->avoid, hkey(out, strlen(out))) ? -1 : 0;
}

typedef struct row_vals {
    char (*text)[VALUE_MAX];
    const char **ptr;       /* per column: its text, or NULL for SQL NULL */
    mitsu_value *bound;
    char password[64];      /* the honey password of this row, when it has one */
} row_vals;

static int make_row(filler *f, table_gen *tg, int64_t row, row_vals *rv)
{
    const dm_table *t = tg->t;
    int honey = is_honey(tg, row);
    rv->password[0] = '\0';
    size_t picks[64] = {0};
    for (size_t k = 0; k < t->nfks && k < 64; k++)
        picks[k] = tg->parents[k].nrows ? (size_t)fake_below(&f->g, tg->parents[k].nrows)
                                        : SIZE_MAX;
    for (size_t i = 0; i < t->ncols; i++) {
        colgen *cg = &tg->cols[i];
        rv->ptr[i] = rv->text[i];
        switch (cg->src) {
        case SRC_OMIT:
            rv->ptr[i] = NULL;
            break;
        case SRC_FK: {
            const parent_keys *pk = &tg->parents[cg->col->fk];
            size_t p = cg->col->fk < 64 ? picks[cg->col->fk] : SIZE_MAX;
            rv->ptr[i] = p == SIZE_MAX ? NULL : pk->v[p * pk->ncols + cg->col->fk_part];
            break;
        }
        case SRC_VOCAB:
            snprintf(rv->text[i], VALUE_MAX, "%s", cg->vocab[fake_below(&f->g, cg->nvocab)]);
            break;
        case SRC_FAKE:
            if (honey && (int)i == tg->pass_col) {
                fake_password(&f->g, rv->password, sizeof rv->password);
                if (fake_password_hash(&f->g, cg->fc.hash_shape, rv->password, rv->text[i],
                                       VALUE_MAX) < 0)
                    return failed(f, NULL, "hashing a honey password for %s", cg->col->name);
            } else if (fake_cell(f, cg, row, rv->text[i], VALUE_MAX) < 0) {
                return failed(f, NULL, "no fake value fits column %s (too short for the"
                                       " row number, or taken by the real values)", cg->col->name);
            }
            break;
        }
    }
    size_t b = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        if (tg->cols[i].src == SRC_OMIT)
            continue;
        const char *v = rv->ptr[i];
        rv->bound[b++] = !v ? MITSU_NULL
                         : tg->cols[i].fc.store == FAKE_AS_BLOB ? MITSU_BLOB(v, strlen(v))
                                                                : MITSU_TEXT(v);
    }
    return 0;
}

/* SQLite stores 't' in a BOOLEAN column as text: it gets 1 and 0 there. */
static void sqlite_bools(table_gen *tg, row_vals *rv)
{
    for (size_t i = 0; i < tg->t->ncols; i++)
        if (tg->cols[i].fc.store == FAKE_AS_BOOL && rv->ptr[i] == rv->text[i])
            snprintf(rv->text[i], VALUE_MAX, "%d", rv->text[i][0] == 't');
}

static int plant(filler *f, table_gen *tg, const row_vals *rv)
{
    if (!f->o->token)
        return 0;
    const dm_table *t = tg->t;
    for (size_t i = 0; i < t->ncols; i++) {
        const colgen *cg = &tg->cols[i];
        const char *kind = NULL, *password = NULL;
        if ((int)i == tg->cred_col && rv->password[0]) {
            kind = "credential";
            password = rv->password;
        } else if (cg->src == SRC_FAKE && cg->fc.kind == FAKE_API_KEY) {
            kind = "api_key";
        } else if (cg->src == SRC_FAKE && cg->fc.kind == FAKE_EMAIL) {
            kind = "email";
        }
        if (!kind || !rv->ptr[i] || strlen(rv->ptr[i]) < 6)
            continue;
        char where[256];
        snprintf(where, sizeof where, "%.120s.%.120s", t->name, cg->col->name);
        if (f->o->token(f->o->arg, kind, rv->ptr[i], where, password) != 0)
            return failed(f, NULL, "registering a honeytoken of %s", where);
        f->tokens_planted++;
    }
    return 0;
}

static int insert_rows(filler *f, table_gen *tg)
{
    row_vals rv;
    size_t nc = tg->t->ncols;
    rv.text = arena_alloc(f->a, nc * sizeof *rv.text);
    rv.ptr = arena_alloc(f->a, nc * sizeof *rv.ptr);
    rv.bound = arena_alloc(f->a, (nc + 1) * sizeof *rv.bound);
    if (!rv.text || !rv.ptr || !rv.bound)
        return failed(f, NULL, "filling %s", tg->t->name);
    int pg = mitsu_db_kind(f->decoy) == MITSU_DB_POSTGRESQL;
    if (mitsu_db_begin(f->decoy) != 0)
        return failed(f, f->decoy, "filling %s", tg->t->name);
    for (int64_t row = 0; row < tg->rows; row++) {
        int tries = 0;
        for (;;) {
            if (make_row(f, tg, row, &rv) < 0)
                goto fail;
            if (!pg)
                sqlite_bools(tg, &rv);
            /* A savepoint per row: a refused row (a CHECK, a chance duplicate) is tried again
             * without losing the table's transaction (PostgreSQL aborts it otherwise). */
            if (mitsu_db_exec(f->decoy, "SAVEPOINT decoy_row") < 0)
                goto db_fail;
            if (mitsu_db_execv(f->decoy, tg->sql, rv.bound, tg->nbound) >= 0)
                break;
            if (mitsu_db_errcode(f->decoy) != MITSU_DB_CONSTRAINT || ++tries == ROW_TRIES)
                goto db_fail;
            if (mitsu_db_exec(f->decoy, "ROLLBACK TO SAVEPOINT decoy_row") < 0)
                goto db_fail;
        }
        if (mitsu_db_exec(f->decoy, "RELEASE SAVEPOINT decoy_row") < 0)
            goto db_fail;
        if (is_honey(tg, row) && plant(f, tg, &rv) < 0)
            goto fail;
    }
    if (mitsu_db_commit(f->decoy) != 0)
        goto db_fail;
    return 0;
db_fail:
    failed(f, f->decoy, "filling table %s", tg->t->name);
fail:
    mitsu_db_rollback(f->decoy);
    return -1;
}

/* ---- One table --------------------------------------------------------------------------- */

static int64_t rows_for(const filler *f, const dm_table *t)
{
    if (f->o->rows >= 0)
        return f->o->rows;
    int64_t cap = f->o->max_rows > 0 ? f->o->max_rows : MAX_ROWS;
    return t->real_rows < cap ? t->real_rows : cap;
}

static void choose_honey(filler *f, table_gen *tg)
{
    int want = f->o->tokens == 0 ? 3 : f->o->tokens < 0 ? 0 : f->o->tokens;
    tg->honey = arena_alloc(f->a, (size_t)(want > 0 ? want : 1) * sizeof *tg->honey);
    tg->nhoney = 0;
    for (int i = 0; tg->honey && i < want && (int64_t)tg->nhoney < tg->rows; i++) {
        int64_t r;
        do
            r = (int64_t)fake_below(&f->g, (uint64_t)tg->rows);
        while (is_honey(tg, r));
        tg->honey[tg->nhoney++] = r;
    }
}

static int prepare_columns(filler *f, table_gen *tg)
{
    const dm_table *t = tg->t;
    tg->cred_col = tg->pass_col = -1;
    int user_col = -1, mail_col = -1;
    const char *cols = "", *marks = "";
    tg->nbound = 0;
    for (size_t i = 0; i < t->ncols; i++) {
        colgen *cg = &tg->cols[i];
        memset(cg, 0, sizeof *cg);
        cg->col = &t->cols[i];
        fake_classify(t->name, cg->col->name, cg->col->type, &cg->fc);
        cg->fc.unique = cg->col->unique;
        cg->src = cg->col->generated ? SRC_OMIT : cg->col->fk >= 0 ? SRC_FK : SRC_FAKE;
        if (cg->src == SRC_FAKE && (load_vocab(f, t, cg) < 0 ||
                                    (cg->src == SRC_FAKE && load_avoid(f, t, cg) < 0)))
            return -1;
        if (cg->src == SRC_FAKE && cg->fc.kind == FAKE_PASSWORD)
            tg->pass_col = (int)i;
        if (cg->src == SRC_FAKE && cg->fc.kind == FAKE_USERNAME && user_col < 0)
            user_col = (int)i;
        if (cg->src == SRC_FAKE && cg->fc.kind == FAKE_EMAIL && mail_col < 0)
            mail_col = (int)i;
        if (cg->src == SRC_OMIT)
            continue;
        cols = arena_printf(f->a, "%s%s%s", cols, tg->nbound ? ", " : "",
                            dm_quote(f->a, cg->col->name));
        marks = arena_printf(f->a, "%s%s?", marks, tg->nbound ? ", " : "");
        tg->nbound++;
    }
    if (tg->pass_col >= 0)
        tg->cred_col = user_col >= 0 ? user_col : mail_col;
    if (tg->cred_col < 0)
        tg->pass_col = -1; /* a password without a name to go with it is no credential */
    tg->sql = tg->nbound ? arena_printf(f->a, "INSERT INTO %s (%s) VALUES (%s)",
                                        dm_quote(f->a, t->name), cols, marks)
                         : arena_printf(f->a, "INSERT INTO %s DEFAULT VALUES",
                                        dm_quote(f->a, t->name));
    return tg->sql ? 0 : failed(f, NULL, "filling %s", t->name);
}

/* A parent without rows that a NOT NULL foreign key column needs, or NULL. */
static const char *required_parent_empty(const table_gen *tg)
{
    for (size_t i = 0; i < tg->t->ncols; i++) {
        const dm_col *c = tg->cols[i].col;
        if (tg->cols[i].src == SRC_FK && c->notnull && tg->parents[c->fk].nrows == 0 &&
            strcmp(tg->t->fks[c->fk].table, tg->t->name) != 0)
            return tg->t->fks[c->fk].table;
    }
    return NULL;
}

static void free_columns(table_gen *tg)
{
    for (size_t i = 0; tg->cols && i < tg->t->ncols; i++)
        free(tg->cols[i].avoid.slot);
}

static int fill_table(filler *f, const dm_table *t)
{
    table_gen tg = {.t = t, .rows = rows_for(f, t)};
    tg.cols = arena_alloc(f->a, (t->ncols + 1) * sizeof *tg.cols);
    tg.parents = arena_alloc(f->a, (t->nfks + 1) * sizeof *tg.parents);
    if (!tg.cols || !tg.parents)
        return failed(f, NULL, "filling %s", t->name);
    memset(tg.cols, 0, (t->ncols + 1) * sizeof *tg.cols);
    int rc = prepare_columns(f, &tg);
    for (size_t k = 0; rc == 0 && k < t->nfks; k++)
        rc = load_parent(f, &t->fks[k], &tg.parents[k]);
    const char *orphan = rc == 0 ? required_parent_empty(&tg) : NULL;
    if (orphan && tg.rows > 0) { /* no row could reference anything: none, rather than fail */
        if (f->o->out)
            fprintf(f->o->out, "table %s: no rows, as %s has none\n", t->name, orphan);
        tg.rows = 0;
    }
    if (rc == 0) {
        fake_new_table(&f->g);
        choose_honey(f, &tg);
        rc = insert_rows(f, &tg);
    }
    free_columns(&tg);
    if (rc == 0 && f->o->out)
        fprintf(f->o->out, "table %s: %lld fake rows\n", t->name, (long long)tg.rows);
    return rc;
}

/* Where a handle's data is: the SQLite file, or PostgreSQL's server, database and schema. */
static int where_is(mitsu_db *db, char *out, size_t n)
{
    int pg = mitsu_db_kind(db) == MITSU_DB_POSTGRESQL;
    mitsu_rows *r = mitsu_db_query(db, pg ? "SELECT current_database() || ' ' || current_schema()"
                                            " || ' ' || COALESCE(inet_server_addr()::text, '')"
                                            " || ' ' || COALESCE(inet_server_port(), 0)"
                                          : "SELECT file FROM pragma_database_list"
                                            " WHERE name = 'main'");
    int ok = r && mitsu_rows_next(r) == 1 && mitsu_rows_text(r, 0);
    if (ok) {
        const char *w = mitsu_rows_text(r, 0);
        char *resolved = pg || !*w ? NULL : realpath(w, NULL);
        snprintf(out, n, "%s", resolved ? resolved : w);
        free(resolved);
    }
    mitsu_rows_free(r);
    return ok ? 0 : -1;
}

/* --force drops the decoy's tables: never when the "decoy" is the real database. */
static int same_database(mitsu_db *real, mitsu_db *decoy, char *err, size_t n)
{
    char a[1024], b[1024];
    if (where_is(real, a, sizeof a) != 0 || where_is(decoy, b, sizeof b) != 0) {
        snprintf(err, n, "cannot tell where the databases are: %s",
                 mitsu_db_error(real) ? mitsu_db_error(real) : mitsu_db_error(decoy));
        return -1;
    }
    if (*a && strcmp(a, b) == 0) {
        snprintf(err, n, "the decoy is the real database: refusing");
        return -1;
    }
    return 0;
}

int db_decoy_init(mitsu_db *real, mitsu_db *decoy, const decoy_init_opts *o, char *err,
                  size_t n)
{
    if (mitsu_db_kind(real) != mitsu_db_kind(decoy)) {
        snprintf(err, n, "the real database and the decoy must be of the same kind (both"
                         " SQLite or both PostgreSQL): the schema check compares type names");
        return -1;
    }
    if (same_database(real, decoy, err, n) != 0)
        return -1;
    int have = dm_decoy_tables(decoy, 0, err, n);
    if (have < 0)
        return -1;
    if (have > 0 && !o->force) {
        snprintf(err, n, "the decoy already has %d table%s: refusing to overwrite it (--force"
                         " drops them)", have, have == 1 ? "" : "s");
        return -1;
    }
    if (have > 0 && dm_decoy_tables(decoy, 1, err, n) < 0)
        return -1;
    arena a;
    arena_init(&a, 65536);
    dm_schema s;
    filler f = {.real = real, .decoy = decoy, .o = o, .a = &a, .err = err, .errlen = n};
    fake_seed(&f.g, o->seed);
    int rc = dm_load(real, &a, &s, err, n);
    if (rc == 0)
        rc = dm_create(decoy, &s, err, n);
    size_t *order = rc == 0 ? arena_alloc(&a, (s.n + 1) * sizeof *order) : NULL;
    if (rc == 0 && !order)
        rc = failed(&f, NULL, "%s", "ordering tables");
    if (rc == 0)
        dm_fill_order(&s, order);
    for (size_t i = 0; rc == 0 && i < s.n; i++)
        rc = fill_table(&f, &s.t[order[i]]);
    if (rc == 0)
        rc = dm_finish(decoy, &s, err, n);
    arena_free(&a);
    return rc;
}
