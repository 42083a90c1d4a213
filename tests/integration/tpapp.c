/* The application the transition and params detector tests talk to: a shop flow declared with
 * mitsu_flow() and routes with parameters declared with mitsu_params(). /selftest reports what
 * the declarations answered at start-up (unknown routes and bad patterns must be refused). */
#include <mitsu.h>
#include <stdio.h>
#include <string.h>

static char selftest[512];

static const char *state_name(enum mitsu_client_state s)
{
    static const char *const names[] = {"unknown", "normal", "attacker", "released"};
    return names[s];
}

static int state(mitsu_req *req, mitsu_res *res)
{
    char text[256];
    snprintf(text, sizeof text, "state=%s decoy=%d path=%s\n",
             state_name(mitsu_client_state(req)), mitsu_is_decoy(req), mitsu_req_path(req));
    return mitsu_text(res, 200, text);
}

static int page(mitsu_req *req, mitsu_res *res)
{
    char html[256];
    snprintf(html, sizeof html, "<!doctype html><title>%s</title><p>page %s</p>\n",
             mitsu_req_path(req), mitsu_req_path(req));
    return mitsu_html(res, 200, html);
}

/* POST-redirect-GET: a form posted to the page itself moves the client on. */
static int post_checkout(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_redirect(res, 303, "/pay");
}

static int post_pay(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_redirect(res, 303, "/done");
}

static int show_selftest(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, selftest);
}

/* Shows what the handler was given: it only runs when the strict check let the request by. */
static int echo(mitsu_req *req, mitsu_res *res)
{
    char text[512];
    const char *q = mitsu_query(req, "q"), *email = mitsu_form(req, "email");
    snprintf(text, sizeof text, "handler ran: id=%s q=%s email=%s decoy=%d\n",
             mitsu_param(req, "id") ? mitsu_param(req, "id") : "-", q ? q : "-",
             email ? email : "-", mitsu_is_decoy(req));
    return mitsu_text(res, 200, text);
}

static int bad_request_page(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_html(res, 400, "<!doctype html><p>tpapp: that request makes no sense</p>\n");
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    mitsu_error_handler(app, 400, bad_request_page);
    mitsu_get(app, "/state", state);
    mitsu_get(app, "/selftest", show_selftest);
    mitsu_get(app, "/about", page);

    /* The flow: / is an entry; the cart follows the home page or an item; then checkout, pay,
     * done. The POSTs answer 303 to the next page. */
    mitsu_get(app, "/", page);
    mitsu_get(app, "/cart", page);
    mitsu_get(app, "/checkout", page);
    mitsu_post(app, "/checkout", post_checkout);
    mitsu_get(app, "/pay", page);
    mitsu_post(app, "/pay", post_pay);
    mitsu_get(app, "/done", page);
    mitsu_get(app, "/items/:id", echo);
    mitsu_get(app, "/files/:name", page);
    mitsu_get(app, "/files/*rest", page);
    int flows[] = {
        mitsu_flow(app, "*", "/"),
        mitsu_flow(app, "/", "/cart"),
        mitsu_flow(app, "/items/:id", "/cart"),
        mitsu_flow(app, "/cart", "/checkout"),
        mitsu_flow(app, "/checkout", "/pay"),
        mitsu_flow(app, "/pay", "/done"),
        mitsu_flow(app, "/files/*rest", "/about"), /* a wildcard beaten by a parameter */
        mitsu_flow(app, "*", "/about"),
    };
    int flow_ok = 1;
    for (size_t i = 0; i < sizeof flows / sizeof flows[0]; i++)
        flow_ok &= flows[i] == 0;

    mitsu_get(app, "/search", echo);
    mitsu_post(app, "/signup", echo);
    mitsu_get(app, "/orders/:id", echo);
    const mitsu_param_spec item[] = {{"id", MITSU_PARAM_UINT, NULL, 0, 1}};
    const mitsu_param_spec search[] = {
        {"q", MITSU_PARAM_STRING, NULL, 100, 1},
        {"page", MITSU_PARAM_UINT, NULL, 6, 0},
        {"sort", MITSU_PARAM_PATTERN, "(price|name)(_desc)?", 0, 0},
    };
    const mitsu_param_spec signup[] = {
        {"email", MITSU_PARAM_EMAIL, NULL, 254, 1},
        {"name", MITSU_PARAM_STRING, NULL, 40, 1},
        {"age", MITSU_PARAM_UINT, NULL, 3, 0},
        {"code", MITSU_PARAM_PATTERN, "[A-Z]{3}-[0-9]{4}", 0, 0},
        {"news", MITSU_PARAM_BOOL, NULL, 0, 0},
    };
    const mitsu_param_spec order[] = {
        {"id", MITSU_PARAM_UUID, NULL, 0, 1},
        {"amount", MITSU_PARAM_FLOAT, NULL, 0, 0},
        {"delta", MITSU_PARAM_INT, NULL, 0, 0},
    };
    int params_ok = mitsu_params(app, "GET", "/items/:id", item, 1, 0) == 0 &&
                    mitsu_params(app, "GET", "/search", search, 3, 0) == 0 &&
                    mitsu_params(app, "POST", "/signup", signup, 5, 1) == 0 &&
                    mitsu_params(app, "GET", "/orders/:id", order, 3, 1) == 0;

    /* What must be refused. */
    const mitsu_param_spec bad_re[] = {{"x", MITSU_PARAM_PATTERN, "([a-z]", 0, 0}};
    const mitsu_param_spec twice[] = {{"x", MITSU_PARAM_INT, NULL, 0, 0},
                                      {"x", MITSU_PARAM_INT, NULL, 0, 0}};
    int refused = mitsu_flow(app, "/nowhere", "/cart") == -1 &&
                  mitsu_flow(app, "/", "/nowhere") == -1 &&
                  mitsu_flow(app, "*", "/items/42") == -1 && /* a path, not the pattern */
                  mitsu_params(app, "POST", "/search", search, 3, 0) == -1 &&
                  mitsu_params(app, "GET", "/nowhere", item, 1, 0) == -1 &&
                  mitsu_params(app, "GET", "/about", bad_re, 1, 0) == -1 &&
                  mitsu_params(app, "GET", "/about", twice, 2, 0) == -1;
    snprintf(selftest, sizeof selftest, "flows=%s params=%s refused=%s\n",
             flow_ok ? "ok" : "FAILED", params_ok ? "ok" : "FAILED", refused ? "ok" : "FAILED");
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
