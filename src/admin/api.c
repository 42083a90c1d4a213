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

int api_overview(adm_req *q)
{
    int status = 500;
    return answer(q, api_overview_value(q, &status), status);
}

int api_attackers(adm_req *q)
{
    int status = 500;
    return answer(q, data_attackers(q, adm_query_long(q, "limit", 100, 1, 10000), &status),
                  status);
}

int api_client(adm_req *q)
{
    int status = 500;
    return answer(q, data_client(q, adm_param(q, "ref"), adm_query_long(q, "limit", 200, 1, 10000),
                                 &status),
                  status);
}

int api_detectors(adm_req *q)
{
    int status = 500;
    return answer(q, data_detectors(q, &status), status);
}

int api_top(adm_req *q)
{
    int status = 500;
    return answer(q, data_top(q, adm_query_long(q, "limit", 20, 1, 1000), &status), status);
}
