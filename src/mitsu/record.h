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
    jr_follower *follow; /* the other instances' and the operator's verdicts */
} recorder;

/* Follows the shared verdicts of the management database at url, reloads the journal's
 * verdicts into the honeypot, then routes its observations to the journal. 0, or -1 with the
 * reason in err (recorder_detach still to be called). */
int recorder_attach(recorder *rec, jr_journal *jr, hp_engine *hp, const char *url,
                    const char *action, char *err, size_t errlen);
/* Stops following and closes the journal (its queue written first). */
void recorder_detach(recorder *rec);

#endif
