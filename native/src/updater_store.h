// Where the Picokubelet Updater keeps images: jacdac-c large settings next to the runtime's
// "*prog", read through the mapped flash in pieces (see README.md, "The updater").
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "updater_sm.h"

#define STORE_KEY_STAGE "*pkstage"
#define STORE_KEY_PREV "*pkprev"
#define STORE_KEY_RECORD "pkupdater"

bool store_load_record(upd_record_t *rec);
void store_save_record(const upd_record_t *rec);

// the image in "*prog" when the runtime's header says its deploy completed: sha256, size
bool store_running(upd_image_t *img);

bool store_stage_prep(uint32_t size);
void store_stage_write(uint32_t offset, const void *data, uint32_t len);
void store_stage_sha256(uint32_t size, uint8_t out[UPD_DIGEST]);
bool store_stage_verifies(uint32_t size);

// copies the running image into the previous slot and checks the copy; false: no room, or no
// valid running image
bool store_keep_running(upd_image_t *img);
// the previous slot still holds `img` byte for byte
bool store_prev_intact(const upd_image_t *img);

// the runtime's deploy path fed from a large setting; 0 on success
int store_deploy(const char *key, uint32_t size);

uint32_t store_capacity(void);
// room for a begin of `size` and its commit (capacity is the largest such size, but first fit
// may place a smaller image worse)
bool store_room_for(uint32_t size);
