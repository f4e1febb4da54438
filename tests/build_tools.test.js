// weft's build plugins in the pipelines users run: one small app (a captured local, a top-level
// helper importing a sibling module, a bare npm dependency, a Mutex), built with each tool, moved
// to another directory with its sources and node_modules left behind, and run; vitest with each
// pool, Vite SSR and jest with ts-jest run it in place. The tools run on Node 24 (Bun's plugin on
// Bun), so this file does its work in the node24 run and starts each output on the runtime it was
// built for; the other runs skip it.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, isolatedDir, scratchDir, test } from "./harness/mod.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = {
  node22: join(root, "node_modules/node22/bin/node"),
  node24: join(root, "node_modules/node24/bin/node"),
  deno: join(root, "node_modules/.bin/deno"),
  bun: join(root, "node_modules/.bin/bun"),
};
const isNode24 = typeof process !== "undefined" && process.execPath === bin.node24;
const skip = isNode24 ? undefined : "the build tools run in the node24 run, which starts each output on its own runtime";

const EXPECTED = "[104,90]";
const FILES = {
  "package.json": JSON.stringify({ name: "app", type: "module" }),
  "tsconfig.json": JSON.stringify({
    compilerOptions: { module: "ESNext", target: "ES2022", moduleResolution: "bundler", isolatedModules: true, types: [] },
  }),
  "node_modules/tiny/package.json": JSON.stringify({ name: "tiny", type: "module", exports: "./index.js" }),
  "node_modules/tiny/index.js": "export const triple = (n) => n * 3;\n",
  // A dependency that spawns: plugins never transform node_modules, so its site runs through the
  // package's own spawn at run time, next to the transformed ones.
  "node_modules/spawning/package.json": JSON.stringify({ name: "spawning", type: "module", exports: "./index.js" }),
  "node_modules/spawning/index.js": 'import { spawn } from "weft";\nexport async function quadruple(n) {\n  return await eval(spawn(() => n * 4));\n}\n',
  "src/helper.ts": "export function square(n: number): number { return n * n; }\n",
  "src/util.js": "export function square(n) { return n * n; }\n",
  // The app: a local (base), a top-level constant (limit), a helper from a sibling module, an npm
  // dependency, and a Mutex whose lock must exclude: the two tasks add 30 each in turn, so they
  // see 30 and 60 (90 in all); without the lock both would see 30.
  "src/app.ts": `import { spawn, Mutex } from "weft";
import { square } from "./helper.js";
import { triple } from "tiny";
const limit: number = 4;
const counter = new Mutex(new Int32Array(new SharedArrayBuffer(4)));
export async function main(): Promise<number[]> {
  const base: number = 10;
  const a = await eval(spawn(() => square(base) + limit));
  const add = () => eval(spawn(async () => {
    const guard = await counter.lock();
    const before = guard.value[0];
    await new Promise((r) => setTimeout(r, 5));
    guard.value[0] = before + triple(base);
    const now = guard.value[0];
    guard.unlock();
    return now;
  }));
  const [x, y] = await Promise.all([add(), add()]);
  return [a, x + y];
}
main().then((r) => { console.log(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
`,
  "src/lib.ts": `import { spawn } from "weft";
import { square } from "./helper";
import { triple } from "tiny";
const limit: number = 4;
export async function compute(base: number): Promise<number> {
  return await eval(spawn(() => square(base) + triple(limit)));
}
`,
  "test/lib.test.ts": `import { expect, test } from "vitest";
import { spawn } from "weft";
import { compute } from "../src/lib";
test("spawn in a test file and in a module it imports", async () => {
  const n = 6;
  expect(await eval(spawn(() => n * 7))).toBe(42);
  expect(await compute(5)).toBe(37);
});
`,
  "jest/lib.test.ts": `import { spawn, shutdown } from "weft";
import { compute } from "../src/lib.js";
import { offset } from "./offset.js";
afterAll(() => shutdown());
test("spawn under jest", async () => {
  const n = 6;
  expect(await eval(spawn(() => n * 7 + offset))).toBe(42 + Number(process.env.OFFSET));
  expect(await compute(5)).toBe(37);
});
`,
  "jest/offset.ts": "export const offset = 0;\n",
  "jest.config.json": JSON.stringify({
    testEnvironment: "node",
    testMatch: ["**/jest/*.test.ts"],
    extensionsToTreatAsEsm: [".ts"],
    moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
    transform: { "\\.[jt]sx?$": ["weft/jest", { useESM: true, diagnostics: false }] },
  }),
  "preload.ts": 'import weft from "weft/bun";\nBun.plugin(weft());\n',
  "buntest/lib.test.ts": `import { expect, test } from "bun:test";
import { spawn } from "weft";
import { quadruple } from "spawning";
import { compute } from "../src/lib";
test("spawn under bun test with weft's plugin preloaded", async () => {
  const n = 6;
  expect(await eval(spawn(() => n * 7))).toBe(42);
  expect(await compute(5)).toBe(37);
  expect(await quadruple(n)).toBe(24);
});
`,
  "vitest.config.mjs": 'import weft from "weft/vite";\nexport default { plugins: [weft()], test: { include: ["test/**/*.test.ts"] } };\n',
};
// The app in plain JavaScript, for the tools that do not compile TypeScript by themselves.
FILES["src/app.js"] = FILES["src/app.ts"]
  .replace('"./helper.js"', '"./util.js"')
  .replace(/: number\[\]|: Promise<number\[\]>|: number(?= =)/g, "");

const TOOLS = ["esbuild", "rollup", "@rollup", "vite", "vitest", "webpack", "jest", "ts-jest", "typescript"];

/** A scratch app with the files above and the tools linked from the workspace. */
function app() {
  const dir = scratchDir("build-");
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  symlinkSync(join(root, "tests/node_modules/weft"), join(dir, "node_modules/weft"));
  for (const tool of TOOLS) symlinkSync(join(root, "node_modules", tool), join(dir, "node_modules", tool));
  return dir;
}

let shared;
const sharedApp = () => (shared ??= app());

function run(runtime, args, cwd, env = {}) {
  const argv = runtime === "deno" ? ["run", "-A", ...args] : args;
  const out = spawnSync(bin[runtime], argv, { cwd, env: { ...process.env, ...env }, encoding: "utf8", timeout: 180_000 });
  return { code: out.status, stdout: out.stdout ?? "", stderr: out.stderr ?? "", text: `${out.stdout}\n${out.stderr}` };
}

/** Builds with `script` (run on `runtime` in the app), moves each output to an empty directory and runs it there. */
function buildMoveRun(script, outputs, { runtime = "node24" } = {}) {
  const dir = sharedApp();
  const name = `build-${Math.random().toString(36).slice(2)}.mjs`;
  writeFileSync(join(dir, name), script);
  const built = run(runtime, [name], dir);
  assert.equal(built.code, 0, built.text);
  for (const [file, runtimes] of outputs) {
    // Outside the repository: no node_modules above the output can lend it weft or its sources.
    const moved = isolatedDir("moved-");
    try {
      const target = join(moved, file.split("/").at(-1));
      cpSync(join(dir, file), target);
      for (const r of runtimes) {
        const result = r === "exe" ? spawnSync(target, [], { cwd: "/", encoding: "utf8", timeout: 120_000 }) : null;
        const out = result !== null ? { code: result.status, stdout: result.stdout, text: `${result.stdout}${result.stderr}` } : run(r, [target], moved);
        assert.equal(out.code, 0, `${file} on ${r}: ${out.text}`);
        assert.equal(out.stdout.trim(), EXPECTED, `${file} on ${r}`);
      }
    } finally {
      rmSync(moved, { recursive: true, force: true });
    }
  }
}

test(
  "esbuild: the bundle runs moved away from its sources and node_modules, for Node, Deno and Bun",
  () => {
    buildMoveRun(
      `import * as esbuild from "esbuild";
import weft from "weft/esbuild";
for (const runtime of ["node", "deno", "bun"]) {
  await esbuild.build({ entryPoints: ["src/app.ts"], bundle: true, platform: "node", format: "esm", outfile: "out/esbuild-" + runtime + ".mjs", logLevel: "error", plugins: [weft({ runtime })] });
}
`,
      [
        ["out/esbuild-node.mjs", ["node24", "node22"]],
        ["out/esbuild-deno.mjs", ["deno"]],
        ["out/esbuild-bun.mjs", ["bun"]],
      ],
    );
  },
  { skip },
);

test(
  "esbuild with weft external: the transformed bundle and an untransformed module spawn in one process",
  () => {
    const dir = sharedApp();
    writeFileSync(
      join(dir, "plain.mjs"),
      'import { spawn } from "weft";\nexport const plain = (n) => eval(spawn(() => n + 1));\n',
    );
    writeFileSync(
      join(dir, "src/mixed.ts"),
      'import { spawn } from "weft";\nconst k = 5;\nconst { plain } = await import(process.argv[2]!);\nconsole.log(JSON.stringify([await eval(spawn(() => k * 2)), await plain(k)]));\nprocess.exit(0);\n',
    );
    writeFileSync(
      join(dir, "build-external.mjs"),
      'import * as esbuild from "esbuild";\nimport weft from "weft/esbuild";\nawait esbuild.build({ entryPoints: ["src/mixed.ts"], bundle: true, platform: "node", format: "esm", external: ["weft"], outfile: "out/mixed.mjs", logLevel: "error", plugins: [weft()] });\n',
    );
    const built = run("node24", ["build-external.mjs"], dir);
    assert.equal(built.code, 0, built.text);
    const bundle = readFileSync(join(dir, "out/mixed.mjs"), "utf8");
    assert.ok(!bundle.includes("eval(spawn"), "the bundle still evals spawn's script");
    const out = run("node24", ["out/mixed.mjs", join(dir, "plain.mjs")], dir);
    assert.equal(out.code, 0, out.text);
    assert.equal(out.stdout.trim(), "[10,6]");
  },
  { skip },
);

test(
  "Rollup and webpack 5: the bundles run moved away",
  () => {
    buildMoveRun(
      `import { rollup } from "rollup";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import webpack from "webpack";
import weft from "weft/rollup";
import weftWebpack from "weft/webpack";
import { resolve } from "node:path";
const bundle = await rollup({ input: "src/app.js", plugins: [weft(), nodeResolve()] });
await bundle.write({ file: "out/rollup.mjs", format: "es", inlineDynamicImports: true });
const compiler = webpack({ mode: "production", target: "node", context: process.cwd(), entry: "./src/app.js",
  experiments: { outputModule: true }, output: { module: true, path: resolve("out/webpack"), filename: "app.mjs" },
  optimization: { minimize: true }, plugins: [weftWebpack()] });
await new Promise((ok, fail) => compiler.run((err, stats) => err ? fail(err) : stats.hasErrors() ? fail(new Error(stats.toString("errors-only"))) : compiler.close(ok)));
`,
      [
        ["out/rollup.mjs", ["node24"]],
        ["out/webpack/app.mjs", ["node24"]],
      ],
    );
  },
  { skip },
);

test(
  "Vite: an SSR build that bundles its dependencies runs moved away; ssrLoadModule runs a transformed module",
  () => {
    buildMoveRun(
      `import { build } from "vite";
import weft from "weft/vite";
await build({ configFile: false, logLevel: "error", plugins: [weft()], ssr: { noExternal: true },
  build: { ssr: "src/app.ts", outDir: "out/vite", rollupOptions: { output: { entryFileNames: "app.mjs" } } } });
`,
      [["out/vite/app.mjs", ["node24"]]],
    );
    const dir = sharedApp();
    writeFileSync(
      join(dir, "ssr.mjs"),
      `import { createServer } from "vite";
import weft from "weft/vite";
const server = await createServer({ configFile: false, logLevel: "error", plugins: [weft()], server: { middlewareMode: true, hmr: false }, appType: "custom" });
const mod = await server.ssrLoadModule("/src/lib.ts");
console.log(await mod.compute(5));
await server.close();
process.exit(0);
`,
    );
    const out = run("node24", ["ssr.mjs"], dir);
    assert.equal(out.code, 0, out.text);
    assert.equal(out.stdout.trim(), "37");
  },
  { skip },
);

for (const pool of ["forks", "threads", "vmThreads"]) {
  test(
    `vitest (${pool} pool): spawn in a test file and in the module it tests`,
    () => {
      const out = run("node24", ["node_modules/vitest/vitest.mjs", "run", "--pool", pool], sharedApp(), { CI: "1" });
      assert.equal(out.code, 0, out.text);
      assert.match(out.text, /1 passed/);
    },
    { skip },
  );
}

test(
  "jest with ts-jest (ESM): spawn in a test file and in the module it tests; an edit a worker imports is not served from jest's cache",
  () => {
    const dir = sharedApp();
    const cache = scratchDir("jest-cache-");
    // Twice with jest's cache: the second time after an edit to a module only the worker imports,
    // which must not reuse the first transform (its worker module holds the old code).
    for (const offset of [0, 1]) {
      writeFileSync(join(dir, "jest/offset.ts"), `export const offset = ${offset};\n`);
      const out = run("node24", ["node_modules/jest/bin/jest.js", "--ci", "--cacheDirectory", cache], dir, {
        NODE_OPTIONS: "--experimental-vm-modules --no-warnings",
        OFFSET: String(offset),
      });
      assert.equal(out.code, 0, `offset ${offset}: ${out.text}`);
      assert.match(out.text, /Tests:\s+1 passed/);
    }
  },
  { skip },
);

test(
  "Bun.build and bun build --compile: the output and the executable run moved away",
  () => {
    buildMoveRun(
      `import weft from "weft/bun";
const r = await Bun.build({ entrypoints: ["src/app.ts"], outdir: "out/bun", target: "bun", plugins: [weft()] });
if (!r.success) throw new AggregateError(r.logs, "bun build failed");
const c = await Bun.build({ entrypoints: ["src/app.ts"], compile: { outfile: "out/app-exe" }, target: "bun", plugins: [weft()] });
if (!c.success) throw new AggregateError(c.logs, "bun build --compile failed");
`,
      [
        ["out/bun/app.js", ["bun"]],
        ["out/app-exe", ["exe"]],
      ],
      { runtime: "bun" },
    );
  },
  { skip },
);

test(
  "Bun.build without weft's plugin: the output moved away fails at load with WEFT_CORE_LOAD_FAILED, naming weft/bun",
  () => {
    const dir = sharedApp();
    const built = run("bun", ["build", "src/app.ts", "--target=bun", "--outfile=out/bun-plain/app.js"], dir);
    assert.equal(built.code, 0, built.text);
    const moved = isolatedDir("moved-");
    cpSync(join(dir, "out/bun-plain/app.js"), join(moved, "app.js"));
    const out = run("bun", [join(moved, "app.js")], moved);
    rmSync(moved, { recursive: true, force: true });
    assert.notEqual(out.code, 0, out.text);
    assert.match(out.text, /WEFT_CORE_LOAD_FAILED|Cannot load weft's core module/);
    assert.match(out.text, /weft\/bun[^]*leave weft external/);
  },
  { skip },
);

test(
  "bun test with weft's Bun plugin preloaded: spawn in a test file, in the module it tests and in a dependency",
  () => {
    const out = run("bun", ["test", "--preload", "./preload.ts", "buntest/"], sharedApp());
    assert.equal(out.code, 0, out.text);
    assert.match(out.text, /1 pass/);
    assert.match(out.text, /0 fail/);
  },
  { skip },
);

test(
  "a spawn the transform cannot rewrite fails the build with its code, file and line",
  () => {
    const dir = sharedApp();
    writeFileSync(join(dir, "src/bad-this.js"), 'import { spawn } from "weft";\nexport class A {\n  x = 1;\n  run() { return eval(spawn(() => this.x)); }\n}\n');
    writeFileSync(join(dir, "src/bad-alias.js"), 'import { spawn } from "weft";\nexport function f(n) {\n  const script = spawn(() => n);\n  return eval(script);\n}\n');
    for (const [file, code, line] of [
      ["src/bad-this.js", "WEFT_THIS_CAPTURED", 4],
      ["src/bad-alias.js", "WEFT_UNTRANSFORMABLE", 3],
    ]) {
      writeFileSync(
        join(dir, "build-bad.mjs"),
        `import * as esbuild from "esbuild";\nimport weft from "weft/esbuild";\ntry { await esbuild.build({ entryPoints: [${JSON.stringify(file)}], bundle: true, platform: "node", format: "esm", write: false, logLevel: "silent", plugins: [weft()] }); console.log("built"); }\ncatch (e) { console.log(JSON.stringify(e.errors.map((x) => [x.text, x.location?.file, x.location?.line]))); }\n`,
      );
      const out = run("node24", ["build-bad.mjs"], dir);
      assert.equal(out.code, 0, out.text);
      assert.notEqual(out.stdout.trim(), "built", `${file} built`);
      const [[text, at, l]] = JSON.parse(out.stdout);
      assert.ok(text.startsWith(code), `${file}: ${text}`);
      assert.ok(text.includes(`${file}:${line}:`), `${file}: ${text}`);
      assert.ok(at.endsWith(file), `${file}: ${at}`);
      assert.equal(l, line);
    }
  },
  { skip },
);
