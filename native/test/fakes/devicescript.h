// Host fake of DeviceScript's devicescript.h, including devs_gc_stats() that
// patches/devicescript-gc-stats.patch adds.
#pragma once
#include <stdint.h>
typedef struct devs_ctx devs_ctx_t;
devs_ctx_t *devsmgr_get_ctx(void);
void devs_gc_stats(devs_ctx_t *ctx, uint32_t *free_bytes, uint32_t *min_free_bytes);
