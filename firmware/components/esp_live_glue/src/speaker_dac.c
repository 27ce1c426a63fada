/* The classic ESP32's built-in 8-bit DAC on GPIO25 (unsigned 8-bit, 0x80 is silence). */
#include "esp_live_glue.h"
#include "soc/soc_caps.h"

#if SOC_DAC_SUPPORTED
#include "driver/dac_continuous.h"

static dac_continuous_handle_t dac;
static uint8_t buf[480];

esp_err_t speaker_dac_start(uint32_t rate_hz) {
    dac_continuous_config_t cfg = {
        .chan_mask = DAC_CHANNEL_MASK_CH0,
        .desc_num = 4,
        .buf_size = 1024,
        .freq_hz = rate_hz,
        .offset = 0,
        .clk_src = DAC_DIGI_CLK_SRC_DEFAULT,
        .chan_mode = DAC_CHANNEL_MODE_SIMUL,
    };
    esp_err_t err = dac_continuous_new_channels(&cfg, &dac);
    return err == ESP_OK ? dac_continuous_enable(dac) : err;
}

void speaker_dac_write(const int16_t *samples, size_t n) {
    /* The host already sends U8 with TPDF dither when the board says its DAC is 8-bit; this path
     * is for s16 audio decoded from a codec. */
    while (n > 0) {
        size_t chunk = n < sizeof buf ? n : sizeof buf;
        for (size_t i = 0; i < chunk; i++) buf[i] = (uint8_t)((samples[i] >> 8) + 128);
        size_t loaded = 0;
        dac_continuous_write(dac, buf, chunk, &loaded, -1);
        samples += chunk;
        n -= chunk;
    }
}
#else
esp_err_t speaker_dac_start(uint32_t rate_hz) {
    (void)rate_hz;
    return ESP_ERR_NOT_SUPPORTED;
}
void speaker_dac_write(const int16_t *samples, size_t n) {
    (void)samples;
    (void)n;
}
#endif
