/* Rows of the management database as JSON and CSV values for scripts: one convention for
 * every subcommand (times as RFC 3339 UTC strings, blobs as base64, headers as JSON). */
#ifndef MITSU_TOOLS_JSON_OUT_H
#define MITSU_TOOLS_JSON_OUT_H

#include <jansson.h>
#include <stdio.h>

#include "mitsu.h"

/* Whether a column holds Unix ms (named time, *_seen or *_at). */
int tool_is_time_column(const char *name);

/* The cursor's current row as a new JSON object (the caller owns it): column names as keys,
 * times as RFC 3339 strings with milliseconds, blobs as base64, a `headers` column as the
 * array it holds, NULL as null. NULL when out of memory. */
json_t *tool_row_json(const mitsu_rows *r);

/* Column col of the current row as text for CSV and tables, malloc'ed: times as RFC 3339
 * (millis: with milliseconds), reals with `decimals` digits (-1: as exact as needed), blobs
 * as base64, NULL as "". NULL when out of memory. */
char *tool_value_text(const mitsu_rows *r, int col, int millis, int decimals);

/* Base64 of n bytes (RFC 4648, padded), malloc'ed. */
char *tool_base64(const void *p, size_t n);

/* Writes j to stdout (indented, one newline) and drops the reference. 0, or TOOL_FAIL. */
int tool_print_json(json_t *j);

/* Writes s as one CSV field (RFC 4180: quoted when it holds a comma, quote, CR or LF, with
 * quotes doubled). The text is the attacker's and CSV files get opened in spreadsheets: a
 * field starting with = + - @, a tab or a CR (but a plain number) gets a ' first, so that it
 * is shown as text and never evaluated as a formula. */
void tool_csv_field(FILE *out, const char *s);

#endif
