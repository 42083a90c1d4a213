/* The application the login, rate and tamper detector tests talk to: a login form that reports
 * to mitsu_auth_result(), signed cookies, a session, a signed hidden field, and /state. */
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *state_name(enum mitsu_client_state s)
{
    static const char *const names[] = {"unknown", "normal", "attacker", "released"};
    return names[s];
}

static int reply(mitsu_req *req, mitsu_res *res, const char *what)
{
    char text[512];
    snprintf(text, sizeof text, "%s state=%s decoy=%d tampered=%d\n", what,
             state_name(mitsu_client_state(req)), mitsu_is_decoy(req), mitsu_req_tampered(req));
    return mitsu_text(res, 200, text);
}

static int state(mitsu_req *req, mitsu_res *res)
{
    return reply(req, res, "ok");
}

static int login_form(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_html(res, 200,
                      "<form method=post action=/login><input name=user>"
                      "<input name=password type=password></form>");
}

static int login(mitsu_req *req, mitsu_res *res)
{
    const char *user = mitsu_form(req, "user");
    const char *password = mitsu_form(req, "password");
    int ok = user && password && strcmp(user, "demo") == 0 &&
             strcmp(password, "demo-password") == 0;
    mitsu_auth_result(req, user, ok);
    if (ok)
        mitsu_session_set(req, "user", user);
    return reply(req, res, ok ? "login=ok" : "login=failed");
}

static int set_prefs(mitsu_req *req, mitsu_res *res)
{
    mitsu_set_signed_cookie(res, "prefs", "theme=dark", NULL);
    return reply(req, res, "set");
}

static int read_prefs(mitsu_req *req, mitsu_res *res)
{
    const char *v = mitsu_signed_cookie(req, "prefs", 0);
    char what[128];
    snprintf(what, sizeof what, "prefs=%s", v ? v : "(none)");
    return reply(req, res, what);
}

static int whoami(mitsu_req *req, mitsu_res *res)
{
    const char *u = mitsu_session_get(req, "user");
    char what[128];
    snprintf(what, sizeof what, "user=%s", u ? u : "(none)");
    return reply(req, res, what);
}

static int order_form(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    const char *price = mitsu_signed_field(res, "price", "100");
    char html[512];
    snprintf(html, sizeof html,
             "<form method=post action=/order><input type=hidden name=price value=\"%s\">"
             "</form>",
             price ? price : "");
    return mitsu_html(res, 200, html);
}

static int order(mitsu_req *req, mitsu_res *res)
{
    const char *price = mitsu_form_signed(req, "price", 3600);
    char what[128];
    snprintf(what, sizeof what, "price=%s", price ? price : "(none)");
    return reply(req, res, what);
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    const char *assets = getenv("LRT_STATIC_DIR");
    if (assets)
        mitsu_static(app, "/static", assets);
    mitsu_get(app, "/", state);
    mitsu_get(app, "/state", state);
    mitsu_get(app, "/api/*rest", state);
    mitsu_get(app, "/login", login_form);
    mitsu_post(app, "/login", login);
    mitsu_get(app, "/prefs/set", set_prefs);
    mitsu_get(app, "/prefs", read_prefs);
    mitsu_get(app, "/me", whoami);
    mitsu_get(app, "/order", order_form);
    mitsu_post(app, "/order", order);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
