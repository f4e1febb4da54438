/**
 * A private directory of small text files that outlive the process: weft's persistent analysis
 * cache (js/spawn/analysis_cache.ts decides what goes in). Used by the Node, Deno and Bun
 * adapters through `node:` modules, which all three provide. On Node, the same directory holds
 * V8's code cache of weft's worker script (node/worker_code.ts), written by {@link writeEntry}.
 *
 * Where: `$WEFT_CACHE_DIR`, else the OS cache directory (`$XDG_CACHE_HOME` or `~/.cache` on
 * Linux, `~/Library/Caches` on macOS, `%LOCALAPPDATA%` on Windows) + `/weft`. `WEFT_CACHE=0`
 * turns it off.
 *
 * Safety:
 * - The directory is created with mode 0700 and used only when it is a real directory owned by
 *   this user and closed to others (on POSIX); otherwise the cache is off. Entries are written with
 *   mode 0600.
 * - Concurrent processes: an entry is written to a temporary file in the directory and renamed
 *   over its name, so a reader sees a whole entry or none; two writers of one key write the same
 *   content.
 * - Bounded: at most {@link MAX_ENTRIES} entries (files named `*.entry` or `*.code`) of at most
 *   {@link MAX_ENTRY_BYTES}; the first write of a process that finds more removes the oldest quarter.
 * - Every failure (no permission, a full disk, a vanished file) means "not cached", never an error.
 * @module
 */

import type { PersistentCache } from "../js/runtime.js";
import { builtin } from "./builtins.js";

/** Entries kept at most. */
export const MAX_ENTRIES = 2000;
/** Largest entry written, in bytes. */
export const MAX_ENTRY_BYTES = 4 * 1024 * 1024;
/** The key of the directory in a Node worker's `workerData`, for V8's code cache (node/worker_code.ts). */
export const CODE_CACHE_DIR = "weftCodeCache";

/** What the cache needs of its host, each answered without prompting (Deno's permissions). */
export interface CacheHost {
  /** An environment variable, or `undefined`. */
  env(name: string): string | undefined;
  /** The user's home directory, or `undefined`. */
  home(): string | undefined;
  /** This process's user id on POSIX, or `undefined` when unknown. */
  uid(): number | undefined;
  /** Whether the process may read and write below `dir`. */
  allowed(dir: string): boolean;
  /** The SHA-256 digest of `text` (as UTF-8) in hex; by default from `node:crypto`. */
  sha256?(text: string): string;
  /**
   * Whether this is the process's root thread. Its first spawn reads the cache, so the default
   * hash's module is loaded with weft there rather than inside that spawn; a worker loads it only
   * if it spawns (node/builtins.ts).
   */
  rootThread?: boolean;
}

const nodeSha256 = (text: string): string => builtin("node:crypto").createHash("sha256").update(text).digest("hex");

const fs = () => builtin("node:fs");
const join = (...parts: string[]) => builtin("node:path").join(...parts);
const platform = () => builtin("node:os").platform();

/** Eight random hex digits, from the web Crypto API every runtime provides globally. */
function randomSuffix(): string {
  const [word] = crypto.getRandomValues(new Uint32Array(1));
  return word!.toString(16).padStart(8, "0");
}

function baseDirectory(host: CacheHost): string | undefined {
  const env = (name: string) => host.env(name);
  const explicit = env("WEFT_CACHE_DIR");
  if (explicit !== undefined && explicit !== "") return explicit;
  const home = host.home();
  if (home === undefined || home === "") return undefined;
  switch (platform()) {
    case "darwin":
      return join(home, "Library", "Caches", "weft");
    case "win32": {
      const local = env("LOCALAPPDATA");
      return local === undefined ? undefined : join(local, "weft", "cache");
    }
    default: {
      const xdg = env("XDG_CACHE_HOME");
      return join(xdg !== undefined && xdg.startsWith("/") ? xdg : join(home, ".cache"), "weft");
    }
  }
}

/** Whether `dir` is a directory of this user's that others cannot read or write. */
function isPrivate(dir: string, uid: number | undefined): boolean {
  const info = fs().lstatSync(dir);
  if (!info.isDirectory()) return false;
  if (platform() === "win32") return true;
  return (uid === undefined || info.uid === uid) && (info.mode & 0o077) === 0;
}

/** Whether `name` is an entry of the cache, counted in its bound. */
const isEntry = (name: string): boolean => name.endsWith(".entry") || name.endsWith(".code");

/**
 * Writes `data` as the entry `name` of the private directory `dir`: to a temporary file of mode
 * 0600, renamed over `name`, so that a reader sees a whole entry or none. A failure leaves no
 * temporary file behind and is not reported (the entry is simply not cached).
 */
export function writeEntry(dir: string, name: string, data: string | Uint8Array): void {
  const temporary = join(dir, `${name}.${process.pid}.${randomSuffix()}.tmp`);
  try {
    fs().writeFileSync(temporary, data, { mode: 0o600 });
    fs().chmodSync(temporary, 0o600);
    fs().renameSync(temporary, join(dir, name));
  } catch {
    try {
      fs().unlinkSync(temporary);
    } catch {
      // Never written.
    }
  }
}

/** The analysis cache, and the directory it keeps its entries in. */
export interface DirectoryCache extends PersistentCache {
  /** The private directory, or `undefined` when it cannot be used (then nothing is cached). */
  directory(): string | undefined;
}

/**
 * The cache, or `undefined` when it is turned off. The directory is looked up once, on first
 * use; if it cannot be made private, nothing is cached.
 */
export function persistentCache(host: CacheHost): DirectoryCache | undefined {
  const off = host.env("WEFT_CACHE");
  if (off === "0" || off?.toLowerCase() === "false") return undefined;
  let dir: string | null | undefined; // null: unusable
  let trimmed = false;
  const sha256 = host.sha256 ?? nodeSha256;
  if (host.rootThread === true && host.sha256 === undefined) builtin("node:crypto");

  const directory = (): string | undefined => {
    if (dir === undefined) {
      dir = null;
      try {
        const base = baseDirectory(host);
        if (base !== undefined && host.allowed(base)) {
          fs().mkdirSync(base, { recursive: true, mode: 0o700 });
          if (isPrivate(base, host.uid())) dir = base;
        }
      } catch {
        // Not cached.
      }
    }
    return dir ?? undefined;
  };

  const trim = (d: string): void => {
    trimmed = true;
    const entries = fs().readdirSync(d).filter(isEntry);
    if (entries.length <= MAX_ENTRIES) return;
    const aged = entries
      .map((name) => {
        try {
          return { name, at: fs().statSync(join(d, name)).mtimeMs };
        } catch {
          return { name, at: 0 };
        }
      })
      .sort((a, b) => a.at - b.at);
    for (const { name } of aged.slice(0, Math.ceil(entries.length / 4))) {
      try {
        fs().unlinkSync(join(d, name));
      } catch {
        // Removed by another process meanwhile.
      }
    }
  };

  return {
    directory,
    key(parts) {
      let text = "";
      for (const part of parts) text += `${part.length}:${part}`;
      return sha256(text);
    },
    read(key) {
      const d = directory();
      if (d === undefined) return undefined;
      try {
        return fs().readFileSync(join(d, `${key}.entry`), "utf8");
      } catch {
        return undefined;
      }
    },
    write(key, text) {
      const d = directory();
      if (d === undefined || text.length > MAX_ENTRY_BYTES) return;
      try {
        if (!trimmed) trim(d);
      } catch {
        // The directory went away: the write below fails too.
      }
      writeEntry(d, `${key}.entry`, text);
    },
  };
}
