/**
 * `weft/esbuild`: weft's build-time transform as an esbuild plugin.
 *
 * ```js
 * import weft from "weft/esbuild";
 * await esbuild.build({ entryPoints: ["src/app.ts"], bundle: true, platform: "node", format: "esm", plugins: [weft()] });
 * ```
 * @module
 */

import "../mod.js";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  embeddedEntry,
  embeddedModule,
  errorText,
  type Esbuild,
  isSource,
  loaderOf,
  locationOf,
  runtimeFrom,
  transformFile,
  WEFT_SPECIFIER,
  type WeftPluginOptions,
} from "./common.js";

export type { WeftPluginOptions } from "./common.js";

/** The part of esbuild's plugin API this plugin uses. */
export interface EsbuildPlugin {
  name: string;
  setup(build: EsbuildPluginBuild): void;
}

interface EsbuildPluginBuild {
  readonly initialOptions: {
    readonly conditions?: string[];
    readonly mainFields?: string[];
    readonly external?: string[];
    readonly packages?: string;
    readonly absWorkingDir?: string;
    readonly tsconfig?: string;
    readonly define?: Record<string, string>;
  };
  readonly esbuild: Esbuild;
  onResolve(options: { filter: RegExp; namespace?: string }, callback: (args: { path: string }) => unknown): void;
  onLoad(options: { filter: RegExp; namespace?: string }, callback: (args: { path: string }) => unknown): void;
}

/** The esbuild plugin: transforms every `eval(spawn(…))` and, unless weft is external, embeds weft. */
export default function weft(options: WeftPluginOptions = {}): EsbuildPlugin {
  return {
    name: "weft",
    setup(build) {
      const io = build.initialOptions;
      const runtime = runtimeFrom(io.conditions, options.runtime);
      const external = io.packages === "external" || (io.external ?? []).some((e) => e === "weft" || e === "weft/*");
      const settings = {
        root: io.absWorkingDir ?? process.cwd(),
        runtime,
        ...(io.conditions === undefined ? {} : { conditions: io.conditions }),
        ...(io.mainFields === undefined ? {} : { mainFields: io.mainFields }),
        ...(io.tsconfig === undefined ? {} : { tsconfig: io.tsconfig }),
        ...(io.define === undefined ? {} : { define: io.define }),
      };
      if (options.embed ?? !external) {
        build.onResolve({ filter: WEFT_SPECIFIER }, (args) => ({ path: embeddedEntry(runtime, args.path !== "weft") }));
        build.onResolve({ filter: /^weft:embedded\// }, (args) => ({ path: args.path, namespace: "weft-embedded" }));
        build.onLoad({ filter: /.*/, namespace: "weft-embedded" }, (args) => ({ contents: embeddedModule(args.path, runtime), loader: "js" }));
      }
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        if (!isSource(args.path)) return undefined;
        const code = await readFile(args.path, "utf8");
        try {
          const contents = await transformFile(build.esbuild, args.path, code, settings);
          if (contents === undefined) return undefined;
          return { contents, loader: loaderOf(args.path), resolveDir: dirname(args.path) };
        } catch (error) {
          const at = locationOf(error);
          return {
            errors: [
              {
                text: errorText(error),
                ...(at === undefined ? {} : { location: { file: args.path, line: at.line, column: at.column - 1 } }),
              },
            ],
          };
        }
      });
    },
  };
}
