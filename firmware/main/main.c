/*
 * esp-live firmware: the ESP-IDF glue around the portable application (esp_live_app), which
 * the Linux board (../host) runs too. The host talks on USB, or, once Wi-Fi, a token and
 * (optionally) the host's address are written over USB, on a WebSocket; whichever link the host
 * spoke on last carries the session. Settings live in NVS; nothing secret is compiled in.
 * Tasks: the link receivers, the microphone, the speaker, the button and this one's 100 ms
 * tick; each call into the application holds `lock`.
 */
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "driver/gpio.h"
#include "el_app.h"
#include "esp_live_glue.h"
#include "esp_mac.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"

#define MIC_RATE_HZ 16000
#define PLAYBACK_MS 200
#define MAX_MIC_FRAME (MIC_RATE_HZ / 50 + 1) /* 20 ms, + 1 for an IMA ADPCM block */

static el_app_t app;
static int16_t playback_ring[BOARD_SPK_RATE_HZ * PLAYBACK_MS / 1000];
static SemaphoreHandle_t lock;

#define LOCKED(call)                             \
    do {                                         \
        xSemaphoreTake(lock, portMAX_DELAY);     \
        call;                                    \
        xSemaphoreGive(lock);                    \
    } while (0)

static uint32_t now_us(void) {
    return (uint32_t)esp_timer_get_time();
}

static void send_bytes(void *ctx, el_link_t link, const uint8_t *bytes, size_t len) {
    (void)ctx;
    if (link == EL_LINK_WEBSOCKET) link_websocket_send(bytes, len);
#if BOARD_LINK_USB_SERIAL_JTAG
    else link_usb_serial_send(bytes, len);
#else
    else link_uart_send(bytes, len);
#endif
}

static void set_led(void *ctx, int on) {
    (void)ctx;
    status_led_set(on);
}

static int read_gpio(void *ctx, int pin) {
    (void)ctx;
    return pin >= 0 && GPIO_IS_VALID_GPIO(pin) ? gpio_get_level(pin) : -1;
}

static void on_serial(const uint8_t *bytes, size_t len, void *ctx) {
    (void)ctx;
    LOCKED(el_app_receive(&app, EL_LINK_SERIAL, bytes, len));
}

static void on_websocket(const uint8_t *bytes, size_t len, void *ctx) {
    (void)ctx;
    LOCKED(el_app_receive(&app, EL_LINK_WEBSOCKET, bytes, len));
}

static void on_websocket_up(int up, void *ctx) {
    (void)ctx;
    int refused = 0;
    if (up) LOCKED(el_app_link_up(&app, EL_LINK_WEBSOCKET));
    else LOCKED(refused = app.dev.state == EL_STATE_REFUSED; el_app_link_down(&app, EL_LINK_WEBSOCKET));
    /* PROTOCOL.md section 5: a board the host refused reconnects over Wi-Fi no sooner than 30 s later. */
    if (!up) link_websocket_set_retry_ms(refused ? 30000 : 2000);
}

static void on_button(int pressed, void *ctx) {
    (void)ctx;
    LOCKED(el_app_button_sample(&app, pressed));
}

static void start_wifi(void) {
    uint8_t ssid[33] = {0}, password[65] = {0}, token[65] = {0}, url[97] = {0};
    if (settings_nvs_get(NULL, EL_CONFIG_WIFI_SSID, ssid, 32) <= 0 || settings_nvs_get(NULL, EL_CONFIG_DEVICE_TOKEN, token, 64) <= 0) return; /* USB only */
    settings_nvs_get(NULL, EL_CONFIG_WIFI_PASSWORD, password, 64);
    if (wifi_sta_connect((char *)ssid, (char *)password, 20000) != ESP_OK) return;
    if (settings_nvs_get(NULL, EL_CONFIG_HOST_URL, url, 96) <= 0 && host_mdns_find((char *)url, sizeof url, 3000) != ESP_OK) return;
    link_websocket_start((char *)url, (char *)token, on_websocket, NULL, on_websocket_up);
}

static void mic_task(void *arg) {
    (void)arg;
    static int16_t frame[MAX_MIC_FRAME];
    for (;;) {
        size_t want;
        LOCKED(want = el_app_mic_frame_samples(&app));
        if (want > MAX_MIC_FRAME) want = MAX_MIC_FRAME;
        size_t got = 0;
        while (got < want) got += mic_i2s_read(frame + got, want - got, BOARD_MIC_GAIN_BITS);
        LOCKED(el_app_mic_frame(&app, frame, got, now_us()));
    }
}

static void speaker_task(void *arg) {
    (void)arg;
    static int16_t chunk[BOARD_SPK_RATE_HZ / 100]; /* 10 ms */
    for (;;) {
        LOCKED(el_app_speaker(&app, chunk, sizeof chunk / sizeof chunk[0]));
#if BOARD_SPK_BUILTIN_DAC
        speaker_dac_write(chunk, sizeof chunk / sizeof chunk[0]); /* blocks: the DAC sets the pace */
#else
        speaker_i2s_write(chunk, sizeof chunk / sizeof chunk[0]);
#endif
    }
}

#if !CONFIG_ESP_LIVE_BRINGUP_OFF
/* Bring-up (hardware/README.md): tone, then level meter, then loopback, before the bridge. */
static void bringup(void) {
    static int16_t buf[MIC_RATE_HZ / 50];
#if CONFIG_ESP_LIVE_BRINGUP_TONE
    uint32_t phase = 0;
#else
    int64_t sum = 0;
    int frames = 0;
    char line[64];
#endif
    for (;;) {
#if CONFIG_ESP_LIVE_BRINGUP_TONE
        for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++, phase++) {
            int32_t saw = (int32_t)((phase * 440u * 2u * 32768u / BOARD_SPK_RATE_HZ) % 65536u) - 32768; /* a triangle */
            buf[i] = (int16_t)((saw < 0 ? -saw : saw) / 2 - 8192);
        }
#else
        size_t got = mic_i2s_read(buf, sizeof buf / sizeof buf[0], BOARD_MIC_GAIN_BITS);
        for (size_t i = 0; i < got; i++) sum += (int64_t)buf[i] * buf[i];
        if (++frames == 25) {
            int level = 0; /* dBFS, rounded: 20 log10(rms / 32768) without libm */
            uint64_t ms = (uint64_t)(sum / (int64_t)(frames * (sizeof buf / sizeof buf[0])));
            while (ms < (1ull << 30) && level > -96) ms *= 10, level -= 10; /* 10 dB steps */
            snprintf(line, sizeof line, "mic level about %d dBFS\r\n", level);
            send_bytes(NULL, EL_LINK_SERIAL, (const uint8_t *)line, strlen(line));
            sum = 0;
            frames = 0;
        }
#if !CONFIG_ESP_LIVE_BRINGUP_LOOPBACK
        continue;
#endif
#endif
#if BOARD_SPK_BUILTIN_DAC
        speaker_dac_write(buf, sizeof buf / sizeof buf[0]);
#else
        speaker_i2s_write(buf, sizeof buf / sizeof buf[0]);
#endif
    }
}
#endif

void app_main(void) {
    lock = xSemaphoreCreateMutex();
    ESP_ERROR_CHECK(settings_nvs_open());

    static char device_id[24], name[33];
    uint8_t mac[6] = {0};
    esp_read_mac(mac, ESP_MAC_WIFI_STA);
    snprintf(device_id, sizeof device_id, "%02x%02x%02x%02x%02x%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    if (settings_nvs_get(NULL, EL_CONFIG_DEVICE_NAME, (uint8_t *)name, sizeof name - 1) <= 0) strcpy(name, BOARD_NAME);
    const el_board_t board = { send_bytes, now_us, set_led, read_gpio, { settings_nvs_set, settings_nvs_get, NULL }, NULL, NULL };
    const el_app_config_t config = {
        .device_id = device_id,
        .name = name,
        .firmware_version = "0.1.0",
        .features = EL_FEATURE_BUTTON | EL_FEATURE_LED | EL_FEATURE_VOLUME,
        .max_message_bytes = EL_MAX_MESSAGE_BYTES,
        .mic = { MIC_RATE_HZ, EL_SAMPLE_S16LE, 1, EL_CODECS_ALL },
#if BOARD_SPK_BUILTIN_DAC
        .speaker = { BOARD_SPK_RATE_HZ, EL_SAMPLE_U8, 1, EL_CODEC_BIT(EL_CODEC_PCM) }, /* U8 PCM: the host dithers */
#else
        .speaker = { BOARD_SPK_RATE_HZ, EL_SAMPLE_S16LE, 1, EL_CODECS_ALL },
#endif
    };
    el_app_init(&app, &board, &config, playback_ring, sizeof playback_ring / sizeof playback_ring[0]);

    ESP_ERROR_CHECK(status_led_start(BOARD_LED_GPIO));
    ESP_ERROR_CHECK(button_start(BOARD_BUTTON_GPIO, on_button, NULL));
    ESP_ERROR_CHECK(mic_i2s_start(BOARD_MIC_BCLK, BOARD_MIC_WS, BOARD_MIC_DIN, MIC_RATE_HZ));
#if BOARD_SPK_BUILTIN_DAC
    ESP_ERROR_CHECK(speaker_dac_start(BOARD_SPK_RATE_HZ));
#else
    ESP_ERROR_CHECK(speaker_i2s_start(BOARD_SPK_BCLK, BOARD_SPK_WS, BOARD_SPK_DOUT, BOARD_SPK_RATE_HZ));
#endif
#if !CONFIG_ESP_LIVE_BRINGUP_OFF
    bringup();
#endif
#if BOARD_LINK_USB_SERIAL_JTAG
    ESP_ERROR_CHECK(link_usb_serial_start(on_serial, NULL));
#else
    ESP_ERROR_CHECK(link_uart_start(BOARD_UART_NUM, BOARD_UART_TX, BOARD_UART_RX, BOARD_UART_BAUD, on_serial, NULL));
#endif
    LOCKED(el_app_link_up(&app, EL_LINK_SERIAL)); /* HELLO on USB; repeated every 2 s until a host answers */
    xTaskCreate(mic_task, "mic", 6144, NULL, 10, NULL);
    xTaskCreate(speaker_task, "speaker", 6144, NULL, 11, NULL);
    start_wifi();
    for (;;) {
        vTaskDelay(pdMS_TO_TICKS(EL_APP_TICK_MS));
        LOCKED(el_app_tick(&app));
    }
}
