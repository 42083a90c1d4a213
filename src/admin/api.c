/* The JSON API under /api/: the values the pages are drawn from, as they are. */
#include "admin/internal.h"
#include "honeypot/hp.h"

static int answer(adm_req *q, json_t *v, int status)
{
    if (!v) {
        json_t *e = json_pack("{s:s}", "error", http_status_reason(status));
        return adm_reply_json(q, status, e);
    }
    return adm_reply_json(q, 200, v);
}

/* ?range=SECONDS (default a day) and ?buckets=N (default 24). */
json_t *api_overview_value(adm_req *q, int *status)
{
    long range_s = adm_query_long(q, "range", 86400, 60, 366L * 86400);
    long buckets = adm_query_long(q, "buckets", 24, 1, 512);
    return data_overview(q, hp_now_ms(), (int64_t)range_s * 1000, (int)buckets, status);
}

/* (The value is computed before answer() reads the status it may have set.) */
int api_overview(adm_req *q)
{
    int status = 500;
    json_t *v = api_overview_value(q, &status);
    return answer(q, v, status);
}

int api_attackers(adm_req *q)
{
    int status = 500;
    json_t *v = data_attackers(q, adm_query_long(q, "limit", 100, 1, 10000), &status);
    return answer(q, v, status);
}

int api_client(adm_req *q)
{
    int status = 500;
    json_t *v = data_client(q, adm_param(q, "ref"), adm_query_long(q, "limit", 200, 1, 10000),
                            &status);
    return answer(q, v, status);
}

int api_detectors(adm_req *q)
{
    int status = 500;
    json_t *v = data_detectors(q, &status);
    return answer(q, v, status);
}

int api_top(adm_req *q)
{
    int status = 500;
    json_t *v = data_top(q, adm_query_long(q, "limit", 20, 1, 1000), &status);
    return answer(q, v, status);
}
