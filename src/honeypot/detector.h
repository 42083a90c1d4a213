/* The detector interface: every src/honeypot/detect_*.c fills one hp_detector. A detector looks
 * at a request (before the handler, after it, or a request the HTTP core refused) and reports
 * hits; the engine turns hits into the client's score and verdict. */
#ifndef MITSU_HONEYPOT_DETECTOR_H
#define MITSU_HONEYPOT_DETECTOR_H

#include <stdint.h>

#include "honeypot/client.h"
#include "web/web.h"

typedef struct hp_engine hp_engine;

/* HP_ROUTED: after routing found a route, before its handler (req->match is set, res too);
 * a detector may answer there itself (reply, then r->answered = 1: the handler is skipped). */
enum hp_phase { HP_BEFORE = 1, HP_AFTER = 2, HP_REJECT = 4, HP_ROUTED = 8 };

/* OWASP AppSensor's two kinds: a person could do it by mistake, or it needs a tool or intent. */
enum hp_kind { HP_SUSPICIOUS, HP_ATTACK, HP_KIND__MAX };
extern const char *const hp_kind_names[HP_KIND__MAX];

/* A score that flags the client at once, whatever the threshold. */
#define HP_FLAGS (-1.0)

typedef struct hp_hit {
    uint8_t detector;     /* id: index in the engine's detector table */
    enum hp_kind kind;
    double score;         /* HP_FLAGS, or added to the client's score */
    const char *evidence; /* arena string, as received (escape before display) */
} hp_hit;

/* The honeypot's view of one request, in the request's arena. */
typedef struct hp_request {
    hp_engine *hp;
    mitsu_req *req;                  /* NULL for a refused request */
    mitsu_res *res;                  /* NULL before the handler and for a refused request */
    const http_rejection *rejection; /* a request the HTTP core refused, else NULL */
    arena *arena;
    int64_t now;                     /* Unix ms */
    uint8_t ip[HP_IP_LEN];
    char ip_text[64];
    hp_client_ref client;
    int has_client;                  /* 0 when no client could be made: nothing is judged */
    int is_static;                   /* a static file request: some detectors ignore it */
    int whitelisted;
    int status;                      /* the final status, in the after phase */
    hp_hit *hits;
    size_t nhits, caphits;
    int flagged_now;                 /* this request made the client an attacker */
    int answered;                    /* a before detector answered the request itself */
    unsigned marks;                  /* what detectors noted under the identification's lock,
                                      * for their before call (rate: bit 0) */
    const char *id_cookie;           /* the id cookie's value in the request's cookie jar, when
                                      * it named a known client: 32 hex digits, nothing to scan */
} hp_request;

typedef struct hp_detector {
    const char *name;    /* also its config section */
    unsigned phases;     /* enum hp_phase bits */
    /* Reads the detector's configuration; *state is passed to the other calls. 0, or -1 with a
     * message. Runs at start-up, before any thread. May be NULL. */
    int (*init)(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen);
    void (*fini)(void *state);
    /* Judge a request; report with hp_report(). Called on worker threads, concurrently: the
     * state is read-only, per-client data lives in the client table. */
    void (*before)(void *state, hp_request *r);
    /* Before phase too, earlier: on the client's record while it is identified, under the
     * table's lock (not for a whitelisted client): per-request bookkeeping that would otherwise
     * look the client up and lock it again. Short, no reporting: note in r->marks what the
     * before call should report. May be NULL. */
    void (*identified)(void *state, hp_request *r, hp_client *c);
    void (*after)(void *state, hp_request *r);
    void (*reject)(void *state, hp_request *r);
    /* Also called without a client (the honeypot off, a whitelisted client): its hits then
     * count for nothing, but its answer stands. */
    void (*routed)(void *state, hp_request *r);
} hp_detector;

/* Reports a hit of detector d on the request, with evidence formatted like printf. */
void hp_report(hp_request *r, const hp_detector *d, enum hp_kind kind, double score,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Evidence is kept as text: bytes outside printable ASCII become '.', so that it is valid UTF-8
 * wherever it goes; it is still the attacker's text (escape it before display). */
void hp_printable(const char *in, size_t len, char *out, size_t n);

/* What detectors may use of the engine. */
hp_client_table *hp_engine_clients(hp_engine *hp);
const config *hp_engine_config(hp_engine *hp);
mitsu_app *hp_engine_app(hp_engine *hp);
/* A detector's state (what its init made), for its public functions (mitsu_flow ...): NULL when
 * the detector is disabled or the honeypot is not attached. */
void *hp_engine_state(hp_engine *hp, const hp_detector *d);
hp_engine *hp_engine_of(mitsu_app *app);

/* The detectors, in the order they run. */
extern const hp_detector hp_detect_status4xx;
extern const hp_detector hp_detect_trap;
extern const hp_detector hp_detect_protocol;
extern const hp_detector hp_detect_signature;
extern const hp_detector hp_detect_transition;
extern const hp_detector hp_detect_params;
extern const hp_detector hp_detect_login;
extern const hp_detector hp_detect_rate;
extern const hp_detector hp_detect_tamper;
extern const hp_detector hp_detect_honeytoken;

#endif
