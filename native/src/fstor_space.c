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

bool fstor_fits(const fstor_layout_t *l, uint32_t image_bytes) {
    pagemap_t m = {.n = l->data_pages < MAX_PAGES ? l->data_pages : MAX_PAGES};
    fstor_extent_t prog = l->prog, prev = l->prev, stage = l->stage;
    mark(&m, prog, true);
    mark(&m, prev, true);
    mark(&m, stage, true);
    if (!prep(&m, &stage, pages_for(l, image_bytes)))
        return false;
    if (l->running_bytes && !prep(&m, &prev, pages_for(l, l->running_bytes)))
        return false;
    return prep(&m, &prog, pages_for(l, image_bytes + FSTOR_PROG_HEADER));
}

uint32_t fstor_capacity(const fstor_layout_t *l) {
    // first fit is not monotonic in size (a smaller block may take an earlier gap): begin
    // checks its own size with fstor_fits as well
    for (unsigned k = l->data_pages; k > 0; --k)
        if (fstor_fits(l, k * l->page_size - FSTOR_PROG_HEADER))
            return k * l->page_size - FSTOR_PROG_HEADER;
    return 0;
}
