// The W5500 wiring, from the board file's eth.* keys (boards/waveshare_esp32_s3_eth.board.json).
// The defaults are that board's, so a firmware without the keys still finds the chip.
#pragma once

#include <stdint.h>

typedef struct {
    int spi_host; // 1-based as in the datasheet: 3 means SPI3
    int spi_mhz;
    int pin_sck;
    int pin_mosi;
    int pin_miso;
    int pin_cs;
    int pin_int;
    int pin_rst;
} eth_board_t;

void eth_board_read(eth_board_t *b);
