// spawn in code that a build step produced or changed: the closure that runs is always the one
// passed to spawn, or the eval fails with WEFT_SOURCE_MISMATCH naming the file and position.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { assert, runScript, runtimeName, scratchDir, test } from "./harness/mod.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const node24 = join(root, "node_modules/node24/bin/node");
const tsc = join(root, "node_modules/typescript/bin/tsc");

// Types on their own lines make tsc's output shorter than the source, so the spawn's position in
// src/app.ts (line 13), read as a position in dist/app.js, falls on the decoy's call (line 13 of
// the output, the same column): weft must analyse dist/app.js at the position that ran.
const APP_TS = `import { spawn } from "weft";

interface Options {
  readonly factor: number;
  label?: string;
}
type Pair = [number, number];
const options: Options = { factor: 3 };
export const pairs: Pair[] = [[1, 2]];

export async function run(): Promise<number> {
  const base: number = 14;
  return await eval(spawn(() => base * options.factor));
}

export let decoyRan = false;
export function decoy(f: () => unknown): void {
  decoyRan = true;
}
export function unrelated(): void {
  const results = decoy(() => { throw new Error("the decoy closure ran in a worker"); });
}

export async function fails(): Promise<void> {
  const why: string = "thrown in the worker";
  await eval(spawn(() => {
    throw new Error(why);
  }));
}
`;

const MAIN = `import { run, fails } from "./dist/app.js";
import { shutdown } from "weft";
const out = {};
try { out.result = await run(); } catch (e) { out.error = String(e?.stack ?? e); }
try { await fails(); } catch (e) { out.stack = String(e?.stack ?? e); }
await shutdown();
console.log("##result " + JSON.stringify(out));
`;

/** tsc's output of APP_TS, with a source map, in a scratch app; the app's folder. */
function compiledApp() {
  const dir = scratchDir("tsc-");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "es2022", module: "nodenext", sourceMap: true, outDir: "dist", rootDir: "src", noCheck: true },
    }),
  );
  writeFileSync(join(dir, "src/app.ts"), APP_TS);
  writeFileSync(join(dir, "main.js"), MAIN);
  execFileSync(node24, [tsc, "-p", dir], { stdio: "pipe" });
  return dir;
}

function resultOf({ code, stdout, stderr }) {
  const line = stdout.split("\n").find((l) => l.startsWith("##result "));
  assert.ok(line !== undefined, `no result (exit ${code}): ${stderr}`);
  return JSON.parse(line.slice("##result ".length));
}

test("tsc output with a source map: the closure that ran is analysed, at its position in the output", async () => {
  const dir = compiledApp();
  try {
    const runs = [await runScript(join(dir, "main.js"), { cwd: dir })];
    // With source maps on, Node maps frames to src/app.ts; the analysis must not follow them there.
    if (runtimeName === "node") runs.push(await runScript(join(dir, "main.js"), { cwd: dir, nodeFlags: ["--enable-source-maps"] }));
    for (const [i, run] of runs.entries()) {
      const out = resultOf(run);
      assert.equal(out.error, undefined, `run ${i}: ${out.error}`);
      assert.equal(out.result, 42, `run ${i}`);
      assert.match(out.stack, /thrown in the worker/);
    }
    if (runtimeName === "node") {
      // The worker's frame names the original source where Node maps stacks, the output otherwise.
      const appTs = pathToFileURL(join(dir, "src/app.ts")).href;
      const appJs = pathToFileURL(join(dir, "dist/app.js")).href;
      assert.ok(resultOf(runs[1]).stack.includes(`${appTs}:27:11`), resultOf(runs[1]).stack);
      // The first run has this process's flags (--experimental-transform-types turns maps on).
      const first = process.sourceMapsEnabled ? `${appTs}:27:11` : `${appJs}:18:15`;
      assert.ok(resultOf(runs[0]).stack.includes(first), resultOf(runs[0]).stack);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file edited on disk after it was loaded: WEFT_SOURCE_MISMATCH names the file and position", async () => {
  const dir = scratchDir("edited-");
  try {
    const file = join(dir, "task.js");
    const original = `import { spawn } from "weft";
export const go = (n) => eval(spawn(() => n * 2));
`;
    // The same shape of code on the same line, doing something else.
    const edited = `import { spawn } from "weft";
export const go = (n) => eval(spawn(() => globalThis.process.exit(n)));
`;
    writeFileSync(file, original);
    const { go } = await import(pathToFileURL(file).href);
    writeFileSync(file, edited);
    const error = await (async () => go(21))().then(
      (value) => assert.fail(`the task ran and returned ${value}`),
      (e) => e,
    );
    assert.equal(error.code, "WEFT_SOURCE_MISMATCH", String(error?.stack ?? error));
    assert.ok(error.message.includes(`${pathToFileURL(file).href}:2:`), error.message);
    assert.match(error.message, /changed or was transformed after/);
    assert.match(error.message, /spawn from code the runtime loads as written/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A loader that rewrites the file as Vite's SSR transform or a coverage tool would (a line added
// on top, an import turned into a property read) and registers no source map: the position the
// runtime reports then names other code in the file on disk, here a decoy at the same column.
const TRANSFORMED_TASK = `import { spawn } from "weft";
export const helper = (x) => x * 2;
export const go = (n) => eval(spawn(() => helper(n)));
export const dd = (n) => eval(other(() => globalThis.process.exit(7)));
function other(f) { return f; }
`;

const TRANSFORM = `(source) => "const __vi_import_0__ = { helper: (x) => x * 2 };\\n" + source.replace("() => helper(n)", "() => __vi_import_0__.helper(n)")`;

const TRANSFORMING_MAIN = `const transform = ${TRANSFORM};
if (typeof Bun !== "undefined") {
  const { readFileSync } = await import("node:fs");
  Bun.plugin({
    name: "rewrite",
    setup(build) {
      build.onLoad({ filter: /task\\.js$/ }, ({ path }) => ({ contents: transform(readFileSync(path, "utf8")), loader: "js" }));
    },
  });
} else {
  const { register } = await import("node:module");
  const hooks = \`export async function load(url, context, next) {
    const result = await next(url, context);
    if (!url.endsWith("/task.js")) return result;
    return { ...result, source: (\${transform.toString()})(String(result.source)) };
  }\`;
  register("data:text/javascript," + encodeURIComponent(hooks));
}
const { go } = await import(new URL("./task.js", import.meta.url).href);
const { shutdown } = await import("weft");
const out = {};
try { out.result = await go(21); } catch (e) { out.code = e?.code; out.message = String(e?.message ?? e); }
await shutdown();
console.log("##result " + JSON.stringify(out));
`;

test(
  "code rewritten by a loader without a source map: WEFT_SOURCE_MISMATCH, never the closure now at that position",
  async () => {
    const dir = scratchDir("transformed-");
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
      writeFileSync(join(dir, "task.js"), TRANSFORMED_TASK);
      writeFileSync(join(dir, "main.js"), TRANSFORMING_MAIN);
      const run = await runScript(join(dir, "main.js"), { cwd: dir });
      const out = resultOf(run);
      assert.equal(out.result, undefined, "a closure ran");
      assert.equal(out.code, "WEFT_SOURCE_MISMATCH", out.message);
      assert.ok(out.message.includes(`${pathToFileURL(join(dir, "task.js")).href}:4:`), out.message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: runtimeName === "deno" ? "Deno has no loader hooks that rewrite a module's source" : undefined },
);

// esbuild output: with weft external it runs (weft loads from node_modules); with weft bundled in
// and moved away, the failure says to keep weft external.
const esbuild = join(root, "node_modules/.bin/esbuild");
const BUNDLED_APP = `import { spawn, shutdown } from "weft";
import { triple } from "./helper.js";
const n = 7;
const out = {};
try { out.result = await eval(spawn(() => triple(n))); } catch (e) { out.code = e?.code; out.message = String(e?.message ?? e); }
await shutdown();
console.log("##result " + JSON.stringify(out));
`;

test("an esbuild bundle with weft external runs; one with weft inside fails saying to keep it external", async () => {
  const dir = scratchDir("esbuild-");
  try {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    writeFileSync(join(dir, "helper.js"), "export const triple = (x) => x * 3;\n");
    writeFileSync(join(dir, "app.js"), BUNDLED_APP);
    const build = (out, ...flags) =>
      execFileSync(esbuild, [join(dir, "app.js"), "--bundle", "--format=esm", "--platform=node", `--outfile=${out}`, ...flags], {
        cwd: dir,
        stdio: "pipe",
      });
    // weft external: the bundle imports it from node_modules at run time.
    build(join(dir, "dist/external.js"), "--external:weft");
    const external = resultOf(await runScript(join(dir, "dist/external.js"), { cwd: dir }));
    assert.deepEqual(external, { result: 21 });
    // weft bundled in, the bundle moved out of reach of the package's files.
    const away = scratchDir("moved-");
    try {
      build(join(away, "inside.js"), "--main-fields=module,main", "--conditions=node");
      writeFileSync(join(away, "package.json"), JSON.stringify({ type: "module" }));
      const inside = await runScript(join(away, "inside.js"), { cwd: away });
      assert.match(inside.stdout + inside.stderr, /WEFT_CORE_LOAD_FAILED|Cannot load weft's core module/);
      assert.match(inside.stdout + inside.stderr, /weft\/esbuild[^]*leave weft external/);
    } finally {
      rmSync(away, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
