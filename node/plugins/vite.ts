/**
 * `weft/vite`: weft's build-time transform as a Vite plugin, for `vite build`, Vite SSR
 * (`ssrLoadModule`) and vitest.
 *
 * ```js
 * import weft from "weft/vite";
 * export default { plugins: [weft()] };
 * ```
 * weft is embedded in the output only for an SSR build that bundles its dependencies
 * (`ssr.noExternal`), or when `embed: true`; otherwise it loads from `node_modules`.
 * @module
 */

import { rollupLike, type RollupPlugin } from "./rollup.js";
import type { WeftPluginOptions } from "./common.js";

export type { WeftPluginOptions } from "./common.js";

interface ResolvedConfig {
  readonly command: "build" | "serve";
  readonly root: string;
  readonly ssr?: { readonly noExternal?: unknown };
}

/** The Vite plugin. */
export default function weft(options: WeftPluginOptions = {}): RollupPlugin {
  let config: ResolvedConfig | undefined;
  const bundlesWeft = (): boolean => {
    const noExternal = config?.ssr?.noExternal;
    const listed = Array.isArray(noExternal) && noExternal.some((e) => (e instanceof RegExp ? e.test("weft") : e === "weft"));
    return config?.command === "build" && (noExternal === true || listed);
  };
  const plugin = rollupLike(options, bundlesWeft, () => config?.root ?? process.cwd());
  return {
    ...plugin,
    enforce: "pre",
    configResolved(resolved: ResolvedConfig) {
      config = resolved;
    },
  };
}
