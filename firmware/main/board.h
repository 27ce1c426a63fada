/* The board this firmware is built for: pick it in `idf.py menuconfig` → esp-live. */
#pragma once
#include "sdkconfig.h"
#if defined(CONFIG_ESP_LIVE_BOARD_ESP32_DEVKIT_DAC)
#include "../boards/esp32_devkit_inmp441_dac.h"
#elif defined(CONFIG_ESP_LIVE_BOARD_ESP32C6_DEVKITC)
#include "../boards/esp32c6_devkitc_inmp441_max98357a.h"
#else
#include "../boards/esp32s3_devkitc_inmp441_max98357a.h"
#endif
