// Assembles the publishable packages from the templates and the build outputs:
//   dist/npm/  compiled ESM + .d.ts (build/ts), the Wasm glue and module (js/wasm), package.json
//              and README from pkg-templates/; on Bun, weft's code also as one CommonJS module
//              with a bytecode cache (bun/package.cjs, by scripts/bun-bytecode.mjs);
//   dist/jsr/  the same compiled ESM for Deno (js/, deno/, the node/ modules Deno shares), with @ts-self-types headers,
//              the Wasm glue and module, jsr.json, README.
// Refuses to assemble when the versions in Cargo.toml, js/version.ts and the templates disagree.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const at = (...p) => join(root, ...p);

function fail(message) {
  console.error(`assemble: ${message}`);
  process.exit(1);
}

const cargoVersion = /\[workspace\.package\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(
  readFileSync(at("Cargo.toml"), "utf8"),
)?.[1];
const jsVersion = /VERSION = "([^"]+)"/.exec(readFileSync(at("js/version.ts"), "utf8"))?.[1];
if (!cargoVersion || cargoVersion !== jsVersion) {
  fail(`Cargo.toml's workspace version (${cargoVersion}) and js/version.ts (${jsVersion}) differ`);
}
const version = cargoVersion;
const fill = (text) => text.replaceAll("{{version}}", version);

for (const needed of ["build/ts/js/index.js", "js/wasm/weft.js", "js/wasm/weft_bg.wasm"]) {
  if (!existsSync(at(needed))) fail(`${needed} is missing: run make build first`);
}

function writeTemplate(name, dest) {
  writeFileSync(dest, fill(readFileSync(at("pkg-templates", name), "utf8")));
}

const WASM_FILES = ["weft.js", "weft.d.ts", "weft_bg.wasm"];
/** The JSR package's dependencies, as jsr.json declares them. */
const JSR_IMPORTS = JSON.parse(readFileSync(at("pkg-templates/jsr.json"), "utf8")).imports;

// npm: declarations as compiled; code bundled per runtime, so that a worker loads a few files
// instead of the whole module graph. The entries of one runtime (`mod`, `internal`, `worker`) are
// bundled together with code splitting: every module's code lands exactly once, in an entry or in
// a chunk the entries share, so the public API, `weft/_internal` and the worker entry share one
// instance of weft's state in every isolate. On Bun those three entries load that instance from
// bun/package.cjs instead (see bun/package.ts).
const npm = at("dist/npm");
rmSync(npm, { recursive: true, force: true });
// Decided by what each entry is, never by its absolute path: a checkout under `~/src/weft.git/`
// must ship the same declarations as any other.
const declarations = (src) => src.endsWith(".d.ts") || statSync(src).isDirectory();
for (const dir of ["js", "node", "deno", "bun"]) {
  cpSync(at("build/ts", dir), join(npm, dir), { recursive: true, filter: declarations });
}
mkdirSync(join(npm, "js/wasm"), { recursive: true });
for (const f of ["weft.d.ts", "weft_bg.wasm"]) cpSync(at("js/wasm", f), join(npm, "js/wasm", f));
const { build } = await import("esbuild");
const wasmGlue = {
  name: "wasm-glue",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/wasm\/weft\.js$/ }, () => ({ path: at("js/wasm/weft.js") }));
  },
};
/**
 * Bun's package module (bun/package.ts): one CommonJS file with a bytecode cache beside it, made by
 * the pinned Bun (scripts/bun-bytecode.mjs), which the Bun entries load at run time.
 */
function compileForBun() {
  const bun = at("node_modules/.bin/bun");
  if (!existsSync(bun)) fail("node_modules/.bin/bun is missing: run make setup first");
  const run = spawnSync(bun, [at("scripts/bun-bytecode.mjs"), "build/ts/bun/package.js", join(npm, "bun/package.cjs")], {
    stdio: "inherit",
  });
  if (run.status !== 0) fail(`scripts/bun-bytecode.mjs failed (${run.error?.message ?? `exit ${run.status}`})`);
}
/**
 * `node:process` as the global `process` (the same object on Node, the script's only runtime):
 * esbuild turns each default import of a CommonJS `require` into a copy of every property of the
 * module, which for `process` cost a new worker 0.3-0.4 ms.
 */
const globalProcess = {
  name: "global-process",
  setup(b) {
    b.onResolve({ filter: /^node:process$/ }, () => ({ path: "process", namespace: "global-process" }));
    b.onLoad({ filter: /.*/, namespace: "global-process" }, () => ({ contents: "export default globalThis.process;", loader: "js" }));
  },
};
/**
 * Bundles node/worker_main.cjs and returns the first 16 hex digits of its SHA-256. The script is
 * left pure ASCII, so that a worker decodes it as Latin-1 (node/worker_code.ts): esbuild escapes
 * every other character in code, which leaves the comments it keeps, where they are escaped here.
 */
async function buildWorkerScript() {
  const outfile = join(npm, "node/worker_main.cjs");
  await build({
    entryPoints: [at("build/ts/node/worker_main.js")],
    outfile,
    bundle: true,
    format: "cjs",
    platform: "node",
    external: ["node:*"],
    define: { "import.meta.url": "__weft_import_meta_url" },
    target: "es2022",
    charset: "ascii",
    legalComments: "none",
    logLevel: "warning",
    plugins: [wasmGlue, globalProcess],
  });
  const text = readFileSync(outfile, "utf8").replace(/[^\0-\x7f]/gu, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  writeFileSync(outfile, text);
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
/** esbuild's options for a worker entry bundled into one ES module. */
const ONE_MODULE = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  external: ["node:*"],
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
};
/**
 * Rebuilds `<runtime>/worker.js`, the entry of every worker, as one module: a new worker loads it
 * first, and each chunk it imports is one more module to read and compile before weft's code
 * starts (measured: a millisecond of a first spawn on Bun, one to two on Node). The modules it
 * imports dynamically stay the chunks the split build made (`chunks`, its dynamic imports): on
 * Node, weft's modules, which a Node without `module.registerHooks` runs instead of the script.
 * Not on Deno, where a worker's weft must be the modules that the tasks' `import "weft"` loads.
 * `define`: the split build's.
 */
async function buildStandaloneWorker(runtime, chunks, define) {
  if (chunks.length > 1) fail(`${runtime}/worker.js imports ${chunks.length} chunks dynamically; one is handled`);
  const chunk = chunks.length === 0 ? undefined : `./${basename(chunks[0])}`;
  await build({
    ...ONE_MODULE,
    entryPoints: [at("build/ts", runtime, "worker.js")],
    outfile: join(npm, runtime, "worker.js"),
    allowOverwrite: true,
    define,
    plugins: [
      {
        name: "worker-fallback",
        setup(b) {
          b.onResolve({ filter: /^\.\/worker_main\.js$/, namespace: "file" }, (args) =>
            args.kind === "dynamic-import" && chunk !== undefined ? { path: chunk, external: true } : undefined,
          );
        },
      },
    ],
  });
}
/** The build plugins (node/plugins/), one entry each, on Node's side of the package. */
const PLUGINS = ["esbuild", "rollup", "vite", "webpack", "webpack_loader", "jest"];
let exportNames;
for (const runtime of ["node", "deno", "bun"]) {
  const entries = ["mod", "internal", "worker", "embedded", "embedded_internal"];
  const plugins = runtime === "node" ? PLUGINS.map((p) => `plugins/${p}`) : runtime === "bun" ? ["plugin"] : [];
  // Node's worker code as one CommonJS script, which the worker entry runs through V8's code cache
  // (node/worker_code.ts): it takes `import.meta.url` as a parameter of its wrapper. Built first:
  // the entries name its code cache entries by its hash.
  const define = runtime === "node" ? { WEFT_WORKER_SCRIPT_ID: JSON.stringify(await buildWorkerScript()) } : {};
  const result = await build({
    entryPoints: [...entries, ...plugins].map((entry) => ({ in: at("build/ts", runtime, `${entry}.js`), out: entry })),
    define,
    outdir: join(npm, runtime),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    // `weft:embedded/*` are provided by the build plugins to the embedded entries.
    external: ["node:*", "weft:embedded/*"],
    chunkNames: "weft-[hash]",
    target: "es2022",
    legalComments: "none",
    logLevel: "warning",
    metafile: true,
    // The compiled core (js/core/) imports the Wasm glue generated into js/wasm.
    plugins: [wasmGlue],
  });
  const exportsOf = (entry) =>
    Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === `build/ts/${runtime}/${entry}.js`)?.[1].exports;
  exportNames ??= { api: exportsOf("mod"), internal: exportsOf("internal") };
  // Bun's `mod`, `internal` and `worker` are thin: they load weft from bun/package.cjs at run time.
  if (runtime === "bun") compileForBun();
  if (runtime !== "deno") {
    const worker = Object.values(result.metafile.outputs).find((o) => o.entryPoint === `build/ts/${runtime}/worker.js`);
    await buildStandaloneWorker(runtime, worker?.imports.filter((i) => i.kind === "dynamic-import").map((i) => i.path) ?? [], define);
  }
  // The worker entry as one self-contained module, for bundles that embed weft (see js/core/embedded.ts).
  // On Node the worker entry finds weft's code beside it, and on Bun loads it at run time; the
  // embedded one carries it.
  await build({
    ...ONE_MODULE,
    entryPoints: [at("build/ts", runtime, runtime === "deno" ? "worker.js" : "embedded_worker.js")],
    outfile: join(npm, runtime, "worker.bundle.js"),
    plugins: [wasmGlue],
  });
}
// The modules a worker bundle made by the build plugins imports as `weft` and `weft/_internal`:
// the worker's own weft, published on a global by every worker entry (js/entry.ts).
if (!exportNames?.api?.length || !exportNames?.internal?.length) fail("no exports found for node/mod.js and node/internal.js");
for (const [file, which] of [["shim.js", "api"], ["shim_internal.js", "internal"]]) {
  writeFileSync(
    join(npm, "node/plugins", file),
    `const bundled = globalThis[Symbol.for("weft.bundled")];\n` +
      `if (bundled === undefined) throw new Error("This module was bundled by weft's build plugin for weft's workers and runs only in one");\n` +
      `export const { ${exportNames[which].filter((n) => n !== "default").join(", ")} } = bundled.${which};\n`,
  );
}
writeTemplate("package.json", join(npm, "package.json"));
writeTemplate("index.d.cts", join(npm, "js/index.d.cts"));
writeTemplate("README.md", join(npm, "README.md"));

/**
 * The public declarations without the typed overload of the global `eval`: JSR refuses global
 * augmentations (https://jsr.io/go/slow-type-unsupported-global-module), so on JSR
 * `await eval(spawn(…))` is untyped and the README says to annotate the result.
 */
function withoutGlobalEval(declarations) {
  const block = /\ndeclare global \{\n[\s\S]*?\n\}\n/;
  if (!block.test(declarations)) fail("js/index.d.ts has no `declare global` block for eval to leave out of JSR");
  return declarations.replace(block, "\n");
}

// jsr: the same compiled ESM as npm for Deno (js/, deno/, and the node/ modules it shares), each
// .js naming its declarations with @ts-self-types so that Deno and JSR type-check it.
const jsr = at("dist/jsr");
rmSync(jsr, { recursive: true, force: true });
const jsrFiles = (dir, keep = () => true) =>
  readdirSync(at("build/ts", dir), { recursive: true })
    .filter((f) => /\.(js|d\.ts)$/.test(f) && keep(f))
    .map((f) => join(dir, f));
// Deno shares these modules of the Node adapter: worker_threads ports, message ports, builtins loaded
// on first use, V8 stack frames, data: URLs, the persistent cache.
const sharedWithNode = (f) => /^(ports|message_ports|builtins|v8_stack|modules|persistent_cache)\./.test(f);
for (const rel of [...jsrFiles("js"), ...jsrFiles("deno", (f) => !/^(embedded|plugin)/.test(f)), ...jsrFiles("node", sharedWithNode)]) {
  const dest = join(jsr, rel);
  mkdirSync(dirname(dest), { recursive: true });
  if (rel.endsWith(".js")) {
    const types = `./${rel.split("/").at(-1).replace(/\.js$/, ".d.ts")}`;
    writeFileSync(dest, `/* @ts-self-types="${types}" */\n${readFileSync(at("build/ts", rel), "utf8")}`);
  } else if (rel === join("js", "index.d.ts")) {
    writeFileSync(dest, withoutGlobalEval(readFileSync(at("build/ts", rel), "utf8")));
  } else {
    cpSync(at("build/ts", rel), dest);
  }
}
mkdirSync(join(jsr, "js/wasm"), { recursive: true });
for (const f of WASM_FILES) cpSync(at("js/wasm", f), join(jsr, "js/wasm", f));
writeTemplate("jsr.json", join(jsr, "jsr.json"));

// On JSR the .wasm is part of Deno's module graph (`import source`): downloaded and cached with the
// code, so the package works from an https: URL (as jsr: imports load) and under `deno compile`,
// with no file read and no read permission. The runtime compiles it, so the memory limits the
// pool needs are read from the binary here. TypeScript cannot parse `import source`, hence this
// entry is written here rather than compiled from deno/mod.ts.
const { importedMemoryLimits } = await import(pathToFileURL(at("build/ts/js/core/memory_limits.js")).href);
const limits = importedMemoryLimits(readFileSync(at("js/wasm/weft_bg.wasm")));
if (limits === undefined) fail("js/wasm/weft_bg.wasm imports no memory with a maximum");
writeFileSync(
  join(jsr, "deno/mod.js"),
  fill(readFileSync(at("pkg-templates/jsr-mod.js"), "utf8")).replace("{{limits}}", JSON.stringify(limits)),
);
// JSR rewrites bare specifiers through jsr.json's imports on publish; the layout served as is
// (and tested so) names the npm package directly.
const resolveModule = join(jsr, "deno/resolve.js");
const resolveSource = readFileSync(resolveModule, "utf8");
if (!resolveSource.includes('from "resolve.exports"')) fail("deno/resolve.js does not import resolve.exports");
writeFileSync(resolveModule, resolveSource.replace('from "resolve.exports"', `from "${JSR_IMPORTS["resolve.exports"]}"`));
writeTemplate("README.md", join(jsr, "README.md"));

console.log(`assemble: weft ${version} -> dist/npm, dist/jsr`);
