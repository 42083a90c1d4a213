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
    jr_tokens_changed_fn *on_tokens; /* set before attaching, or NULL: the honeytokens table
                                      * changed (called with the engine, on the follower) */
} recorder;

/* Follows the shared verdicts of the management database at url (and its honeytokens, with
 * on_tokens), reloads the journal's verdicts into the honeypot, then routes its observations to
 * the journal. The follower's poll also runs the engine's upkeep. 0, or -1 with the reason in
 * err (recorder_detach still to be called). */
int recorder_attach(recorder *rec, jr_journal *jr, hp_engine *hp, const char *url,
                    const char *action, char *err, size_t errlen);
/* Stops following, reports the clients changed since the last upkeep and closes the journal
 * (its queue written first). After the workers stopped. */
void recorder_detach(recorder *rec);

#endif
