/* Detector status4xx: the paper's rule. A client whose responses are 4xx too often is probing:
 * count 4xx responses to non-static requests in a leaky bucket (count per window), a failing
 * path counted once while it is among the client's recent requests, so that a broken image or a
 * missing favicon on every page does not add up. */
#include <stdlib.h>
#include <string.h>

#include "honeypot/hp.h"

enum { LEVEL_ONE = 1000 }; /* the bucket counts in thousandths */

typedef struct s4xx {
    uint32_t count;     /* responses that flag */
    int64_t window_ms;  /* 0: the bucket never leaks (the paper: N ever) */
    int distinct;
    uint8_t counted[1000]; /* statuses 0..999 that count */
} s4xx;

static int s4xx_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)hp;
    (void)err;
    (void)errlen;
    s4xx *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->count = (uint32_t)config_get_int(cfg, "status4xx", "count");
    s->window_ms = config_get_ms(cfg, "status4xx", "window");
    s->distinct = config_get_bool(cfg, "status4xx", "distinct");
    const char *const *items;
    size_t n = config_get_list(cfg, "status4xx", "statuses", &items);
    for (size_t i = 0; i < n; i++)
        s->counted[atoi(items[i]) % 1000] = 1;
    *state = config_get_bool(cfg, "status4xx", "enabled") ? s : NULL;
    if (!*state)
        free(s);
    return 0;
}

static void s4xx_fini(void *state)
{
    free(state);
}

typedef struct s4xx_arg {
    const s4xx *s;
    int64_t now;
    uint32_t path;
    uint32_t level; /* out: the bucket after this response, in thousandths */
    int counted;    /* out */
} s4xx_arg;

static void s4xx_locked(hp_client *c, void *p)
{
    s4xx_arg *a = p;
    const s4xx *s = a->s;
    if (s->distinct && a->path) {
        hp_client_req_full ring[HP_CLIENT_RING];
        size_t n = hp_client_ring_read(c, ring);
        for (size_t i = 0; i < n; i++)
            if (ring[i].path == a->path && ring[i].status < 1000 && s->counted[ring[i].status])
                return;
    }
    uint32_t now_s = (uint32_t)(a->now / 1000);
    uint64_t level = c->det[HP_DET_S4XX_LEVEL];
    if (s->window_ms > 0 && level > 0) {
        uint32_t elapsed = now_s - c->det[HP_DET_S4XX_AT];
        uint64_t leak = (uint64_t)elapsed * s->count * LEVEL_ONE * 1000 / (uint64_t)s->window_ms;
        level = leak >= level ? 0 : level - leak;
    }
    level += LEVEL_ONE;
    c->det[HP_DET_S4XX_LEVEL] = level > UINT32_MAX ? UINT32_MAX : (uint32_t)level;
    c->det[HP_DET_S4XX_AT] = now_s;
    a->level = c->det[HP_DET_S4XX_LEVEL];
    a->counted = 1;
}

static void s4xx_after(void *state, hp_request *r)
{
    const s4xx *s = state;
    if (!s || r->is_static || r->status < 0 || r->status >= 1000 || !s->counted[r->status])
        return;
    const char *path = mitsu_req_path(r->req);
    s4xx_arg a = {s, r->now, hp_client_path_intern(hp_engine_clients(r->hp), path, strlen(path)),
                  0, 0};
    if (hp_client_update_ref(hp_engine_clients(r->hp), &r->client, s4xx_locked, &a) < 0 ||
        !a.counted)
        return;
    if (a.level >= s->count * LEVEL_ONE)
        hp_report(r, &hp_detect_status4xx, HP_ATTACK, HP_FLAGS,
                  "%u failing requests (last: %d %s)", a.level / LEVEL_ONE, r->status, path);
}

const hp_detector hp_detect_status4xx = {
    .name = "status4xx",
    .phases = HP_AFTER,
    .init = s4xx_init,
    .fini = s4xx_fini,
    .after = s4xx_after,
};
