/** `esp-live devices`: the serial ports, likely boards marked. */
import { listPorts } from '../device/serialPorts.js';

export async function devicesCommand(out: (line: string) => void): Promise<number> {
  let ports;
  try {
    ports = await listPorts();
  } catch (error) {
    out(`could not list serial ports: ${(error as Error).message}${/udevadm/.test((error as Error).message) ? ' (install udev: sudo apt-get install udev)' : ''}`);
    return 1;
  }
  if (ports.length === 0) {
    out('no serial ports found. Plug the board in with a data (not charge-only) USB cable.');
    return 0;
  }
  for (const p of ports) {
    const ids = p.vendorId ? ` ${p.vendorId}:${p.productId}` : '';
    out(`${p.board ? '*' : ' '} ${p.path}${ids}${p.board ? `  ${p.board.chip}` : ''}${p.serialNumber ? `  serial ${p.serialNumber}` : ''}`);
  }
  out('\n* = a board esp-live recognises by its USB id; run: esp-live --port PATH');
  return 0;
}
