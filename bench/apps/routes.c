/* Bench application for the router: BENCH_ROUTES routes (default 200) of assorted shapes, among
 * them GET /api/v100/users/:id/posts/:post, which the benchmark requests. With BENCH_ROUTES=1
 * that route is the only one. */
#include <mitsu.h>
#include <stdio.h>
#include <stdlib.h>

static int hello(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, "Hello, World!");
}

int main(void)
{
    const char *n_env = getenv("BENCH_ROUTES");
    int n = n_env ? atoi(n_env) : 200;
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    static const char *const shapes[] = {
        "/api/v%d/users/:id/posts/:post", "/static%d/*path", "/p%d/about", "/p%d/:slug/edit",
        "/admin/section%d/:id",
    };
    mitsu_get(app, "/api/v100/users/:id/posts/:post", hello);
    for (int i = 0; i < n - 1; i++) {
        char path[96];
        int k = i % 5, v = i / 5;
        if (k == 0 && v == 100)
            v = 1000; /* the benchmarked route is already there */
        snprintf(path, sizeof path, shapes[k], v);
        if (mitsu_get(app, path, hello) < 0)
            return 2;
    }
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
