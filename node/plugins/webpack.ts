/**
 * `weft/webpack`: weft's build-time transform as a webpack 5 plugin.
 *
 * ```js
 * import weft from "weft/webpack";
 * export default { target: "node", entry: "./src/app.js", experiments: { outputModule: true }, output: { module: true }, plugins: [weft()] };
 * ```
 * A pre-loader transforms each `eval(spawn(…))`; unless `weft` is in `externals`, weft is embedded
 * (its `.wasm` and worker entry inside the bundle).
 * @module
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { embeddedEntry, embeddedModule, runtimeFrom, type WeftPluginOptions } from "./common.js";

export type { WeftPluginOptions } from "./common.js";

interface Compiler {
  readonly context: string;
  readonly options: {
    externals?: unknown;
    module: { rules: object[] };
    resolve: { alias?: Record<string, string | false | string[]> | unknown[]; conditionNames?: string[] };
  };
}

/** The loader the plugin installs (node/plugins/webpack_loader.js). */
const LOADER = fileURLToPath(new URL("./webpack_loader.js", import.meta.url));

function isExternal(externals: unknown): boolean {
  const list = Array.isArray(externals) ? externals : externals === undefined ? [] : [externals];
  return list.some(
    (e) =>
      e === "weft" ||
      (e instanceof RegExp && e.test("weft")) ||
      (typeof e === "object" && e !== null && !(e instanceof RegExp) && Object.prototype.hasOwnProperty.call(e, "weft")),
  );
}

/** The webpack plugin. */
export default function weft(options: WeftPluginOptions = {}): { apply(compiler: Compiler): void } {
  return {
    apply(compiler) {
      const runtime = runtimeFrom(compiler.options.resolve.conditionNames, options.runtime);
      compiler.options.module.rules.unshift({
        test: /\.[cm]?[jt]sx?$/,
        exclude: /node_modules/,
        enforce: "pre",
        use: [{ loader: LOADER, options: { runtime, root: compiler.context } }],
      });
      if (!(options.embed ?? !isExternal(compiler.options.externals))) return;
      // webpack resolves only files: the embedded entry's two modules are written once per build.
      const dir = join(compiler.context, "node_modules", ".cache", "weft", runtime);
      mkdirSync(dir, { recursive: true });
      const alias: Record<string, string> = {
        "weft$": embeddedEntry(runtime, false),
        "weft/_internal$": embeddedEntry(runtime, true),
      };
      for (const name of ["wasm", "worker"]) {
        const file = join(dir, `${name}.js`);
        writeFileSync(file, embeddedModule(`weft:embedded/${name}`, runtime));
        alias[`weft:embedded/${name}$`] = file;
      }
      const existing = compiler.options.resolve.alias;
      compiler.options.resolve.alias = Array.isArray(existing)
        ? [...Object.entries(alias).map(([name, target]) => ({ name: name.replace(/\$$/, ""), alias: target, onlyModule: true })), ...existing]
        : { ...alias, ...(existing as Record<string, string> | undefined) };
    },
  };
}
