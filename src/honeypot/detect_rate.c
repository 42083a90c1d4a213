/* Detector rate: non-static requests faster than a person makes them. A token bucket per client
 * ([rate] limit per second, [rate] burst deep); a request that finds it empty is an overflow,
 * reported at most once a second so that a flood adds up by the second, not by the request. */
#include <stdlib.h>

#include "honeypot/hp.h"

/* The bucket is kept the other way round, as the tokens spent (a leaky bucket used as a meter):
 * a new client's zeroed slots then read as a full bucket, with no first-request special case.
 * HP_DET_RATE_LEVEL counts in thousandths of a request, so that a leak of a few milliseconds
 * is not rounded away; HP_DET_RATE_AT is the time of the last leak in ticks of 8 ms, whose 32
 * bits last 397 days: longer than any client lives ([honeypot] client_ttl is at most 366 days),
 * so the unsigned difference of two ticks never wraps. */
enum { ONE = 1000, TICK_MS = 8 };
#define MARK 1u /* r->marks: this request overflowed (one bit is the rate detector's own) */

typedef struct rate {
    uint64_t limit;  /* requests per second: the leak, in thousandths per millisecond */
    uint64_t brim;   /* burst, in thousandths: a request that would go past it overflows */
    uint64_t top;    /* brim plus one second of leak: above the brim, the overflow is reported */
    double weight;
} rate;

static int rate_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    (void)hp;
    (void)err;
    (void)errlen;
    if (!config_get_bool(cfg, "rate", "enabled"))
        return 0;
    rate *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    /* The schema bounds both to 1..1000000, so top stays under 2^31: it fits the 32-bit slot. */
    s->limit = (uint64_t)config_get_int(cfg, "rate", "limit");
    s->brim = (uint64_t)config_get_int(cfg, "rate", "burst") * ONE;
    s->top = s->brim + s->limit * ONE;
    s->weight = (double)config_get_int(cfg, "rate", "weight");
    *state = s;
    return 0;
}

static void rate_fini(void *state)
{
    free(state);
}

/* Under the client's lock while it is identified: the bucket leaks, this request goes in; an
 * overflow is noted for rate_before to report. */
static void rate_identified(void *state, hp_request *r, hp_client *c)
{
    const rate *s = state;
    if (!s || r->is_static || !r->req)
        return;
    uint32_t tick = (uint32_t)((uint64_t)r->now / TICK_MS);
    uint64_t level = c->det[HP_DET_RATE_LEVEL];
    if (level > 0) {
        /* A clock set back makes the difference huge: the bucket refills, which errs on the
         * side of the client. */
        uint64_t leak = (uint64_t)(uint32_t)(tick - c->det[HP_DET_RATE_AT]) * TICK_MS * s->limit;
        level = leak >= level ? 0 : level - leak;
    }
    if (level + ONE <= s->brim) {
        level += ONE;
    } else if (level <= s->brim) {
        /* Empty: report, and lift the level one second's leak above the brim. Requests in that
         * second find it above the brim and are not reported again; then the next overflow is. */
        level = s->top;
        r->marks |= MARK;
    }
    c->det[HP_DET_RATE_LEVEL] = (uint32_t)level;
    c->det[HP_DET_RATE_AT] = tick;
}

static void rate_before(void *state, hp_request *r)
{
    const rate *s = state;
    if (!s || !(r->marks & MARK))
        return;
    hp_report(r, &hp_detect_rate, HP_SUSPICIOUS, s->weight,
              "over %llu requests a second after a burst of %llu (%s %.200s)",
              (unsigned long long)s->limit, (unsigned long long)(s->brim / ONE),
              mitsu_req_method(r->req), mitsu_req_path(r->req));
}

const hp_detector hp_detect_rate = {
    .name = "rate",
    .phases = HP_BEFORE,
    .init = rate_init,
    .fini = rate_fini,
    .before = rate_before,
    .identified = rate_identified,
};
