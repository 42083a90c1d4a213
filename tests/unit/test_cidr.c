/* Specification of src/web/cidr.c: CIDR lists and the client address behind trusted proxies. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include "web/cidr.h"

static cidr_list parse(const char *text)
{
    cidr_list l;
    char err[128];
    cr_assert_eq(cidr_list_parse(&l, text, err, sizeof err), 0, "%s", err);
    return l;
}

Test(cidr, ipv4_blocks_and_hosts)
{
    cidr_list l = parse("10.0.0.0/8, 192.168.1.7");
    cr_assert(cidr_list_contains(&l, "10.20.30.40"));
    cr_assert(cidr_list_contains(&l, "192.168.1.7"));
    cr_assert_not(cidr_list_contains(&l, "192.168.1.8"));
    cr_assert_not(cidr_list_contains(&l, "11.0.0.1"));
    cidr_list_free(&l);
}

Test(cidr, odd_prefixes)
{
    cidr_list l = parse("172.16.0.0/12");
    cr_assert(cidr_list_contains(&l, "172.31.255.255"));
    cr_assert_not(cidr_list_contains(&l, "172.32.0.0"));
    cidr_list_free(&l);
}

Test(cidr, ipv6_and_mapped_ipv4)
{
    cidr_list l = parse("::1, 2001:db8::/32, 127.0.0.0/8");
    cr_assert(cidr_list_contains(&l, "::1"));
    cr_assert(cidr_list_contains(&l, "2001:db8:1::5"));
    cr_assert(cidr_list_contains(&l, "::ffff:127.0.0.1"), "mapped IPv4 matches IPv4 blocks");
    cr_assert_not(cidr_list_contains(&l, "2001:db9::1"));
    cidr_list_free(&l);
}

Test(cidr, bad_entries_are_errors_naming_them)
{
    cidr_list l;
    char err[128];
    cr_assert_eq(cidr_list_parse(&l, "10.0.0.0/8, 10.0.0.0/33", err, sizeof err), -1);
    cr_assert(strstr(err, "10.0.0.0/33"));
    cr_assert_eq(cidr_list_parse(&l, "example.com", err, sizeof err), -1);
    cr_assert_eq(cidr_list_parse(&l, "1.2.3.4/", err, sizeof err), -1);
}

Test(cidr, untrusted_peer_is_the_client_whatever_it_claims)
{
    cidr_list l = parse("10.0.0.1");
    char out[64];
    cidr_client_address(&l, "203.0.113.9", NULL, "1.1.1.1", out);
    cr_assert_str_eq(out, "203.0.113.9");
    cidr_list_free(&l);
}

Test(cidr, trusted_proxy_gives_rightmost_untrusted_forwarded_for)
{
    cidr_list l = parse("10.0.0.0/8");
    char out[64];
    /* The client put a fake first entry; the proxy appended the real one. */
    cidr_client_address(&l, "10.0.0.1", NULL, "6.6.6.6, 198.51.100.4, 10.0.0.2", out);
    cr_assert_str_eq(out, "198.51.100.4");
    cidr_list_free(&l);
}

Test(cidr, forwarded_header_with_ports_quotes_and_ipv6)
{
    cidr_list l = parse("10.0.0.0/8");
    char out[64];
    cidr_client_address(&l, "10.0.0.1", "for=192.0.2.60;proto=http, for=\"[2001:db8::1]:4711\"",
                        NULL, out);
    cr_assert_str_eq(out, "2001:db8::1");
    cidr_list_free(&l);
}

Test(cidr, garbage_in_the_header_keeps_the_peer)
{
    cidr_list l = parse("10.0.0.0/8");
    char out[64];
    cidr_client_address(&l, "10.0.0.1", NULL, "not-an-ip", out);
    cr_assert_str_eq(out, "10.0.0.1");
    cidr_list_free(&l);
}

Test(cidr, host_bits_after_the_prefix_are_refused)
{
    char why[96];
    cr_assert_eq(cidr_parse("10.0.0.1/8", NULL, why, sizeof why), -1);
    cr_assert_str_eq(why, "host bits are set after the /8 prefix");
    cr_assert_eq(cidr_parse("0.0.0.0/0", NULL, why, sizeof why), 0);
    cr_assert_eq(cidr_parse("::/129", NULL, why, sizeof why), -1);
    cr_assert_str_eq(why, "the prefix length must be 0 to 128");
}

Test(cidr, odd_ipv4_prefix_boundaries)
{
    cidr_list l = parse("192.168.0.0/23");
    cr_assert(cidr_list_contains(&l, "192.168.1.200"));
    cr_assert_not(cidr_list_contains(&l, "192.168.2.1"));
    cr_assert(cidr_list_contains(&l, "::ffff:192.168.0.9"));
    cidr_list_free(&l);
}

Test(cidr, peer_text_of_ipv4_and_ipv6)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    v4->sin_family = AF_INET;
    char out[64];
    const char *cases[] = {"0.0.0.0", "127.0.0.1", "10.200.9.255", "192.168.100.20"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        inet_pton(AF_INET, cases[i], &v4->sin_addr);
        cidr_peer_text(&ss, sizeof *v4, out);
        cr_assert_str_eq(out, cases[i]);
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    memset(&ss, 0, sizeof ss);
    v6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &v6->sin6_addr);
    cidr_peer_text(&ss, sizeof *v6, out);
    cr_assert_str_eq(out, "192.0.2.7", "a mapped IPv4 peer reads as IPv4");
    inet_pton(AF_INET6, "2001:db8::1", &v6->sin6_addr);
    cidr_peer_text(&ss, sizeof *v6, out);
    cr_assert_str_eq(out, "2001:db8::1");
}
