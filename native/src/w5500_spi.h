// W5500 SPI frame: 16-bit offset, control byte, data (datasheet section 2.2).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define W5500_BSB_COMMON 0x00

#define W5500_OM_VDM 0x00 // variable length: the frame lasts while CS is low

#define W5500_REG_PHYCFGR 0x002E
#define W5500_REG_VERSIONR 0x0039

#define W5500_PHYCFGR_LNK 0x01
#define W5500_VERSION 0x04

#define W5500_HEADER_LEN 3
#define W5500_MAX_DATA 8

// Full-duplex transfer of len bytes with CS held low for the whole transfer.
// Returns 0 on success.
typedef int (*w5500_xfer_fn)(void *ctx, const uint8_t *tx, uint8_t *rx, size_t len);

// Encodes the 3-byte frame header; returns the control byte.
uint8_t w5500_frame_header(uint16_t offset, uint8_t bsb, bool write, uint8_t om,
                           uint8_t out[W5500_HEADER_LEN]);

// Reads len (<= W5500_MAX_DATA) bytes starting at offset in block bsb. Returns 0 on success.
int w5500_read(w5500_xfer_fn xfer, void *ctx, uint16_t offset, uint8_t bsb, uint8_t *buf,
               size_t len);
