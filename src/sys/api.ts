import { closeSync, constants as fsConstants, readSync, writeSync } from 'node:fs';
import { hasInterfaceNameBytes, interfaceName } from '../common/validate.js';
import { NetlinkError, ValidationError, fromSystemError } from '../netlink/errors.js';
import type { ConnectionProvider } from '../netlink/provider.js';
import { native } from '../native.js';
import type { FamilyName } from '../common/ip.js';

/** rp_filter modes: 0 no source validation, 1 strict (RFC 3704), 2 loose. */
export type RpFilterMode = 0 | 1 | 2;

/** A failed sysctl read or write; `key` is the sysctl (`net.ipv4.conf.all.rp_filter`). */
export class SysctlError extends NetlinkError {
  /** The sysctl key, dotted as sysctl(8) spells it (a dot inside a name as '/': `net.ipv4.conf.eth0/100.rp_filter`). */
  readonly key: string;
  constructor(options: ConstructorParameters<typeof NetlinkError>[0] & { key: string }) {
    super({ ...options, detail: options.key });
    this.name = 'SysctlError';
    this.key = options.key;
  }
}

/** Where an interface-scoped setting applies: every interface, new ones, or one by name. */
export type InterfaceScope = 'all' | 'default' | (string & {});

function familyDirectory(family: FamilyName, field: string): 'ipv4' | 'ipv6' {
  if (family === 'inet') return 'ipv4';
  if (family === 'inet6') return 'ipv6';
  throw new ValidationError(field, family, "expected 'inet' or 'inet6'");
}

function scopeSegment(scope: InterfaceScope, field: string): string {
  return scope === 'all' || scope === 'default' ? scope : interfaceName(scope, field);
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(field, value, 'expected true or false');
  return value;
}

/**
 * `/proc/sys` path segments for a key given dotted (`net.ipv4.ip_forward`) or as a path
 * (`net/ipv4/ip_forward`). Like sysctl(8) (procps slashdot()), the first separator decides: in a
 * dotted key dots separate and a '/' stands for a dot inside a name (`net.ipv4.conf.eth0/100.rp_filter`);
 * in a path key slashes separate and dots are literal (`net/ipv4/conf/eth0.100/rp_filter`).
 * A ValidationError names `field` for anything that cannot be a network sysctl.
 */
export function sysctlKeySegments(key: unknown, field = 'key'): string[] {
  if (typeof key !== 'string' || key.length === 0) throw new ValidationError(field, key, 'expected a sysctl key such as net.ipv4.ip_forward');
  const firstSeparator = key.search(/[./]/);
  const isPath = firstSeparator >= 0 && key[firstSeparator] === '/';
  const segments = isPath ? key.split('/') : key.split('.').map((s) => s.replace(/\//g, '.'));
  if (segments[0] !== 'net') throw new ValidationError(field, key, 'only network sysctls (net.*) are per namespace');
  if (segments.length < 2) throw new ValidationError(field, key, 'expected a sysctl below net, such as net.ipv4.ip_forward');
  for (const segment of segments) {
    if (!isSysctlName(segment)) throw new ValidationError(field, key, 'not a sysctl key');
  }
  return segments;
}

/**
 * Whether `segment` can name an entry of /proc/sys/net. Interface names appear there as they
 * are, so this takes every name the kernel takes for an interface (dev_valid_name, at any
 * length: sysctl names can be longer), not only the [a-z0-9_] of the kernel's own sysctl names.
 * The rest can only fail to exist (ENOENT) and cannot leave /proc/sys/net.
 */
function isSysctlName(segment: string): boolean {
  return segment !== '' && !segment.includes('\0') && hasInterfaceNameBytes(segment);
}

/**
 * The key of `segments` as sysctl(8) spells it: dotted, with a dot inside a name written as '/'
 * (`net.ipv4.conf.eth0/100.rp_filter`), so that `sysctl -n` and {@link SysctlApi.get} read the
 * same file.
 */
export function sysctlKey(segments: readonly string[]): string {
  return segments.map((segment) => segment.replace(/\./g, '/')).join('.');
}

function openSysctl(provider: ConnectionProvider, segments: string[], flags: number, operation: string): number {
  const key = sysctlKey(segments);
  try {
    return native().openInNetns(provider.netnsPath, `/proc/sys/${segments.join('/')}`, flags);
  } catch (error) {
    const failure = fromSystemError(error, { operation, netns: provider.netnsLabel });
    if (failure instanceof NetlinkError && failure.syscall === 'open' && !(error as { netnsPath?: string }).netnsPath) {
      throw new SysctlError({ errno: failure.errno, syscall: 'open', operation, key, netns: provider.netnsLabel, cause: error });
    }
    throw failure;
  }
}

/**
 * Reads a network sysctl of `provider`'s namespace synchronously, trimmed (`segments`: the key's
 * parts, `['net', 'netfilter', 'nf_conntrack_events']`). Throws a SysctlError naming the key.
 */
export function readSysctl(provider: ConnectionProvider, segments: string[]): string {
  const fd = openSysctl(provider, segments, fsConstants.O_RDONLY, 'getSysctl');
  try {
    // Read to the end: one read() of /proc/sys returns at most what fits its buffer, and a few
    // values (lists of addresses, keys) can outgrow any fixed size.
    const chunks: Buffer[] = [];
    for (;;) {
      const buffer = Buffer.alloc(4096);
      const length = readSync(fd, buffer, 0, buffer.length, null);
      if (length === 0) break;
      chunks.push(buffer.subarray(0, length));
    }
    return Buffer.concat(chunks).toString('utf8').trim();
  } catch (error) {
    throw new SysctlError({ errno: (error as { errno?: number }).errno ?? 5, syscall: 'read', operation: 'getSysctl', key: sysctlKey(segments), netns: provider.netnsLabel, cause: error });
  } finally {
    closeSync(fd);
  }
}

/**
 * The sysctls policy routing needs, read and written in the handle's namespace through
 * /proc/sys (no shell). /proc/sys/net belongs to the namespace of whoever opens the file, so
 * each access opens it from inside the namespace (on a short-lived thread, as for sockets).
 */
export class SysctlApi {
  constructor(protected readonly provider: ConnectionProvider) {}

  private write(segments: string[], value: string): void {
    const fd = openSysctl(this.provider, segments, fsConstants.O_WRONLY, 'setSysctl');
    try {
      writeSync(fd, `${value}\n`);
    } catch (error) {
      // The kernel refuses a bad value at write(): EINVAL names the key, not the file.
      const errno = Math.abs((error as { errno?: number }).errno ?? 22);
      throw new SysctlError({ errno, syscall: 'write', operation: 'setSysctl', key: sysctlKey(segments), netns: this.provider.netnsLabel, cause: error });
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads any network sysctl of the namespace, like `sysctl -n KEY`.
   * @example await ns.sysctl.get('net.ipv4.conf.all.rp_filter')   // '0'
   */
  async get(key: string): Promise<string> {
    return readSysctl(this.provider, sysctlKeySegments(key));
  }

  /** Writes any network sysctl of the namespace, like `sysctl -w KEY=VALUE`. */
  async set(key: string, value: string | number | boolean): Promise<void> {
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    if (/[\n\0]/.test(text)) throw new ValidationError('value', value, 'expected a single-line value');
    this.write(sysctlKeySegments(key), text);
  }

  /** Reverse-path filtering of `scope` (net.ipv4.conf.SCOPE.rp_filter). */
  async getRpFilter(scope: InterfaceScope = 'all'): Promise<RpFilterMode> {
    return Number(readSysctl(this.provider, ['net', 'ipv4', 'conf', scopeSegment(scope, 'scope'), 'rp_filter'])) as RpFilterMode;
  }

  /**
   * Sets reverse-path filtering: 0 off, 1 strict, 2 loose. The kernel applies the higher of
   * `all` and the interface's own value, so relaxing one interface needs `all` relaxed too.
   */
  async setRpFilter(scope: InterfaceScope, mode: RpFilterMode): Promise<void> {
    if (mode !== 0 && mode !== 1 && mode !== 2) throw new ValidationError('mode', mode, 'expected 0 (off), 1 (strict) or 2 (loose)');
    this.write(['net', 'ipv4', 'conf', scopeSegment(scope, 'scope'), 'rp_filter'], String(mode));
  }

  /** Whether the namespace forwards packets of a family (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding). */
  async getForwarding(family: FamilyName = 'inet'): Promise<boolean> {
    return readSysctl(this.provider, forwardingKey(familyDirectory(family, 'family'))) !== '0';
  }

  /** Turns forwarding on or off for a family. */
  async setForwarding(family: FamilyName, enabled: boolean): Promise<void> {
    this.write(forwardingKey(familyDirectory(family, 'family')), flag(enabled, 'enabled') ? '1' : '0');
  }

  /** Whether reverse-path checks and source routing consider the packet mark (src_valid_mark). */
  async getSrcValidMark(scope: InterfaceScope = 'all'): Promise<boolean> {
    return readSysctl(this.provider, ['net', 'ipv4', 'conf', scopeSegment(scope, 'scope'), 'src_valid_mark']) !== '0';
  }

  /** Sets src_valid_mark; needed when marks steer replies and rp_filter is on. */
  async setSrcValidMark(scope: InterfaceScope, enabled: boolean): Promise<void> {
    this.write(['net', 'ipv4', 'conf', scopeSegment(scope, 'scope'), 'src_valid_mark'], flag(enabled, 'enabled') ? '1' : '0');
  }

  /** Whether replies the kernel generates itself (RSTs, ICMP) carry the mark of the packet they answer. */
  async getFwmarkReflect(family: FamilyName = 'inet'): Promise<boolean> {
    return readSysctl(this.provider, ['net', familyDirectory(family, 'family'), 'fwmark_reflect']) !== '0';
  }

  /** Sets fwmark_reflect for a family. */
  async setFwmarkReflect(family: FamilyName, enabled: boolean): Promise<void> {
    this.write(['net', familyDirectory(family, 'family'), 'fwmark_reflect'], flag(enabled, 'enabled') ? '1' : '0');
  }

  /** Flushes the route cache (net.ipv4.route.flush, net.ipv6.route.flush); both families by default. */
  async flushRouteCache(family?: FamilyName): Promise<void> {
    const families = family === undefined ? (['ipv4', 'ipv6'] as const) : [familyDirectory(family, 'family')];
    for (const directory of families) this.write(['net', directory, 'route', 'flush'], '1');
  }
}

function forwardingKey(directory: 'ipv4' | 'ipv6'): string[] {
  return directory === 'ipv4' ? ['net', 'ipv4', 'ip_forward'] : ['net', 'ipv6', 'conf', 'all', 'forwarding'];
}
