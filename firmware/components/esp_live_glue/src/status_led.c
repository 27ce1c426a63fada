/* The status LED: a GPIO driven high for on. Its patterns are the application's (el_app_led.c). */
#include "driver/gpio.h"
#include "esp_live_glue.h"

static int pin = -1;

esp_err_t status_led_start(int gpio) {
    gpio_config_t cfg = { .pin_bit_mask = 1ULL << gpio, .mode = GPIO_MODE_OUTPUT };
    esp_err_t err = gpio_config(&cfg);
    if (err == ESP_OK) pin = gpio;
    return err;
}

void status_led_set(int on) {
    if (pin >= 0) gpio_set_level(pin, on ? 1u : 0u);
}
