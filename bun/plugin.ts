/**
 * `weft/bun`: weft's build-time transform as a Bun plugin, for `Bun.build` (and `bun build
 * --compile` through it) and, registered with `Bun.plugin` in a preload, for `bun test` and
 * `bun run`.
 *
 * ```js
 * import weft from "weft/bun";
 * await Bun.build({ entrypoints: ["src/app.ts"], outdir: "dist", target: "bun", plugins: [weft()] });
 * ```
 * Each transformed file's worker module is bundled with `Bun.build`.
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import "./mod.js";
import { planTransform } from "../js/build/transform.js";
import { WeftError } from "../js/errors.js";

/** Options of the Bun plugin. */
export interface WeftBunPluginOptions {
  /** Whether `Bun.build` puts weft itself, with its `.wasm` and worker entry, into the output (default: unless `weft` is external). */
  readonly embed?: boolean;
}

interface PluginBuild {
  readonly config?: { readonly external?: readonly string[]; readonly root?: string };
  onResolve(options: { filter: RegExp; namespace?: string }, callback: (args: { path: string; importer?: string }) => unknown): void;
  onLoad(options: { filter: RegExp; namespace?: string }, callback: (args: { path: string }) => unknown): void;
}

/** The part of Bun's plugin API this plugin uses. */
export interface BunPlugin {
  name: string;
  setup(build: PluginBuild): void;
}

declare const Bun: {
  build(options: object): Promise<{ success: boolean; outputs: { text(): Promise<string> }[]; logs: unknown[] }>;
};

const root: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "js", "wasm", "weft_bg.wasm"))) return dir;
    dir = dirname(dir);
  }
  throw new WeftError("WEFT_CORE_LOAD_FAILED", `Cannot find weft's package files above ${fileURLToPath(import.meta.url)}`);
})();

const ENTRY = "__weft_worker_entry__.js";

function isSource(file: string): boolean {
  return /\.[cm]?[jt]sx?$/.test(file) && !file.split(sep).includes("node_modules");
}

function loaderOf(file: string): string {
  const ext = /\.[cm]?([jt]sx?)$/.exec(file)?.[1] ?? "js";
  return ext;
}

/** Bundles a file's worker entry with Bun.build: `weft` there is the worker's own weft. */
async function bundleWorker(entry: string, file: string): Promise<string> {
  const dir = dirname(file);
  const result = await Bun.build({
    entrypoints: [join(dir, ENTRY)],
    target: "bun",
    format: "esm",
    throw: false,
    plugins: [
      {
        name: "weft-worker",
        setup(build: PluginBuild) {
          build.onResolve({ filter: /^weft(\/_internal)?$/ }, (args) => ({
            path: join(root, "node", "plugins", args.path === "weft" ? "shim.js" : "shim_internal.js"),
          }));
          build.onLoad({ filter: new RegExp(`${ENTRY.replace(/\./g, "\\.")}$`) }, () => ({ contents: entry, loader: "js" }));
        },
      },
    ],
  });
  if (!result.success || result.outputs[0] === undefined) {
    throw new WeftError("WEFT_UNTRANSFORMABLE", `Cannot bundle the worker module of ${file}: ${result.logs.map(String).join("; ")}`);
  }
  return result.outputs[0].text();
}

function where(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel.split(sep).join("/");
}

function isCommonJs(file: string, code: string): boolean {
  if (/\.c[jt]s$/.test(file)) return true;
  if (/\.m[jt]s$/.test(file)) return false;
  return !/^\s*(import|export)\b/m.test(code) && /\brequire\s*\(/.test(code);
}

/** The Bun plugin. */
export default function weft(options: WeftBunPluginOptions = {}): BunPlugin {
  return {
    name: "weft",
    setup(build) {
      const bundling = build.config !== undefined;
      const external = (build.config?.external ?? []).some((e) => e === "weft" || e === "*");
      if (bundling && (options.embed ?? !external)) {
        build.onResolve({ filter: /^weft(\/_internal)?$/ }, (args) => ({
          path: join(root, "bun", args.path === "weft" ? "embedded.js" : "embedded_internal.js"),
        }));
        build.onResolve({ filter: /^weft:embedded\// }, (args) => ({ path: args.path, namespace: "weft-embedded" }));
        build.onLoad({ filter: /.*/, namespace: "weft-embedded" }, (args) => ({
          contents:
            args.path === "weft:embedded/wasm"
              ? `export default ${JSON.stringify(readFileSync(join(root, "js", "wasm", "weft_bg.wasm")).toString("base64"))};`
              : `export default ${JSON.stringify(readFileSync(join(root, "bun", "worker.bundle.js"), "utf8"))};`,
          loader: "js",
        }));
      }
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const code = readFileSync(args.path, "utf8");
        const plan = isSource(args.path) ? planTransform(pathToFileURL(args.path).href, code, where(args.path), isCommonJs(args.path, code)) : undefined;
        if (plan === undefined) return { contents: code, loader: loaderOf(args.path) };
        return { contents: plan.finish(await bundleWorker(plan.entry, args.path)), loader: loaderOf(args.path) };
      });
    },
  };
}
