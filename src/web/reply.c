/* What a handler answers: status, headers, text, HTML, JSON, templates, redirects, error pages,
 * files, streams and cookies. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "web/web.h"

int mitsu_status(mitsu_res *res, int status)
{
    if (status < 100 || status > 999 || res->ex->res.headers_sent)
        return -1;
    res->ex->res.status = status;
    return 0;
}

int mitsu_res_status(const mitsu_res *res)
{
    return res->ex->res.status;
}

int mitsu_header(mitsu_res *res, const char *name, const char *value)
{
    return http_response_header(&res->ex->res, name, value);
}

int mitsu_write(mitsu_res *res, const void *data, size_t len)
{
    return http_response_write(&res->ex->res, data, len);
}

int mitsu_send(mitsu_res *res, int status, const char *content_type, const void *data,
               size_t len)
{
    if (mitsu_status(res, status) < 0)
        return -1;
    if (content_type && http_response_header(&res->ex->res, "Content-Type", content_type) < 0)
        return -1;
    return http_response_write(&res->ex->res, data, len);
}

int mitsu_text(mitsu_res *res, int status, const char *text)
{
    return mitsu_send(res, status, "text/plain; charset=utf-8", text, strlen(text));
}

int mitsu_html(mitsu_res *res, int status, const char *html)
{
    return mitsu_send(res, status, "text/html; charset=utf-8", html, strlen(html));
}

static int dump_to_res(const char *data, size_t len, void *ctx)
{
    return http_response_write(ctx, data, len);
}

int mitsu_json(mitsu_res *res, int status, const json_t *value)
{
    if (!value || mitsu_status(res, status) < 0 ||
        http_response_header(&res->ex->res, "Content-Type", "application/json") < 0)
        return -1;
    return json_dump_callback(value, dump_to_res, &res->ex->res, JSON_COMPACT | JSON_ENCODE_ANY);
}

int web_app_add_helper(mitsu_app *app, const char *name, web_helper_fn *fn, void *ctx)
{
    if (app->nhelpers == WEB_MAX_HELPERS)
        return -1;
    for (size_t i = 0; i < app->nhelpers; i++)
        if (strcmp(app->helpers[i].name, name) == 0)
            return -1;
    app->helpers[app->nhelpers++] = (web_helper){name, fn, ctx};
    return 0;
}

/* The template layer's side of the helpers: the response is the argument. */
static int put_helper(void *arg, const char *name, size_t len, buf *out)
{
    mitsu_res *res = arg;
    const mitsu_app *app = res->req->app;
    for (size_t i = 0; i < app->nhelpers; i++) {
        const web_helper *h = &app->helpers[i];
        if (strlen(h->name) == len && memcmp(h->name, name, len) == 0)
            return h->fn(h->ctx, res, out) < 0 ? -1 : 1;
    }
    return 0;
}

int mitsu_render(mitsu_res *res, int status, const char *template_name, json_t *ctx)
{
    mitsu_app *app = res->req->app;
    if (!app->templates) {
        fprintf(stderr, "mitsu: render %s: no [app] templates directory configured\n",
                template_name);
        return -1;
    }
    buf out = BUF_INIT;
    tmpl_error err;
    json_t *empty = ctx ? NULL : json_object();
    tmpl_helpers helpers = {put_helper, res};
    int rc = tmpl_set_render_helped(app->templates, template_name, ctx ? ctx : empty, &helpers,
                                    &out, &err);
    json_decref(empty);
    if (rc < 0) {
        fprintf(stderr, "mitsu: render: %s\n", err.message);
        buf_free(&out);
        return -1;
    }
    rc = mitsu_send(res, status, "text/html; charset=utf-8", out.data ? out.data : "", out.len);
    buf_free(&out);
    return rc;
}

int mitsu_redirect(mitsu_res *res, int status, const char *location)
{
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308)
        return -1;
    if (mitsu_status(res, status) < 0 || mitsu_header(res, "Location", location) < 0)
        return -1;
    return 0;
}

/* The plain page for a status, when the application has no handler for it. It says nothing
 * about the server: the same for every client, real or diverted. */
static int default_error_page(mitsu_res *res, int status)
{
    char body[96];
    int n = snprintf(body, sizeof body, "%d %s\n", status, http_status_reason(status));
    return mitsu_send(res, status, "text/plain; charset=utf-8", body, (size_t)n);
}

int reply_error(mitsu_res *res, int status)
{
    http_response_reset(&res->ex->res);
    mitsu_app *app = res->req->app;
    res->ex->res.status = status;
    for (size_t i = 0; i < app->nerrors; i++) {
        if (app->errors[i].status != status)
            continue;
        if (app->errors[i].handler(res->req, res) == 0)
            return 0;
        /* A failing error handler must not loop: fall back to the plain page. */
        http_response_reset(&res->ex->res);
        break;
    }
    return default_error_page(res, status);
}

int mitsu_abort(mitsu_res *res, int status)
{
    if (status < 400 || status > 599 || res->ex->res.headers_sent)
        return -1;
    return reply_error(res, status);
}

int mitsu_send_file(mitsu_res *res, int status, const char *content_type, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || mitsu_status(res, status) < 0 ||
        (content_type && http_response_header(&res->ex->res, "Content-Type", content_type) < 0) ||
        http_response_file(&res->ex->res, fd, 0, (uint64_t)st.st_size) < 0) {
        close(fd);
        return -1;
    }
    return 0;
}

int mitsu_stream(mitsu_res *res, const void *data, size_t len)
{
    return http_response_chunk(&res->ex->res, data, len);
}

static void to_cookie_attrs(const mitsu_cookie_opts *o, cookie_attrs *a)
{
    static const enum cookie_samesite same_site[] = {
        [MITSU_SAMESITE_DEFAULT] = COOKIE_SAMESITE_LAX,
        [MITSU_SAMESITE_STRICT] = COOKIE_SAMESITE_STRICT,
        [MITSU_SAMESITE_LAX] = COOKIE_SAMESITE_LAX,
        [MITSU_SAMESITE_NONE] = COOKIE_SAMESITE_NONE,
    };
    memset(a, 0, sizeof *a);
    a->path = "/";
    a->http_only = 1;
    a->same_site = COOKIE_SAMESITE_LAX;
    if (!o)
        return;
    a->has_max_age = o->max_age > 0;
    a->max_age = o->max_age;
    a->has_expires = o->expires > 0;
    a->expires = o->expires;
    a->domain = o->domain;
    if (o->path)
        a->path = o->path;
    a->secure = o->secure;
    a->http_only = o->http_only;
    if ((unsigned)o->same_site <= MITSU_SAMESITE_NONE)
        a->same_site = same_site[o->same_site];
    a->partitioned = o->partitioned;
}

int mitsu_set_cookie(mitsu_res *res, const char *name, const char *value,
                     const mitsu_cookie_opts *opts)
{
    cookie_attrs attrs;
    to_cookie_attrs(opts, &attrs);
    const char *line = NULL;
    if (cookie_format(res->ex->arena, &line, name, value, &attrs) < 0)
        return -1;
    return mitsu_header(res, "Set-Cookie", line);
}

int mitsu_set_signed_cookie(mitsu_res *res, const char *name, const char *value,
                            const mitsu_cookie_opts *opts)
{
    char purpose[160];
    snprintf(purpose, sizeof purpose, "cookie:%s", name);
    const char *signed_value = NULL;
    if (sign_value(res->req->app->keys, res->ex->arena, purpose, value, strlen(value),
                   (int64_t)time(NULL), &signed_value) < 0)
        return -1;
    return mitsu_set_cookie(res, name, signed_value, opts);
}

int mitsu_delete_cookie(mitsu_res *res, const char *name)
{
    cookie_attrs attrs;
    to_cookie_attrs(NULL, &attrs);
    const char *line = NULL;
    if (cookie_format_delete(res->ex->arena, &line, name, &attrs) < 0)
        return -1;
    return mitsu_header(res, "Set-Cookie", line);
}
