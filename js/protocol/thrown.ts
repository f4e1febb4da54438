/**
 * How thrown values cross between threads.
 *
 * Structured cloning keeps only some built-in error classes and drops `cause`, own properties and
 * `AggregateError.errors` on some engines. Errors are therefore sent as a {@link ThrownWire} and
 * rebuilt on arrival with the same built-in class (`WeftError` for weft's own, `Error` with the
 * same `name` for user classes), `message`, `stack`, `cause`, `errors` and own enumerable
 * properties. Anything thrown that is not an Error crosses as is.
 * @module
 */

import { WeftError, type WeftErrorCode } from "../errors.js";

const WIRE = "weft:error";

/** An error as it travels between threads. */
export interface ThrownWire {
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

function isThrownWire(value: unknown): value is ThrownWire {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[WIRE] === true;
}

/**
 * A thrown value ready to post: Errors (with causes and nested errors) become {@link ThrownWire}s,
 * their stacks passed through `rewrite`.
 */
export function encodeThrown(thrown: unknown, rewrite: (stack: string) => string = (s) => s, depth = 0): unknown {
  if (!(thrown instanceof Error) || depth > 8) return cloneOrString(thrown);
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
  if ("cause" in thrown) wire.cause = encodeThrown(thrown.cause, rewrite, depth + 1);
  if (thrown instanceof AggregateError) {
    wire.errors = thrown.errors.map((e) => encodeThrown(e, rewrite, depth + 1));
  }
  return wire;
}

/** Rebuilds a thrown value received from another thread. */
export function decodeThrown(value: unknown): unknown {
  if (!isThrownWire(value)) return value;
  const options = "cause" in value ? { cause: decodeThrown(value.cause) } : undefined;
  let error: Error;
  const code = value.props.code;
  if (value.name === "WeftError" && typeof code === "string" && code.startsWith("WEFT_")) {
    error = new WeftError(code as WeftErrorCode, value.message, options);
  } else if (value.name === "AggregateError") {
    error = new AggregateError((value.errors ?? []).map(decodeThrown), value.message, options);
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
