/**
 * The declared size limits of the shared memory, read from the module's binary.
 *
 * `WebAssembly.Memory` reports its current size only; its maximum (how far it may ever grow, set
 * by the linker's `--max-memory`) is declared in the module's import section. The pool needs it to
 * know how many worker stacks fit, so the loader records it from the bytes it compiles, or as the
 * package recorded it when the runtime compiles the module itself ({@link recordMemoryLimits}),
 * and the pool reads it back ({@link coreMemoryLimits}).
 * @module
 */

/** The shared memory's size bounds, in bytes. */
export interface MemoryLimits {
  /** Size at instantiation: static data and the main thread's stack. */
  readonly initial: number;
  /** The most it can grow to. */
  readonly maximum: number;
}

/** Bytes per Wasm page. */
const PAGE = 65536;
/** The id of the import section in the binary format. */
const IMPORT_SECTION = 2;
/** Import kinds: what follows an import's two names. */
const KIND_FUNCTION = 0;
const KIND_TABLE = 1;
const KIND_MEMORY = 2;
const KIND_GLOBAL = 3;
const KIND_TAG = 4;

/**
 * The analyzer's share of the shared memory, kept free of worker stacks and of data: the parses it
 * caches for later call sites (`CACHE_BUDGET`, 192 MiB) and one running parse of the largest file
 * it accepts (6 MiB of source at 48 bytes of memory per byte), as `crates/wasm/src/analyzer.rs`
 * bounds them.
 */
export const ANALYZER_SHARE = 192 * 2 ** 20 + 6 * 2 ** 20 * 48;

/**
 * The bytes data (primitives, structs, channel messages) and worker stacks may take together in a
 * memory of `limits`: all but its initial size and {@link ANALYZER_SHARE}, so that a memory full
 * of data still has room for an analysis (`crates/wasm/src/memory.rs`, "The budget"). At most
 * 2³² - 1: the budget is a 32-bit word.
 */
export function sharedBudget(limits: MemoryLimits): number {
  return Math.min(Math.max(0, limits.maximum - limits.initial - ANALYZER_SHARE), 2 ** 32 - 1);
}

let recorded: MemoryLimits | undefined;

/**
 * The limits of the first imported memory of the module in `bytes`, or `undefined` when the module
 * imports no memory with a maximum (or is not a module this reader understands).
 */
export function importedMemoryLimits(bytes: Uint8Array): MemoryLimits | undefined {
  let at = 8; // magic and version
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= bytes.length) throw new RangeError("truncated LEB128");
      const byte = bytes[at++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const skipName = (): void => {
    const length = u32();
    at += length;
  };
  const limits = (): { min: number; max: number | undefined } => {
    const flags = bytes[at++]!;
    const min = u32();
    const max = (flags & 1) !== 0 ? u32() : undefined;
    return { min, max };
  };
  try {
    while (at < bytes.length) {
      const id = bytes[at++]!;
      const size = u32();
      const end = at + size;
      if (id === IMPORT_SECTION) {
        for (let count = u32(); count > 0; count--) {
          skipName();
          skipName();
          const kind = bytes[at++]!;
          if (kind === KIND_MEMORY) {
            const { min, max } = limits();
            return max === undefined ? undefined : { initial: min * PAGE, maximum: max * PAGE };
          }
          if (kind === KIND_FUNCTION) u32();
          else if (kind === KIND_TABLE) {
            at++; // element type
            limits();
          } else if (kind === KIND_GLOBAL) at += 2; // value type, mutability
          else if (kind === KIND_TAG) {
            at++; // attribute
            u32();
          } else return undefined;
        }
        return undefined;
      }
      // Sections come in id order, custom sections (0) anywhere: past the imports, none are left.
      if (id > IMPORT_SECTION) return undefined;
      at = end;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Records the limits of the shared memory of the module being loaded. */
export function recordMemoryLimits(limits: MemoryLimits | undefined): void {
  recorded = limits;
}

/** The shared memory's limits, once the module was loaded on this thread; else `undefined`. */
export function coreMemoryLimits(): MemoryLimits | undefined {
  return recorded;
}
