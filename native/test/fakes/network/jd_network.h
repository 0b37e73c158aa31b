// Host fake of DeviceScript's network/jd_network.h: its one-context SHA-256 calls.
#pragma once
#include <stdint.h>

#define JD_SHA256_HASH_BYTES 32
void jd_sha256_setup(void);
void jd_sha256_update(const void *buf, unsigned size);
void jd_sha256_finish(uint8_t hash[JD_SHA256_HASH_BYTES]);
