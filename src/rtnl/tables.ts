/**
 * Named routing tables, read the way iproute2 6.1 reads them: `rt_tables` from the
 * configuration directory (/etc/iproute2), or from the fallback directory (/usr/share/iproute2)
 * when the first has none, then every `*.conf` in `rt_tables.d/` of the configuration directory
 * (or of the fallback when the first has no such folder). `main`, `local` and `default` are
 * always known, as in `ip`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../netlink/errors.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN } from './constants.js';

/** A routing table: its id (ids above 255 work) or a name from rt_tables. */
export type TableRef = number | string;

/** Where {@link TableNames} reads from. */
export interface TableNamesOptions {
  /** Read first; default `/etc/iproute2`. */
  configDir?: string;
  /** Read when `configDir` lacks `rt_tables` (or `rt_tables.d`); default `/usr/share/iproute2`. */
  fallbackDir?: string;
}

const BUILTIN: ReadonlyArray<[string, number]> = [
  ['default', RT_TABLE_DEFAULT],
  ['main', RT_TABLE_MAIN],
  ['local', RT_TABLE_LOCAL],
];

/** A snapshot of the table names: both directions. */
export interface TableNameMap {
  readonly ids: ReadonlyMap<string, number>;
  readonly names: ReadonlyMap<number, string>;
}

/** Parses one rt_tables file: `ID NAME` per line (ID decimal or 0x hex), `#` comments. */
export function parseRtTables(text: string, into: { ids: Map<string, number>; names: Map<number, string> }): void {
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(0x[0-9a-fA-F]+|\d+)\s+([^\s#]+)/.exec(line);
    if (!match) continue; // iproute2 skips what it cannot parse, and so do we
    const id = match[1]!.startsWith('0x') ? parseInt(match[1]!.slice(2), 16) : Number(match[1]);
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) continue;
    into.ids.set(match[2]!, id);
    into.names.set(id, match[2]!);
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function confFiles(dir: string): string[] | undefined {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.conf'))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return undefined;
  }
}

/**
 * Resolves table names to ids and back, from rt_tables files. The files are read on every
 * {@link load} (a few small reads), so edits take effect without a restart.
 *
 * @example
 * ```ts
 * const tables = new TableNames({ configDir: '/etc/iproute2' });
 * tables.id('main'); // 254
 * ```
 */
export class TableNames {
  readonly configDir: string;
  readonly fallbackDir: string;

  constructor(options: TableNamesOptions = {}) {
    this.configDir = options.configDir ?? '/etc/iproute2';
    this.fallbackDir = options.fallbackDir ?? '/usr/share/iproute2';
  }

  /** Reads the files now and returns both directions. */
  load(): TableNameMap {
    const ids = new Map<string, number>();
    const names = new Map<number, string>();
    for (const [name, id] of BUILTIN) {
      ids.set(name, id);
      names.set(id, name);
    }
    const main = readText(join(this.configDir, 'rt_tables')) ?? readText(join(this.fallbackDir, 'rt_tables'));
    if (main !== undefined) parseRtTables(main, { ids, names });
    const extra = confFiles(join(this.configDir, 'rt_tables.d')) ?? confFiles(join(this.fallbackDir, 'rt_tables.d')) ?? [];
    for (const file of extra) {
      const text = readText(file);
      if (text !== undefined) parseRtTables(text, { ids, names });
    }
    return { ids, names };
  }

  /** The id of a table name, or undefined. */
  id(name: string): number | undefined {
    return this.load().ids.get(name);
  }

  /** The name of a table id, or undefined. */
  name(id: number): string | undefined {
    return this.load().names.get(id);
  }
}

const defaultTableNames = new TableNames();
const perProvider = new WeakMap<object, TableNames>();

/**
 * Makes a handle (or any ConnectionProvider) resolve table names from other files, e.g. a test's
 * own rt_tables. Pass `undefined` to go back to the system's files.
 *
 * @example
 * ```ts
 * useTableNames(handle, new TableNames({ configDir: '/srv/agent/iproute2' }));
 * await handle.rules.add({ fwmark: 65, priority: 1000, table: 'hof' });
 * ```
 */
export function useTableNames(provider: ConnectionProvider, names: TableNames | TableNamesOptions | undefined): void {
  if (names === undefined) perProvider.delete(provider);
  else perProvider.set(provider, names instanceof TableNames ? names : new TableNames(names));
}

/** The table names a handle resolves with (the system's unless {@link useTableNames} was called). */
export function tableNamesOf(provider: ConnectionProvider | undefined): TableNames {
  return (provider && perProvider.get(provider)) ?? defaultTableNames;
}

/**
 * Resolves table references of one call lazily: the files are read at most once per call, and
 * only if a name is actually used.
 */
export class TableResolver {
  private map: TableNameMap | undefined;

  constructor(private readonly source: TableNames) {}

  private get loaded(): TableNameMap {
    this.map ??= this.source.load();
    return this.map;
  }

  /** A table id from a number or a name; a ValidationError naming `field` otherwise. */
  resolve(value: unknown, field: string): number {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) return value;
      throw new ValidationError(field, value, 'expected a table id in 0..4294967295 or a table name');
    }
    if (typeof value === 'string' && value !== '') {
      if (/^\d+$/.test(value) && Number(value) <= 0xffffffff) return Number(value);
      const id = this.loaded.ids.get(value);
      if (id !== undefined) return id;
      throw new ValidationError(
        field,
        value,
        `unknown table name (not in ${join(this.source.configDir, 'rt_tables')}, rt_tables.d/*.conf or ${join(this.source.fallbackDir, 'rt_tables')})`,
      );
    }
    throw new ValidationError(field, value, 'expected a table id or a table name');
  }

  /** The name of a table id if it has one, else the id. */
  display(id: number): TableRef {
    return this.loaded.names.get(id) ?? id;
  }
}
