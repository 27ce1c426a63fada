/* I2S amplifier (MAX98357A): 16-bit mono on the left slot. */
#include "driver/i2s_std.h"
#include "esp_live_glue.h"
#include "freertos/FreeRTOS.h"

static i2s_chan_handle_t tx;

esp_err_t speaker_i2s_start(int bclk, int ws, int dout, uint32_t rate_hz) {
    i2s_chan_config_t chan = I2S_CHANNEL_DEFAULT_CONFIG(I2S_NUM_AUTO, I2S_ROLE_MASTER);
    chan.auto_clear = true; /* silence, not the last buffer, when playback runs dry */
    esp_err_t err = i2s_new_channel(&chan, &tx, NULL);
    if (err != ESP_OK) return err;
    i2s_std_config_t std = {
        .clk_cfg = I2S_STD_CLK_DEFAULT_CONFIG(rate_hz),
        .slot_cfg = I2S_STD_MSB_SLOT_DEFAULT_CONFIG(I2S_DATA_BIT_WIDTH_16BIT, I2S_SLOT_MODE_MONO),
        .gpio_cfg = { .mclk = I2S_GPIO_UNUSED, .bclk = bclk, .ws = ws, .dout = dout, .din = I2S_GPIO_UNUSED },
    };
    err = i2s_channel_init_std_mode(tx, &std);
    return err == ESP_OK ? i2s_channel_enable(tx) : err;
}

void speaker_i2s_write(const int16_t *samples, size_t n) {
    size_t written = 0;
    i2s_channel_write(tx, samples, n * sizeof samples[0], &written, portMAX_DELAY);
}
