// Is a working W5500 on the bus? Asked before any Ethernet driver is installed, so that a
// board without the chip (or with a dead one) goes straight to Wi-Fi.
#pragma once

#include "w5500_spi.h"

typedef enum {
    W5500_PROBE_OK = 0,
    W5500_PROBE_NO_CHIP,       // MISO stuck low or high: VERSIONR reads 0x00 or 0xFF
    W5500_PROBE_WRONG_VERSION, // something answers, but not a W5500
    W5500_PROBE_BUS_ERROR,     // the SPI transfer itself failed
} w5500_probe_status_t;

typedef struct {
    w5500_probe_status_t status;
    uint8_t version;
    bool link_up; // PHYCFGR.LNK at probe time; only meaningful with W5500_PROBE_OK
} w5500_probe_t;

w5500_probe_t w5500_probe(w5500_xfer_fn xfer, void *ctx);

const char *w5500_probe_status_name(w5500_probe_status_t status);
