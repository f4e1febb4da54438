// Run by the pinned Bun from scripts/assemble.mjs: bundles bun/package.ts (compiled, the first
// argument) into one CommonJS file (the second argument) with a bytecode cache beside it
// (`<file>.jsc`), which Bun uses instead of parsing the file.
//
// A Bun whose version differs from the one that made the cache ignores it and parses the file.
// CommonJS has no `import.meta`, and Bun's bundler writes this machine's paths in its place; the
// one use allowed is the wasm-bindgen glue's default location of the `.wasm`, which weft never
// takes (it always passes the compiled module), and which is removed. Any other fails the build.
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const GLUE = join(root, "js/wasm/weft.js");
const GLUE_DEFAULT = "new URL('weft_bg.wasm', import.meta.url)";
const PRAGMA = "// @bun @bytecode @bun-cjs";

function fail(message) {
  console.error(`bun-bytecode: ${message}`);
  process.exit(1);
}

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) fail("usage: bun scripts/bun-bytecode.mjs <entry.js> <out.cjs>");
const glueSource = readFileSync(GLUE, "utf8");
if (!glueSource.includes(GLUE_DEFAULT)) fail(`${GLUE} no longer contains ${GLUE_DEFAULT}: update this script`);

const out = join(dirname(outfile), ".bytecode");
rmSync(out, { recursive: true, force: true });
// Bun names each bundled module in a comment by its path from the working directory.
process.chdir(root);
const result = await Bun.build({
  entrypoints: [entry],
  outdir: out,
  naming: "[name].[ext]",
  target: "bun",
  format: "cjs",
  bytecode: true,
  packages: "external",
  external: ["node:*"],
  plugins: [
    {
      name: "weft-glue",
      setup(build) {
        build.onResolve({ filter: /^\.\.\/wasm\/weft\.js$/ }, () => ({ path: GLUE }));
        build.onLoad({ filter: /\/js\/wasm\/weft\.js$/ }, () => ({
          loader: "js",
          contents: glueSource.replace(GLUE_DEFAULT, "undefined"),
        }));
      },
    },
  ],
});
if (!result.success) fail(result.logs.map(String).join("\n"));
const js = join(out, basename(entry));
if (!existsSync(js) || !existsSync(`${js}.jsc`)) fail(`Bun wrote ${result.outputs.map((o) => o.path).join(", ")}`);
const code = readFileSync(js, "utf8");
if (!code.startsWith(PRAGMA)) fail(`the output does not start with "${PRAGMA}"`);
if (code.includes(root)) fail(`the output names ${root}: a module reads import.meta, __filename or __dirname`);
renameSync(js, outfile);
renameSync(`${js}.jsc`, `${outfile}.jsc`);
rmSync(out, { recursive: true });
