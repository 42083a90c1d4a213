/* Detector trap: paths nobody legitimate requests on this application (/.env, /.git/,
 * /wp-login.php ...), unless the application itself routes them, the bait that /robots.txt
 * tells crawlers to stay away from, and the honey form field. One request flags. Also the
 * template helpers that lay the bait in pages: {{mitsu.trap_link}} and {{mitsu.honey_field}}. */
#include <stdlib.h>
#include <string.h>

#include "honeypot/hp.h"

/* A list of path prefixes, with the second bytes its entries have: most request paths share
 * none of them ("/" itself, "/item/7"), and are told so by one bit. */
typedef struct prefixes {
    const char *const *list;
    size_t n;
    uint64_t second[4]; /* bit b: an entry's second byte is b */
} prefixes;

typedef struct trap {
    prefixes paths;
    prefixes bait;
    int robots;
    const char *honey;  /* [trap] honey_field; NULL: none */
    buf link_html;      /* what the helpers render, made once */
    buf field_html;
    mitsu_app *app;
} trap;

/* Out of sight and out of the accessibility tree, but not display:none or hidden: bots that
 * skip those still walk into this. */
#define UNSEEN "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden"

/* Config values are checked (paths start with '/', field names are word characters), yet they
 * land in attributes: escaped all the same. */
static int put_attr(buf *b, const char *s)
{
    int rc = 0;
    for (; *s && rc == 0; s++) {
        switch (*s) {
        case '&': rc = buf_append_str(b, "&amp;"); break;
        case '<': rc = buf_append_str(b, "&lt;"); break;
        case '>': rc = buf_append_str(b, "&gt;"); break;
        case '"': rc = buf_append_str(b, "&quot;"); break;
        case '\'': rc = buf_append_str(b, "&#39;"); break;
        default: rc = buf_append(b, s, 1);
        }
    }
    return rc;
}

/* A link to the first robots.txt bait path: crawlers that honour robots.txt or rel=nofollow
 * never follow it, people never see it (off screen, aria-hidden, out of the tab order), so
 * whoever requests it is a bot reading pages for places to go. No bait: no link. */
static int make_link(trap *t)
{
    if (!t->bait.n)
        return 0;
    int rc = buf_append_str(&t->link_html, "<a href=\"");
    rc |= put_attr(&t->link_html, t->bait.list[0]);
    rc |= buf_append_str(&t->link_html, "\" rel=\"nofollow\" aria-hidden=\"true\" tabindex=\"-1\" "
                                        "style=\"" UNSEEN "\">");
    rc |= put_attr(&t->link_html, t->bait.list[0]);
    rc |= buf_append_str(&t->link_html, "</a>");
    return rc;
}

/* A text field no person fills: off screen in an aria-hidden box, out of the tab order, with
 * autofill off. Form-filling bots fill every field they find. */
static int make_field(trap *t)
{
    if (!t->honey)
        return 0;
    int rc = buf_append_str(&t->field_html, "<div aria-hidden=\"true\" style=\"" UNSEEN "\">"
                                            "<label>");
    rc |= put_attr(&t->field_html, t->honey);
    rc |= buf_append_str(&t->field_html, " <input type=\"text\" name=\"");
    rc |= put_attr(&t->field_html, t->honey);
    rc |= buf_append_str(&t->field_html,
                         "\" value=\"\" tabindex=\"-1\" autocomplete=\"off\"></label></div>");
    return rc;
}

static int put_link(void *ctx, mitsu_res *res, buf *out)
{
    (void)res;
    const trap *t = ctx;
    return buf_append(out, t->link_html.data, t->link_html.len);
}

static int put_field(void *ctx, mitsu_res *res, buf *out)
{
    (void)res;
    const trap *t = ctx;
    return buf_append(out, t->field_html.data, t->field_html.len);
}

static void trap_fini(void *state)
{
    trap *t = state;
    if (!t)
        return;
    buf_free(&t->link_html);
    buf_free(&t->field_html);
    free(t);
}

static void prefixes_init(prefixes *p, const config *cfg, const char *key)
{
    p->n = config_get_list(cfg, "trap", key, &p->list);
    memset(p->second, 0, sizeof p->second);
    for (size_t i = 0; i < p->n; i++) {
        unsigned char b = p->list[i][0] ? (unsigned char)p->list[i][1] : 0;
        p->second[b >> 6] |= 1ull << (b & 63); /* the filter matching_prefix() starts with */
    }
}

static int trap_init(hp_engine *hp, const config *cfg, void **state, char *err, size_t errlen)
{
    if (!config_get_bool(cfg, "trap", "enabled"))
        return 0;
    trap *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    prefixes_init(&t->paths, cfg, "paths");
    prefixes_init(&t->bait, cfg, "robots_paths");
    t->robots = config_get_bool(cfg, "trap", "robots");
    const char *honey = config_get_str(cfg, "trap", "honey_field");
    t->honey = honey && *honey ? honey : NULL;
    t->app = hp_engine_app(hp);
    t->link_html = (buf)BUF_INIT;
    t->field_html = (buf)BUF_INIT;
    if (make_link(t) < 0 || make_field(t) < 0 ||
        web_app_add_helper(t->app, "trap_link", put_link, t) < 0 ||
        web_app_add_helper(t->app, "honey_field", put_field, t) < 0) {
        snprintf(err, errlen, "trap: cannot add the template helpers");
        trap_fini(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int routed(const trap *t, const http_request *hr, const char *path, size_t plen)
{
    route_match m;
    return router_match(t->app->routes, hr->method_name.base, hr->method_name.len, path, plen,
                        &m) == ROUTE_MATCH;
}

/* Whether any entry of pf can start like path (its first two bytes): most requests stop here. */
static int may_match(const prefixes *pf, const char *path, size_t plen)
{
    unsigned char b = plen > 1 ? (unsigned char)path[1] : 0;
    return pf->second[b >> 6] >> (b & 63) & 1;
}

static const char *matching_prefix(const prefixes *pf, const char *path, size_t plen)
{
    if (!may_match(pf, path, plen))
        return NULL;
    for (size_t i = 0; i < pf->n; i++) {
        const char *p = pf->list[i];
        if (!plen || p[0] != path[0] || (p[0] && p[1] != (plen > 1 ? path[1] : '\0')))
            continue; /* most entries differ in the first two bytes: no strlen for them */
        size_t len = strlen(p);
        /* "/.git/" also catches "/.git" itself. */
        if ((plen >= len && memcmp(path, p, len) == 0) ||
            (len > 1 && p[len - 1] == '/' && plen == len - 1 && memcmp(path, p, len - 1) == 0))
            return p;
    }
    return NULL;
}

/* robots.txt with Disallow lines for the bait: well-behaved crawlers stay away, and whoever
 * reads it to find hidden places walks into them. */
static void serve_robots(const trap *t, hp_request *r)
{
    mitsu_res *res = r->req->res;
    mitsu_status(res, 200);
    mitsu_header(res, "Content-Type", "text/plain; charset=utf-8");
    mitsu_write(res, "User-agent: *\n", 14);
    for (size_t i = 0; i < t->bait.n; i++) {
        mitsu_write(res, "Disallow: ", 10);
        mitsu_write(res, t->bait.list[i], strlen(t->bait.list[i]));
        mitsu_write(res, "\n", 1);
    }
    r->answered = 1;
}

/* A value in the honey field, in the body's form or the query. */
static void honey_check(const trap *t, hp_request *r)
{
    mitsu_req *req = r->req;
    const char *v = req->ex->body_len ? mitsu_form(req, t->honey) : NULL;
    if (!v && req->ex->req.query.len)
        v = mitsu_query(req, t->honey);
    if (!v || !*v)
        return;
    char shown[64];
    hp_printable(v, strlen(v), shown, sizeof shown);
    hp_report(r, &hp_detect_trap, HP_ATTACK, HP_FLAGS, "honey field %s filled: \"%s\"",
              t->honey, shown);
}

static void trap_before(void *state, hp_request *r)
{
    const trap *t = state;
    if (!t)
        return;
    if (t->honey)
        honey_check(t, r);
    const http_request *hr = &r->req->ex->req;
    /* The path as a slice: its C string copy is made only for a report. */
    const char *path = r->req->path.base ? r->req->path.base : "";
    size_t plen = r->req->path.len;
    if (!(t->robots && plen == 11) && !may_match(&t->bait, path, plen) &&
        !may_match(&t->paths, path, plen))
        return;
    int robots = t->robots && plen == 11 && memcmp(path, "/robots.txt", 11) == 0 &&
                 (hr->method == HTTP_GET || hr->method == HTTP_HEAD);
    const char *bait = robots ? NULL : matching_prefix(&t->bait, path, plen);
    const char *hit = robots || bait ? NULL : matching_prefix(&t->paths, path, plen);
    /* The route look-up only for a path that would be a trap: most requests are none. */
    if ((!robots && !bait && !hit) || routed(t, hr, path, plen))
        return; /* nothing, or the application serves it: not a trap here */
    if (robots)
        serve_robots(t, r);
    else if (bait)
        hp_report(r, &hp_detect_trap, HP_ATTACK, HP_FLAGS, "robots.txt bait %s: %s", bait,
                  mitsu_req_path(r->req));
    else
        hp_report(r, &hp_detect_trap, HP_ATTACK, HP_FLAGS, "trap path %s: %s", hit,
                  mitsu_req_path(r->req));
}

const hp_detector hp_detect_trap = {
    .name = "trap",
    .phases = HP_BEFORE,
    .init = trap_init,
    .fini = trap_fini,
    .before = trap_before,
};
