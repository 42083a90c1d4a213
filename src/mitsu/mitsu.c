/* The composition root: mitsu_app_new builds an application from its configuration (the web
 * application, and around it the layers that need it), mitsu_run runs it, mitsu_app_free
 * takes it all down. The only file that knows every layer. */
#include <stdio.h>

#include "honeypot/hp.h"
#include "web/web.h"

mitsu_app *mitsu_app_new(const char *config_path)
{
    config *cfg = config_load(config_path, NULL, stderr);
    if (!cfg)
        return NULL;
    mitsu_app *app = web_app_new(cfg);
    if (!app)
        return NULL;
    char err[256];
    if (!hp_engine_attach(app, err, sizeof err)) {
        fprintf(stderr, "mitsu: honeypot: %s\n", err);
        web_app_free(app);
        return NULL;
    }
    return app;
}

int mitsu_run(mitsu_app *app)
{
    return web_app_run(app);
}

void mitsu_app_free(mitsu_app *app)
{
    web_app_free(app);
}
