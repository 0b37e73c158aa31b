// Host fake of DeviceScript's devicescript.h, including devs_gc_stats() that
// patches/devicescript-gc-stats.patch adds.
#pragma once
#include <stdint.h>

#include "network/jd_network.h"

#define DEVS_PANIC_REBOOT 60000

typedef struct devs_ctx devs_ctx_t;
devs_ctx_t *devsmgr_get_ctx(void);
void devs_gc_stats(devs_ctx_t *ctx, uint32_t *free_bytes, uint32_t *min_free_bytes);

int devs_verify(const uint8_t *img, uint32_t size);
// weak in devsmgr.c; the runtime calls it from devs_panic() with the panic code (0: restart)
void devs_panic_handler(int exitcode);
int devsmgr_get_hash(uint8_t hash[JD_SHA256_HASH_BYTES]);
int devsmgr_deploy_start(uint32_t sz);
int devsmgr_deploy_write(const void *buf, unsigned size);
