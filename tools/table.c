/* Aligned tables for people: every cell cleaned of control bytes and cut to its column's width,
 * columns as wide as their widest cell. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "base/termtext.h"

struct tool_table {
    const tool_col *cols;
    int ncols;
    int nrows, cap;
    char **cells; /* nrows * ncols, row-major */
};

int tool_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

char *tool_clean(const char *s, int max)
{
    if (!s)
        s = "-";
    size_t len = strlen(s);
    char *out = malloc(len * 4 + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    int chars = 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        if (max > 0 && chars == max - 1 && tool_width((const char *)p) > 1) {
            memcpy(out + o, "\xe2\x80\xa6", 3); /* … */
            o += 3;
            break;
        }
        size_t k = term_char_len(p, (size_t)(end - p));
        if (k == 0) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", *p);
            k = 1;
        } else {
            memcpy(out + o, p, k);
            o += k;
        }
        p += k;
        chars++;
    }
    out[o] = '\0';
    return out;
}

void tool_print_block(FILE *out, const void *p, size_t n, const char *indent)
{
    const unsigned char *b = p;
    for (size_t i = 0, k; i < n; i += k) {
        k = b[i] == '\n' || b[i] == '\t' ? 1 : term_char_len(b + i, n - i);
        if (k == 0) {
            fprintf(out, "\\x%02x", b[i]);
            k = 1;
        } else {
            fwrite(b + i, 1, k, out);
        }
        if (b[i] == '\n')
            fputs(indent, out);
    }
}

void tool_print_escaped(FILE *out, const void *p, size_t n)
{
    tool_print_block(out, p, n, "");
}

tool_table *table_new(const tool_col *cols, int ncols)
{
    tool_table *t = calloc(1, sizeof *t);
    if (t) {
        t->cols = cols;
        t->ncols = ncols;
    }
    return t;
}

int table_add(tool_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        char **grown = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *grown);
        if (!grown)
            return -1;
        t->cells = grown;
        t->cap = cap;
    }
    char **row = t->cells + (size_t)t->nrows * (size_t)t->ncols;
    for (int c = 0; c < t->ncols; c++) {
        row[c] = tool_clean(cells[c], t->cols[c].max);
        if (!row[c]) {
            while (c-- > 0)
                free(row[c]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

int table_rows(const tool_table *t)
{
    return t->nrows;
}

static void print_cell(FILE *out, const char *s, int width, int right, int last)
{
    int pad = width - tool_width(s);
    if (right)
        fprintf(out, "%*s%s", pad, "", s);
    else if (last)
        fputs(s, out);
    else
        fprintf(out, "%s%*s", s, pad, "");
}

void table_print(const tool_table *t, FILE *out)
{
    int *w = calloc((size_t)t->ncols, sizeof *w);
    if (!w)
        return;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = tool_width(t->cols[c].name);
        for (int r = 0; r < t->nrows; r++) {
            int cw = tool_width(t->cells[(size_t)r * (size_t)t->ncols + (size_t)c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    for (int r = -1; r < t->nrows; r++) {
        const char *const *row = r < 0 ? NULL : (const char *const *)t->cells + (size_t)r * (size_t)t->ncols;
        int last = t->ncols - 1; /* empty cells at the end print nothing, not spaces */
        while (row && last > 0 && !t->cols[last].right && row[last][0] == '\0')
            last--;
        for (int c = 0; c <= last; c++) {
            print_cell(out, row ? row[c] : t->cols[c].name, w[c], t->cols[c].right, c == last);
            if (c < last)
                fputs("  ", out);
        }
        fputc('\n', out);
    }
    free(w);
}

void table_free(tool_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (size_t)t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
