/* libFuzzer target: the built-in signature rules matched against arbitrary bytes as a value of
 * each kind (decoding, character references, the clean-value cache, the match limits), and,
 * when the first byte is 0xff, the rest loaded as a rules file (cutting rules into alternatives,
 * grouping them). No crash, no leak, no timeout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "honeypot/signature.h"

static sig_rules *builtin;
static uint32_t all_classes;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    builtin = sig_rules_compile(mitsu_signature_rules, strlen(mitsu_signature_rules), "built-in",
                                err, sizeof err);
    if (!builtin)
        abort();
    for (size_t i = 0; i < sig_rules_nclasses(builtin); i++)
        all_classes |= 1u << i;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && data[0] == 0xff) {
        char err[512];
        sig_rules *r = sig_rules_compile((const char *)data + 1, size - 1, "fuzz", err, sizeof err);
        if (r) {
            sig_match(r, SIG_ARG, "x' or 1=1-- <script>", 20);
            sig_rules_free(r);
        } else if (!err[0]) {
            abort(); /* a refusal says why */
        }
        return 0;
    }
    arena a;
    arena_init(&a, 4096);
    sig_scan s;
    if (sig_scan_init(&s, builtin, &a) == 0) {
        /* The whole input as each kind of value, then again: a class hits once per request. */
        uint32_t seen = 0;
        for (int k = 0; k < SIG_KIND__MAX; k++) {
            uint32_t h = sig_scan_value(&s, (enum sig_kind)k, k == SIG_ARG, (const char *)data,
                                        size);
            if ((h & ~all_classes) || (h & seen))
                abort();
            seen |= h;
        }
        if (sig_scan_value(&s, SIG_ARG, 1, (const char *)data, size) || s.classes != seen)
            abort();
    }
    arena_free(&a);
    return 0;
}
