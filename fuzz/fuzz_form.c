/* libFuzzer target: query/urlencoded and multipart parsing on arbitrary bytes. The first line
 * of the input is taken as the multipart Content-Type, the rest as the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init(&a, 4096);
    form_fields f;
    form_parse_urlencoded(&a, (const char *)data, size, 1000, &f);
    for (size_t i = 0; i < f.count; i++)
        if (strlen(f.items[i].name) > size)
            abort();
    const char *nl = memchr(data, '\n', size);
    if (nl) {
        char *ct = arena_strndup(&a, (const char *)data, (size_t)(nl - (const char *)data));
        const char *body = nl + 1;
        size_t blen = size - (size_t)(body - (const char *)data);
        multipart_limits lim = {64, 4096};
        const char *err;
        if (form_parse_multipart(&a, ct, body, blen, &lim, &f, &err) == 0) {
            for (size_t i = 0; i < f.count; i++)
                if (f.items[i].value_len > blen)
                    abort();
        } else if (!err) {
            abort();
        }
    }
    arena_free(&a);
    return 0;
}
