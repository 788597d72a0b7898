/**
 * A component's flags as data: each flag's type, default (as typed on a command line)
 * and help line. From the table come the parser, the typed values and the `--help` text,
 * so the three cannot drift apart. Values are parsed by @minik8s/client/flags, whose
 * errors name the flag (`--port: "eighty" is not a port`).
 */
import { parseArgs } from 'node:util';
import { parseBool, parseDuration, parseInteger, parsePort } from '../flags.ts';

/**
 * string; bool (`--x`, `--x=false`, `--x false`); int (`min`..`max`); duration (`10s`,
 * `500ms`, bare seconds) in ms; port; list (repeatable, each value also split on commas).
 */
export type FlagType = 'string' | 'bool' | 'int' | 'duration' | 'port' | 'list';

export interface FlagSpec {
  type: FlagType;
  /** One line (more lines with `\n`); `(default X)` is added unless it says its default. */
  help: string;
  /** The value's placeholder in the help text (FILE, IP). Default from the type. */
  arg?: string;
  /** As typed on a command line ('10s', 'true', '53'); a list's is an array. */
  default?: string | readonly string[];
  min?: number;
  max?: number;
}

export type FlagTable = Record<string, FlagSpec>;

type ValueOf<T extends FlagType> = T extends 'bool' ? boolean : T extends 'int' | 'duration' | 'port' ? number : T extends 'list' ? string[] : string;

/** The parsed values: a flag with a default (and every list) always has one. */
export type FlagValues<F extends FlagTable> = {
  [K in keyof F]: F[K] extends { default: string | readonly string[] }
    ? ValueOf<F[K]['type']>
    : F[K]['type'] extends 'list'
      ? string[]
      : ValueOf<F[K]['type']> | undefined;
};

const PLACEHOLDER: Record<FlagType, string> = { string: 'VALUE', bool: 'BOOL', int: 'N', duration: 'DURATION', port: 'PORT', list: 'LIST' };

/** `--help` text: a usage line, the summary, then one aligned line per flag. */
export function helpText(command: string, summary: string | undefined, table: FlagTable): string {
  const rows = Object.entries(table).map(([name, f]) => {
    const left = `--${name} ${f.arg ?? PLACEHOLDER[f.type]}`;
    const dflt = f.default === undefined || (Array.isArray(f.default) && f.default.length === 0) ? undefined : [f.default].flat().join(',');
    const [first = '', ...more] = f.help.split('\n');
    const help = dflt !== undefined && !f.help.includes('(default') ? [`${first} (default ${dflt})`, ...more].join('\n') : f.help;
    return [left, help] as const;
  });
  rows.push(['--help', 'this text']);
  const width = Math.min(40, Math.max(...rows.map(([l]) => l.length))) + 2;
  const lines = rows.map(([left, help]) => {
    const [first, ...more] = help.split('\n');
    const head = left.length + 2 > width ? `  ${left}\n  ${' '.repeat(width)}${first}` : `  ${left.padEnd(width)}${first}`;
    return [head, ...more.map((l) => `  ${' '.repeat(width)}${l}`)].join('\n');
  });
  return `Usage: ${command} [flags]\n\n${summary ? `${summary}\n\n` : ''}Flags:\n${lines.join('\n')}\n`;
}

const BOOL_WORD = /^(true|false|1|0|yes|no)$/i;

/** Gives a bool flag standing alone its value, so `--x` and `--x false` both parse. */
function withBoolValues(argv: string[], bools: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : undefined;
    if (name && bools.has(name)) {
      const next = argv[i + 1];
      if (next !== undefined && BOOL_WORD.test(next)) {
        out.push(`${a}=${next}`);
        i++;
      } else out.push(`${a}=true`);
    } else out.push(a);
  }
  return out;
}

/** Parses `argv` against the table (plus `--help`/`-h`); throws with a message naming the flag. */
export function parseFlags<F extends FlagTable>(table: F, argv: string[]): { help: boolean; values: FlagValues<F> } {
  const bools = new Set(Object.keys(table).filter((n) => table[n]!.type === 'bool'));
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, f] of Object.entries(table)) options[name] = f.type === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  const { values: raw } = parseArgs({ args: withBoolValues(argv, bools), options, strict: true, allowPositionals: false });
  const values: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(table)) {
    const given = raw[name] as string | string[] | undefined;
    const v = given ?? f.default ?? (f.type === 'list' ? [] : undefined);
    values[name] = v === undefined ? undefined : parseValue(name, f, v);
  }
  return { help: raw.help === true, values: values as FlagValues<F> };
}

function parseValue(name: string, f: FlagSpec, v: string | readonly string[]): unknown {
  if (f.type === 'list') {
    return [v]
      .flat()
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
  }
  const s = [v].flat().at(-1) ?? '';
  switch (f.type) {
    case 'bool':
      return parseBool(name, s);
    case 'int':
      return parseInteger(name, s, f.min, f.max);
    case 'duration':
      return parseDuration(name, s);
    case 'port':
      return parsePort(name, s);
    default:
      return s;
  }
}
