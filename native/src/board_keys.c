#include "board_keys.h"

#include "jd_protocol.h"
#include "jd_dcfg.h"

void eth_board_read(eth_board_t *b) {
    b->spi_host = dcfg_get_i32("eth.spiHost", 3);
    b->spi_mhz = dcfg_get_i32("eth.spiMHz", 25);
    b->pin_sck = dcfg_get_i32("eth.pinSCK", 13);
    b->pin_mosi = dcfg_get_i32("eth.pinMOSI", 11);
    b->pin_miso = dcfg_get_i32("eth.pinMISO", 12);
    b->pin_cs = dcfg_get_i32("eth.pinCS", 14);
    b->pin_int = dcfg_get_i32("eth.pinINT", 10);
    b->pin_rst = dcfg_get_i32("eth.pinRST", 9);
}
