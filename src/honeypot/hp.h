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

/* Identifies (or creates) a detector id for events: 0 is the application (mitsu_flag), 255 an
 * operator; detectors are numbered from 1 in table order. */
enum { HP_BY_APP = 0, HP_BY_OPERATOR = 255 };
const char *hp_detector_name(uint8_t id);

#endif
