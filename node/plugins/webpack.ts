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
import { embeddedEntry, embeddedModule, packageRoot, runtimeFrom, type WeftPluginOptions } from "./common.js";

export type { WeftPluginOptions } from "./common.js";

interface Compiler {
  readonly context: string;
  readonly hooks: {
    readonly normalModuleFactory: {
      tap(name: string, f: (factory: { hooks: { beforeResolve: { tap(name: string, f: (data: { request: string }) => void): void } } }) => void): void;
    };
  };
  readonly options: {
    externals?: unknown;
    module: { rules: object[] };
    resolve: { conditionNames?: string[] };
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
      // weft's own modules compute their files' URLs at run time (the worker entry, the .wasm when
      // not embedded): they are not assets for webpack to bundle.
      compiler.options.module.rules.push({ include: packageRoot, parser: { url: false, worker: false } });
      if (!(options.embed ?? !isExternal(compiler.options.externals))) return;
      // webpack resolves only files (and reads `weft:` as a URL scheme): the embedded entry's two
      // modules are written once per build, and requests for them redirected before resolving.
      const dir = join(compiler.context, "node_modules", ".cache", "weft", runtime);
      mkdirSync(dir, { recursive: true });
      const redirect = new Map<string, string>([
        ["weft", embeddedEntry(runtime, false)],
        ["weft/_internal", embeddedEntry(runtime, true)],
      ]);
      for (const name of ["wasm", "worker"]) {
        const file = join(dir, `${name}.js`);
        writeFileSync(file, embeddedModule(`weft:embedded/${name}`, runtime));
        redirect.set(`weft:embedded/${name}`, file);
      }
      compiler.hooks.normalModuleFactory.tap("weft", (factory) => {
        factory.hooks.beforeResolve.tap("weft", (data) => {
          const to = redirect.get(data.request);
          if (to !== undefined) data.request = to;
        });
      });
    },
  };
}
