/* Classic ESP32 DevKit (CP2102 or CH340 USB bridge) + INMP441 microphone + the built-in 8-bit DAC. */
#pragma once
#define BOARD_NAME "ESP32 DevKit (built-in DAC)"
#define BOARD_LINK_UART 1
#define BOARD_UART_NUM 0
#define BOARD_UART_TX 1
#define BOARD_UART_RX 3
#define BOARD_UART_BAUD 921600
#define BOARD_MIC_BCLK 32
#define BOARD_MIC_WS 33
#define BOARD_MIC_DIN 34 /* input-only pin: fine for the microphone's data */
#define BOARD_MIC_GAIN_BITS 2
#define BOARD_SPK_BUILTIN_DAC 1 /* GPIO25 → a small amplifier (PAM8403) → speaker */
#define BOARD_SPK_RATE_HZ 22050
#define BOARD_BUTTON_GPIO 0
#define BOARD_LED_GPIO 2 /* the on-board blue LED */
