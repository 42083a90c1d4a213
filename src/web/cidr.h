/* CIDR lists ("10.0.0.0/8, ::1") and the client address behind trusted proxies. */
#ifndef MITSU_WEB_CIDR_H
#define MITSU_WEB_CIDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct cidr {
    int family;          /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int prefix;
} cidr;

typedef struct cidr_list {
    cidr *items;
    size_t count;
} cidr_list;

/* One block: "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128). Host bits after the
 * prefix must be zero. 0, or -1 with the reason in why (may be NULL). out may be NULL. */
int cidr_parse(const char *s, cidr *out, char *why, size_t n);

/* Parses a comma-separated list; an address without "/N" is a single host. IPv4-mapped IPv6
 * peers match IPv4 entries. 0, or -1 with a message naming the bad entry. */
int cidr_list_parse(cidr_list *l, const char *text, char *err, size_t errlen);
void cidr_list_free(cidr_list *l);

/* Whether the textual address (IPv4 or IPv6) lies in the list. */
int cidr_list_contains(const cidr_list *l, const char *addr);

/* The peer as text ("192.0.2.1", "2001:db8::1"; IPv4-mapped shown as IPv4); "" if unknown. */
void cidr_peer_text(const struct sockaddr_storage *ss, socklen_t len, char out[64]);

/* The client's address: the peer, unless the peer is a trusted proxy; then the right-most
 * address of X-Forwarded-For (or Forwarded "for=") that is not itself a trusted proxy. A header
 * that cannot be parsed leaves the peer's address. forwarded/xff may be NULL. */
void cidr_client_address(const cidr_list *trusted, const char *peer, const char *forwarded,
                         const char *xff, char out[64]);

#endif
