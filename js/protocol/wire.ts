/**
 * How values cross between threads beyond what structured cloning does by itself.
 *
 * Errors: structured cloning keeps only some built-in error classes and drops `cause`, own
 * properties and `AggregateError.errors` on some engines. Errors are therefore sent as a
 * {@link WireError} and rebuilt on arrival with the same built-in class (or `Error` with the same
 * `name` for user classes), `message`, `stack`, `cause`, `errors` and own enumerable properties.
 * Anything thrown that is not an Error crosses as is.
 *
 * Transferables: {@link transferablesIn} finds the `ArrayBuffer`s inside a value so that a result
 * can be moved instead of copied. SharedArrayBuffers are never listed: they are shared already.
 * @module
 */

const WIRE = "weft:error";

/** An error as it travels between threads. */
export interface WireError {
  readonly [WIRE]: true;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
  readonly props: Readonly<Record<string, unknown>>;
}

const BUILT_IN: Record<string, new (message?: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

function isWireError(value: unknown): value is WireError {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[WIRE] === true;
}

/**
 * Converts a thrown value for posting: Errors (with causes and nested errors) become WireErrors,
 * their stacks passed through `rewrite`.
 */
export function errorToWire(thrown: unknown, rewrite: (stack: string) => string = (s) => s, depth = 0): unknown {
  if (!(thrown instanceof Error) || depth > 8) return thrown;
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    if (key === "cause" || key === "errors") continue;
    const value = (thrown as unknown as Record<string, unknown>)[key];
    props[key] = cloneable(value) ? value : String(value);
  }
  const wire: Record<string, unknown> = {
    [WIRE]: true,
    name: thrown.name,
    message: thrown.message,
    stack: typeof thrown.stack === "string" ? rewrite(thrown.stack) : thrown.stack,
    props,
  };
  if ("cause" in thrown) wire.cause = errorToWire(cloneOrString(thrown.cause), rewrite, depth + 1);
  if (thrown instanceof AggregateError) {
    wire.errors = thrown.errors.map((e) => errorToWire(cloneOrString(e), rewrite, depth + 1));
  }
  return wire;
}

/** Rebuilds a thrown value received from another thread. */
export function errorFromWire(value: unknown): unknown {
  if (!isWireError(value)) return value;
  const options = "cause" in value ? { cause: errorFromWire(value.cause) } : undefined;
  let error: Error;
  if (value.name === "AggregateError") {
    error = new AggregateError((value.errors ?? []).map(errorFromWire), value.message, options);
  } else {
    const Class = BUILT_IN[value.name] ?? Error;
    error = new (Class as new (message: string, options?: { cause?: unknown }) => Error)(value.message, options);
    if (Class === Error && value.name !== "Error") {
      Object.defineProperty(error, "name", { value: value.name, writable: true, configurable: true });
    }
  }
  Object.defineProperty(error, "stack", { value: value.stack, writable: true, configurable: true });
  Object.assign(error, value.props);
  return error;
}

function cloneable(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol")) {
    return true;
  }
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function cloneOrString(value: unknown): unknown {
  return value instanceof Error || cloneable(value) ? value : String(value);
}

/**
 * The distinct, non-shared, non-detached ArrayBuffers reachable from `value` (through arrays,
 * plain objects, Maps, Sets and typed-array views), for a transfer list.
 */
export function transferablesIn(value: unknown): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof ArrayBuffer) {
      if (!isDetached(v)) found.add(v);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer);
      return;
    }
    if (Array.isArray(v)) {
      for (const item of v) visit(item);
      return;
    }
    if (v instanceof Map) {
      for (const [k, item] of v) {
        visit(k);
        visit(item);
      }
      return;
    }
    if (v instanceof Set) {
      for (const item of v) visit(item);
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key]);
    }
  };
  visit(value);
  return [...found];
}

function isDetached(buffer: ArrayBuffer): boolean {
  return (buffer as ArrayBuffer & { detached?: boolean }).detached === true;
}
