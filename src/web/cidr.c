/* CIDR lists and the trusted-proxy rule for the client address (see cidr.h). Only proxies
 * listed by the operator are believed: a client cannot spoof its address by sending
 * X-Forwarded-For itself, because a direct peer that is not trusted is taken as it is. */
#include "web/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_addr(const char *s, cidr *c)
{
    memset(c, 0, sizeof *c);
    if (inet_pton(AF_INET, s, c->addr) == 1) {
        c->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, s, c->addr) == 1) {
        c->family = AF_INET6;
        /* An IPv4-mapped address is the IPv4 address. */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(c->addr, mapped, 12) == 0) {
            memmove(c->addr, c->addr + 12, 4);
            memset(c->addr + 4, 0, 12);
            c->family = AF_INET;
        }
        return 0;
    }
    return -1;
}

int cidr_parse(const char *s, cidr *out, char *why, size_t n)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    cidr c;
    if (alen >= sizeof addr)
        goto bad;
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    if (parse_addr(addr, &c) < 0 || strchr(addr, '%'))
        goto bad;
    int bits = c.family == AF_INET ? 32 : 128;
    c.prefix = bits;
    if (slash) {
        const char *p = slash + 1;
        int pfx = 0;
        if (!*p || strlen(p) > 3)
            goto bad_prefix;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                goto bad_prefix;
            pfx = pfx * 10 + (*p - '0');
        }
        if (pfx > bits)
            goto bad_prefix;
        c.prefix = pfx;
    }
    /* "10.0.0.1/8" is almost certainly a typo for a host or for 10.0.0.0/8: refuse it. */
    for (int b = c.prefix; b < bits; b++)
        if (c.addr[b / 8] & (0x80 >> (b % 8))) {
            if (why)
                snprintf(why, n, "host bits are set after the /%d prefix", c.prefix);
            return -1;
        }
    if (out)
        *out = c;
    return 0;
bad_prefix:
    if (why)
        snprintf(why, n, "the prefix length must be 0 to %d", bits);
    return -1;
bad:
    if (why)
        snprintf(why, n, "expected ADDRESS/PREFIX, e.g. 10.0.0.0/8 or fd00::/8");
    return -1;
}

int cidr_list_parse(cidr_list *l, const char *text, char *err, size_t errlen)
{
    l->items = NULL;
    l->count = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ' && *end != '\t')
            end++;
        char entry[64], why[96];
        size_t len = (size_t)(end - p);
        cidr c;
        if (len >= sizeof entry) {
            snprintf(why, sizeof why, "too long");
            goto bad;
        }
        memcpy(entry, p, len);
        entry[len] = '\0';
        if (cidr_parse(entry, &c, why, sizeof why) < 0)
            goto bad;
        cidr *items = realloc(l->items, (l->count + 1) * sizeof *items);
        if (!items) {
            snprintf(err, errlen, "out of memory");
            cidr_list_free(l);
            return -1;
        }
        l->items = items;
        l->items[l->count++] = c;
        p = end;
        continue;
    bad:
        snprintf(err, errlen, "'%.*s': %s", (int)(len > 60 ? 60 : len), p, why);
        cidr_list_free(l);
        return -1;
    }
    return 0;
}

void cidr_list_free(cidr_list *l)
{
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static int in_block(const cidr *block, const cidr *a)
{
    if (block->family != a->family)
        return 0;
    int full = block->prefix / 8, rest = block->prefix % 8;
    if (memcmp(block->addr, a->addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (block->addr[full] & mask) == (a->addr[full] & mask);
}

int cidr_list_contains(const cidr_list *l, const char *addr)
{
    cidr a;
    if (!l || parse_addr(addr, &a) < 0)
        return 0;
    for (size_t i = 0; i < l->count; i++)
        if (in_block(&l->items[i], &a))
            return 1;
    return 0;
}

void cidr_peer_text(const struct sockaddr_storage *ss, socklen_t len, char out[64])
{
    out[0] = '\0';
    if (!ss || len == 0)
        return;
    if (ss->ss_family == AF_INET) {
        /* by hand: inet_ntop formats IPv4 with sprintf, and this runs for every request */
        const uint8_t *b = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
        char *w = out;
        for (int i = 0; i < 4; i++) {
            if (b[i] >= 100)
                *w++ = (char)('0' + b[i] / 100);
            if (b[i] >= 10)
                *w++ = (char)('0' + b[i] / 10 % 10);
            *w++ = (char)('0' + b[i] % 10);
            *w++ = i < 3 ? '.' : '\0';
        }
    } else if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6))
            inet_ntop(AF_INET, &a6->s6_addr[12], out, 64);
        else
            inet_ntop(AF_INET6, a6, out, 64);
    }
}

/* Copies one list element (trimmed, brackets and port removed for Forwarded) into out. */
static int element_address(const char *s, size_t len, int forwarded, char out[64])
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (forwarded) {
        /* Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711" */
        const char *f = NULL;
        for (size_t i = 0; i + 4 <= len; i++)
            if ((i == 0 || s[i - 1] == ';' || s[i - 1] == ' ') && strncasecmp(s + i, "for=", 4) == 0) {
                f = s + i + 4;
                break;
            }
        if (!f)
            return -1;
        size_t flen = len - (size_t)(f - s);
        const char *semi = memchr(f, ';', flen);
        if (semi)
            flen = (size_t)(semi - f);
        if (flen >= 2 && f[0] == '"' && f[flen - 1] == '"') {
            f++;
            flen -= 2;
        }
        if (flen && f[0] == '[') {
            const char *rb = memchr(f, ']', flen);
            if (!rb)
                return -1;
            s = f + 1;
            len = (size_t)(rb - f - 1);
        } else {
            const char *colon = memchr(f, ':', flen);
            s = f;
            len = colon ? (size_t)(colon - f) : flen;
        }
    }
    if (len == 0 || len >= 64)
        return -1;
    memcpy(out, s, len);
    out[len] = '\0';
    cidr c;
    return parse_addr(out, &c);
}

static void copy_address(char out[64], const char *text)
{
    size_t n = strnlen(text, 63);
    memcpy(out, text, n);
    out[n] = '\0';
}

void cidr_client_address(const cidr_list *trusted, const char *peer, const char *forwarded,
                         const char *xff, char out[64])
{
    copy_address(out, peer);
    if (!trusted || trusted->count == 0 || !cidr_list_contains(trusted, peer))
        return;
    const char *list = forwarded ? forwarded : xff;
    if (!list)
        return;
    int is_forwarded = forwarded != NULL;
    /* Walk right to left: each hop was added by the proxy to its right. */
    size_t end = strlen(list);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && list[start - 1] != ',')
            start--;
        char addr[64];
        if (element_address(list + start, end - start, is_forwarded, addr) < 0)
            return; /* garbage: keep what we had */
        copy_address(out, addr);
        if (!cidr_list_contains(trusted, addr))
            return;
        end = start ? start - 1 : 0;
    }
}
