/* ESP32-S3-DevKitC-1 + INMP441 microphone + MAX98357A amplifier; USB to the host on the "USB" port. */
#pragma once
#define BOARD_NAME "ESP32-S3-DevKitC-1"
#define BOARD_LINK_USB_SERIAL_JTAG 1
#define BOARD_MIC_BCLK 4
#define BOARD_MIC_WS 5
#define BOARD_MIC_DIN 6
#define BOARD_MIC_GAIN_BITS 2 /* INMP441 is quiet: +12 dB */
#define BOARD_SPK_BCLK 15
#define BOARD_SPK_WS 16
#define BOARD_SPK_DOUT 7
#define BOARD_SPK_BUILTIN_DAC 0
#define BOARD_SPK_RATE_HZ 16000
#define BOARD_BUTTON_GPIO 0 /* the BOOT button */
#define BOARD_LED_GPIO 21   /* an LED + 330 Ω to GND (the on-board one is an addressable RGB LED) */
