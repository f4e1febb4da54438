// Checks the analyzer's depth limit against the stacks the release module really runs on: for
// every construct that nests the syntax tree, the most of it the limit accepts must be analysed
// (parse, find the closure, generate its module) without a RangeError or a trap, on the main
// thread (the engine's main-thread stack, the module's 4 MiB stack) and in a worker that joined
// the shared memory as weft's workers do (the engine's default worker stack, a 2 MiB module stack).
//
//   node24 crates/analyzer/tests/wasm_stack.mjs [dir]      # also: deno run -A …, bun …
//
// `dir` holds weft.js and weft_bg.wasm (default: js/wasm). Prints one line per construct and
// exits non-zero on the first failure. The inputs are those of tests/robustness.rs.

const WORKER_STACK_SIZE = 2 * 1024 * 1024; // js/core/module.ts

const isDeno = typeof Deno !== "undefined";
const isBun = typeof Bun !== "undefined";

function deepInput(name, k) {
  const r = (s) => s.repeat(k);
  const inputs = {
    brackets: () => `spawn(() => ${r("[")}1${r("]")});`,
    parens: () => `spawn(() => ${r("(")}1${r(")")});`,
    objects: () => `spawn(() => ${r("({a:")}1${r("})")});`,
    blocks: () => `spawn(() => { ${r("{")}${r("}")} });`,
    arrows: () => `spawn(() => ${r("() => ")}1);`,
    arrows_unparenthesised: () => `spawn(() => ${r("a => ")}1);`,
    prefix: () => `spawn(() => ${r("!")}1);`,
    typeof: () => `spawn(() => ${r("typeof ")}1);`,
    ternary: () => `spawn(() => ${r("a ? b : ")}1);`,
    ternary_nested: () => `spawn(() => ${r("a ? ")}1${r(" : 2")});`,
    assign: () => `let a; spawn(() => ${r("a = ")}1);`,
    else_if: () => `spawn(() => { if (a) {}${r(" else if (a) {}")} });`,
    functions: () => `spawn(() => ${r("function f() { return ")}1${r("}")});`,
    template: () => `spawn(() => ${r("`${")}1${r("}`")});`,
    jsx: () => `spawn(() => ${r("<a>")}${r("</a>")});`,
    binary: () => `spawn(() => 1${r(" + 1")});`,
    members: () => `spawn(() => a${r(".b")});`,
    computed: () => `spawn(() => a${r("[0]")});`,
    optional: () => `spawn(() => a${r("?.b")});`,
    calls: () => `spawn(() => f${r("()")});`,
    method_chain: () => `spawn(() => a${r(".b()")});`,
    comparisons: () => `spawn(() => a${r(" > a")});`,
    new: () => `spawn(() => ${r("new ")}F);`,
    await: () => `spawn(async () => ${r("await ")}1);`,
    ts_type_arguments: () => `spawn(() => (1 as ${r("Array<")}number${r(">")}));`,
    ts_assertions: () => `spawn(() => ${r("(")}1${r(" as any)")});`,
  };
  if (name === undefined) return Object.keys(inputs);
  return { url: name.startsWith("ts_") ? "file:///deep.tsx" : "file:///deep.jsx", src: inputs[name]() };
}

/** Analyses one input; returns "ok", the analyzer's error code, or the exception. */
function analyse(glue, name, k) {
  const { url, src } = deepInput(name, k);
  try {
    const closure = glue.analyzeCallSite(url, src, 1, src.indexOf("spawn") + 1, undefined);
    glue.generateModule(url, closure.id, [], undefined);
    return "ok";
  } catch (e) {
    if (e && typeof e.code === "string") return e.code;
    return `${e?.constructor?.name}: ${e?.message ?? e}`;
  }
}

/** The most repetitions of `name` the depth limit accepts. */
function mostAccepted(glue, name) {
  let lo = 1, hi = 40000;
  while (lo + 1 < hi) {
    const mid = (lo + hi) >> 1;
    if (analyse(glue, name, mid) === "WEFT_TOO_DEEP") hi = mid;
    else lo = mid;
  }
  return lo;
}

async function readFile(path) {
  if (isDeno) return Deno.readFile(path);
  const fs = await import("node:fs");
  return fs.readFileSync(path);
}

async function loadGlue(dir) {
  return import(new URL(`${dir}/weft.js`, "file://").href);
}

async function workerMain(data, post) {
  const glue = await loadGlue(data.dir);
  glue.initSync({ module: data.module, memory: data.memory, thread_stack_size: WORKER_STACK_SIZE });
  for (const [name, k] of data.cases) post({ name, k, outcome: analyse(glue, name, k) });
  post({ done: true });
}

async function startWorker(data, onMessage) {
  if (isDeno || isBun) {
    const worker = new Worker(import.meta.url, { type: "module" });
    worker.onmessage = (e) => onMessage(e.data, () => worker.terminate());
    worker.postMessage(data);
    return;
  }
  const threads = await import("node:worker_threads");
  const worker = new threads.Worker(new URL(import.meta.url), { workerData: data });
  worker.on("message", (m) => onMessage(m, () => worker.terminate()));
}

async function main() {
  const args = isDeno ? Deno.args : process.argv.slice(2);
  const dir = new URL(args[0] ?? "js/wasm", `file://${isDeno ? Deno.cwd() : process.cwd()}/`).pathname;
  const glue = await loadGlue(dir);
  const module = await WebAssembly.compile(await readFile(`${dir}/weft_bg.wasm`));
  const exports = glue.initSync({ module });
  const cases = [];
  let failed = false;
  for (const name of deepInput()) {
    const k = mostAccepted(glue, name);
    const outcome = analyse(glue, name, k);
    console.log(`main   ${name.padEnd(24)} ${String(k).padStart(6)}  ${outcome}`);
    if (outcome !== "ok") {
      failed = true;
      break;
    }
    cases.push([name, k]);
  }
  if (!failed) {
    failed = await new Promise((resolve) => {
      let bad = false;
      startWorker({ dir, module, memory: exports.memory, cases }, (m, terminate) => {
        if (m.done) {
          terminate();
          resolve(bad);
          return;
        }
        console.log(`worker ${m.name.padEnd(24)} ${String(m.k).padStart(6)}  ${m.outcome}`);
        bad ||= m.outcome !== "ok";
      });
    });
  }
  console.log(failed ? "FAILED" : "every construct at the limit fits both stacks");
  if (isDeno) Deno.exit(failed ? 1 : 0);
  else process.exit(failed ? 1 : 0);
}

const inWebWorker = isBun
  ? !Bun.isMainThread
  : isDeno && typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope;
if (inWebWorker) {
  self.onmessage = (e) => workerMain(e.data, (m) => self.postMessage(m));
} else if (!isDeno && !isBun && !(await import("node:worker_threads")).isMainThread) {
  const { workerData, parentPort } = await import("node:worker_threads");
  await workerMain(workerData, (m) => parentPort.postMessage(m));
} else {
  await main();
}
