/*
 * The ESP-IDF side of esp-live: each function drives one peripheral and knows nothing of the
 * protocol. main.c joins them to the portable application (esp_live_app).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"

/* I2S MEMS microphone (INMP441 class): 24-bit samples left-justified in 32-bit slots. */
esp_err_t mic_i2s_start(int bclk, int ws, int din, uint32_t rate_hz);
/* Reads up to n samples, converted to s16 (gain_bits: each bit is +6 dB). Returns samples read. */
size_t mic_i2s_read(int16_t *out, size_t n, int gain_bits);

/* I2S amplifier (MAX98357A class). */
esp_err_t speaker_i2s_start(int bclk, int ws, int dout, uint32_t rate_hz);
void speaker_i2s_write(const int16_t *samples, size_t n);

/* The classic ESP32's built-in 8-bit DAC (GPIO25). Unsupported targets return ESP_ERR_NOT_SUPPORTED. */
esp_err_t speaker_dac_start(uint32_t rate_hz);
void speaker_dac_write(const int16_t *samples, size_t n);

/* The link to the host: bytes in, bytes out. */
typedef void (*link_rx_fn)(const uint8_t *bytes, size_t len, void *ctx);
esp_err_t link_usb_serial_start(link_rx_fn rx, void *ctx);   /* native USB-Serial/JTAG (S3/C3/C6) */
void link_usb_serial_send(const uint8_t *bytes, size_t len);
esp_err_t link_uart_start(int uart_num, int tx, int rx, uint32_t baud, link_rx_fn rx_fn, void *ctx); /* UART via a bridge chip */
void link_uart_send(const uint8_t *bytes, size_t len);
esp_err_t link_websocket_start(const char *url, const char *token, link_rx_fn rx, void *ctx, void (*on_up)(int up, void *ctx));
void link_websocket_send(const uint8_t *bytes, size_t len);
/* How long the client waits before it reconnects after a disconnection (default 2 s). */
void link_websocket_set_retry_ms(uint32_t ms);

esp_err_t wifi_sta_connect(const char *ssid, const char *password, uint32_t timeout_ms);
/* Finds the bridge over mDNS (_esp-live._tcp); writes "ws://host:port/path" into url. */
esp_err_t host_mdns_find(char *url, size_t cap, uint32_t timeout_ms);

/* A push button to ground, sampled every 5 ms (1 = pressed) in a task, not an interrupt. */
esp_err_t button_start(int gpio, void (*on_sample)(int pressed, void *ctx), void *ctx);
/* A status LED on a GPIO. */
esp_err_t status_led_start(int gpio);
void status_led_set(int on);

/* Settings in NVS (never compiled in): keys 1..5 of PROTOCOL.md section 4.9. */
esp_err_t settings_nvs_open(void);
int settings_nvs_set(void *ctx, uint8_t key, const uint8_t *value, size_t len);
int settings_nvs_get(void *ctx, uint8_t key, uint8_t *buf, size_t cap);
