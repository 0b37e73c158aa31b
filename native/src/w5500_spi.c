#include "w5500_spi.h"

#include <string.h>

uint8_t w5500_frame_header(uint16_t offset, uint8_t bsb, bool write, uint8_t om,
                           uint8_t out[W5500_HEADER_LEN]) {
    // control byte: BSB[7:3] RWB[2] OM[1:0]
    uint8_t control = (uint8_t)(((bsb & 0x1f) << 3) | ((write ? 1 : 0) << 2) | (om & 0x03));
    out[0] = (uint8_t)(offset >> 8); // the offset goes big-endian on the wire
    out[1] = (uint8_t)(offset & 0xff);
    out[2] = control;
    return control;
}

int w5500_read(w5500_xfer_fn xfer, void *ctx, uint16_t offset, uint8_t bsb, uint8_t *buf,
               size_t len) {
    if (len == 0 || len > W5500_MAX_DATA)
        return -1;
    uint8_t tx[W5500_HEADER_LEN + W5500_MAX_DATA];
    uint8_t rx[W5500_HEADER_LEN + W5500_MAX_DATA];
    memset(tx, 0, sizeof(tx));
    w5500_frame_header(offset, bsb, false, W5500_OM_VDM, tx);
    if (xfer(ctx, tx, rx, W5500_HEADER_LEN + len) != 0)
        return -1;
    // the chip clocks data out only after it has seen the whole header
    memcpy(buf, rx + W5500_HEADER_LEN, len);
    return 0;
}
