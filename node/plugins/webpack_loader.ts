/**
 * The pre-loader that `weft/webpack` installs: weft's build-time transform for one module.
 * @module
 */

import "../mod.js";
import { errorText, loadEsbuild, type Esbuild, isSource, transformFile, type TargetRuntime } from "./common.js";

interface LoaderContext {
  readonly resourcePath: string;
  getOptions(): { runtime: TargetRuntime; root: string };
  async(): (error: Error | null, code?: string) => void;
}

let esbuild: Esbuild | undefined;

/** Transforms the module's `eval(spawn(…))` sites; other modules pass through unchanged. */
export default function weftLoader(this: LoaderContext, code: string): void {
  const done = this.async();
  const file = this.resourcePath;
  if (!isSource(file)) return done(null, code);
  const { runtime, root } = this.getOptions();
  esbuild ??= loadEsbuild(root);
  transformFile(esbuild, file, code, { root, runtime }).then(
    (out) => done(null, out ?? code),
    (error: unknown) => done(new Error(errorText(error))),
  );
}
