// Memory headroom for the service: DeviceScript's GC heap and the ESP-IDF system heap.
#pragma once

#include <stdint.h>

typedef struct {
    uint32_t gc_free;
    uint32_t gc_min_free;
    uint32_t heap_free;
    uint32_t heap_min_free;
} heap_stats_t;

void heap_stats_read(heap_stats_t *out);
