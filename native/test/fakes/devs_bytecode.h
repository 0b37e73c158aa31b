// Host fake of DeviceScript's devs_bytecode.h: the image version macros, with the values of the
// runtime commit devicescript-esp32 pins (c4e21867, v2.16.0).
#pragma once
#define DEVS_IMG_VERSION_MAJOR 2
#define DEVS_IMG_VERSION_MINOR 16
#define DEVS_IMG_VERSION_PATCH 0
