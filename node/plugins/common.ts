/**
 * What weft's bundler plugins share on Node: where the package's files are, the `weft` module a
 * worker bundle imports, the embedded package entry, and bundling a file's worker entry with
 * esbuild.
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { planTransform } from "../../js/build/transform.js";
import { WeftError } from "../../js/errors.js";

/** The runtime a bundle runs on, which picks weft's package entry and worker. */
export type TargetRuntime = "node" | "deno" | "bun";

/** Options of every weft plugin. */
export interface WeftPluginOptions {
  /**
   * The runtime the output runs on. Default: `"bun"` or `"deno"` when the bundler resolves with
   * that export condition, else `"node"`.
   */
  readonly runtime?: TargetRuntime;
  /**
   * Whether weft itself goes into the bundle with its `.wasm` and worker entry (default: unless
   * the bundler leaves `weft` external). Either way each transformed file carries its worker
   * module.
   */
  readonly embed?: boolean;
}

/** The package's root directory (holding `js/wasm/weft_bg.wasm`), found from this module. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "js", "wasm", "weft_bg.wasm"))) return dir;
    dir = dirname(dir);
  }
  throw new WeftError("WEFT_CORE_LOAD_FAILED", `Cannot find weft's package files above ${fileURLToPath(import.meta.url)}`);
})();

/** Where a bundle's `weft` (or `weft/_internal`) resolves when weft is embedded. */
export function embeddedEntry(runtime: TargetRuntime, internal: boolean): string {
  return join(packageRoot, runtime, internal ? "embedded_internal.js" : "embedded.js");
}

/** The text of `weft:embedded/wasm` or `weft:embedded/worker` for `runtime`. */
export function embeddedModule(id: string, runtime: TargetRuntime): string {
  if (id === "weft:embedded/wasm") {
    return `export default ${JSON.stringify(readFileSync(join(packageRoot, "js", "wasm", "weft_bg.wasm")).toString("base64"))};\n`;
  }
  if (id === "weft:embedded/worker") {
    return `export default ${JSON.stringify(readFileSync(join(packageRoot, runtime, "worker.bundle.js"), "utf8"))};\n`;
  }
  throw new WeftError("WEFT_INTERNAL", `No module ${id} in weft's embedded entry`);
}

/** The module a worker bundle imports as `weft` (or `weft/_internal`): the worker's own weft. */
export function shimPath(internal: boolean): string {
  return join(packageRoot, "node", "plugins", internal ? "shim_internal.js" : "shim.js");
}

/** The specifiers of weft that a plugin resolves. */
export const WEFT_SPECIFIER = /^weft(\/_internal)?$/;

/** Whether a file is one the transform reads: script sources outside `node_modules`. */
export function isSource(file: string): boolean {
  return /\.[cm]?[jt]sx?$/.test(file) && !file.split(sep).includes("node_modules") && !file.includes("\0");
}

/** The loader name (esbuild's, Bun's) for a file. */
export function loaderOf(file: string): "js" | "jsx" | "ts" | "tsx" {
  const ext = extname(file).replace(/^\.[cm]?/, ".");
  return ext === ".ts" ? "ts" : ext === ".tsx" ? "tsx" : ext === ".jsx" ? "jsx" : "js";
}

/** Whether a file is CommonJS: by extension, else by its statements. */
export function isCommonJs(file: string, code: string): boolean {
  if (/\.c[jt]s$/.test(file)) return true;
  if (/\.m[jt]s$/.test(file)) return false;
  return !/^\s*(import|export)\b/m.test(code) && /\brequire\s*\(/.test(code);
}

/** How the bundler was configured, as far as the worker bundle should follow it. */
export interface BundleSettings {
  readonly root: string;
  readonly runtime: TargetRuntime;
  readonly conditions?: readonly string[];
  readonly mainFields?: readonly string[];
  readonly tsconfig?: string;
  readonly define?: Readonly<Record<string, string>>;
}

/** A minimal view of esbuild's API: `build` and `buildSync`. */
export interface Esbuild {
  build(options: object): Promise<{ outputFiles?: { text: string }[] }>;
  buildSync(options: object): { outputFiles?: { text: string }[] };
}

/** The options of the esbuild build that bundles a file's worker entry. */
function workerBuild(entry: string, jsx: boolean, file: string, settings: BundleSettings): object {
  const node = settings.runtime !== "deno";
  return {
    stdin: { contents: entry, resolveDir: dirname(file), sourcefile: `${relative(settings.root, file)}#weft-worker`, loader: jsx ? "jsx" : "js" },
    absWorkingDir: settings.root,
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "es2022",
    alias: { weft: shimPath(false), "weft/_internal": shimPath(true) },
    ...(settings.conditions === undefined ? {} : { conditions: [...settings.conditions] }),
    ...(settings.mainFields === undefined ? {} : { mainFields: [...settings.mainFields] }),
    ...(settings.tsconfig === undefined ? {} : { tsconfig: settings.tsconfig }),
    ...(settings.define === undefined ? {} : { define: { ...settings.define } }),
    // CommonJS packages inside the bundle may `require` builtins.
    ...(node
      ? { banner: { js: 'import { createRequire as __weftCreateRequire } from "node:module"; const require = __weftCreateRequire("file:///weft-worker.js");' } }
      : {}),
    legalComments: "none",
    logLevel: "silent",
  };
}

function where(file: string, settings: BundleSettings): string {
  const rel = relative(settings.root, file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel.split(sep).join("/");
}

function plan(file: string, code: string, settings: BundleSettings) {
  return planTransform(pathToFileURL(file).href, code, where(file, settings), isCommonJs(file, code));
}

function bundled(result: { outputFiles?: { text: string }[] }, file: string): string {
  const text = result.outputFiles?.[0]?.text;
  if (text === undefined) throw new WeftError("WEFT_INTERNAL", `Bundling the worker module of ${file} produced no output`);
  return text;
}

/** The transformed text of `file`, or `undefined` when it has no weft spawn. */
export async function transformFile(esbuild: Esbuild, file: string, code: string, settings: BundleSettings): Promise<string | undefined> {
  const p = plan(file, code, settings);
  if (p === undefined) return undefined;
  return p.finish(bundled(await esbuild.build(workerBuild(p.entry, p.jsx, file, settings)), file));
}

/** {@link transformFile}, synchronously (for jest). */
export function transformFileSync(esbuild: Esbuild, file: string, code: string, settings: BundleSettings): string | undefined {
  const p = plan(file, code, settings);
  if (p === undefined) return undefined;
  return p.finish(bundled(esbuild.buildSync(workerBuild(p.entry, p.jsx, file, settings)), file));
}

/** esbuild as the project at `root` has it, else as weft's own dependencies have it. */
export function loadEsbuild(root: string): Esbuild {
  for (const from of [join(root, "package.json"), fileURLToPath(import.meta.url)]) {
    try {
      return createRequire(from)("esbuild") as Esbuild;
    } catch {
      // next
    }
  }
  throw new WeftError(
    "WEFT_INTERNAL",
    "weft's build plugin bundles each transformed file's worker module with esbuild, which is not installed: npm install -D esbuild",
  );
}

/** `file:line:column` at the start of a WeftError's message, for a bundler's error location. */
export function locationOf(error: unknown): { file: string; line: number; column: number } | undefined {
  const m = /at (\S+?):(\d+):(\d+)/.exec(error instanceof Error ? error.message : "");
  return m === null ? undefined : { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
}

/** A build error's text: the code, then the message. */
export function errorText(error: unknown): string {
  return error instanceof WeftError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

/** The default runtime from the bundler's export conditions. */
export function runtimeFrom(conditions: readonly string[] | undefined, chosen: TargetRuntime | undefined): TargetRuntime {
  if (chosen !== undefined) return chosen;
  if (conditions?.includes("bun")) return "bun";
  if (conditions?.includes("deno")) return "deno";
  return "node";
}
