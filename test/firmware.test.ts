/**
 * The firmware's portable C core: its own tests on the host (ASan + UBSan) and on a 32-bit
 * RISC-V core under QEMU, a bounded libFuzzer run of its frame decoder, and a cross-check that
 * the C core and the TypeScript code encode the same session's frames byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const testDir = fileURLToPath(new URL('../firmware/test', import.meta.url));

function make(...args: string[]): string {
  try {
    return execFileSync('make', ['-s', '-C', testDir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new Error(`make ${args.join(' ')} failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('firmware core (C)', () => {
  it('passes its tests on the host with AddressSanitizer and UBSan, against PROTOCOL.md', () => {
    expect(make('host')).toMatch(/^(\d+) passed, 0 failed$/m);
  });

  it('passes the same tests cross-compiled for rv32imac (ESP32-C6 ISA) under QEMU', () => {
    const out = make('qemu');
    const [, passed] = /(\d+) passed, 0 failed/.exec(out) ?? [];
    expect(Number(passed)).toBeGreaterThan(100);
  });

  it('survives a bounded libFuzzer run of the frame decoder', () => {
    const out = make('fuzz', 'FUZZ_SECONDS=10');
    expect(out).toMatch(/stat::number_of_executed_units:\s+\d+/);
    expect(out).not.toMatch(/ERROR: AddressSanitizer|SUMMARY: UndefinedBehaviorSanitizer|deadly signal/);
  });
});
