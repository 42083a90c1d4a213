/* Recording: the honeypot's observations into the journal (see record.c). */
#ifndef MITSU_MITSU_RECORD_H
#define MITSU_MITSU_RECORD_H

#include <stddef.h>

#include "honeypot/hp.h"
#include "journal/journal.h"

typedef struct recorder {
    jr_journal *jr;
    hp_engine *hp;
    const char *action; /* what a flag does: the configured action, for events */
} recorder;

/* Reloads the journal's verdicts into the honeypot, then routes its observations to the
 * journal. 0, or -1 with the reason in err. */
int recorder_attach(recorder *rec, jr_journal *jr, hp_engine *hp, const char *action,
                    char *err, size_t errlen);

#endif
