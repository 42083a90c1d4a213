/* Attacker text for a terminal: which characters pass as they are (see termtext.h). */
#include "base/termtext.h"

#include <stdint.h>

/* Shown as themselves they rewrite what the terminal does or how a line reads. */
static int is_format_control(uint32_t cp)
{
    return cp <= 0x9f ||                      /* C1 controls */
           cp == 0x061c || cp == 0x200e || cp == 0x200f || /* bidi marks */
           (cp >= 0x202a && cp <= 0x202e) ||  /* bidi embeddings and overrides */
           (cp >= 0x2066 && cp <= 0x2069);    /* bidi isolates */
}

size_t term_char_len(const unsigned char *p, size_t n)
{
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000}; /* refuses overlong forms */
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80)
        return c >= 0x20 && c != 0x7f;
    size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t cp = c & (0x3fu >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
        is_format_control(cp))
        return 0;
    return len;
}
