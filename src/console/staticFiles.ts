/**
 * The console's page, stylesheet and scripts: plain files in src/console/public, written by
 * hand (no build step). All of them are read once at start-up into memory (a few tens of kB),
 * so a request can only ever name one of them: no path from a URL reaches the file system.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EspLiveError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

/** src/console/public, from the source (tests) or from dist/src/console (the built CLI). */
function publicDir(): string {
  const candidates = [new URL('./public/', import.meta.url), new URL('../../../src/console/public/', import.meta.url)].map((u) => fileURLToPath(u));
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new EspLiveError('CONSOLE_FAILED', `the console's page is missing (looked in ${candidates.join(', ')})`);
  return dir;
}

export function loadStaticFiles(): Map<string, StaticFile> {
  const dir = publicDir();
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  return files;
}
