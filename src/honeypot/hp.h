/* The honeypot engine: identifies the client of every request, runs the detectors, keeps
 * score, and acts on attackers (divert to decoys, observe, block). It wraps the application's
 * request pipeline through the web layer's guard. */
#ifndef MITSU_HONEYPOT_HP_H
#define MITSU_HONEYPOT_HP_H

#include "honeypot/detector.h"

/* Builds the engine from the configuration and attaches it to the application (its guard runs
 * around the application's hooks). NULL with a message in err on a bad setting. The engine is
 * owned by the application and freed with it. A disabled honeypot ([honeypot] enabled = false)
 * still attaches, judges nothing, and answers mitsu_client_state() with UNKNOWN. */
hp_engine *hp_engine_attach(mitsu_app *app, char *err, size_t errlen);

/* Unix time in milliseconds: the engine's clock. */
int64_t hp_now_ms(void);

/* Where the engine's observations go (the composition root connects the journal). Each call
 * runs on a worker thread (client: on whichever thread runs the upkeep) and must not block:
 * copy and queue. */
typedef struct hp_sink {
    /* the request made the client an attacker: by is the detector, evidence its hit's */
    void (*flag)(void *ctx, hp_request *r, uint8_t by, double score, const char *evidence);
    /* a request of an attacker, once answered (after phase; r->status is final) */
    void (*request)(void *ctx, hp_request *r);
    /* a client changed since the last upkeep (its paper fields: counters, state) */
    void (*client)(void *ctx, const hp_client *c);
    void *ctx;
} hp_sink;
void hp_engine_set_sink(hp_engine *hp, const hp_sink *sink);
/* The upkeep (idle clients forgotten, changed ones to the sink's client) when it is due: the
 * workers run it after a request, and a timer (the journal's follower) so that it also runs
 * when no request comes. Any thread; now: Unix ms. */
void hp_engine_upkeep(hp_engine *hp, int64_t now);
/* Reports to the sink's client every client changed since the last upkeep, due or not: at a
 * graceful shutdown, after the workers stopped. NULL is ignored. */
void hp_engine_report_clients(hp_engine *hp);

/* A verdict from before this start (the journal's), back into the client table, with the name
 * of the detector that flagged it as recorded (NULL: c->flagged_by as given). 0 or -1. */
int hp_engine_load(hp_engine *hp, const hp_client *c, const char *flagged_by);

/* A verdict reached elsewhere (another instance, the operator), applied to the client sid (32 hex
 * digits) from the next request on: ATTACKER diverts it (and its address ip, when given); RELEASED
 * treats it normally again, its score and detector counts reset. A client not in the table is
 * added with the verdict. by: the detector's name ("operator", "app"...). 0, or -1 (a bad sid or
 * state, out of memory). Any thread. */
int hp_engine_apply_verdict(hp_engine *hp, const char *sid, const char *ip,
                            enum hp_client_state state, double score, const char *by);

/* Identifies (or creates) a detector id for events: 0 is the application (mitsu_flag), 255 an
 * operator; detectors are numbered from 1 in table order. */
enum { HP_BY_APP = 0, HP_BY_OPERATOR = 255 };
const char *hp_detector_name(uint8_t id);

#endif
