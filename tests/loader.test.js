// Loading the core fails loudly, with the cause and the fix, when the package is broken or the
// isolate lacks shared memory. Each case runs in a fresh process of the same runtime.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, runScript, test } from "./harness/mod.js";

const installed = fileURLToPath(new URL("./node_modules/weft", import.meta.url));

const PROBE = `
try {
  await import("weft");
  console.log(JSON.stringify({ loaded: true }));
} catch (e) {
  console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message }));
}
`;

/** A throw-away app folder with a copy of the package, changed by `edit`, running `prelude` + PROBE. */
async function probe(edit, prelude = "") {
  const app = mkdtempSync(join(tmpdir(), "weft-loader-"));
  try {
    const pkg = join(app, "node_modules", "weft");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    cpSync(installed, pkg, { recursive: true });
    edit(pkg);
    writeFileSync(join(app, "package.json"), JSON.stringify({ type: "module", dependencies: { weft: "*" } }));
    writeFileSync(join(app, "probe.js"), prelude + PROBE);
    const { code, stdout, stderr } = await runScript(join(app, "probe.js"), { cwd: app });
    assert.equal(code, 0, stderr);
    return { ...JSON.parse(stdout.trim().split("\n").at(-1)), wasm: join(pkg, "js/wasm/weft_bg.wasm") };
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

test("an intact copy of the package loads (the control for the cases below)", async () => {
  const result = await probe(() => {});
  assert.equal(result.loaded, true);
});

test("a missing .wasm names the file and says how to fix it", async () => {
  const result = await probe((pkg) => rmSync(join(pkg, "js/wasm/weft_bg.wasm")));
  assert.equal(result.name, "WeftError");
  assert.equal(result.code, "WEFT_CORE_LOAD_FAILED");
  assert.match(result.message, /weft_bg\.wasm/);
  assert.match(result.message, /Reinstall the weft package/);
});

test("a corrupt .wasm is reported as a load failure, not a crash", async () => {
  const result = await probe((pkg) => writeFileSync(join(pkg, "js/wasm/weft_bg.wasm"), "not wasm"));
  assert.equal(result.code, "WEFT_CORE_LOAD_FAILED");
  assert.match(result.message, /could not be loaded/);
});

test("no SharedArrayBuffer is reported with the fix", async () => {
  const result = await probe(() => {}, "delete globalThis.SharedArrayBuffer;\n");
  assert.equal(result.code, "WEFT_NO_SHARED_MEMORY");
  assert.match(result.message, /SharedArrayBuffer is not defined/);
  assert.match(result.message, /Node >= 22, Deno >= 2 and Bun >= 1\.2/);
});
