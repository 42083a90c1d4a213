/* SipHash-1-3: a keyed hash for tables whose keys an attacker chooses (addresses, paths, user
 * names), so that nobody can make entries collide without the random key. */
#ifndef MITSU_BASE_SIPHASH_H
#define MITSU_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash13(const uint64_t key[2], const void *data, size_t len);

#endif
