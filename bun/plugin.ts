/**
 * `weft/bun`: weft's build-time transform as a Bun plugin, for `Bun.build` (and `bun build
 * --compile` through it) and, registered with `Bun.plugin` in a preload, for `bun test` and
 * `bun run`.
 *
 * ```js
 * import weft from "weft/bun";
 * await Bun.build({ entrypoints: ["src/app.ts"], outdir: "dist", target: "bun", plugins: [weft()] });
 * ```
 * Each transformed file's worker module is bundled with esbuild (install it beside Bun): Bun
 * cannot run a `Bun.build` from inside a plugin of another.
 * @module
 */

import { readFileSync } from "node:fs";
import { isCoreReady, loadCore } from "../js/core/module.js";
import { installRuntime } from "../js/runtime.js";
import {
  embeddedEntry,
  embeddedModule,
  type Esbuild,
  isSource,
  loadEsbuild,
  loaderOf,
  transformFile,
  WEFT_SPECIFIER,
} from "../node/plugins/common.js";
import { bunRuntime } from "./runtime.js";

/**
 * Loads the core for the transform's analyzer, once. The plugin runs a copy of weft's code of its
 * own, not the package entry's (which on npm loads a compiled module at run time, see ./load.ts),
 * so it only analyses: it installs no spawn bridge, which would take the place of the package's
 * in a process that also runs weft (`bun test` with the plugin preloaded).
 */
function loadAnalyzer(): void {
  if (isCoreReady()) return;
  installRuntime(bunRuntime);
  loadCore(new URL("../js/wasm/weft_bg.wasm", import.meta.url));
}

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

/** The Bun plugin. */
export default function weft(options: WeftBunPluginOptions = {}): BunPlugin {
  let esbuild: Esbuild | undefined;
  return {
    name: "weft",
    setup(build) {
      const bundling = build.config !== undefined;
      const external = (build.config?.external ?? []).some((e) => e === "weft" || e === "*");
      if (bundling && (options.embed ?? !external)) {
        build.onResolve({ filter: WEFT_SPECIFIER }, (args) => ({ path: embeddedEntry("bun", args.path !== "weft") }));
        build.onResolve({ filter: /^weft:embedded\// }, (args) => ({ path: args.path, namespace: "weft-embedded" }));
        build.onLoad({ filter: /.*/, namespace: "weft-embedded" }, (args) => ({ contents: embeddedModule(args.path, "bun"), loader: "js" }));
      }
      // Never files under node_modules: their own loader (CommonJS included) stays Bun's.
      build.onLoad({ filter: /^(?!.*[\\/]node_modules[\\/]).*\.[cm]?[jt]sx?$/ }, async (args) => {
        const code = readFileSync(args.path, "utf8");
        if (!isSource(args.path)) return { contents: code, loader: loaderOf(args.path) };
        const root = process.cwd();
        esbuild ??= loadEsbuild(root);
        loadAnalyzer();
        const out = await transformFile(esbuild, args.path, code, { root, runtime: "bun", conditions: ["bun"] });
        return { contents: out ?? code, loader: loaderOf(args.path) };
      });
    },
  };
}
