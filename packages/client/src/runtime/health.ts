/**
 * Named health and readiness checks (controller-runtime's healthz package): a check
 * passes by returning anything but `false` and fails by returning `false` or throwing.
 * `probeResponse` answers `/healthz` and `/readyz` for a component that already serves HTTP.
 */

// biome-ignore lint/suspicious/noConfusingVoidType: a check may simply return
export type Check = () => boolean | void | Promise<boolean | void>;

export interface CheckReport {
  ok: boolean;
  /** Each check's result: 'ok' or why it failed. */
  checks: Record<string, string>;
}

export class Checks {
  private readonly checks = new Map<string, Check>();

  add(name: string, check: Check): void {
    if (this.checks.has(name)) throw new Error(`check "${name}" is already registered`);
    this.checks.set(name, check);
  }

  async run(): Promise<CheckReport> {
    const checks: Record<string, string> = {};
    let ok = true;
    for (const [name, check] of this.checks) {
      try {
        const r = await check();
        checks[name] = r === false ? 'not ready' : 'ok';
      } catch (e) {
        checks[name] = (e as Error).message || 'failed';
      }
      if (checks[name] !== 'ok') ok = false;
    }
    return { ok, checks };
  }
}

/** The body of a probe answer, as the API server writes its own: `[+]name ok` lines with `?verbose`. */
export function probeBody(name: string, r: CheckReport, verbose: boolean): string {
  if (!verbose && r.ok) return 'ok';
  const lines = Object.entries(r.checks).map(([n, s]) => (s === 'ok' ? `[+]${n} ok` : `[-]${n} failed: ${s}`));
  return `${lines.join('\n')}\n${name} check ${r.ok ? 'passed' : 'failed'}\n`;
}
