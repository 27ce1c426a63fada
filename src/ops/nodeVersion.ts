/**
 * Whether a Node version satisfies an `engines` range. Only the forms esp-live and its
 * dependencies use are read (`^X.Y.Z`, `>=X.Y.Z`, `X.Y.Z`, joined by `||`); anything else is
 * "cannot tell" (undefined), never a guess.
 */
type Version = [number, number, number];

function parse(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : undefined;
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function satisfies(version: string, range: string): boolean | undefined {
  const v = parse(version);
  if (!v) return undefined;
  let any = false;
  for (const alternative of range.split('||')) {
    const m = /^\s*(\^|>=)?\s*(\S+)\s*$/.exec(alternative);
    const bound = m && parse(m[2]);
    if (!m || !bound) return undefined;
    if (m[1] === '^') any ||= v[0] === bound[0] && compare(v, bound) >= 0;
    else if (m[1] === '>=') any ||= compare(v, bound) >= 0;
    else any ||= compare(v, bound) === 0;
  }
  return any;
}
