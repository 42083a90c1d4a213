/* Aligned tables for people, and the cleaning of text that came from attackers. */
#ifndef MITSU_TOOLS_TABLE_H
#define MITSU_TOOLS_TABLE_H

#include <stdio.h>

typedef struct tool_col {
    const char *name; /* the header */
    int max;          /* cells longer than this many characters are cut with "…"; 0: never */
    int right;        /* right-aligned (numbers) */
    const char *yes;  /* a 0/1 column: this text for 1, "" for 0 (NULL: the value itself) */
} tool_col;

typedef struct tool_table tool_table;

/* A table of ncols columns (cols is borrowed). NULL when out of memory. */
tool_table *table_new(const tool_col *cols, int ncols);
/* Appends a row of ncols cells (NULL prints as "-"), cleaned and cut. 0 or -1 (no memory). */
int table_add(tool_table *t, const char *const *cells);
int table_rows(const tool_table *t);
/* Prints the header and the rows, columns two spaces apart. */
void table_print(const tool_table *t, FILE *out);
void table_free(tool_table *t);

/* s made safe for a terminal and cut to max characters (0: no cut) with "…": control bytes
 * (C0, DEL, C1, bidi overrides; see base/termtext.h) and malformed UTF-8 become \xHH, so
 * attacker text cannot move the cursor, forge lines or reorder what is read. Malloc'ed; NULL when
 * out of memory. */
char *tool_clean(const char *s, int max);

/* Writes n bytes of attacker text for a person to read: newlines and tabs kept, other control
 * bytes as \xHH. */
void tool_print_escaped(FILE *out, const void *p, size_t n);
/* The same, with indent written after each newline: a body's lines cannot pass for the
 * lines the tool prints around them. */
void tool_print_block(FILE *out, const void *p, size_t n, const char *indent);

/* The number of characters (UTF-8 code points) of s. */
int tool_width(const char *s);

#endif
