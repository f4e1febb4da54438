// weft's cross-runtime test harness: the same test files run on Node, Deno and Bun.
//   import { test, assert } from "./harness/mod.js";
//   test("name", async () => { assert.equal(1, 1); });
// A file's tests run in order, each with a time limit (a hang is a failure, never a stall of the
// suite). Results go to stdout as lines the driver (tests/run.mjs) reads.
import { spawn as spawnProcess } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export { strict as assert } from "node:assert";

/** The runtime running this file: "node", "deno" or "bun". */
export const runtimeName =
  typeof globalThis.Deno !== "undefined" ? "deno" : typeof globalThis.Bun !== "undefined" ? "bun" : "node";

const registered = [];

/**
 * Registers a test. `options.timeoutMs` bounds it (default 60 s); `options.skip` is a reason to
 * skip it (reported as skipped, never silently dropped).
 */
export function test(name, fn, options = {}) {
  registered.push({ name, fn, timeoutMs: options.timeoutMs ?? 60_000, skip: options.skip });
}

/** The registered tests, for the per-file runner. */
export function registeredTests() {
  return registered;
}

/**
 * A new folder inside tests/.scratch (git-ignored), where "weft" resolves to the installed package
 * as it does for the tests. Under tests/run.mjs it lies in that run's own folder
 * (`WEFT_TEST_SCRATCH`), which the driver removes when the run ends, so a test that fails before
 * its own clean-up leaves nothing behind; a caller still removes what it no longer needs.
 */
export function scratchDir(prefix) {
  const base = process.env.WEFT_TEST_SCRATCH ?? new URL("../.scratch/", import.meta.url).pathname;
  mkdirSync(base, { recursive: true });
  return mkdtempSync(join(base, prefix));
}

/**
 * A new folder in the system's temporary directory, outside the repository: no node_modules above
 * it, so nothing there resolves "weft" unless it carries weft itself. The caller removes it.
 */
export function isolatedDir(prefix) {
  return mkdtempSync(join(tmpdir(), `weft-${prefix}`));
}

/** A URL next to the calling test file. */
export function here(relative, base) {
  return new URL(relative, base).href;
}

/**
 * Runs a script in a new process of this same runtime and returns its exit code and output.
 * `cwd` defaults to the tests folder so that "weft" resolves to the installed package;
 * `nodeFlags` are added to the command line on Node.
 */
export function runScript(scriptPath, { cwd, env, timeoutMs = 60_000, nodeFlags = [] } = {}) {
  const args =
    runtimeName === "deno"
      ? ["run", "-A", "--v8-flags=--expose-gc", scriptPath] // as tests/run.mjs runs the suites
      : [...process.execArgv, ...(runtimeName === "node" ? nodeFlags : []), scriptPath];
  return new Promise((resolve, reject) => {
    const child = spawnProcess(process.execPath, args, {
      cwd: cwd ?? new URL("..", import.meta.url).pathname,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${scriptPath} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs a fault case (a script that ends by printing `##fault <json>`) in a new process of this
 * runtime under a watchdog of `timeoutMs`, and returns its exit status, output and findings. A
 * case that outlives the watchdog is killed and reported with `signal: "SIGKILL"`, not thrown.
 */
export async function runFault(scriptUrl, { timeoutMs = 60_000 } = {}) {
  const scriptPath = new URL(scriptUrl).pathname;
  let result;
  try {
    result = await runScript(scriptPath, { timeoutMs });
  } catch (error) {
    return { code: null, signal: "SIGKILL", stdout: "", stderr: String(error?.message ?? error), findings: undefined };
  }
  const line = result.stdout.split("\n").find((l) => l.startsWith("##fault "));
  return { ...result, findings: line === undefined ? undefined : JSON.parse(line.slice("##fault ".length)) };
}
