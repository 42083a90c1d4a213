/* Response building and serialization: status line, framing headers, Date, body. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "http/internal.h"

/* Reason phrases (RFC 9110 §15), indexed by status; the gaps are NULL. */
static const char *const reasons[] = {
    [100] = "Continue",
    [101] = "Switching Protocols",
    [200] = "OK",
    [201] = "Created",
    [202] = "Accepted",
    [203] = "Non-Authoritative Information",
    [204] = "No Content",
    [205] = "Reset Content",
    [206] = "Partial Content",
    [300] = "Multiple Choices",
    [301] = "Moved Permanently",
    [302] = "Found",
    [303] = "See Other",
    [304] = "Not Modified",
    [307] = "Temporary Redirect",
    [308] = "Permanent Redirect",
    [400] = "Bad Request",
    [401] = "Unauthorized",
    [402] = "Payment Required",
    [403] = "Forbidden",
    [404] = "Not Found",
    [405] = "Method Not Allowed",
    [406] = "Not Acceptable",
    [407] = "Proxy Authentication Required",
    [408] = "Request Timeout",
    [409] = "Conflict",
    [410] = "Gone",
    [411] = "Length Required",
    [412] = "Precondition Failed",
    [413] = "Content Too Large",
    [414] = "URI Too Long",
    [415] = "Unsupported Media Type",
    [416] = "Range Not Satisfiable",
    [417] = "Expectation Failed",
    [421] = "Misdirected Request",
    [422] = "Unprocessable Content",
    [425] = "Too Early",
    [426] = "Upgrade Required",
    [428] = "Precondition Required",
    [429] = "Too Many Requests",
    [431] = "Request Header Fields Too Large",
    [451] = "Unavailable For Legal Reasons",
    [500] = "Internal Server Error",
    [501] = "Not Implemented",
    [502] = "Bad Gateway",
    [503] = "Service Unavailable",
    [504] = "Gateway Timeout",
    [505] = "HTTP Version Not Supported",
};

const char *http_status_reason(int status)
{
    if (status >= 0 && (size_t)status < sizeof reasons / sizeof reasons[0] && reasons[status])
        return reasons[status];
    return "Unknown";
}

/* RFC 9110 §6.4.1: no content in 1xx, 204 and 304 responses. */
static int status_has_body(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

void worker_refresh_date(http_worker *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    if (ts.tv_sec == w->date_second && w->date_len)
        return;
    w->date_second = ts.tv_sec;
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    /* IMF-fixdate (RFC 9110 §5.6.7); strftime's %a/%b depend on the locale, so spell them. */
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int n = snprintf(w->date_line, sizeof w->date_line,
                     "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday],
                     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    w->date_len = n > 0 && (size_t)n < sizeof w->date_line ? (size_t)n : 0;
}

void response_begin(http_response *res, http_conn *c, buf *head, buf *body, int head_only)
{
    memset(res, 0, sizeof *res);
    res->status = 200;
    head->len = 0;
    body->len = 0;
    res->head = head;
    res->body = body;
    res->source = HTTP_SRC_BUFFER;
    res->file_fd = -1;
    res->head_only = head_only;
    res->conn = c;
}

int http_response_delay(http_response *res, int ms)
{
    http_conn *c = res->conn;
    if (ms <= 0)
        return 0;
    if (c->worker->nheld >= c->worker->server->cfg.max_held || res->headers_sent)
        return -1;
    res->delay_ms = ms > 60000 ? 60000 : ms;
    return 0;
}

int http_response_reset(http_response *res)
{
    if (res->headers_sent)
        return -1;
    if (res->source == HTTP_SRC_FILE && res->file_fd >= 0)
        close(res->file_fd);
    res->file_fd = -1;
    res->source = HTTP_SRC_BUFFER;
    res->status = 200;
    res->head->len = 0;
    res->body->len = 0;
    res->has_content_type = 0;
    return 0;
}

/* Field names are tokens and values may not carry CR, LF or NUL: a handler that copies
 * attacker input into a header must not be able to split the response. */
int http_header_is_safe(const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (name_len == 0)
        return 0;
    for (size_t i = 0; i < name_len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= 0x20 || ch >= 0x7f || ch == ':')
            return 0;
    }
    /* libc's vectorised scans: this runs over every header of every response */
    return !memchr(value, '\r', value_len) && !memchr(value, '\n', value_len) &&
           strnlen(value, value_len) == value_len;
}

int http_response_headern(http_response *res, const char *name, size_t name_len,
                          const char *value, size_t value_len)
{
    if (res->headers_sent || !http_header_is_safe(name, name_len, value, value_len))
        return -1;
    if (name_len == 12 && strncasecmp(name, "Content-Type", 12) == 0)
        res->has_content_type = 1;
    buf *h = res->head;
    if (buf_reserve(h, name_len + value_len + 4) < 0)
        return -1;
    memcpy(h->data + h->len, name, name_len);
    h->len += name_len;
    h->data[h->len++] = ':';
    h->data[h->len++] = ' ';
    memcpy(h->data + h->len, value, value_len);
    h->len += value_len;
    h->data[h->len++] = '\r';
    h->data[h->len++] = '\n';
    return 0;
}

char *http_response_header_room(http_response *res, size_t len)
{
    buf *h = res->head;
    if (res->headers_sent || buf_reserve(h, len + 2) < 0)
        return NULL;
    char *room = h->data + h->len;
    room[len] = '\r';
    room[len + 1] = '\n';
    h->len += len + 2;
    return room;
}

int http_response_header(http_response *res, const char *name, const char *value)
{
    return http_response_headern(res, name, strlen(name), value, strlen(value));
}

int http_response_write(http_response *res, const void *data, size_t len)
{
    if (res->source == HTTP_SRC_CHUNKED)
        return http_response_chunk(res, data, len);
    if (res->source == HTTP_SRC_FILE)
        return -1;
    return buf_append(res->body, data, len);
}

int http_response_file(http_response *res, int fd, uint64_t offset, uint64_t length)
{
    if (res->headers_sent || res->source != HTTP_SRC_BUFFER || res->body->len)
        return -1;
    res->source = HTTP_SRC_FILE;
    res->file_fd = fd;
    res->file_offset = offset;
    res->file_length = length;
    return 0;
}

/* Appends the status line and the framing headers; body_len < 0 means streamed. */
static int serialize_head(http_conn *c, http_response *res, const http_request *req,
                          long long body_len, int close)
{
    http_worker *w = c->worker;
    buf *out = &c->out;
    const char *reason = http_status_reason(res->status);
    worker_refresh_date(w);
    if (buf_reserve(out, 64 + w->date_len + res->head->len + 64) < 0)
        return -1;
    /* We always answer as HTTP/1.1, the highest version we support (RFC 9110 §6.2). */
    buf_append(out, "HTTP/1.1 ", 9);
    char code[4] = {(char)('0' + res->status / 100 % 10), (char)('0' + res->status / 10 % 10),
                    (char)('0' + res->status % 10), ' '};
    buf_append(out, code, 4);
    buf_append_str(out, reason);
    buf_append(out, "\r\n", 2);
    buf_append(out, w->date_line, w->date_len);
    if (body_len >= 0) {
        /* RFC 9110 §8.6: no Content-Length in 1xx and 204. For 304 we send none either. */
        if (status_has_body(res->status)) {
            buf_append(out, "Content-Length: ", 16);
            buf_append_u64(out, (unsigned long long)body_len);
            buf_append(out, "\r\n", 2);
        }
    } else if (req->minor_version >= 1 && status_has_body(res->status)) {
        buf_append(out, "Transfer-Encoding: chunked\r\n", 28);
    }
    if (close)
        buf_append(out, "Connection: close\r\n", 19);
    else if (req->minor_version == 0)
        buf_append(out, "Connection: keep-alive\r\n", 24);
    buf_append(out, res->head->data, res->head->len);
    buf_append(out, "\r\n", 2);
    return 0;
}

static int must_close(http_conn *c, const http_response *res, const http_request *req)
{
    return c->close_after || res->close_after || !req->keep_alive || c->worker->stopping ||
           c->peer_closed;
}

int http_response_chunk(http_response *res, const void *data, size_t len)
{
    http_conn *c = res->conn;
    const http_request *req = c->worker->streaming_req;
    if (res->source == HTTP_SRC_FILE)
        return -1;
    if (!res->headers_sent) {
        if (res->body->len)
            return -1;
        res->source = HTTP_SRC_CHUNKED;
        /* HTTP/1.0 has no chunked coding: the body ends when the connection closes (§6.3). */
        int closing = must_close(c, res, req) || req->minor_version == 0;
        if (closing)
            c->close_after = 1;
        if (serialize_head(c, res, req, -1, closing) < 0)
            return -1;
        res->headers_sent = 1;
    }
    if (len == 0 || res->head_only || !status_has_body(res->status))
        return 0;
    if (req->minor_version >= 1) {
        if (buf_append_hex(&c->out, len) < 0 || buf_append(&c->out, "\r\n", 2) < 0 ||
            buf_append(&c->out, data, len) < 0 || buf_append(&c->out, "\r\n", 2) < 0)
            return -1;
    } else if (buf_append(&c->out, data, len) < 0) {
        return -1;
    }
    /* Stream for real: past 64 KiB of pending output, push it out before taking more. */
    if (c->out.len - c->out_sent > 65536)
        return conn_flush_blocking(c);
    return 0;
}

int response_finish(http_conn *c, http_response *res, const http_request *req)
{
    if (res->delay_ms > 0 && !c->hold_until && c->worker->nheld < c->worker->server->cfg.max_held) {
        c->hold_until = c->worker->now + res->delay_ms;
        c->worker->nheld++;
    }
    if (res->source == HTTP_SRC_CHUNKED) {
        if (!res->head_only && req->minor_version >= 1 && status_has_body(res->status) &&
            buf_append(&c->out, "0\r\n\r\n", 5) < 0)
            return -1;
        return c->close_after;
    }
    int closing = must_close(c, res, req);
    if (res->source == HTTP_SRC_FILE) {
        if (serialize_head(c, res, req, (long long)res->file_length, closing) < 0)
            return -1;
        if (res->head_only || !status_has_body(res->status) || res->file_length == 0) {
            close_fd:
            close(res->file_fd);
            res->file_fd = -1;
        } else {
            if (c->file_fd >= 0)
                goto close_fd; /* cannot happen: requests after a file wait for it */
            c->file_fd = res->file_fd;
            c->file_off = res->file_offset;
            c->file_left = res->file_length;
            res->file_fd = -1;
        }
        return closing;
    }
    long long len = status_has_body(res->status) ? (long long)res->body->len : 0;
    if (serialize_head(c, res, req, len, closing) < 0)
        return -1;
    if (!res->head_only && len > 0 && buf_append(&c->out, res->body->data, res->body->len) < 0)
        return -1;
    return closing;
}

int response_simple(http_conn *c, int status, int minor_version, int closing)
{
    http_worker *w = c->worker;
    http_response res;
    http_request req;
    memset(&req, 0, sizeof req);
    req.minor_version = minor_version;
    req.keep_alive = !closing;
    response_begin(&res, c, &w->res_head, &w->res_body, 0);
    res.status = status;
    res.close_after = closing;
    const char *reason = http_status_reason(status);
    if (status_has_body(status)) {
        http_response_header(&res, "Content-Type", "text/plain; charset=utf-8");
        buf_append_str(res.body, reason);
        buf_append(res.body, "\n", 1);
    }
    return response_finish(c, &res, &req);
}
