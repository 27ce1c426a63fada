/* Board settings in NVS, written by the host over USB (PROTOCOL.md section 4.9). */
#include <stdio.h>

#include "esp_live_glue.h"
#include "nvs.h"
#include "nvs_flash.h"

static nvs_handle_t nvs;

esp_err_t settings_nvs_open(void) {
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        nvs_flash_erase();
        err = nvs_flash_init();
    }
    return err == ESP_OK ? nvs_open("esp_live", NVS_READWRITE, &nvs) : err;
}

static void key_name(uint8_t key, char *name) {
    snprintf(name, 8, "k%u", key);
}

int settings_nvs_set(void *ctx, uint8_t key, const uint8_t *value, size_t len) {
    (void)ctx;
    char name[8];
    key_name(key, name);
    esp_err_t err = len ? nvs_set_blob(nvs, name, value, len) : nvs_erase_key(nvs, name);
    if (err == ESP_ERR_NVS_NOT_FOUND) err = ESP_OK;
    return err == ESP_OK && nvs_commit(nvs) == ESP_OK ? 0 : -1;
}

int settings_nvs_get(void *ctx, uint8_t key, uint8_t *buf, size_t cap) {
    (void)ctx;
    char name[8];
    key_name(key, name);
    size_t len = cap;
    return nvs_get_blob(nvs, name, buf, &len) == ESP_OK ? (int)len : -1;
}
