#include "fake.h"
#include "test.h"
#include "w5500_probe.h"
#include "w5500_spi.h"

// ---- frame encoding

static void header_read_versionr(void) {
    uint8_t h[3];
    uint8_t control = w5500_frame_header(W5500_REG_VERSIONR, W5500_BSB_COMMON, false,
                                         W5500_OM_VDM, h);
    CHECK_BYTES(h, 3, 0x00, 0x39, 0x00);
    CHECK_EQ(control, 0x00);
}

static void header_write_and_blocks(void) {
    uint8_t h[3];
    // socket 0 register block is BSB 00001, write, variable length
    CHECK_EQ(w5500_frame_header(0x0401, 0x01, true, W5500_OM_VDM, h), 0x0C);
    CHECK_BYTES(h, 3, 0x04, 0x01, 0x0C);
    // socket 7 RX buffer is BSB 11111; fixed 4-byte mode is OM 11
    CHECK_EQ(w5500_frame_header(0xFFFE, 0x1F, false, 0x03, h), 0xFB);
    CHECK_BYTES(h, 3, 0xFF, 0xFE, 0xFB);
    // out-of-range fields cannot spill into neighbouring bits
    CHECK_EQ(w5500_frame_header(0, 0x21, false, 0x07, h), 0x0B);
}

static int xfer(void *ctx, const uint8_t *tx, uint8_t *rx, size_t len) {
    spi_transaction_t t = {.length = len * 8, .tx_buffer = tx, .rx_buffer = rx};
    return spi_device_polling_transmit(ctx, &t) == ESP_OK ? 0 : -1;
}

static void read_skips_header(void) {
    fake.w5500 = (fake_w5500_t){.present = true, .versionr = 0x04, .phycfgr = 0xBF};
    uint8_t v[2] = {0, 0};
    CHECK_EQ(w5500_read(xfer, NULL, 0x0039, 0, v, 1), 0);
    CHECK_EQ(v[0], 0x04);
    CHECK_EQ(fake.last_len, 4); // 3 header bytes + 1 data byte in one CS-low frame
    CHECK_BYTES(fake.last_tx, 4, 0x00, 0x39, 0x00, 0x00);
    CHECK_EQ(w5500_read(xfer, NULL, 0x002E, 0, v, 1), 0);
    CHECK_EQ(v[0], 0xBF);
}

static void read_rejects_bad_lengths_and_bus_errors(void) {
    uint8_t v[9];
    CHECK_EQ(w5500_read(xfer, NULL, 0x0039, 0, v, 0), -1);
    CHECK_EQ(w5500_read(xfer, NULL, 0x0039, 0, v, 9), -1);
    CHECK_EQ(fake.xfers, 0);
    fake.w5500.fail_transfer = true;
    CHECK_EQ(w5500_read(xfer, NULL, 0x0039, 0, v, 1), -1);
}

TESTS(w5500_spi_tests) = {
    {"w5500 header for a VERSIONR read", header_read_versionr},
    {"w5500 header: write bit, block select, op mode", header_write_and_blocks},
    {"w5500 read returns the bytes after the header", read_skips_header},
    {"w5500 read rejects bad lengths and bus errors", read_rejects_bad_lengths_and_bus_errors},
    TEST_END,
};

// ---- probe against the register model

static w5500_probe_t probe_with(fake_w5500_t chip) {
    fake.w5500 = chip;
    return w5500_probe(xfer, NULL);
}

static void probe_ok_link_up(void) {
    w5500_probe_t r = probe_with((fake_w5500_t){.present = true, .versionr = 0x04, .phycfgr = 0x07});
    CHECK_EQ(r.status, W5500_PROBE_OK);
    CHECK_EQ(r.version, 0x04);
    CHECK(r.link_up);
}

static void probe_ok_link_down(void) {
    w5500_probe_t r = probe_with((fake_w5500_t){.present = true, .versionr = 0x04, .phycfgr = 0xB8});
    CHECK_EQ(r.status, W5500_PROBE_OK);
    CHECK(!r.link_up);
}

static void probe_wrong_version(void) {
    // a W5100S answers 0x51 at that address; anything but 0x04 is not our chip
    w5500_probe_t r = probe_with((fake_w5500_t){.present = true, .versionr = 0x51, .phycfgr = 0x01});
    CHECK_EQ(r.status, W5500_PROBE_WRONG_VERSION);
    CHECK_EQ(r.version, 0x51);
    CHECK(!r.link_up);
}

static void probe_no_chip_low(void) {
    w5500_probe_t r = probe_with((fake_w5500_t){.present = false, .miso_idle = 0x00});
    CHECK_EQ(r.status, W5500_PROBE_NO_CHIP);
    CHECK_EQ(r.version, 0x00);
}

static void probe_no_chip_high(void) {
    w5500_probe_t r = probe_with((fake_w5500_t){.present = false, .miso_idle = 0xFF});
    CHECK_EQ(r.status, W5500_PROBE_NO_CHIP);
    CHECK_EQ(r.version, 0xFF);
    CHECK(!r.link_up);
}

static void probe_bus_error(void) {
    w5500_probe_t r = probe_with((fake_w5500_t){.present = true, .versionr = 4, .fail_transfer = true});
    CHECK_EQ(r.status, W5500_PROBE_BUS_ERROR);
    CHECK(w5500_probe_status_name(r.status)[0] != '?');
}

TESTS(w5500_probe_tests) = {
    {"probe: W5500 with link", probe_ok_link_up},
    {"probe: W5500 without link", probe_ok_link_down},
    {"probe: wrong chip version", probe_wrong_version},
    {"probe: no chip, MISO reads 0x00", probe_no_chip_low},
    {"probe: no chip, MISO reads 0xFF", probe_no_chip_high},
    {"probe: SPI transfer fails", probe_bus_error},
    TEST_END,
};
