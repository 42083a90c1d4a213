/* libFuzzer target for the honeytoken detector's reading of credentials (src/honeypot/
 * detect_honeytoken.c, included whole to reach its static functions): an Authorization header
 * of each scheme, Basic decoded from hostile base64, and an API key header, from fuzz bytes.
 * At most one hit, evidence never holds a whole token, and a planted password behind any user
 * name of Basic credentials always hits. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/honeypot/detect_honeytoken.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const hp_token planted[] = {
    {1, HP_TOKEN_CREDENTIAL, "jkeller17"},
    {2, HP_TOKEN_API_KEY, "sk_live_d4mjJTaOtaMwsnKWSmu89WGYTMPRmwek"},
    {3, HP_TOKEN_EMAIL, "nora.berg4@corp.example.com"},
};
enum { NPLANTED = sizeof planted / sizeof planted[0], FUZZ_INPUT_MAX = 3000 };

static void require(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_honeytoken: contract violated: %s\n", what);
        abort();
    }
}

static htok *the_detector(void)
{
    static htok *h;
    if (!h) {
        h = calloc(1, sizeof *h);
        require(h != NULL, "memory");
        h->key[0] = 11;
        h->key[1] = 22;
        pthread_mutex_init(&h->lock, NULL);
        require(install(h, planted, NPLANTED) == 0, "install");
    }
    return h;
}

/* The hits of one header "name: value" through the detector's header reading. */
static size_t hits_of(const char *name, const char *value, size_t len)
{
    htok *h = the_detector();
    arena a;
    arena_init(&a, 4096);
    hp_request r;
    memset(&r, 0, sizeof r);
    r.arena = &a;
    look l = {h, atomic_load(&h->set), &r, 0, 0};
    http_header hd = {{name, strlen(name)}, {value, len}};
    http_request hr;
    memset(&hr, 0, sizeof hr);
    hr.headers = &hd;
    hr.nheaders = 1;
    headers(&l, &hr);
    size_t n = r.nhits;
    require(n <= 1, "one hit at most");
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < NPLANTED; t++)
            require(!strstr(r.hits[i].evidence, planted[t].value), "evidence holds a token");
    arena_free(&a);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > FUZZ_INPUT_MAX)
        return 0;
    static const char *const prefixes[] = {"Basic ", "Bearer ", "", "basic  ", "Token "};
    unsigned mode = data[0] % 6;
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    char value[FUZZ_INPUT_MAX + 16];
    if (mode < 5) {
        int n = snprintf(value, sizeof value, "%s", prefixes[mode]);
        memcpy(value + n, rest, len);
        hits_of("Authorization", value, (size_t)n + len);
        hits_of("X-API-Key", rest, len);
        return 0;
    }
    /* Basic credentials of the fuzz bytes as user name and a planted password: a hit, always,
     * when the name holds no ':' (the first ':' ends the name) and the pair fits. */
    if (memchr(rest, ':', len) || len + 10 > 3 * 512)
        return 0;
    char pair[FUZZ_INPUT_MAX + 16];
    memcpy(pair, rest, len);
    memcpy(pair + len, ":jkeller17", 10);
    memcpy(value, "Basic ", 6);
    int n = EVP_EncodeBlock((unsigned char *)value + 6, (const unsigned char *)pair, (int)len + 10);
    require(hits_of("Authorization", value, 6 + (size_t)n) == 1, "a planted password hits");
    return 0;
}
