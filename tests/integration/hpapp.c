/* The application the honeypot tests talk to: it shows the honeypot's view of each request
 * (client state, decoy or real), has a real and a decoy admin page, flags on demand, and renders
 * a page with the trap detector's template helpers. */
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *state_name(enum mitsu_client_state s)
{
    static const char *const names[] = {"unknown", "normal", "attacker", "released"};
    return names[s];
}

static int state(mitsu_req *req, mitsu_res *res)
{
    char text[256];
    snprintf(text, sizeof text, "state=%s decoy=%d path=%s ip=%s\n",
             state_name(mitsu_client_state(req)), mitsu_is_decoy(req), mitsu_req_path(req),
             mitsu_client_ip(req));
    return mitsu_text(res, 200, text);
}

static int flag(mitsu_req *req, mitsu_res *res)
{
    const char *score = mitsu_query(req, "score");
    mitsu_flag(req, "the application says so", score ? atof(score) : 0);
    return state(req, res);
}

static int real_admin(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, "real admin: salaries.xlsx\n");
}

static int decoy_admin(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, "decoy admin: nothing here\n");
}

static int page(mitsu_req *req, mitsu_res *res)
{
    return mitsu_html(res, 200, mitsu_req_path(req));
}

/* A page with the trap detector's bait: the test gives [app] templates a bait.html. */
static int bait(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_render(res, 200, "bait.html", NULL);
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    mitsu_get(app, "/", state);
    mitsu_get(app, "/state", state);
    mitsu_get(app, "/flag", flag);
    mitsu_get(app, "/admin", real_admin);
    mitsu_decoy_route(app, "GET", "/admin", decoy_admin);
    mitsu_get(app, "/pages/:name", page);
    mitsu_get(app, "/bait", bait);
    mitsu_get(app, "/decoy/api/*rest", state);
    mitsu_get(app, "/api/*rest", state);
    mitsu_post(app, "/api/*rest", state);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
