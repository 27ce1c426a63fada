/* Push-to-talk button to ground with the internal pull-up, sampled every 5 ms in a task (the
 * application debounces: el_app_button.c). */
#include "driver/gpio.h"
#include "esp_live_glue.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

static int pin;
static void (*callback)(int, void *);
static void *callback_ctx;

static void poll_task(void *arg) {
    (void)arg;
    for (;;) {
        callback(gpio_get_level(pin) == 0, callback_ctx);
        vTaskDelay(pdMS_TO_TICKS(5));
    }
}

esp_err_t button_start(int gpio, void (*on_sample)(int pressed, void *ctx), void *ctx) {
    gpio_config_t cfg = { .pin_bit_mask = 1ULL << gpio, .mode = GPIO_MODE_INPUT, .pull_up_en = GPIO_PULLUP_ENABLE };
    esp_err_t err = gpio_config(&cfg);
    if (err != ESP_OK) return err;
    pin = gpio;
    callback = on_sample;
    callback_ctx = ctx;
    return xTaskCreate(poll_task, "button", 2048, NULL, 5, NULL) == pdPASS ? ESP_OK : ESP_ERR_NO_MEM;
}
