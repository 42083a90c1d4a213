/* The smallest mitsu application: "Hello, World!" on /. */
#include <mitsu.h>

static int hello(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    return mitsu_text(res, 200, "Hello, World!");
}

int main(void)
{
    mitsu_app *app = mitsu_app_new(NULL);
    if (!app)
        return 2;
    mitsu_get(app, "/", hello);
    int rc = mitsu_run(app);
    mitsu_app_free(app);
    return rc;
}
