#include "heap_stats.h"

#include "esp_heap_caps.h"
#include "devicescript.h"

void heap_stats_read(heap_stats_t *out) {
    // devs_gc_stats() comes from patches/devicescript-gc-stats.patch: the runtime keeps its
    // GC heap private and has no other way to report it
    devs_gc_stats(devsmgr_get_ctx(), &out->gc_free, &out->gc_min_free);
    out->heap_free = (uint32_t)heap_caps_get_free_size(MALLOC_CAP_8BIT);
    out->heap_min_free = (uint32_t)heap_caps_get_minimum_free_size(MALLOC_CAP_8BIT);
}
