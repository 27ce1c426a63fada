/* ESP32-C6-DevKitC-1 + INMP441 microphone + MAX98357A amplifier; USB-Serial/JTAG to the host. */
#pragma once
#define BOARD_NAME "ESP32-C6-DevKitC-1"
#define BOARD_LINK_USB_SERIAL_JTAG 1
#define BOARD_MIC_BCLK 4
#define BOARD_MIC_WS 5
#define BOARD_MIC_DIN 6
#define BOARD_MIC_GAIN_BITS 2
#define BOARD_SPK_BCLK 18
#define BOARD_SPK_WS 19
#define BOARD_SPK_DOUT 20
#define BOARD_SPK_BUILTIN_DAC 0
#define BOARD_SPK_RATE_HZ 16000
#define BOARD_BUTTON_GPIO 9 /* the BOOT button */
#define BOARD_LED_GPIO 21
