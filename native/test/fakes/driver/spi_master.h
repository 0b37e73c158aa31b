// Host fake of driver/spi_master.h + spi_common.h + hal/spi_types.h (v5.0.5, ESP32-S3).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "esp_err.h"
typedef enum {
    SPI1_HOST = 0,
    SPI2_HOST = 1,
    SPI3_HOST = 2,
    SPI_HOST_MAX,
} spi_host_device_t;
typedef enum {
    SPI_DMA_DISABLED = 0,
    SPI_DMA_CH_AUTO = 3,
} spi_common_dma_t;
typedef spi_common_dma_t spi_dma_chan_t;
typedef struct {
    union {
        int mosi_io_num;
        int data0_io_num;
    };
    union {
        int miso_io_num;
        int data1_io_num;
    };
    int sclk_io_num;
    union {
        int quadwp_io_num;
        int data2_io_num;
    };
    union {
        int quadhd_io_num;
        int data3_io_num;
    };
    int data4_io_num;
    int data5_io_num;
    int data6_io_num;
    int data7_io_num;
    int max_transfer_sz;
    uint32_t flags;
    int intr_flags;
} spi_bus_config_t;
typedef struct {
    uint8_t command_bits;
    uint8_t address_bits;
    uint8_t dummy_bits;
    uint8_t mode;
    uint16_t duty_cycle_pos;
    uint16_t cs_ena_pretrans;
    uint8_t cs_ena_posttrans;
    int clock_speed_hz;
    int input_delay_ns;
    int spics_io_num;
    uint32_t flags;
    int queue_size;
    void *pre_cb;
    void *post_cb;
} spi_device_interface_config_t;
struct spi_transaction_t {
    uint32_t flags;
    uint16_t cmd;
    uint64_t addr;
    size_t length;
    size_t rxlength;
    void *user;
    union {
        const void *tx_buffer;
        uint8_t tx_data[4];
    };
    union {
        void *rx_buffer;
        uint8_t rx_data[4];
    };
};
typedef struct spi_transaction_t spi_transaction_t;
typedef struct spi_device_t *spi_device_handle_t;
esp_err_t spi_bus_initialize(spi_host_device_t host_id, const spi_bus_config_t *bus_config,
                             spi_dma_chan_t dma_chan);
esp_err_t spi_bus_free(spi_host_device_t host_id);
esp_err_t spi_bus_add_device(spi_host_device_t host_id,
                             const spi_device_interface_config_t *dev_config,
                             spi_device_handle_t *handle);
esp_err_t spi_bus_remove_device(spi_device_handle_t handle);
esp_err_t spi_device_polling_transmit(spi_device_handle_t handle, spi_transaction_t *trans_desc);
