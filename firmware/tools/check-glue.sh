#!/usr/bin/env bash
# Compile-checks the ESP-IDF glue and main.c (-fsyntax-only) against real ESP-IDF headers for
# the ESP32-C6 (RISC-V) without a full idf.py build: IDF_PATH must point at an ESP-IDF tree and
# PROTOCOLS_PATH at esp-protocols (for esp_websocket_client and mdns); LWIP_PATH at esp-lwip if
# the ESP-IDF tree lacks its lwip submodule. A minimal sdkconfig.h
# stands in for the generated one. Then checks that every header a firmware source includes
# comes from a component its CMakeLists.txt names (tools/check_requires.py). Skips, saying so,
# when IDF_PATH is unset.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${IDF_PATH:-}" ] || [ ! -d "$IDF_PATH/components" ]; then
  echo "check-glue: skipped (set IDF_PATH to an ESP-IDF tree, and PROTOCOLS_PATH to esp-protocols)"
  exit 0
fi
target=esp32c6
cc=${CC:-riscv64-unknown-elf-gcc}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/sdkconfig.h" <<CONF
#define CONFIG_IDF_TARGET "$target"
#define CONFIG_IDF_TARGET_ESP32C6 1
#define CONFIG_IDF_TARGET_ARCH_RISCV 1
#define CONFIG_IDF_FIRMWARE_CHIP_ID 0x000D
#define CONFIG_SOC_CPU_CORES_NUM 1
#define CONFIG_FREERTOS_HZ 1000
#define CONFIG_FREERTOS_NUMBER_OF_CORES 1
#define CONFIG_FREERTOS_UNICORE 1
#define CONFIG_ESP_SYSTEM_SINGLE_CORE_MODE 1
#define CONFIG_ESP_WIFI_DYNAMIC_RX_MGMT_BUF 0
#define CONFIG_FREERTOS_MAX_TASK_NAME_LEN 16
#define CONFIG_FREERTOS_IDLE_TASK_STACKSIZE 1536
#define CONFIG_FREERTOS_TIMER_TASK_STACK_DEPTH 2048
#define CONFIG_FREERTOS_TIMER_QUEUE_LENGTH 10
#define CONFIG_FREERTOS_TIMER_TASK_PRIORITY 1
#define CONFIG_FREERTOS_QUEUE_REGISTRY_SIZE 0
#define CONFIG_FREERTOS_TASK_NOTIFICATION_ARRAY_ENTRIES 1
#define CONFIG_FREERTOS_ISR_STACKSIZE 1536
#define CONFIG_FREERTOS_TICK_SUPPORT_SYSTIMER 1
#define CONFIG_FREERTOS_THREAD_LOCAL_STORAGE_POINTERS 1
#define CONFIG_LOG_MAXIMUM_LEVEL 3
#define CONFIG_LOG_DEFAULT_LEVEL 2
#define CONFIG_LOG_TIMESTAMP_SOURCE_RTOS 1
#define CONFIG_ESP_LIVE_BOARD_ESP32C6_DEVKITC 1
#define CONFIG_ESP_LIVE_BRINGUP_OFF 1
#define CONFIG_ESP_WIFI_STATIC_RX_BUFFER_NUM 10
#define CONFIG_ESP_WIFI_DYNAMIC_RX_BUFFER_NUM 32
#define CONFIG_ESP_WIFI_DYNAMIC_TX_BUFFER 1
#define CONFIG_ESP_WIFI_TX_BUFFER_TYPE 1
#define CONFIG_ESP_WIFI_DYNAMIC_TX_BUFFER_NUM 32
#define CONFIG_ESP_WIFI_AMPDU_TX_ENABLED 1
#define CONFIG_ESP_WIFI_TX_BA_WIN 6
#define CONFIG_ESP_WIFI_AMPDU_RX_ENABLED 1
#define CONFIG_ESP_WIFI_RX_BA_WIN 6
#define CONFIG_ESP_WIFI_NVS_ENABLED 1
#define CONFIG_ESP_WIFI_SOFTAP_BEACON_MAX_LEN 752
#define CONFIG_ESP_WIFI_MGMT_SBUF_NUM 32
#define CONFIG_ESP_WIFI_ESPNOW_MAX_ENCRYPT_NUM 7
#define CONFIG_ESP_WIFI_ENABLE_WPA3_SAE 1
#define CONFIG_ESP_WIFI_CACHE_TX_BUFFER_NUM 32
#define CONFIG_ESP_WIFI_RX_MGMT_BUF_NUM_DEF 5
#define CONFIG_ESP_TIMER_TASK_STACK_SIZE 3584
#define CONFIG_LWIP_IPV4 1
#define CONFIG_LWIP_IPV6 1
#define CONFIG_MDNS_MAX_SERVICES 10
#define CONFIG_MDNS_TASK_PRIORITY 1
#define CONFIG_MDNS_TASK_STACK_SIZE 4096
#define CONFIG_MDNS_TIMER_PERIOD_MS 100
#define CONFIG_MDNS_NETWORKING_SOCKET 0
#define CONFIG_MDNS_MAX_INTERFACES 3
#define CONFIG_WS_TRANSPORT 1
#define CONFIG_WS_BUFFER_SIZE 1024
#define CONFIG_ESP_WS_CLIENT_ENABLE_DYNAMIC_BUFFER 0
#define CONFIG_SPI_FLASH_SIZE 0x400000
#define CONFIG_NVS_ENCRYPTION 0
#define CONFIG_SOC_DAC_SUPPORTED 0
#define CONFIG_LWIP_TCP_OVERSIZE_MSS 1
#define CONFIG_LWIP_TCP_MSS 1440
#define CONFIG_LWIP_TCP_SND_BUF_DEFAULT 5760
#define CONFIG_LWIP_TCP_WND_DEFAULT 5760
#define CONFIG_LWIP_MAX_SOCKETS 10
#define CONFIG_LWIP_TCPIP_TASK_STACK_SIZE 3072
#define CONFIG_LWIP_TCPIP_RECVMBOX_SIZE 32
#define CONFIG_LWIP_IPV6_NUM_ADDRESSES 1
#define CONFIG_LWIP_DHCP_COARSE_TIMER_SECS 1
CONF
includes=(-I"$work" -I"$here/main")
for d in "$here"/components/*/include; do includes+=(-I"$d"); done
# Every include directory of every component (and of the two esp-protocols ones) that is not
# another target's, the RISC-V port of FreeRTOS, and the target's own soc/hal/rom directories.
while IFS= read -r dir; do includes+=(-I"$dir"); done < <(
  { find "$IDF_PATH/components" -maxdepth 4 -type d \( -name include -o -name platform_include \) ;
    [ -n "${PROTOCOLS_PATH:-}" ] && find "$PROTOCOLS_PATH/components/esp_websocket_client" "$PROTOCOLS_PATH/components/mdns" -maxdepth 2 -type d -name include; } |
  grep -Ev '/(esp32|esp32s2|esp32s3|esp32c2|esp32c3|esp32c5|esp32c61|esp32h2|esp32h4|esp32p4|linux|xtensa)(/|$)' |
  grep -Ev '/(test|test_apps|host_test|examples)/' | sort)
for extra in \
  "$IDF_PATH/components/freertos/FreeRTOS-Kernel/include" \
  "$IDF_PATH/components/freertos/FreeRTOS-Kernel/portable/riscv/include/freertos" \
  "$IDF_PATH/components/freertos/config/include/freertos" \
  "$IDF_PATH/components/freertos/config/riscv/include" \
  "$IDF_PATH/components/freertos/esp_additions/include" \
  "$IDF_PATH/components/soc/$target/include" "$IDF_PATH/components/soc/$target/register" \
  "$IDF_PATH/components/hal/$target/include" "$IDF_PATH/components/esp_rom/$target/include" \
  "$IDF_PATH/components/esp_rom/$target/include/$target" "$IDF_PATH/components/esp_rom/$target" \
  "$IDF_PATH/components/esp_hw_support/include/soc" "$IDF_PATH/components/esp_hw_support/port/$target/include" \
  "${LWIP_PATH:-$IDF_PATH/components/lwip/lwip}/src/include" "$IDF_PATH/components/lwip/port/include" \
  "$IDF_PATH/components/lwip/port/freertos/include" "$IDF_PATH/components/lwip/port/esp32xx/include" \
  "$IDF_PATH/components/mbedtls/mbedtls/include" "$IDF_PATH/components/riscv/include"; do
  [ -d "$extra" ] && includes+=(-I"$extra")
done
for d in "$IDF_PATH"/components/esp_hal_*/"$target"/include "$IDF_PATH"/components/esp_hal_*/include; do [ -d "$d" ] && includes+=(-I"$d"); done
flags=(--specs=picolibc.specs -std=gnu17 -march=rv32imac_zicsr_zifencei -mabi=ilp32 -fsyntax-only -Wall -Wextra -Werror -Wno-unused-parameter -D__riscv_float_abi_soft -DESP_PLATFORM -DIDF_VER=\"check\")
failed=0
files=("$here"/components/*/src/*.c "$here"/main/*.c)
headers=()
for f in "${files[@]}"; do
  # -H lists every header opened, indented by include depth: check_requires.py reads it.
  h="$work/$(basename "$f").h.txt"
  if "$cc" "${flags[@]}" "${includes[@]}" -H "$f" 2> "$h"; then
    echo "ok    ${f#$here/}"
    headers+=("$f:$h")
  else
    echo "FAIL  ${f#$here/}"; grep -v '^\.' "$h" | head -20; failed=$((failed + 1))
  fi
done
echo "check-glue: $(( ${#files[@]} - failed )) of ${#files[@]} files compile against $(basename "$IDF_PATH") for $target"
python3 "$here/tools/check_requires.py" "$here" "$IDF_PATH" "${PROTOCOLS_PATH:-}" "${LWIP_PATH:-}" -- "${headers[@]}" || failed=$((failed + 1))
[ "$failed" -eq 0 ]
