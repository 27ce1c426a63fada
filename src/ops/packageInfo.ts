/** Where esp-live is installed: its folder (with package.json), found from this module's own path (src/ or dist/src/). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'esp-live') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find esp-live\'s package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** `engines.node` of a package.json, or undefined when it cannot be read. */
export function enginesNode(packageJson: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { engines?: { node?: string } }).engines?.node;
  } catch {
    return undefined; // reported by the doctor as "cannot read"
  }
}
