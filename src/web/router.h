/* The router: maps a method and a request path to a handler, its per-route options and the path's
 * parameters, through a radix tree built before the server starts and only read afterwards. */
#ifndef MITSU_WEB_ROUTER_H
#define MITSU_WEB_ROUTER_H

#include <stddef.h>
#include <stdint.h>

// Patterns (in line comments: the examples would trip -Wcomment inside a block comment)
//   "/users/:id/posts/:post"  a parameter is a whole segment ":name" and never matches an empty one
//   "/static/*path"           a wildcard is the last segment "*name" (or a bare "*"): the rest of
//                             the path, slashes included, possibly empty. "/static" is not matched.
// Names are letters, digits and '_'. Static text is RFC 3986 pchar ('%' followed by two hex
// digits); a ':' or '*' inside a segment is ordinary text ("/v1/items:batch").
// Paths are matched byte for byte, as sent: "%2F" is not "/" and "%7e" is not "%7E"; parameter
// values are still percent-encoded (decoding is the caller's job). "/a" and "/a/" are different
// paths. "//" is refused in a pattern, so a path holding "//" can only fall into a wildcard.
//
// Precedence, segment by segment with backtracking: static text beats a parameter, which beats a
// wildcard; a route whose method does not fit is skipped in favour of the next candidate.
// Within one pattern, the exact method wins over GET for a HEAD request, which wins over "*".

#define ROUTE_MAX_PARAMS 16  /* parameters and named wildcard of one pattern; more is refused */
#define ROUTE_MAX_METHODS 64 /* distinct method names in one router (the Allow-list bitmask) */

typedef enum route_result {
    ROUTE_MATCH = 0,          /* m holds the handler, options and parameters */
    ROUTE_PATH_NOT_FOUND,     /* no pattern matches the path: 404 */
    ROUTE_METHOD_NOT_ALLOWED, /* some pattern matches the path, none with this method: 405, or the
                                 answer to OPTIONS; router_allowed() gives the Allow list */
    ROUTE__MAX
} route_result;

/* Copied by router_add; the copy lives as long as the router. */
typedef struct route_options {
    uint64_t max_body; /* request body limit for this route; 0 = the server's default */
    void *user;        /* for the layer above (declared parameters, flows...); never touched here */
} route_options;

typedef struct route_param {
    const char *name;  /* NUL-terminated, owned by the router */
    const char *value; /* points into the matched path: not NUL-terminated, still percent-encoded */
    size_t value_len;
} route_param;

typedef struct route_match {
    void *handler;
    const route_options *opts; /* never NULL on a match; owned by the router */
    const char *pattern;       /* the pattern as registered, for logs; owned by the router */
    const char *method;        /* the registered method that accepted it: "GET", "*"... */
    size_t nparams;
    route_param params[ROUTE_MAX_PARAMS]; /* in pattern order; a bare "*" is not listed */
} route_match;

typedef struct router router;

/* NULL when out of memory. */
router *router_new(void);
void router_free(router *r);

/* Adds a route. method is an RFC 9110 token, case-sensitive ("GET", "PROPFIND"...) or "*" for any
 * method; handler must not be NULL; opts may be NULL (all zeros). 0 on success; -1 with a message
 * in err (when err is not NULL) for a bad method or pattern, a parameter or wildcard whose name
 * differs from the one already at the same position ("/u/:id" then "/u/:name"), the same method
 * and pattern twice, too many methods, or no memory. A refused pattern leaves the router as it was
 * (after an out-of-memory failure it may hold empty nodes, which match nothing).
 * Not thread-safe: build the router before the server starts. */
int router_add(router *r, const char *method, const char *pattern, void *handler,
               const route_options *opts, char *err, size_t errlen);

/* Looks up a request. method and path are byte slices (not NUL-terminated); the path is without
 * its query. HEAD falls back to GET routes. Never allocates, never blocks, safe from any number of
 * threads at once once the router is built. The parameters point into path. */
route_result router_match(const router *r, const char *method, size_t method_len,
                          const char *path, size_t path_len, route_match *m);

/* The Allow header value for a path (RFC 9110 §10.2.1): the methods of every route matching it,
 * known methods first in a fixed order ("GET, HEAD, POST, PUT, PATCH, DELETE"; HEAD whenever GET
 * is there), others in order of registration, "OPTIONS" last; a "*" route contributes the six
 * common methods. Writes at most len bytes with a NUL, like snprintf, and returns the full length
 * (so >= len means truncated); 0 and "" when no route matches the path. */
size_t router_allowed(const router *r, const char *path, size_t path_len, char *buf, size_t len);

/* The parameter called name in a match, or NULL. */
const route_param *route_match_param(const route_match *m, const char *name);

#endif
