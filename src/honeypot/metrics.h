/* Live honeypot counters: detector hits by detector, read by /metrics. */
#ifndef MITSU_HONEYPOT_METRICS_H
#define MITSU_HONEYPOT_METRICS_H

#include <stdint.h>

enum { HP_METRICS_IDS = 256 }; /* detector ids are a uint8_t (hp_detector_name) */

/* A detector (id as in hp_detector_name) reported a hit. Any thread, never blocks. */
void hp_metrics_hit(uint8_t id);

/* Hits since start by detector id. */
void hp_metrics_get(uint64_t hits[HP_METRICS_IDS]);

#endif
