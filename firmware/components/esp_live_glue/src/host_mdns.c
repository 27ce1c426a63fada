/* Finds the bridge by its mDNS/DNS-SD service, _esp-live._tcp (espressif/mdns). */
#include <stdio.h>
#include <string.h>

#include "esp_live_glue.h"
#include "mdns.h"

esp_err_t host_mdns_find(char *url, size_t cap, uint32_t timeout_ms) {
    esp_err_t err = mdns_init();
    if (err != ESP_OK) return err;
    mdns_result_t *results = NULL;
    err = mdns_query_ptr("_esp-live", "_tcp", timeout_ms, 4, &results);
    if (err != ESP_OK || !results) return err == ESP_OK ? ESP_ERR_NOT_FOUND : err;
    const char *path = "/device";
    int tls = 0;
    for (size_t i = 0; i < results->txt_count; i++) {
        if (strcmp(results->txt[i].key, "path") == 0 && results->txt[i].value) path = results->txt[i].value;
        if (strcmp(results->txt[i].key, "tls") == 0 && results->txt[i].value) tls = results->txt[i].value[0] == '1';
    }
    err = ESP_ERR_NOT_FOUND;
    for (mdns_ip_addr_t *a = results->addr; a; a = a->next) {
        if (a->addr.type != ESP_IPADDR_TYPE_V4) continue;
        snprintf(url, cap, "%s://" IPSTR ":%u%s", tls ? "wss" : "ws", IP2STR(&a->addr.u_addr.ip4), (unsigned)results->port, path);
        err = ESP_OK;
        break;
    }
    mdns_query_results_free(results);
    return err;
}
