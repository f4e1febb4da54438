/**
 * `weft/rollup`: weft's build-time transform as a Rollup plugin (also the base of `weft/vite`).
 *
 * ```js
 * import weft from "weft/rollup";
 * export default { input: "src/app.js", output: { dir: "dist", format: "es" }, plugins: [weft(), nodeResolve()] };
 * ```
 * Each transformed file's worker module is bundled with esbuild (install it beside Rollup).
 * @module
 */

import "../mod.js";
import {
  embeddedEntry,
  embeddedModule,
  errorText,
  type Esbuild,
  isSource,
  loadEsbuild,
  locationOf,
  runtimeFrom,
  type TargetRuntime,
  transformFile,
  WEFT_SPECIFIER,
  type WeftPluginOptions,
} from "./common.js";

export type { WeftPluginOptions } from "./common.js";

/** The part of Rollup's plugin API this plugin uses. */
export interface RollupPlugin {
  name: string;
  enforce?: "pre";
  options?(options: { external?: unknown }): null;
  resolveId(source: string): string | null;
  load(id: string): string | null;
  transform(this: { error(e: object): never }, code: string, id: string): Promise<{ code: string; map: null } | null>;
  [hook: string]: unknown;
}

function isExternal(external: unknown): boolean {
  if (typeof external === "function") return external("weft", undefined, false) === true;
  const list = Array.isArray(external) ? external : external === undefined ? [] : [external];
  return list.some((e) => (e instanceof RegExp ? e.test("weft") : e === "weft"));
}

/** The shared Rollup/Vite plugin; `embedByDefault` decides when `options.embed` is unset. */
export function rollupLike(options: WeftPluginOptions, embedByDefault: () => boolean, root: () => string): RollupPlugin & { runtime: () => TargetRuntime } {
  let esbuild: Esbuild | undefined;
  const runtime = (): TargetRuntime => runtimeFrom(undefined, options.runtime);
  const embed = (): boolean => options.embed ?? embedByDefault();
  return {
    name: "weft",
    runtime,
    resolveId(source) {
      if (WEFT_SPECIFIER.test(source) && embed()) return embeddedEntry(runtime(), source !== "weft");
      if (source.startsWith("weft:embedded/")) return `\0${source}`;
      return null;
    },
    load(id) {
      return id.startsWith("\0weft:embedded/") ? embeddedModule(id.slice(1), runtime()) : null;
    },
    async transform(code, id) {
      const file = id.split("?")[0]!;
      if (!isSource(file) || id.includes("?")) return null;
      esbuild ??= loadEsbuild(root());
      try {
        const out = await transformFile(esbuild, file, code, { root: root(), runtime: runtime() });
        return out === undefined ? null : { code: out, map: null };
      } catch (error) {
        const at = locationOf(error);
        return this.error({ message: errorText(error), id: file, ...(at === undefined ? {} : { loc: { file, line: at.line, column: at.column - 1 } }) });
      }
    },
  };
}

/** The Rollup plugin: transforms every `eval(spawn(…))` and, unless weft is external, embeds weft. */
export default function weft(options: WeftPluginOptions = {}): RollupPlugin {
  let external = false;
  const plugin = rollupLike(options, () => !external, () => process.cwd());
  plugin.options = (input) => {
    external = isExternal(input.external);
    return null;
  };
  return plugin;
}
