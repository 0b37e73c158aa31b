// Replays jd_fstor.c's large-setting allocator: each key takes contiguous whole pages, found
// first fit from the lowest data page, and a re-prepared key's old pages are free while its new
// ones are sought. Its search loop stops short of the last data page (off < data_pages - pages),
// so that page is never used; the replay keeps that.
#include "fstor_space.h"

#include <stdbool.h>
#include <string.h>

#define MAX_PAGES 256

typedef struct {
    uint16_t n;
    bool used[MAX_PAGES];
} pagemap_t;

static void mark(pagemap_t *m, fstor_extent_t e, bool used) {
    for (unsigned i = 0; i < e.pages && e.first + i < m->n; ++i)
        m->used[e.first + i] = used;
}

// allocates over `old`'s pages too, as jd_settings_prep_large does for the same key
static bool prep(pagemap_t *m, fstor_extent_t *old, unsigned pages) {
    mark(m, *old, false);
    for (unsigned off = 0; pages < m->n && off < m->n - pages; ++off) {
        unsigned i = 0;
        while (i < pages && !m->used[off + i])
            i++;
        if (i == pages) {
            *old = (fstor_extent_t){(uint16_t)off, (uint16_t)pages};
            mark(m, *old, true);
            return true;
        }
    }
    mark(m, *old, true);
    return false;
}

static unsigned pages_for(const fstor_layout_t *l, uint32_t bytes) {
    return bytes ? (bytes + l->page_size - 1u) / l->page_size : 1u;
}

static bool fits(const fstor_layout_t *l, unsigned prog_pages) {
    pagemap_t m = {.n = l->data_pages < MAX_PAGES ? l->data_pages : MAX_PAGES};
    fstor_extent_t prog = l->prog, prev = l->prev, stage = l->stage;
    mark(&m, prog, true);
    mark(&m, prev, true);
    mark(&m, stage, true);
    // an image of prog_pages * page - 128 bytes needs as many pages on its own in the stage
    if (!prep(&m, &stage, prog_pages))
        return false;
    if (l->running_bytes && !prep(&m, &prev, pages_for(l, l->running_bytes)))
        return false;
    return prep(&m, &prog, prog_pages);
}

uint32_t fstor_capacity(const fstor_layout_t *l) {
    for (unsigned k = l->data_pages; k > 0; --k)
        if (fits(l, k))
            return k * l->page_size - FSTOR_PROG_HEADER;
    return 0;
}
