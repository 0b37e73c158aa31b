#include "w5500_probe.h"

w5500_probe_t w5500_probe(w5500_xfer_fn xfer, void *ctx) {
    w5500_probe_t r = {.status = W5500_PROBE_BUS_ERROR, .version = 0, .link_up = false};
    uint8_t v;
    if (w5500_read(xfer, ctx, W5500_REG_VERSIONR, W5500_BSB_COMMON, &v, 1) != 0)
        return r;
    r.version = v;
    if (v == 0x00 || v == 0xFF) {
        r.status = W5500_PROBE_NO_CHIP;
        return r;
    }
    if (v != W5500_VERSION) {
        r.status = W5500_PROBE_WRONG_VERSION;
        return r;
    }
    uint8_t phy;
    if (w5500_read(xfer, ctx, W5500_REG_PHYCFGR, W5500_BSB_COMMON, &phy, 1) != 0)
        return r;
    r.status = W5500_PROBE_OK;
    r.link_up = (phy & W5500_PHYCFGR_LNK) != 0;
    return r;
}

const char *w5500_probe_status_name(w5500_probe_status_t status) {
    switch (status) {
    case W5500_PROBE_OK:
        return "ok";
    case W5500_PROBE_NO_CHIP:
        return "no chip";
    case W5500_PROBE_WRONG_VERSION:
        return "wrong version";
    case W5500_PROBE_BUS_ERROR:
        return "bus error";
    }
    return "?";
}
