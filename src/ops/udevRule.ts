/**
 * The udev rule `esp-live service install` writes: every board esp-live recognises by its USB
 * id (device/serialPorts.ts) gets group dialout, mode 0660, a stable name
 * /dev/esp-live-<USB serial number>, and is left alone by ModemManager (which otherwise sends
 * AT commands to a fresh ttyACM port).
 */
import type { BoardMatch } from '../device/serialPorts.js';

export const UDEV_RULE_PATH = '/etc/udev/rules.d/99-esp-live.rules';

/** The rule for `boards` (device/serialPorts.ts's KNOWN_BOARDS; passed in so that loading this file does not load serialport). */
export function udevRule(boards: readonly BoardMatch[]): string {
  const lines = [
    '# Written by `esp-live service install`; removed by `esp-live service uninstall`.',
    '# ESP32 boards esp-live recognises: group dialout, mode 0660, and /dev/esp-live-<USB serial>.',
    '# All ATTRS keys of a rule match on the same parent (the USB device), so $attr{serial} is its',
    '# serial number. Adapters without a serial number (most CH340s) get access but no stable name.',
  ];
  const wholeVendors = new Set(boards.filter((b) => b.productId === undefined).map((b) => b.vendorId));
  for (const board of boards) {
    if (board.productId !== undefined && wholeVendors.has(board.vendorId)) continue; // a rule for every product of this vendor follows
    const ids = `SUBSYSTEM=="tty", ATTRS{idVendor}=="${board.vendorId}"${board.productId ? `, ATTRS{idProduct}=="${board.productId}"` : ''}`;
    lines.push(`# ${board.chip}`);
    lines.push(`${ids}, MODE="0660", GROUP="dialout", ENV{ID_MM_DEVICE_IGNORE}="1"`);
    lines.push(`${ids}, ATTRS{serial}=="?*", SYMLINK+="esp-live-$attr{serial}"`);
  }
  return `${lines.join('\n')}\n`;
}
