// Errors at the edges of where spawn can run: code without a file, and (Deno) missing permissions.
// Each case runs in a new process of the runtime under test.
import { spawn as spawnProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assert, runtimeName, scratchDir, test } from "./harness/mod.js";

const tests = new URL(".", import.meta.url).pathname;

const PROGRAM = `import("weft").then(async ({ spawn, shutdown }) => {
  const x = 2;
  try { console.log("result " + await eval(spawn(() => x * 21))); }
  catch (e) { console.log("error " + e.code + " " + e.message); }
  await shutdown();
});`;

/** Runs this runtime with `args`, `input` on stdin; its exit code and output. */
function run(args, { input, cwd = tests } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnProcess(process.execPath, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
    child.stdin.end(input ?? "");
  });
}

const inline = { node: ["-e", PROGRAM], deno: ["eval", PROGRAM], bun: ["-e", PROGRAM] }[runtimeName];
const stdin = { node: ["-"], deno: ["run", "-A", "-"], bun: ["-"] }[runtimeName];

for (const [what, args, input] of [
  ["code given on the command line", inline, undefined],
  ["code piped to stdin", stdin, PROGRAM],
]) {
  test(`spawn in ${what}: WEFT_SOURCE_UNAVAILABLE saying to put the code in a file`, async () => {
    const { out } = await run(args, { input });
    assert.match(out, /error WEFT_SOURCE_UNAVAILABLE Cannot spawn from \S+: it is code given on the command line/, out);
    assert.match(out, /Put the code in a module file/);
    assert.doesNotMatch(out, /result 42/);
  });
}

const denoOnly = runtimeName === "deno" ? undefined : "Deno's permissions";

/**
 * Runs Deno with exactly `args`, through Deno.Command: Deno's node:child_process adds the parent's
 * permissions when a script spawns Deno itself, which would hide what is being tested.
 */
async function runDeno(args) {
  const { stdout, stderr } = await new globalThis.Deno.Command(globalThis.Deno.execPath(), { args, cwd: tests }).output();
  return { out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

test(
  "Deno without read access to weft's package: WEFT_CORE_LOAD_FAILED naming the permission",
  async () => {
    const dir = scratchDir("perm-");
    try {
      writeFileSync(join(dir, "main.js"), PROGRAM);
      const { out } = await runDeno(["run", join(dir, "main.js")]);
      assert.match(out, /Cannot load weft's core module as the runtime denied read access/, out);
      assert.match(out, /--allow-read=\S*node_modules\/weft/, out);
      assert.doesNotMatch(out, /Reinstall/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: denoOnly },
);

test(
  "Deno with read access to weft but not to the caller's file: WEFT_SOURCE_UNAVAILABLE naming the permission",
  async () => {
    const dir = scratchDir("perm-");
    try {
      writeFileSync(join(dir, "main.js"), PROGRAM);
      const { out } = await runDeno(["run", `--allow-read=${join(tests, "node_modules")}`, join(dir, "main.js")]);
      assert.match(out, /error WEFT_SOURCE_UNAVAILABLE .*denied read access/, out);
      assert.match(out, /--allow-read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: denoOnly },
);
