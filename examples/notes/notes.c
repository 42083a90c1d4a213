/* notes: a small notes application that shows every feature of mitsu, and the code that
 * docs/guide.md quotes. Run it from the repository root (the paths in notes.ini are relative to
 * the working directory):
 *
 *     make && build/examples/notes            # or: build/examples/notes path/to/notes.ini
 *
 * then open http://127.0.0.1:8080/ and log in as demo / demo-password.
 *
 * Storage is in memory behind one mutex: handlers run on several worker threads at once. */
#include <ctype.h>
#include <jansson.h>
#include <mitsu.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEMO_USER "demo"
#define DEMO_PASSWORD "demo-password"
#define MAX_NOTES 200
#define MAX_TITLE 200
#define MAX_BODY 8000
#define MAX_UPLOAD (256 * 1024) /* the upload route's body limit; [server] max_body is 16K */

/* ---- Storage ---------------------------------------------------------------------------- */

typedef struct note {
    int id;
    char *title, *body;
    time_t created;
    char *file_name, *file_data; /* the attachment, or NULL */
    size_t file_len;
    struct note *next; /* newest first */
} note;

static struct {
    pthread_mutex_t lock;
    note *head;
    int next_id, count;
} store = {PTHREAD_MUTEX_INITIALIZER, NULL, 1, 0};

static note *find_locked(int id)
{
    for (note *n = store.head; n; n = n->next)
        if (n->id == id)
            return n;
    return NULL;
}

static void note_free(note *n)
{
    free(n->title);
    free(n->body);
    free(n->file_name);
    free(n->file_data);
    free(n);
}

/* The new note's id, or -1 when the store is full or memory runs out. */
static int store_add(const char *title, const char *body)
{
    note *n = calloc(1, sizeof *n);
    if (!n || !(n->title = strdup(title)) || !(n->body = strdup(body))) {
        if (n)
            note_free(n);
        return -1;
    }
    n->created = time(NULL);
    pthread_mutex_lock(&store.lock);
    int id = -1;
    if (store.count < MAX_NOTES) {
        id = n->id = store.next_id++;
        n->next = store.head;
        store.head = n;
        store.count++;
    }
    pthread_mutex_unlock(&store.lock);
    if (id < 0)
        note_free(n);
    return id;
}

/* Replaces the title and body. 0, or -1 when the note does not exist (or out of memory). */
static int store_update(int id, const char *title, const char *body)
{
    char *t = strdup(title), *b = strdup(body);
    int rc = -1;
    pthread_mutex_lock(&store.lock);
    note *n = find_locked(id);
    if (n && t && b) {
        free(n->title);
        free(n->body);
        n->title = t;
        n->body = b;
        t = b = NULL;
        rc = 0;
    }
    pthread_mutex_unlock(&store.lock);
    free(t);
    free(b);
    return rc;
}

static int store_delete(int id)
{
    note *gone = NULL;
    pthread_mutex_lock(&store.lock);
    for (note **p = &store.head; *p; p = &(*p)->next)
        if ((*p)->id == id) {
            gone = *p;
            *p = gone->next;
            store.count--;
            break;
        }
    pthread_mutex_unlock(&store.lock);
    if (gone)
        note_free(gone);
    return gone ? 0 : -1;
}

static int store_attach(int id, const mitsu_upload *up)
{
    char *name = strdup(up->filename), *data = malloc(up->len ? up->len : 1);
    int rc = -1;
    if (name && data) {
        memcpy(data, up->data, up->len);
        pthread_mutex_lock(&store.lock);
        note *n = find_locked(id);
        if (n) {
            free(n->file_name);
            free(n->file_data);
            n->file_name = name;
            n->file_data = data;
            n->file_len = up->len;
            name = data = NULL;
            rc = 0;
        }
        pthread_mutex_unlock(&store.lock);
    }
    free(name);
    free(data);
    return rc;
}

static void store_free(void)
{
    while (store.head) {
        note *n = store.head;
        store.head = n->next;
        note_free(n);
    }
}

/* A note as JSON, for templates and for the API. Call with the lock held. */
static json_t *note_json_locked(const note *n)
{
    char created[32];
    struct tm tm;
    gmtime_r(&n->created, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *j = json_pack("{s:i, s:s, s:s, s:s}", "id", n->id, "title", n->title, "body",
                          n->body, "created", created);
    if (j && n->file_name)
        json_object_set_new(j, "attachment",
                            json_pack("{s:s, s:I}", "name", n->file_name, "size",
                                      (json_int_t)n->file_len));
    return j;
}

/* The note with that id as JSON (a copy: the lock is released), or NULL. */
static json_t *store_get(int id)
{
    pthread_mutex_lock(&store.lock);
    const note *n = find_locked(id);
    json_t *j = n ? note_json_locked(n) : NULL;
    pthread_mutex_unlock(&store.lock);
    return j;
}

/* Every note whose title or body contains q (case-insensitive; NULL or "" for all). */
static json_t *store_search(const char *q)
{
    json_t *list = json_array();
    pthread_mutex_lock(&store.lock);
    for (const note *n = store.head; n && list; n = n->next)
        if (!q || !*q || strcasestr(n->title, q) || strcasestr(n->body, q))
            json_array_append_new(list, note_json_locked(n));
    pthread_mutex_unlock(&store.lock);
    return list;
}

/* ---- Helpers ---------------------------------------------------------------------------- */

/* Equal strings, in a time that depends only on the length of the secret b. */
static int secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = la != lb;
    for (size_t i = 0; i < lb; i++)
        diff |= (unsigned char)a[la ? i % la : 0] ^ (unsigned char)b[i];
    return diff == 0;
}

/* The route's :id as a positive number, or -1. */
static int note_id(mitsu_req *req)
{
    const char *s = mitsu_param(req, "id");
    if (!s || !*s || strlen(s) > 9 || strspn(s, "0123456789") != strlen(s))
        return -1;
    int id = atoi(s);
    return id > 0 ? id : -1;
}

/* Text the store accepts: present, at most max bytes, valid UTF-8 (jansson checks it). */
static int valid_text(const char *s, size_t max)
{
    json_t *j = s && strlen(s) <= max ? json_string(s) : NULL;
    json_decref(j);
    return j != NULL;
}

/* A redirect target from a form or query field: a local path only ("/x", not "//evil.example"),
 * and nothing a header cannot carry. */
static const char *local_path(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\')
        return "/notes";
    for (const unsigned char *p = (const unsigned char *)next; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return "/notes";
    return next;
}

/* Sets ctx[key] to a string when there is one; text that is not UTF-8 is left out. */
static void set_text(json_t *ctx, const char *key, const char *value)
{
    if (value)
        json_object_set_new(ctx, key, json_string(value)); /* json_string(bad UTF-8) is NULL */
}

/* A one-time message for the next page, in a signed cookie: the client cannot forge one. */
static void set_flash(mitsu_res *res, const char *message)
{
    mitsu_cookie_opts opts = {.max_age = 60, .http_only = 1, .same_site = MITSU_SAMESITE_LAX};
    mitsu_set_signed_cookie(res, "flash", message, &opts);
}

/* What every page's header needs: title, user, theme, flash message. */
static json_t *page_ctx(mitsu_req *req, mitsu_res *res, const char *title)
{
    json_t *ctx = json_pack("{s:s}", "title", title);
    if (!ctx)
        return NULL;
    set_text(ctx, "user", mitsu_session_get(req, "user")); /* NULL: not logged in */
    const char *theme = mitsu_cookie(req, "theme"); /* a plain cookie: check what it holds */
    json_object_set_new(ctx, "theme", json_string(theme && !strcmp(theme, "dark") ? "dark"
                                                                                  : "light"));
    if (mitsu_cookie(req, "flash")) {
        const char *flash = mitsu_signed_cookie(req, "flash", 60); /* NULL if altered or old */
        if (flash)
            json_object_set_new(ctx, "flash", json_string(flash));
        mitsu_delete_cookie(res, "flash");
    }
    return ctx;
}

/* Renders a template and releases its context. */
static int render(mitsu_res *res, int status, const char *name, json_t *ctx)
{
    if (!ctx)
        return -1;
    int rc = mitsu_render(res, status, name, ctx);
    json_decref(ctx);
    return rc;
}

static int redirect_to_note(mitsu_req *req, mitsu_res *res, int id)
{
    char *where = mitsu_alloc(req, 32);
    if (!where)
        return -1;
    snprintf(where, 32, "/notes/%d", id);
    return mitsu_redirect(res, 303, where);
}

/* ---- Hooks ------------------------------------------------------------------------------ */

/* A handler runs wholly on one worker thread, so a thread-local carries the start time from
 * the first before hook to the after hook. */
static _Thread_local struct timespec request_start;
static atomic_ulong status_counts[6]; /* [1] = 1xx ... [5] = 5xx */

static int start_clock(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    (void)res;
    clock_gettime(CLOCK_MONOTONIC, &request_start);
    return MITSU_NEXT;
}

/* Old links /old/notes/ID keep working: the path is rewritten before routing. */
static int legacy_paths(mitsu_req *req, mitsu_res *res)
{
    (void)res;
    const char *path = mitsu_req_path(req);
    if (strncmp(path, "/old/notes/", 11) == 0) {
        char *fresh = mitsu_alloc(req, strlen(path) + 1);
        if (!fresh)
            return -1;
        sprintf(fresh, "/notes/%s", path + 11);
        if (mitsu_rewrite(req, fresh) < 0)
            return -1;
    }
    return MITSU_NEXT;
}

static int under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* /notes... and /api... need a logged-in user: pages redirect to the login form, the API
 * answers 401. Runs after legacy_paths, so it sees the rewritten path. */
static int require_login(mitsu_req *req, mitsu_res *res)
{
    const char *path = mitsu_req_path(req); /* the same bytes the router matches */
    int api = under(path, "/api");
    if (!api && !under(path, "/notes"))
        return MITSU_NEXT;
    if (mitsu_session_get(req, "user"))
        return MITSU_NEXT;
    if (mitsu_req_tampered(req))
        fprintf(stderr, "notes: altered session cookie from %s\n", mitsu_client_ip(req));
    if (api) {
        json_t *err = json_pack("{s:s}", "error", "login required");
        int rc = mitsu_json(res, 401, err);
        json_decref(err);
        return rc < 0 ? -1 : MITSU_DONE;
    }
    /* /login?next=PATH, with PATH percent-encoded so that it survives as one query value. */
    char *loc = mitsu_alloc(req, sizeof "/login?next=" + 3 * strlen(path));
    if (!loc)
        return -1;
    char *o = loc + sprintf(loc, "/login?next=");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("/-._~", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    return mitsu_redirect(res, 303, loc) < 0 ? -1 : MITSU_DONE;
}

/* After every response, errors included: timing and a header for all. */
static int stamp(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long us = (now.tv_sec - request_start.tv_sec) * 1000000L +
              (now.tv_nsec - request_start.tv_nsec) / 1000;
    char value[32];
    snprintf(value, sizeof value, "%ldus", us);
    mitsu_header(res, "X-Request-Time", value);
    mitsu_header(res, "X-Content-Type-Options", "nosniff");
    int status = mitsu_res_status(res);
    if (status >= 100 && status <= 599)
        atomic_fetch_add(&status_counts[status / 100], 1);
    return 0;
}

/* ---- Pages ------------------------------------------------------------------------------ */

static int home(mitsu_req *req, mitsu_res *res)
{
    return render(res, 200, "home", page_ctx(req, res, "Welcome"));
}

static int login_form(mitsu_req *req, mitsu_res *res)
{
    json_t *ctx = page_ctx(req, res, "Log in");
    set_text(ctx, "next", local_path(mitsu_query(req, "next")));
    return render(res, 200, "login", ctx);
}

static int login(mitsu_req *req, mitsu_res *res)
{
    const char *user = mitsu_form(req, "username");
    const char *password = mitsu_form(req, "password");
    const char *next = local_path(mitsu_form(req, "next"));
    /* Both comparisons always run (&, not &&): the time taken does not tell which was wrong. */
    if (user && password &&
        (secret_equal(user, DEMO_USER) & secret_equal(password, DEMO_PASSWORD))) {
        mitsu_session_clear(req); /* a fresh session at each login */
        if (mitsu_session_set(req, "user", user) < 0)
            return -1;
        return mitsu_redirect(res, 303, next);
    }
    json_t *ctx = page_ctx(req, res, "Log in");
    set_text(ctx, "error", "Wrong user name or password.");
    set_text(ctx, "next", next);
    set_text(ctx, "username", user);
    return render(res, 403, "login", ctx);
}

static int logout(mitsu_req *req, mitsu_res *res)
{
    mitsu_session_clear(req); /* the response deletes the session cookie */
    return mitsu_redirect(res, 303, "/login");
}

/* The theme is a plain cookie: a preference, nothing to protect, readable by scripts. */
static int set_theme(mitsu_req *req, mitsu_res *res)
{
    const char *theme = mitsu_form(req, "theme");
    if (!theme || (strcmp(theme, "light") != 0 && strcmp(theme, "dark") != 0))
        return mitsu_abort(res, 400);
    mitsu_cookie_opts opts = {.max_age = 365 * 24 * 3600, .same_site = MITSU_SAMESITE_LAX};
    if (mitsu_set_cookie(res, "theme", theme, &opts) < 0)
        return -1;
    return mitsu_redirect(res, 303, "/");
}

static int notes_index(mitsu_req *req, mitsu_res *res)
{
    const char *q = mitsu_query(req, "q"); /* /notes?q=word */
    json_t *ctx = page_ctx(req, res, "Notes");
    json_object_set_new(ctx, "notes", store_search(q));
    set_text(ctx, "q", q);
    return render(res, 200, "notes", ctx);
}

static int note_show(mitsu_req *req, mitsu_res *res)
{
    json_t *n = store_get(note_id(req));
    if (!n)
        return mitsu_abort(res, 404); /* the error handler renders error.html */
    json_t *ctx = page_ctx(req, res, json_string_value(json_object_get(n, "title")));
    json_object_set(ctx, "note", n);
    json_decref(n);
    return render(res, 200, "note", ctx);
}

/* The form for a new note and for an edit; status 422 when it comes back with an error. */
static int note_form(mitsu_req *req, mitsu_res *res, int status, int id, const char *title,
                     const char *body, const char *error)
{
    json_t *ctx = page_ctx(req, res, id ? "Edit note" : "New note");
    char action[48];
    if (id)
        snprintf(action, sizeof action, "/notes/%d/edit", id);
    else
        snprintf(action, sizeof action, "/notes");
    set_text(ctx, "action", action);
    set_text(ctx, "note_title", title); /* what was typed comes back, escaped by the template */
    set_text(ctx, "note_body", body);
    set_text(ctx, "error", error);
    return render(res, status, "form", ctx);
}

static int note_new(mitsu_req *req, mitsu_res *res)
{
    return note_form(req, res, 200, 0, "", "", NULL);
}

static const char *check_note(const char *title, const char *body)
{
    if (!title || !*title)
        return "A note needs a title.";
    if (!valid_text(title, MAX_TITLE) || !valid_text(body ? body : "", MAX_BODY))
        return "Title or text too long, or not UTF-8.";
    return NULL;
}

static int note_create(mitsu_req *req, mitsu_res *res)
{
    const char *title = mitsu_form(req, "title"), *body = mitsu_form(req, "body");
    const char *error = check_note(title, body);
    if (error)
        return note_form(req, res, 422, 0, title, body, error);
    int id = store_add(title, body ? body : "");
    if (id < 0)
        return mitsu_abort(res, 503);
    set_flash(res, "Note created.");
    return redirect_to_note(req, res, id); /* 303: the browser GETs the new note */
}

static int note_edit(mitsu_req *req, mitsu_res *res)
{
    int id = note_id(req);
    json_t *n = store_get(id);
    if (!n)
        return mitsu_abort(res, 404);
    int rc = note_form(req, res, 200, id, json_string_value(json_object_get(n, "title")),
                       json_string_value(json_object_get(n, "body")), NULL);
    json_decref(n);
    return rc;
}

static int note_update(mitsu_req *req, mitsu_res *res)
{
    int id = note_id(req);
    const char *title = mitsu_form(req, "title"), *body = mitsu_form(req, "body");
    const char *error = check_note(title, body);
    if (error)
        return note_form(req, res, 422, id, title, body, error);
    if (store_update(id, title, body ? body : "") < 0)
        return mitsu_abort(res, 404);
    set_flash(res, "Note saved.");
    return redirect_to_note(req, res, id);
}

static int note_delete(mitsu_req *req, mitsu_res *res)
{
    if (store_delete(note_id(req)) < 0)
        return mitsu_abort(res, 404);
    set_flash(res, "Note deleted.");
    return mitsu_redirect(res, 303, "/notes");
}

/* POST /notes/:id/attachment, multipart/form-data with a "file" field. Registered with its own
 * body limit (MAX_UPLOAD); a larger body is refused with 413 before this runs. */
static int note_attach(mitsu_req *req, mitsu_res *res)
{
    int id = note_id(req);
    const mitsu_upload *up = mitsu_file(req, "file");
    if (!up || !up->filename[0])
        return mitsu_abort(res, 400);
    if (store_attach(id, up) < 0)
        return mitsu_abort(res, 404);
    set_flash(res, "File attached.");
    return redirect_to_note(req, res, id);
}

/* The attachment goes back as a download, whatever type the uploader claimed. */
static int note_attachment(mitsu_req *req, mitsu_res *res)
{
    int id = note_id(req), found = 0;
    char *data = NULL, *disposition = NULL;
    size_t len = 0;
    pthread_mutex_lock(&store.lock); /* copy out: another thread may replace it once unlocked */
    const note *n = find_locked(id);
    if (n && n->file_name) {
        found = 1;
        len = n->file_len;
        data = mitsu_alloc(req, len + 1);
        disposition = mitsu_alloc(req, strlen(n->file_name) + 32);
        if (data && disposition) {
            memcpy(data, n->file_data, len);
            char *o = disposition + sprintf(disposition, "attachment; filename=\"");
            for (const char *p = n->file_name; *p; p++) /* no quotes or controls in a header */
                *o++ = strchr("\"\\", *p) || (unsigned char)*p < 0x20 || *p == 0x7f ? '_' : *p;
            strcpy(o, "\"");
        }
    }
    pthread_mutex_unlock(&store.lock);
    if (!found)
        return mitsu_abort(res, 404);
    if (!data || !disposition)
        return -1;
    mitsu_header(res, "Content-Disposition", disposition);
    return mitsu_send(res, 200, "application/octet-stream", data, len);
}

/* /help, /help/ and /help/ANY/THING: a wildcard takes the rest of the path, slashes included. */
static const struct {
    const char *topic, *title, *text;
} help_topics[] = {
    {"search", "Searching", "Type a word in the search box: notes whose title or text holds it "
                            "are listed (/notes?q=word)."},
    {"attachments", "Attachments", "Each note can carry one file of up to 256 KiB."},
    {"api/json", "JSON API", "GET /api/notes lists the notes; POST /api/notes with "
                             "{\"title\": ..., \"body\": ...} creates one."},
};

static int help(mitsu_req *req, mitsu_res *res)
{
    const char *topic = mitsu_param(req, "topic"); /* NULL on /help, "" on /help/ */
    json_t *ctx = page_ctx(req, res, "Help");
    json_t *topics = json_array();
    int found = !topic || !*topic;
    for (size_t i = 0; i < sizeof help_topics / sizeof help_topics[0]; i++) {
        json_array_append_new(topics, json_pack("{s:s, s:s}", "topic", help_topics[i].topic,
                                                "title", help_topics[i].title));
        if (topic && strcmp(topic, help_topics[i].topic) == 0) {
            found = 1;
            json_object_update_new(ctx, json_pack("{s:s, s:s}", "heading", help_topics[i].title,
                                                  "text", help_topics[i].text));
        }
    }
    json_object_set_new(ctx, "topics", topics);
    if (!found) {
        json_decref(ctx);
        return mitsu_abort(res, 404);
    }
    return render(res, 200, "help", ctx);
}

/* A handler that fails: -1 makes mitsu answer 500, through the 500 error handler. */
static int boom(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    (void)res;
    return -1;
}

/* ---- JSON API --------------------------------------------------------------------------- */

static int api_error(mitsu_res *res, int status, const char *message)
{
    json_t *err = json_pack("{s:s}", "error", message);
    int rc = mitsu_json(res, status, err);
    json_decref(err);
    return rc;
}

static int api_list(mitsu_req *req, mitsu_res *res)
{
    json_t *doc = json_pack("{s:o}", "notes", store_search(mitsu_query(req, "q")));
    int rc = mitsu_json(res, 200, doc);
    json_decref(doc);
    return rc;
}

static int api_create(mitsu_req *req, mitsu_res *res)
{
    const char *type = mitsu_req_header(req, "Content-Type");
    if (!type || strncasecmp(type, "application/json", 16) != 0)
        return api_error(res, 415, "send application/json");
    json_t *in = mitsu_json_body(req); /* NULL: not JSON; borrowed, freed with the request */
    const char *title = json_string_value(json_object_get(in, "title"));
    json_t *body = json_object_get(in, "body");
    if (!json_is_object(in) || !title || (body && !json_is_string(body)))
        return api_error(res, 400, "expected {\"title\": string, \"body\": string}");
    const char *error = check_note(title, body ? json_string_value(body) : "");
    if (error)
        return api_error(res, 422, error);
    int id = store_add(title, body ? json_string_value(body) : "");
    json_t *out = id < 0 ? NULL : store_get(id);
    if (!out)
        return api_error(res, 503, "the store is full");
    char location[32];
    snprintf(location, sizeof location, "/notes/%d", id);
    mitsu_header(res, "Location", location);
    int rc = mitsu_json(res, 201, out);
    json_decref(out);
    return rc;
}

static int api_stats(mitsu_req *req, mitsu_res *res)
{
    (void)req;
    json_t *doc = json_pack("{s:I, s:I, s:I, s:I, s:I}", "1xx",
                            (json_int_t)atomic_load(&status_counts[1]), "2xx",
                            (json_int_t)atomic_load(&status_counts[2]), "3xx",
                            (json_int_t)atomic_load(&status_counts[3]), "4xx",
                            (json_int_t)atomic_load(&status_counts[4]), "5xx",
                            (json_int_t)atomic_load(&status_counts[5]));
    int rc = mitsu_json(res, 200, doc);
    json_decref(doc);
    return rc;
}

/* ---- Errors ----------------------------------------------------------------------------- */

/* One page for every error status; mitsu_res_status() tells which. If rendering fails, mitsu
 * falls back to its plain page. */
static int error_page(mitsu_req *req, mitsu_res *res)
{
    int status = mitsu_res_status(res);
    const char *message = status == 400   ? "That request did not make sense."
                          : status == 403 ? "That is not yours to see."
                          : status == 404 ? "There is nothing here."
                          : status == 405 ? "That method is not allowed here."
                                          : "Something went wrong on our side.";
    json_t *ctx = page_ctx(req, res, "Error");
    json_object_set_new(ctx, "status", json_integer(status));
    set_text(ctx, "message", message);
    return render(res, status, "error", ctx);
}

/* ---- Set-up ----------------------------------------------------------------------------- */

static const struct {
    const char *method, *path;
    mitsu_handler handler;
} routes[] = {
    {"GET", "/", home},
    {"GET", "/login", login_form},
    {"POST", "/login", login},
    {"POST", "/logout", logout},
    {"POST", "/preferences", set_theme},
    {"GET", "/notes", notes_index},
    {"POST", "/notes", note_create},
    {"GET", "/notes/new", note_new}, /* static text beats the :id parameter */
    {"GET", "/notes/:id", note_show},
    {"GET", "/notes/:id/edit", note_edit},
    {"POST", "/notes/:id/edit", note_update},
    {"POST", "/notes/:id/delete", note_delete},
    {"GET", "/notes/:id/attachment", note_attachment},
    {"GET", "/help", help},
    {"GET", "/help/*topic", help},
    {"GET", "/api/notes", api_list},
    {"POST", "/api/notes", api_create},
    {"GET", "/api/stats", api_stats},
    {"GET", "/boom", boom},
};

static int setup(mitsu_app *app)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (mitsu_route(app, routes[i].method, routes[i].path, routes[i].handler) < 0)
            return -1;
    /* Uploads get a larger body limit than the [server] max_body every other route has. */
    mitsu_route_opts upload = {.max_body = MAX_UPLOAD};
    if (mitsu_route_ex(app, "POST", "/notes/:id/attachment", note_attach, &upload) < 0)
        return -1;
    /* Before hooks run in this order: the clock first, the rewrite before the login check so
     * that /old/notes/1 is checked as /notes/1. */
    if (mitsu_hook(app, MITSU_BEFORE_REQUEST, start_clock) < 0 ||
        mitsu_hook(app, MITSU_BEFORE_REQUEST, legacy_paths) < 0 ||
        mitsu_hook(app, MITSU_BEFORE_REQUEST, require_login) < 0 ||
        mitsu_hook(app, MITSU_AFTER_REQUEST, stamp) < 0)
        return -1;
    static const int errors[] = {400, 403, 404, 405, 500, 503};
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (mitsu_error_handler(app, errors[i], error_page) < 0)
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    /* The [app] templates and static paths in the file are relative to the working directory. */
    mitsu_app *app = mitsu_app_new(argc > 1 ? argv[1] : "examples/notes/notes.ini");
    if (!app)
        return 2; /* the problems are on stderr */
    if (setup(app) < 0 || store_add("Welcome", "This is your first note. Edit it, search it, "
                                               "attach a file to it.") < 0) {
        mitsu_app_free(app);
        return 2;
    }
    int rc = mitsu_run(app); /* until SIGTERM or SIGINT */
    mitsu_app_free(app);
    store_free();
    return rc;
}
