/* Recording: connects the honeypot's observations to the journal. A flag becomes an event,
 * the client's row and its ring of recent requests (the pre-flag evidence); every request of an
 * attacker is captured whole; every other client leaves only its counters. */
#include <string.h>

#include "honeypot/hp.h"
#include "journal/journal.h"
#include "mitsu/record.h"

static const char *method_name(uint8_t m)
{
    return m < HTTP_METHOD__MAX ? http_method_names[m] : "?";
}

/* The client's ring: what it did before the verdict, as pre-flag requests. */
static void record_ring(jr_journal *jr, hp_engine *hp, const uint8_t sid[HP_SID_LEN],
                        const char *sid_hex, const char *ip)
{
    hp_client c;
    if (hp_client_get(hp_engine_clients(hp), sid, &c) < 0)
        return;
    jr_client(jr, &c, hp_detector_name(c.flagged_by), c.flagged_at);
    hp_client_req_full ring[HP_CLIENT_RING];
    size_t n = hp_client_ring_read(&c, ring);
    for (size_t i = 0; i < n; i++) {
        char path[HP_PATH_MAX + 1];
        if (hp_client_path_get(hp_engine_clients(hp), ring[i].path, path, sizeof path) < 0)
            strcpy(path, "?");
        jr_request_rec q = {.time = ring[i].t, .sid = sid_hex, .ip = ip,
                            .method = method_name(ring[i].method), .target = path,
                            .status = ring[i].status,
                            .served_decoy = (ring[i].flags & HP_REQ_DECOY) != 0, .preflag = 1};
        jr_request(jr, &q, 1);
    }
}

static void on_flag(void *ctx, hp_request *r, uint8_t by, double score, const char *evidence)
{
    recorder *rec = ctx;
    char sid[HP_SID_HEX + 1];
    hp_client_sid_format(r->client.sid, sid);
    const char *kind = NULL;
    for (size_t i = 0; i < r->nhits; i++)
        if (r->hits[i].detector == by)
            kind = hp_kind_names[r->hits[i].kind];
    jr_event_rec e = {.type = JR_EVENT_FLAG, .time = r->now, .sid = sid, .ip = r->ip_text,
                      .detector = hp_detector_name(by), .kind = kind, .score = score,
                      .evidence = evidence, .action = rec->action};
    if (r->req) {
        e.method = mitsu_req_method(r->req);
        e.path = mitsu_req_path(r->req);
        e.forwarded = mitsu_req_header(r->req, "X-Forwarded-For");
        e.body = mitsu_req_body(r->req, &e.body_len);
    }
    jr_event(rec->jr, &e);
    if (r->rejection) {
        /* A refused request: its raw bytes are the evidence. */
        jr_request_rec q = {.time = r->now, .sid = sid, .ip = r->ip_text, .method = "",
                            .target = "", .raw = r->rejection->raw,
                            .raw_len = r->rejection->raw_len, .status = r->rejection->status};
        jr_request(rec->jr, &q, 0);
    }
    record_ring(rec->jr, rec->hp, r->client.sid, sid, r->ip_text);
}

static void on_request(void *ctx, hp_request *r)
{
    recorder *rec = ctx;
    if (!r->req)
        return;
    const http_exchange *ex = r->req->ex;
    char sid[HP_SID_HEX + 1];
    hp_client_sid_format(r->client.sid, sid);
    jr_header headers[64];
    size_t nh = ex->req.nheaders < 64 ? ex->req.nheaders : 64;
    for (size_t i = 0; i < nh; i++)
        headers[i] = (jr_header){ex->req.headers[i].name.base, ex->req.headers[i].value.base,
                                 ex->req.headers[i].name.len, ex->req.headers[i].value.len};
    jr_request_rec q = {.time = r->now, .sid = sid, .ip = r->ip_text,
                        .method = mitsu_req_method(r->req), .target = mitsu_req_target(r->req),
                        .headers = headers, .nheaders = nh, .body = ex->body,
                        .body_len = ex->body_len, .status = r->status,
                        .response_size = (int64_t)ex->res.body->len,
                        .latency_us = (hp_now_ms() - r->now) * 1000,
                        .served_decoy = r->req->decoy};
    jr_request(rec->jr, &q, 0);
}

static void on_client(void *ctx, const hp_client *c)
{
    recorder *rec = ctx;
    jr_client(rec->jr, c, c->state == HP_CLIENT_NORMAL ? NULL : hp_detector_name(c->flagged_by),
              c->last_seen);
}

static int load_verdict(const hp_client *c, const char *flagged_by, void *arg)
{
    return hp_engine_load(arg, c, flagged_by) < 0;
}

/* A verdict of another instance or of the operator, on the follower's thread. */
static void follow_verdict(const jr_verdict *v, void *arg)
{
    enum hp_client_state state = strcmp(v->state, "attacker") == 0 ? HP_CLIENT_ATTACKER
                                                                    : HP_CLIENT_RELEASED;
    hp_engine_apply_verdict(arg, v->sid, v->ip, state, v->score, v->by);
}

/* The follower's poll is the upkeep's timer: a client's counters reach its row within one
 * upkeep interval even when no request comes to run the upkeep. */
static void follow_tick(void *arg)
{
    hp_engine_upkeep(arg, hp_now_ms());
}

int recorder_attach(recorder *rec, jr_journal *jr, hp_engine *hp, const char *url,
                    const char *action, char *err, size_t errlen)
{
    rec->jr = jr;
    rec->hp = hp;
    rec->action = action;
    /* Set before the follower's thread runs the upkeep, which reads it. */
    hp_sink sink = {on_flag, on_request, on_client, rec};
    hp_engine_set_sink(hp, &sink);
    /* Following starts first: a verdict written while the table is reloaded is not missed. */
    jr_follow_hooks h = {follow_verdict, rec->on_tokens, follow_tick, hp};
    rec->follow = jr_follow(url, jr_instance(jr), &h, err, errlen);
    if (!rec->follow)
        return -1;
    return jr_load_verdicts(jr, load_verdict, hp, err, errlen) < 0 ? -1 : 0;
}

void recorder_detach(recorder *rec)
{
    jr_follow_stop(rec->follow); /* before the journal and the engine it calls go */
    rec->follow = NULL;
    if (rec->jr) /* the counters of the last requests, since the last upkeep */
        hp_engine_report_clients(rec->hp);
    jr_close(rec->jr); /* every queued record is written before this returns */
    rec->jr = NULL;
}
