// Room in jacdac-c's fstor for a staged image (pure; see README.md, "Capacity").
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define FSTOR_PROG_HEADER 128 // devsmgr.c's header in front of the image in "*prog"

// where a large setting sits, in data pages; pages == 0: it does not exist
typedef struct {
    uint16_t first, pages;
} fstor_extent_t;

typedef struct {
    uint16_t data_pages; // pages after the two header copies
    uint16_t page_size;
    fstor_extent_t prog, prev, stage;
    uint32_t running_bytes; // the running image, which a commit copies into prev; 0: none
} fstor_layout_t;

// Whether a begin for an image of image_bytes and the commit after it find room, replaying
// jd_fstor's first-fit allocation over the present layout: the stage replaces itself, the
// running image is copied over prev, the runtime's deploy replaces "*prog".
bool fstor_fits(const fstor_layout_t *l, uint32_t image_bytes);

// Largest image size that fits, in whole pages of "*prog" less its header (a multiple of 32);
// 0: none.
uint32_t fstor_capacity(const fstor_layout_t *l);
