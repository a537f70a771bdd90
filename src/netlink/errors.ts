import { Errno, errnoDescription, errnoName } from './errno.js';

/** What the kernel added to an error with NETLINK_EXT_ACK. */
export interface ExtendedAck {
  /** The kernel's human-readable explanation (NLMSGERR_ATTR_MSG). */
  message?: string;
  /** Byte offset, inside the offending request, of the attribute at fault (NLMSGERR_ATTR_OFFS). */
  offset?: number;
  /** The attribute type that was required but missing (NLMSGERR_ATTR_MISS_TYPE). */
  missingType?: number;
  /** Offset of the nest that lacks the missing attribute (NLMSGERR_ATTR_MISS_NEST). */
  missingNest?: number;
  /** Opaque data returned by some families (NLMSGERR_ATTR_COOKIE). */
  cookie?: Uint8Array;
}

/** Where a failure happened: the caller's operation and its position in the caller's batch. */
export interface OperationRef {
  /** The operation's name, e.g. `'addRule'` or `'nft add rule'`. */
  operation: string;
  /** Index of the item in the caller's array, when the call took an array. */
  index?: number;
}

/** Options for {@link NetlinkError}. */
export interface NetlinkErrorOptions extends Partial<OperationRef> {
  /** Positive errno value. */
  errno: number;
  /** Extended-ACK information sent by the kernel. */
  extAck?: ExtendedAck;
  /** Name of the failing system call, for failures outside the netlink protocol (socket, setns). */
  syscall?: string;
  /** Network namespace the failing handle belongs to. */
  netns?: string;
  /** Extra detail written after the errno description. */
  detail?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The one error type for everything the kernel or a system call refuses.
 *
 * It carries the errno (number and name), the kernel's extended-ACK message and offset when it
 * sent one, the operation that failed and that operation's index in the caller's batch.
 *
 * @example
 * ```ts
 * try { await addRule({ fwmark: 65, priority: 1000, table: 1 }); }
 * catch (e) { if (e instanceof NetlinkError && e.code === 'EEXIST') { ... } }
 * ```
 */
export class NetlinkError extends Error {
  /** Positive errno value, e.g. 17. */
  readonly errno: number;
  /** Symbolic errno name, e.g. `'EEXIST'`. */
  readonly code: string;
  /** The kernel's extended-ACK message, if it sent one. */
  readonly extAckMessage: string | undefined;
  /** Byte offset of the offending attribute in the request, if the kernel sent one. */
  readonly extAckOffset: number | undefined;
  /** Everything the kernel sent in the extended ACK. */
  readonly extAck: ExtendedAck | undefined;
  /** The operation that failed, e.g. `'addRule'`. */
  readonly operation: string | undefined;
  /** Index of the failed item in the caller's array. */
  readonly index: number | undefined;
  /** The failing system call, for failures outside the netlink protocol. */
  readonly syscall: string | undefined;
  /** The namespace of the handle, if not the current one. */
  readonly netns: string | undefined;
  /** What routemark added to the kernel's answer (which address, which rule), if anything. */
  readonly detail: string | undefined;

  constructor(options: NetlinkErrorOptions) {
    const code = errnoName(options.errno);
    const where = options.operation
      ? `${options.operation}${options.index !== undefined ? `[${options.index}]` : ''}: `
      : options.syscall
        ? `${options.syscall}: `
        : '';
    const kernelText = options.extAck?.message ? `: ${options.extAck.message}` : '';
    const detail = options.detail ? ` (${options.detail})` : '';
    super(`${where}${code} (${errnoDescription(options.errno)})${kernelText}${detail}`, {
      cause: options.cause,
    });
    this.name = 'NetlinkError';
    this.errno = options.errno;
    this.code = code;
    this.extAck = options.extAck;
    this.extAckMessage = options.extAck?.message;
    this.extAckOffset = options.extAck?.offset;
    this.operation = options.operation;
    this.index = options.index;
    this.syscall = options.syscall;
    this.netns = options.netns;
    this.detail = options.detail;
  }

  /** A copy of this error attributed to an operation (used when a batch maps errors back). */
  withOperation(ref: OperationRef): NetlinkError {
    return this.copyAs({ operation: ref.operation, index: ref.index, detail: this.detail, cause: this.cause });
  }

  /**
   * A copy of this error, the failure of a request `operation` made on the way to its own
   * (`step`, e.g. `resolving interface names (RTM_GETLINK)`), attributed to `operation`: the
   * message says which request failed, and this error stays as the cause.
   */
  asStepOf(operation: string, step: string): NetlinkError {
    return this.copyAs({ operation, detail: this.detail !== undefined ? `${step} failed: ${this.detail}` : `${step} failed`, cause: this });
  }

  /** A copy with the kernel's answer (errno, extended ACK, system call, namespace) and `where`. */
  private copyAs(where: Pick<NetlinkErrorOptions, 'operation' | 'index' | 'detail' | 'cause'>): NetlinkError {
    return new NetlinkError({ errno: this.errno, extAck: this.extAck, syscall: this.syscall, netns: this.netns, ...where });
  }
}

/**
 * Bad input, found before anything was sent to the kernel. Names the field (a path such as
 * `rules[3].fwmark`) and the value that was refused.
 */
export class ValidationError extends TypeError {
  /** Path of the offending field, e.g. `'rules[3].fwmark'`. */
  readonly field: string;
  /** The value that was refused. */
  readonly value: unknown;
  /** Stable error code for programmatic checks. */
  readonly code = 'ERR_ROUTEMARK_INVALID';

  constructor(field: string, value: unknown, expectation: string) {
    super(`${field}: ${expectation}, got ${describeValue(value)}`);
    this.name = 'ValidationError';
    this.field = field;
    this.value = value;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || value === null || typeof value !== 'object') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Turns an error thrown by the addon (errno + syscall) into a NetlinkError. */
export function fromSystemError(error: unknown, context: { operation?: string; netns?: string } = {}): unknown {
  if (!(error instanceof Error)) return error;
  const errno = (error as { errno?: unknown }).errno;
  if (typeof errno !== 'number') return error;
  const syscall = (error as { syscall?: string }).syscall;
  const netnsPath = (error as { netnsPath?: string }).netnsPath;
  const path = (error as { path?: string }).path;
  let detail: string | undefined;
  if (netnsPath !== undefined) {
    const label = context.netns ?? netnsPath;
    detail = errno === Errno.ENOENT ? `network namespace ${label} does not exist: no ${netnsPath}` : `network namespace ${label} (${netnsPath})`;
  }
  else if (path !== undefined) detail = path;
  return new NetlinkError({
    errno,
    syscall,
    netns: context.netns,
    operation: context.operation,
    detail,
    cause: error,
  });
}
