/* I2S microphone (INMP441): 32-bit slots, 24 significant bits, left channel (L/R pin to GND). */
#include "driver/i2s_std.h"
#include "el_device.h"
#include "esp_live_glue.h"
#include "freertos/FreeRTOS.h"

static i2s_chan_handle_t rx;
static int32_t raw[480];

esp_err_t mic_i2s_start(int bclk, int ws, int din, uint32_t rate_hz) {
    i2s_chan_config_t chan = I2S_CHANNEL_DEFAULT_CONFIG(I2S_NUM_AUTO, I2S_ROLE_MASTER);
    esp_err_t err = i2s_new_channel(&chan, NULL, &rx);
    if (err != ESP_OK) return err;
    i2s_std_config_t std = {
        .clk_cfg = I2S_STD_CLK_DEFAULT_CONFIG(rate_hz),
        .slot_cfg = I2S_STD_PHILIPS_SLOT_DEFAULT_CONFIG(I2S_DATA_BIT_WIDTH_32BIT, I2S_SLOT_MODE_MONO),
        .gpio_cfg = { .mclk = I2S_GPIO_UNUSED, .bclk = bclk, .ws = ws, .dout = I2S_GPIO_UNUSED, .din = din },
    };
    std.slot_cfg.slot_mask = I2S_STD_SLOT_LEFT;
    err = i2s_channel_init_std_mode(rx, &std);
    return err == ESP_OK ? i2s_channel_enable(rx) : err;
}

size_t mic_i2s_read(int16_t *out, size_t n, int gain_bits) {
    size_t bytes = 0;
    if (n > sizeof raw / sizeof raw[0]) n = sizeof raw / sizeof raw[0];
    if (i2s_channel_read(rx, raw, n * sizeof raw[0], &bytes, portMAX_DELAY) != ESP_OK) return 0;
    size_t got = bytes / sizeof raw[0];
    el_i2s32_to_s16(raw, got, gain_bits, out); /* rounded, not truncated: truncation adds a -0.5 LSB bias */
    return got;
}
