/** Finding ESP32 boards among the serial ports, by the USB IDs of their USB-serial chips. */
import { SerialPort } from 'serialport';

export interface BoardMatch {
  vendorId: string;
  productId?: string;
  chip: string;
  /** Native USB (USB-Serial/JTAG or CDC on the ESP32 itself): no baud-rate limit. */
  nativeUsb: boolean;
}

/** USB vendor:product pairs of the boards esp-live knows (lower-case hex). */
export const KNOWN_BOARDS: BoardMatch[] = [
  { vendorId: '303a', productId: '1001', chip: 'Espressif USB-Serial/JTAG (ESP32-S3/C3/C6)', nativeUsb: true },
  { vendorId: '303a', chip: 'Espressif native USB CDC', nativeUsb: true },
  { vendorId: '10c4', productId: 'ea60', chip: 'Silicon Labs CP210x', nativeUsb: false },
  { vendorId: '1a86', productId: '7523', chip: 'WCH CH340', nativeUsb: false },
  { vendorId: '1a86', productId: '55d4', chip: 'WCH CH9102', nativeUsb: false },
  { vendorId: '0403', productId: '6001', chip: 'FTDI FT232R', nativeUsb: false },
];

export interface PortInfo {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  manufacturer?: string;
  board?: BoardMatch;
}

export function matchBoard(vendorId?: string, productId?: string): BoardMatch | undefined {
  const v = vendorId?.toLowerCase();
  const p = productId?.toLowerCase();
  return KNOWN_BOARDS.find((b) => b.vendorId === v && (b.productId === undefined || b.productId === p));
}

/** Every serial port, likely boards first. */
export async function listPorts(): Promise<PortInfo[]> {
  const ports = await SerialPort.list();
  return ports
    .map((p) => ({ path: p.path, vendorId: p.vendorId, productId: p.productId, serialNumber: p.serialNumber, manufacturer: p.manufacturer, board: matchBoard(p.vendorId, p.productId) }))
    .sort((a, b) => Number(Boolean(b.board)) - Number(Boolean(a.board)));
}
