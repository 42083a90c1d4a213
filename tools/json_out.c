/* Rows of the management database as JSON and CSV values for scripts. */
#include "json_out.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int tool_is_time_column(const char *name)
{
    return name && (strcmp(name, "time") == 0 || ends_with(name, "_seen") || ends_with(name, "_at"));
}

char *tool_base64(const void *p, size_t n)
{
    if (n > (size_t)INT32_MAX / 2)
        return NULL;
    unsigned char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock(out, p, (int)n);
    return (char *)out;
}

static json_t *time_json(const mitsu_rows *r, int col)
{
    char t[40];
    return json_string(tool_format_time(mitsu_rows_int(r, col), 1, t, sizeof t));
}

static json_t *blob_json(const mitsu_rows *r, int col)
{
    size_t len = 0;
    const void *p = mitsu_rows_blob(r, col, &len);
    char *b64 = tool_base64(p ? p : "", len);
    json_t *j = b64 ? json_string_nocheck(b64) : NULL; /* base64 is ASCII: no UTF-8 check */
    free(b64);
    return j;
}

/* Text that is not UTF-8 (not written by mitsu): its other bytes as '?', NULs dropped. */
static json_t *ascii_json(const char *p, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++)
        if (p[i])
            copy[o++] = (unsigned char)p[i] < 0x80 ? p[i] : '?';
    json_t *j = json_stringn(copy, o);
    free(copy);
    return j;
}

/* A text value; the headers column is JSON text, given as the value it holds. */
static json_t *text_json(const mitsu_rows *r, int col, const char *name)
{
    const char *s = mitsu_rows_text(r, col);
    if (strcmp(name, "headers") == 0) {
        json_t *parsed = json_loads(s ? s : "", JSON_DECODE_ANY, NULL);
        if (parsed)
            return parsed;
    }
    size_t len = 0;
    const char *bytes = mitsu_rows_blob(r, col, &len);
    json_t *j = json_stringn(bytes ? bytes : "", bytes ? len : 0);
    return j ? j : ascii_json(bytes, len);
}

static json_t *value_json(const mitsu_rows *r, int col)
{
    const char *name = mitsu_rows_name(r, col);
    if (mitsu_rows_is_null(r, col))
        return json_null();
    if (tool_is_time_column(name))
        return time_json(r, col);
    switch (mitsu_rows_type(r, col)) {
    case MITSU_TYPE_INT:
        return json_integer(mitsu_rows_int(r, col));
    case MITSU_TYPE_REAL: {
        json_t *j = json_real(mitsu_rows_real(r, col));
        return j ? j : json_null();
    }
    case MITSU_TYPE_BLOB:
        return blob_json(r, col);
    default:
        return text_json(r, col, name);
    }
}

json_t *tool_row_json(const mitsu_rows *r)
{
    json_t *o = json_object();
    for (int c = 0; o && c < mitsu_rows_columns(r); c++) {
        json_t *v = value_json(r, c);
        if (!v || json_object_set_new(o, mitsu_rows_name(r, c), v) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

/* d with that many decimals, or (decimals < 0) the shortest text that reads back as d. */
static const char *real_text(double d, int decimals, char *buf, size_t n)
{
    if (decimals >= 0) {
        snprintf(buf, n, "%.*f", decimals, d);
        return buf;
    }
    snprintf(buf, n, "%.15g", d);
    if (strtod(buf, NULL) != d)
        snprintf(buf, n, "%.17g", d);
    return buf;
}

char *tool_value_text(const mitsu_rows *r, int col, int millis, int decimals)
{
    char buf[64];
    if (mitsu_rows_is_null(r, col))
        return strdup("");
    if (tool_is_time_column(mitsu_rows_name(r, col)))
        return strdup(tool_format_time(mitsu_rows_int(r, col), millis, buf, sizeof buf));
    switch (mitsu_rows_type(r, col)) {
    case MITSU_TYPE_INT:
        snprintf(buf, sizeof buf, "%" PRId64, mitsu_rows_int(r, col));
        return strdup(buf);
    case MITSU_TYPE_REAL:
        return strdup(real_text(mitsu_rows_real(r, col), decimals, buf, sizeof buf));
    case MITSU_TYPE_BLOB: {
        size_t len = 0;
        const void *p = mitsu_rows_blob(r, col, &len);
        return tool_base64(p ? p : "", len);
    }
    default: {
        const char *s = mitsu_rows_text(r, col);
        return strdup(s ? s : "");
    }
    }
}

int tool_print_json(json_t *j)
{
    if (!j) {
        fprintf(stderr, "mitsu: out of memory\n");
        return TOOL_FAIL;
    }
    /* ASCII: C1 controls and bidi overrides in attacker text cannot act on a terminal */
    int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    json_decref(j);
    fputc('\n', stdout);
    return rc == 0 ? TOOL_OK : TOOL_FAIL;
}

/* A cell a spreadsheet would evaluate (CSV injection): it starts with = + - @, a tab or a CR,
 * and is not a plain number like -12 or +1.5. */
static int formula_like(const char *s)
{
    if (!*s || !strchr("=+-@\t\r", *s))
        return 0;
    size_t digits = (*s == '-' || *s == '+') ? strspn(s + 1, "0123456789.") : 0;
    return !(digits && s[1 + digits] == '\0');
}

void tool_csv_field(FILE *out, const char *s)
{
    const char *text_mark = formula_like(s) ? "'" : "";
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(text_mark, out);
        fputs(s, out);
        return;
    }
    fputc('"', out);
    fputs(text_mark, out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}
