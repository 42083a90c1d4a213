/* Which bytes of attacker text may reach an operator's terminal as they are: the rest is shown
 * escaped by the caller, so that no byte sequence can move the cursor, recolour, retitle or
 * reorder what the operator reads. */
#ifndef MITSU_BASE_TERMTEXT_H
#define MITSU_BASE_TERMTEXT_H

#include <stddef.h>

/* The length (1 to 4) of the character at p (n bytes left, n > 0) when it is printable as is:
 * ASCII but the C0 controls and DEL, or well-formed UTF-8 that is not a C1 control (U+0080 to
 * U+009F: U+009B is CSI to many terminals) nor a bidirectional override or isolate. 0 when the
 * byte at p must be escaped (then the caller escapes that one byte and looks again after it). */
size_t term_char_len(const unsigned char *p, size_t n);

#endif
