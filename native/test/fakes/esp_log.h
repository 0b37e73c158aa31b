// Host fake of esp_log.h: logging compiles to nothing, arguments are still type-checked.
#pragma once
#include <stdio.h>
#define FAKE_LOG_(tag, fmt, ...) ((void)(tag), (void)(0 && printf(fmt, ##__VA_ARGS__)))
#define ESP_LOGE(tag, fmt, ...) FAKE_LOG_(tag, fmt, ##__VA_ARGS__)
#define ESP_LOGW(tag, fmt, ...) FAKE_LOG_(tag, fmt, ##__VA_ARGS__)
#define ESP_LOGI(tag, fmt, ...) FAKE_LOG_(tag, fmt, ##__VA_ARGS__)
