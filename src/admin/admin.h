/* The admin listener: a dashboard, a JSON API and Prometheus metrics on an HTTP server of its
 * own (its own listener and thread), behind a bearer token. Built and run by the composition
 * root only when [admin] token is set; never reachable through the application's listener. */
#ifndef MITSU_ADMIN_ADMIN_H
#define MITSU_ADMIN_ADMIN_H

#include <stddef.h>

#include "honeypot/detector.h"
#include "journal/journal.h"

typedef struct admin_options {
    const char *listen;  /* "127.0.0.1:8081" (a listen list, as [server] listen) */
    const char *token;   /* 32+ characters; required */
    const char *db_url;  /* the management database, opened read-only; NULL: live data only */
    hp_engine *hp;       /* for clients tracked and attackers; may be NULL */
    jr_journal *jr;      /* for the journal's queue and drops; may be NULL */
    int quiet;           /* 1: do not print the dashboard's URL */
} admin_options;

typedef struct admin_server admin_server;

/* Binds the listener and opens the database, so that errors show at start-up. The strings of
 * o are copied; hp and jr must outlive the server. NULL with the reason in err. */
admin_server *admin_new(const admin_options *o, char *err, size_t n);

/* Serves on a thread of its own, with SIGTERM and SIGINT blocked there: they stay the
 * application's. 0, or -1 when the thread cannot start. */
int admin_start(admin_server *a);

/* Stops serving (requests in flight finish) and joins the thread; harmless when not started. */
void admin_stop(admin_server *a);

/* Stops it if needed and frees it. NULL is ignored. */
void admin_free(admin_server *a);

/* The port bound for the first address (useful with port 0). */
int admin_port(const admin_server *a);

#endif
