/** One line of `esp-live doctor`: what was checked, how it went, and what to do about it. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  /** `fail` blocks a run (doctor exits 1); `warn` is worth knowing but esp-live still runs. */
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, fix?: string): CheckResult => ({ name, status: 'warn', detail, fix });
export const fail = (name: string, detail: string, fix?: string): CheckResult => ({ name, status: 'fail', detail, fix });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });
