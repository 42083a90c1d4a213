/* The PostgreSQL backend over libpq: `?` placeholders rewritten as $n, statements prepared once
 * per connection (typed by the values' types), results fetched whole in text format. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/backend.h"

/* Type OIDs from pg_type.h (stable across versions; the server header is not installed). */
enum { PG_BOOL = 16, PG_BYTEA = 17, PG_INT8 = 20, PG_INT2 = 21, PG_INT4 = 23, PG_OID = 26,
       PG_FLOAT4 = 700, PG_FLOAT8 = 701, PG_NUMERIC = 1700 };

/* The parameter kinds of a prepared statement, part of its cache key. Text and NULL are sent
 * untyped, so the server infers the type from the context (a text "7" can meet an integer
 * column, as form values do); numbers and blobs are sent typed and in binary. */
enum { PG_P_UNTYPED, PG_P_INT8, PG_P_FLOAT8, PG_P_BYTEA };
static const Oid pg_param_oid[] = {0, PG_INT8, PG_FLOAT8, PG_BYTEA};

/* ---- ? to $n -------------------------------------------------------------------------- */

static int ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* The length of the dollar-quote tag starting at s ("$$", "$tag$"), or 0 when s is not one. */
static size_t dollar_tag(const char *s)
{
    size_t i = 1;
    if (s[i] == '$')
        return 2;
    if (!(isalpha((unsigned char)s[i]) || s[i] == '_' || (unsigned char)s[i] >= 0x80))
        return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '_' || (unsigned char)s[i] >= 0x80)
        i++;
    return s[i] == '$' ? i + 1 : 0;
}

/* The lexical rules are PostgreSQL's (scan.l): '' doubles a quote, E'' strings also take
 * backslash escapes, "" identifiers, $tag$ strings, -- and nested block comments. */
char *pg_translate(const char *sql, int *nparams)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 6 + 1); /* "?" may become "$65535" */
    if (!out)
        return NULL;
    char *o = out;
    const char *p = sql;
    long highest = 0;
    while (*p) {
        const char *start = p;
        if (*p == '\'') {
            int esc = p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
                      (p - 1 == sql || !ident_char((unsigned char)p[-2]));
            for (p++; *p; p++) {
                if (esc && *p == '\\' && p[1])
                    p++;
                else if (*p == '\'' && p[1] == '\'')
                    p++;
                else if (*p == '\'')
                    break;
            }
            if (*p)
                p++;
        } else if (*p == '"') {
            for (p++; *p; p++) {
                if (*p == '"' && p[1] == '"')
                    p++;
                else if (*p == '"')
                    break;
            }
            if (*p)
                p++;
        } else if (*p == '$' && (p == sql || !ident_char((unsigned char)p[-1])) &&
                   dollar_tag(p)) {
            size_t t = dollar_tag(p);
            const char *end;
            for (end = p + t; *end; end++)
                if (*end == '$' && strncmp(end, p, t) == 0)
                    break;
            p = *end ? end + t : end;
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            int depth = 0;
            while (*p) {
                if (p[0] == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (p[0] == '*' && p[1] == '/') {
                    p += 2;
                    if (--depth == 0)
                        break;
                } else {
                    p++;
                }
            }
        } else if (*p == '?') {
            /* SQLite's numbering: ?NNN is parameter NNN, a bare ? is one past the highest. */
            long k;
            p++;
            if (isdigit((unsigned char)*p)) {
                k = 0;
                while (isdigit((unsigned char)*p)) {
                    k = k * 10 + (*p++ - '0');
                    if (k > 65535)
                        break;
                }
            } else {
                k = highest + 1;
            }
            if (k < 1 || k > 65535) {
                free(out);
                return NULL;
            }
            if (k > highest)
                highest = k;
            o += sprintf(o, "$%ld", k);
            continue;
        } else {
            p++;
        }
        memcpy(o, start, (size_t)(p - start));
        o += p - start;
    }
    *o = '\0';
    *nparams = (int)highest;
    return out;
}

/* ---- Errors and connections ----------------------------------------------------------- */

/* Trims libpq's message ("ERROR:  ...\n") to its first line. */
static int pg_fail_text(db_conn *c, enum mitsu_db_status st, const char *msg)
{
    size_t n = strcspn(msg, "\n");
    return db_fail(c, st, "%.*s", (int)n, msg);
}

/* SQLSTATE classes (PostgreSQL appendix A) in mitsu's terms. */
static enum mitsu_db_status pg_status(const char *state)
{
    if (!state)
        return MITSU_DB_ERROR;
    if (strncmp(state, "23", 2) == 0)
        return MITSU_DB_CONSTRAINT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0)
        return MITSU_DB_BUSY;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        return MITSU_DB_UNAVAILABLE;
    return MITSU_DB_ERROR;
}

/* Records the error of res (or of the connection when res has none), then clears res. */
static int pg_fail(db_conn *c, PGresult *res)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    enum mitsu_db_status st =
        res ? pg_status(PQresultErrorField(res, PG_DIAG_SQLSTATE)) : MITSU_DB_ERROR;
    if (PQstatus(c->pg) != CONNECTION_OK)
        st = MITSU_DB_UNAVAILABLE;
    if (primary)
        db_fail(c, st, "%s", primary);
    else
        pg_fail_text(c, st, PQerrorMessage(c->pg));
    PQclear(res);
    return -1;
}

static void pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("table does not exist, skipping") are not errors: drop them */
}

static int pg_open(db_conn *c, const char *url)
{
    /* Defaults first, the URL last: with expand_dbname, what the URL sets wins. */
    const char *const keys[] = {"connect_timeout", "application_name", "client_encoding",
                                "dbname", NULL};
    const char *const vals[] = {"10", "mitsu", "UTF8", url, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg)
        return db_fail(c, MITSU_DB_UNAVAILABLE, "out of memory");
    if (PQstatus(c->pg) != CONNECTION_OK)
        return pg_fail_text(c, MITSU_DB_UNAVAILABLE, PQerrorMessage(c->pg));
    PQsetNoticeProcessor(c->pg, pg_quiet, NULL);
    return 0;
}

static void pg_close(db_conn *c)
{
    PQfinish(c->pg);
    c->pg = NULL;
}

/* A broken link (server restart, network) is re-established here, between requests. */
static int pg_usable(db_conn *c)
{
    if (PQstatus(c->pg) == CONNECTION_OK)
        return 0;
    PQreset(c->pg);
    /* The new session knows none of the old prepared statements. */
    c->no_server = 1;
    db_stmt_clear(c);
    c->no_server = 0;
    if (PQstatus(c->pg) != CONNECTION_OK)
        return pg_fail_text(c, MITSU_DB_UNAVAILABLE, PQerrorMessage(c->pg));
    return 0;
}

/* ---- Statements ----------------------------------------------------------------------- */

static size_t pg_param_types(const mitsu_value *v, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        switch (v[i].type) {
        case MITSU_TYPE_INT:
            out[i] = PG_P_INT8;
            break;
        case MITSU_TYPE_REAL:
            out[i] = PG_P_FLOAT8;
            break;
        case MITSU_TYPE_BLOB:
            out[i] = PG_P_BYTEA;
            break;
        default:
            out[i] = PG_P_UNTYPED;
            break;
        }
    }
    return n;
}

static int pg_prepare(db_conn *c, db_stmt *s)
{
    int nparams = 0;
    char *sql = pg_translate(s->sql, &nparams);
    if (!sql)
        return db_fail(c, MITSU_DB_MISUSE, "placeholder number out of range (1..65535)");
    if ((size_t)nparams != s->nptypes) {
        free(sql);
        return db_fail(c, MITSU_DB_MISUSE, "the statement has %d placeholders, %zu values given",
                       nparams, s->nptypes);
    }
    Oid small[16];
    Oid *types = s->nptypes <= 16 ? small : malloc(s->nptypes * sizeof *types);
    char *name = malloc(32);
    if (!types || !name) {
        if (types != small)
            free(types);
        free(name);
        free(sql);
        return db_fail(c, MITSU_DB_ERROR, "out of memory");
    }
    for (size_t i = 0; i < s->nptypes; i++)
        types[i] = pg_param_oid[s->ptypes[i]];
    snprintf(name, 32, "mitsu_%llu", (unsigned long long)++c->pg_next_name);
    PGresult *res = PQprepare(c->pg, name, sql, nparams, types);
    free(sql);
    if (types != small)
        free(types);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        free(name);
        return pg_fail(c, res);
    }
    PQclear(res);
    s->handle = name;
    s->nparams = nparams;
    return 0;
}

static void pg_finalize(db_conn *c, db_stmt *s)
{
    /* DEALLOCATE takes no parameters; the name is our own "mitsu_N". It fails harmlessly in
     * a failed transaction: the statement then lives on until the session ends. */
    if (!c->no_server && c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", (const char *)s->handle);
        PQclear(PQexec(c->pg, sql));
    }
    free(s->handle);
    s->handle = NULL;
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

/* The wire form of the values: 8-byte big-endian integers and doubles, raw blob bytes, and
 * NUL-terminated text (copied when the caller gave a length). Pointers go into c->scratch. */
static int pg_params(db_conn *c, const mitsu_value *v, size_t n, const char **vals, int *lens,
                     int *fmts)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].type == MITSU_TYPE_INT || v[i].type == MITSU_TYPE_REAL)
            need += 8;
        else if (v[i].type == MITSU_TYPE_TEXT && v[i].s && v[i].len != SIZE_MAX)
            need += v[i].len + 1;
    }
    if (need > c->scratch_cap) {
        char *p = realloc(c->scratch, need);
        if (!p)
            return db_fail(c, MITSU_DB_ERROR, "out of memory");
        c->scratch = p;
        c->scratch_cap = need;
    }
    char *sp = c->scratch;
    for (size_t i = 0; i < n; i++) {
        vals[i] = NULL;
        lens[i] = 0;
        fmts[i] = 1;
        switch (v[i].type) {
        case MITSU_TYPE_INT:
            put_be64((unsigned char *)sp, (uint64_t)v[i].i);
            vals[i] = sp;
            lens[i] = 8;
            sp += 8;
            break;
        case MITSU_TYPE_REAL: {
            uint64_t bits;
            memcpy(&bits, &v[i].d, 8);
            put_be64((unsigned char *)sp, bits);
            vals[i] = sp;
            lens[i] = 8;
            sp += 8;
            break;
        }
        case MITSU_TYPE_BLOB:
            if (v[i].len != SIZE_MAX && v[i].len > INT_MAX)
                return db_fail(c, MITSU_DB_MISUSE, "value %zu: too long", i + 1);
            vals[i] = v[i].s ? v[i].s : "";
            lens[i] = (int)db_value_len(&v[i]);
            break;
        case MITSU_TYPE_TEXT:
            fmts[i] = 0;
            if (!v[i].s)
                break;
            if (v[i].len == SIZE_MAX) {
                vals[i] = v[i].s;
                break;
            }
            if (memchr(v[i].s, '\0', v[i].len))
                return db_fail(c, MITSU_DB_MISUSE,
                               "value %zu: PostgreSQL text cannot hold a NUL byte", i + 1);
            memcpy(sp, v[i].s, v[i].len);
            sp[v[i].len] = '\0';
            vals[i] = sp;
            sp += v[i].len + 1;
            break;
        default:
            fmts[i] = 0;
            break;
        }
    }
    return 0;
}

/* Runs prepared statement s; the result, or NULL with the error recorded. */
static PGresult *pg_run(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n)
{
    if (n != (size_t)s->nparams) {
        db_fail(c, MITSU_DB_MISUSE, "the statement has %d placeholders, %zu values given",
                s->nparams, n);
        return NULL;
    }
    enum { SMALL = 16 };
    const char *svals[SMALL] = {0};
    int slens[SMALL] = {0}, sfmts[SMALL] = {0};
    const char **vals = svals;
    int *lens = slens, *fmts = sfmts;
    if (n > SMALL) {
        vals = malloc(n * sizeof *vals);
        lens = malloc(n * sizeof *lens);
        fmts = malloc(n * sizeof *fmts);
    }
    PGresult *res = NULL;
    if (!vals || !lens || !fmts)
        db_fail(c, MITSU_DB_ERROR, "out of memory");
    else if (pg_params(c, v, n, vals, lens, fmts) == 0) {
        res = PQexecPrepared(c->pg, s->handle, (int)n, vals, lens, fmts, 0);
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
            pg_fail(c, res);
            res = NULL;
        }
    }
    if (n > SMALL) {
        free(vals);
        free(lens);
        free(fmts);
    }
    return res;
}

static int pg_query(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n, mitsu_rows *r)
{
    PGresult *res = pg_run(c, s, v, n);
    db_stmt_put(c, s); /* the result is complete: the statement is free again */
    if (!res)
        return -1;
    r->res = res;
    r->row = -1;
    r->nrows = PQntuples(res);
    r->ncols = PQnfields(res);
    for (int i = 0; i < r->ncols; i++) {
        if (PQftype(res, i) != PG_BYTEA)
            continue;
        r->boff = calloc(2 * (size_t)r->ncols, sizeof *r->boff);
        if (!r->boff) {
            PQclear(res);
            r->res = NULL;
            return db_fail(c, MITSU_DB_ERROR, "out of memory");
        }
        r->blen = r->boff + r->ncols;
        break;
    }
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Decodes the row's bytea values into r->buf, each NUL-terminated, so that every pointer handed
 * out for this row stays valid until the next one. bytea_output = hex is the default; the old
 * escape format goes through libpq. */
static int pg_decode_row(mitsu_rows *r)
{
    size_t need = 0;
    for (int i = 0; i < r->ncols; i++)
        if (PQftype(r->res, i) == PG_BYTEA)
            need += (size_t)PQgetlength(r->res, r->row, i) + 1; /* hex needs half of it */
    if (need > r->bufcap) {
        unsigned char *p = realloc(r->buf, need);
        if (!p)
            return db_fail(r->conn, MITSU_DB_ERROR, "out of memory");
        r->buf = p;
        r->bufcap = need;
    }
    size_t at = 0;
    for (int i = 0; i < r->ncols; i++) {
        if (PQftype(r->res, i) != PG_BYTEA)
            continue;
        const char *t = PQgetvalue(r->res, r->row, i);
        size_t tl = (size_t)PQgetlength(r->res, r->row, i), n = 0;
        r->boff[i] = at;
        if (tl >= 2 && t[0] == '\\' && t[1] == 'x') {
            for (size_t k = 2; k + 1 < tl; k += 2) {
                int hi = hexval(t[k]), lo = hexval(t[k + 1]);
                if (hi < 0 || lo < 0)
                    break;
                r->buf[at + n++] = (unsigned char)(hi << 4 | lo);
            }
        } else if (tl) {
            size_t ul = 0;
            unsigned char *u = PQunescapeBytea((const unsigned char *)t, &ul);
            if (!u)
                return db_fail(r->conn, MITSU_DB_ERROR, "out of memory");
            n = ul <= tl ? ul : tl; /* the escape form is never shorter than the bytes */
            memcpy(r->buf + at, u, n);
            PQfreemem(u);
        }
        r->buf[at + n] = '\0';
        r->blen[i] = n;
        at += n + 1;
    }
    return 0;
}

static int pg_step(mitsu_rows *r)
{
    if (++r->row >= r->nrows)
        return 0;
    if (r->boff && pg_decode_row(r) != 0)
        return -1;
    return 1;
}

static void pg_release(mitsu_rows *r)
{
    PQclear(r->res);
    r->res = NULL;
    free(r->boff);
    r->boff = r->blen = NULL;
}

static int64_t pg_exec(db_conn *c, db_stmt *s, const mitsu_value *v, size_t n)
{
    PGresult *res = pg_run(c, s, v, n);
    if (!res)
        return -1;
    /* PQcmdTuples also counts the rows a SELECT returned; only changes count, as on SQLite. */
    static const char *const dml[] = {"INSERT ", "UPDATE ", "DELETE ", "MERGE "};
    int64_t changed = 0;
    for (size_t i = 0; i < sizeof dml / sizeof dml[0]; i++)
        if (strncmp(PQcmdStatus(res), dml[i], strlen(dml[i])) == 0)
            changed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return changed;
}

static int pg_script(db_conn *c, const char *sql)
{
    PGresult *res = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        PQclear(res);
        return 0;
    }
    return pg_fail(c, res);
}

static int pg_in_tx(db_conn *c)
{
    switch (PQtransactionStatus(c->pg)) {
    case PQTRANS_INTRANS:
    case PQTRANS_ACTIVE:
        return 1;
    case PQTRANS_INERROR:
        return 2;
    default:
        return 0;
    }
}

/* lastval() fails when no sequence was used in this session, and a failure inside a
 * transaction would abort it: there it runs under a savepoint, undone on failure. */
static int64_t pg_last_id(db_conn *c)
{
    int in_tx = pg_in_tx(c) == 1;
    const char *sql = in_tx ? "SAVEPOINT mitsu_lastval; SELECT lastval();"
                              " RELEASE SAVEPOINT mitsu_lastval"
                            : "SELECT lastval()";
    if (!PQsendQuery(c->pg, sql)) {
        pg_fail_text(c, MITSU_DB_UNAVAILABLE, PQerrorMessage(c->pg));
        return 0;
    }
    int64_t id = 0;
    int failed = 0;
    PGresult *res;
    while ((res = PQgetResult(c->pg))) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_TUPLES_OK && PQntuples(res) == 1)
            id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK && !failed) {
            failed = 1;
            pg_fail(c, res);
        } else {
            PQclear(res);
        }
    }
    if (failed && in_tx) /* the transaction goes on as it was; the error stays reported */
        PQclear(PQexec(c->pg, "ROLLBACK TO SAVEPOINT mitsu_lastval;"
                              " RELEASE SAVEPOINT mitsu_lastval"));
    return failed ? 0 : id;
}

/* ---- Columns -------------------------------------------------------------------------- */

static const char *pg_col_name(const mitsu_rows *r, int col)
{
    return r->res ? PQfname(r->res, col) : NULL;
}

static enum mitsu_type pg_col_type(const mitsu_rows *r, int col)
{
    if (PQgetisnull(r->res, r->row, col))
        return MITSU_TYPE_NULL;
    switch (PQftype(r->res, col)) {
    case PG_BOOL:
    case PG_INT2:
    case PG_INT4:
    case PG_INT8:
    case PG_OID:
        return MITSU_TYPE_INT;
    case PG_FLOAT4:
    case PG_FLOAT8:
    case PG_NUMERIC:
        return MITSU_TYPE_REAL;
    case PG_BYTEA:
        return MITSU_TYPE_BLOB;
    default:
        return MITSU_TYPE_TEXT;
    }
}

static int64_t pg_col_int(const mitsu_rows *r, int col)
{
    const char *t = PQgetvalue(r->res, r->row, col);
    if (PQftype(r->res, col) == PG_BOOL)
        return t[0] == 't';
    if (PQftype(r->res, col) == PG_BYTEA)
        return 0;
    return strtoll(t, NULL, 10);
}

static double pg_col_real(const mitsu_rows *r, int col)
{
    const char *t = PQgetvalue(r->res, r->row, col);
    if (PQftype(r->res, col) == PG_BOOL)
        return t[0] == 't';
    if (PQftype(r->res, col) == PG_BYTEA)
        return 0.0;
    return strtod(t, NULL);
}

static const char *pg_col_bytes(const mitsu_rows *r, int col, size_t *len)
{
    if (PQgetisnull(r->res, r->row, col)) {
        *len = 0;
        return NULL;
    }
    if (PQftype(r->res, col) == PG_BYTEA) {
        *len = r->blen[col];
        return (const char *)r->buf + r->boff[col];
    }
    *len = (size_t)PQgetlength(r->res, r->row, col);
    return PQgetvalue(r->res, r->row, col);
}

const db_backend db_pg_backend = {
    .kind = MITSU_DB_POSTGRESQL,
    .begin_sql = "BEGIN",
    .open = pg_open,
    .close = pg_close,
    .usable = pg_usable,
    .param_types = pg_param_types,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .query = pg_query,
    .step = pg_step,
    .release = pg_release,
    .exec = pg_exec,
    .script = pg_script,
    .last_id = pg_last_id,
    .in_tx = pg_in_tx,
    .col_name = pg_col_name,
    .col_type = pg_col_type,
    .col_int = pg_col_int,
    .col_real = pg_col_real,
    .col_bytes = pg_col_bytes,
};
