// spawn() end to end: capture, analysis, module generation, the pool, errors — on every runtime.
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configure, shutdown, spawn, WeftError } from "weft";
import { rootPool } from "weft/_internal";
import { assert, runScript, runtimeName, scratchDir, test } from "./harness/mod.js";

/** A tag of the isolate that calls it, the same for every call in one thread. */
function isolateTag() {
  return (globalThis.__weftTestIsolateTag ??= crypto.randomUUID());
}

const fixture = (name) => new URL(`./fixtures/${name}`, import.meta.url).href;

test("the README example: a closure over locals runs in a worker with their values", async () => {
  const userRequest = { username: "admin", password: "correct_horse_battery_staple" };
  const saltRounds = 3;
  const hash = await eval(
    spawn(() => {
      let h = userRequest.password;
      for (let i = 0; i < saltRounds * 1000; i++) h = createHash("sha256").update(h).digest("hex");
      return h;
    }),
  );
  let expected = userRequest.password;
  for (let i = 0; i < saltRounds * 1000; i++) expected = createHash("sha256").update(expected).digest("hex");
  assert.equal(hash, expected);
});

test("the closure runs on another thread", async () => {
  // A mark on this thread's global object, set before the spawn: another isolate cannot see it.
  globalThis.__weftTestMainThread = true;
  try {
    const sawMark = await eval(spawn(() => globalThis.__weftTestMainThread === true));
    assert.equal(sawMark, false, "the closure ran on the main thread");
  } finally {
    delete globalThis.__weftTestMainThread;
  }
});

test("several spawns on one line are told apart", async () => {
  const a = 1, b = 2;
  const [x, y] = await Promise.all([eval(spawn(() => a * 10)), eval(spawn(() => b * 100))]);
  assert.deepEqual([x, y], [10, 200]);
});

test("each loop iteration captures its own binding", async () => {
  const tasks = [];
  for (let i = 0; i < 8; i++) tasks.push(eval(spawn(() => i * i)));
  assert.deepEqual(await Promise.all(tasks), [0, 1, 4, 9, 16, 25, 36, 49]);
});

test("captures see the current value at the call, and shadowing is respected", async () => {
  let n = 1;
  const first = eval(spawn(() => n));
  n = 2;
  const second = eval(spawn(() => n));
  const shadowed = eval(spawn(() => {
    const n = "inner";
    return n;
  }));
  assert.deepEqual(await Promise.all([first, second, shadowed]), [1, 2, "inner"]);
});

test("Map, Set, Date, RegExp, BigInt, Error and cycles survive the trip both ways", async () => {
  const cyclic = { name: "root" };
  cyclic.self = cyclic;
  const input = { map: new Map([["k", 1]]), set: new Set([1, 2]), date: new Date(5), re: /a+/gi, big: 2n ** 70n, err: new RangeError("r"), cyclic };
  const out = await eval(spawn(() => ({ ...input, sameCycle: input.cyclic.self === input.cyclic })));
  assert.equal(out.map.get("k"), 1);
  assert.ok(out.set.has(2));
  assert.equal(out.date.getTime(), 5);
  assert.equal(out.re.flags, "gi");
  assert.equal(out.big, 2n ** 70n);
  assert.ok(out.err instanceof RangeError);
  assert.equal(out.sameCycle, true);
  assert.equal(out.cyclic.self, out.cyclic);
});

// Bun 1.3 and earlier clone a reference to an object already copied wrongly once a BigInt came
// before it; weft refuses such values there (the probe below is the adapter's).
test("a BigInt before objects referenced twice arrives intact both ways, or is refused where cloning would change it", async () => {
  const a = { v: "a" };
  const b = { v: "b" };
  const input = { n: 1n, a, b, r: a, s: b };
  const x = {};
  const probe = structuredClone({ n: 0n, x, r: x });
  if (probe.r === probe.x) {
    const out = await eval(spawn(() => [input.r.v, input.s.v, input.r === input.a, input.s === input.b, input.n]));
    assert.deepEqual(out, ["a", "b", true, true, 1n]);
    const back = await eval(spawn(() => {
      const p = { v: "p" };
      const q = { v: "q" };
      return { n: 2n, p, q, first: p, second: q };
    }));
    assert.equal(back.first, back.p);
    assert.equal(back.second, back.q);
  } else {
    await assert.rejects(async () => eval(spawn(() => input.s.v)), /"input"[^]*BigInt and a second reference[^]*Bun to 1\.4/);
    // Each capture alone crosses; together they hold the BigInt and the second reference.
    const big = { n: 2n };
    const again = { first: a };
    await assert.rejects(
      async () => eval(spawn(() => [big.n, again.first, a])),
      (e) => /captured variables[^]*together[^]*Bun to 1\.4/.test(e.message) && ["big", "again", "a"].every((n) => e.message.includes(`"${n}"`)),
    );
  }
});

test("captured typed arrays are copied by default and moved with { transfer }", async () => {
  const data = new Float64Array([1, 2, 3]);
  const sum = await eval(spawn(() => data.reduce((a, b) => a + b, 0)));
  assert.equal(sum, 6);
  assert.equal(data.length, 3, "the caller keeps a copied array");
  const moved = new Uint8Array(1024).fill(7);
  const total = await eval(spawn(() => moved.reduce((a, b) => a + b, 0), { transfer: [moved.buffer] }));
  assert.equal(total, 7 * 1024);
  assert.equal(moved.byteLength, 0, "a transferred buffer is detached in the caller");
});

test("SharedArrayBuffers are shared, not copied", async () => {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  await eval(spawn(() => {
    Atomics.store(shared, 1, 99);
  }));
  assert.equal(shared[1], 99);
});

test("a 64 MB typed-array result comes back intact", async () => {
  const size = 64 * 1024 * 1024;
  const result = await eval(spawn(() => {
    const out = new Uint8Array(size);
    for (let i = 0; i < out.length; i += 4096) out[i] = (i / 4096) & 0xff;
    return out;
  }));
  assert.equal(result.byteLength, size);
  assert.equal(result[4096 * 300], 300 & 0xff);
});

test("top-level functions and data are re-created or copied; other top-level code never runs", async () => {
  const dir = scratchDir("side-");
  const log = join(dir, "log.txt");
  writeFileSync(log, "");
  try {
    const script = join(dir, "probe.js");
    writeFileSync(script, `import { run } from ${JSON.stringify(fixture("side_effects.js"))};\nconsole.log(JSON.stringify(await run()));\n`);
    const { code, stdout, stderr } = await runScript(script, { env: { WEFT_SIDE_EFFECT_LOG: log } });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout.trim()), [2, 3, 4]);
    assert.equal(readFileSync(log, "utf8"), "top-level ran\n", "the module's top level ran exactly once");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a caller in its own package: bare dependency, #imports alias and node: builtins resolve as in the caller", async () => {
  const { run } = await import(fixture("app/main.js"));
  assert.deepEqual(await run("hi"), { flavour: "esm", shouted: "HI!", doubled: 42, base: "main.js" });
});

test("a TypeScript caller with enums, namespaces and generics", async () => {
  const { run } = await import(fixture("typed.ts"));
  assert.deepEqual(await run(), ["green", 70, 12, "7"]);
}, { skip: runtimeName === "node" && Number(process.versions.node.split(".")[0]) < 22 ? "no type stripping" : false });

test("a caller path with quotes, ${}, backticks and spaces injects nothing", async () => {
  const { run } = await import(fixture("we\"ird ${x} `q` 'dir'/caller.js"));
  assert.equal(await run(), 21);
});

test("errors keep their class, message, cause, own properties, and point at the caller file", async () => {
  const errors = await import(fixture("errors.js"));
  await assert.rejects(errors.typeError(), (e) => {
    assert.ok(e instanceof TypeError, `got ${e?.constructor?.name}`);
    assert.equal(e.message, "bad input");
    assert.ok(e.cause instanceof RangeError);
    assert.equal(e.cause.message, "too big");
    assert.match(e.stack, /fixtures\/errors\.js:\d+/, `stack: ${e.stack}`);
    assert.doesNotMatch(e.stack, /data:text|blob:/);
    return true;
  });
  await assert.rejects(errors.custom(), (e) => e instanceof Error && e.code === "E_CUSTOM" && e.detail.n === 1);
  await assert.rejects(errors.aggregate(), (e) => {
    assert.ok(e instanceof AggregateError);
    assert.equal(e.errors.length, 2);
    assert.ok(e.errors[1] instanceof TypeError);
    return true;
  });
  await assert.rejects(errors.nonError(), (e) => !(e instanceof Error) && e.reason === "plain object");
});

test("an uncloneable capture throws at the eval, before any worker runs, naming the variable and its line", () => {
  class Point {
    constructor(x) {
      this.x = x;
    }
    norm() {
      return Math.abs(this.x);
    }
  }
  const point = new Point(3);
  const callback = () => 1;
  assert.throws(() => eval(spawn(() => point.norm())), (e) => {
    assert.ok(e instanceof WeftError);
    assert.equal(e.code, "WEFT_UNCLONEABLE_CAPTURE");
    assert.match(e.message, /"point"/);
    assert.match(e.message, /spawn\.test\.js:\d+:\d+/);
    assert.match(e.message, /instance of Point/);
    return true;
  });
  assert.throws(() => eval(spawn(() => callback())), { code: "WEFT_UNCLONEABLE_CAPTURE", message: /"callback".*function/ });
  const sym = Symbol("s");
  assert.throws(() => eval(spawn(() => sym.toString())), { code: "WEFT_UNCLONEABLE_CAPTURE", message: /symbol/ });
});

test("`this` in a closure is refused with a clear error", () => {
  const holder = {
    go() {
      // Not `return spawn(…)`: JavaScriptCore's proper tail calls would drop this frame on Bun.
      return [spawn(() => this.value)];
    },
  };
  assert.throws(() => holder.go(), { name: "WeftError", code: "WEFT_THIS_CAPTURED" });
});

test("spawn without eval is reported, not silently ignored", async () => {
  const dir = scratchDir("noeval-");
  try {
    const script = join(dir, "probe.js");
    writeFileSync(script, `import { spawn } from "weft";\nconst x = 1;\nconst forgotten = spawn(() => x);\n`);
    const { stderr } = await runScript(script, { cwd: new URL(".", import.meta.url).pathname });
    assert.match(stderr, /was not passed to eval/);
    assert.match(stderr, /probe\.js:3:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nested spawns deeper than maxWorkers complete (parallel fib)", async () => {
  configure({ maxWorkers: 2 });
  try {
    const { fib } = await import(fixture("fib.js"));
    assert.equal(await fib(12), 144);
  } finally {
    configure({ maxWorkers: navigator.hardwareConcurrency });
  }
});

test("a worker that exits fails its task with the exit code, and the pool recovers", async () => {
  const errors = await import(fixture("errors.js"));
  await assert.rejects(errors.exitWorker(7), (e) => {
    assert.equal(e.code, "WEFT_WORKER_EXITED");
    assert.match(e.message, /code 7/);
    return true;
  });
  const value = 5;
  assert.equal(await eval(spawn(() => value + 1)), 6);
});

test("shutdown rejects tasks in flight, and spawning works again afterwards", async () => {
  // The task spins until released, and it is released only after its promise rejected: a
  // shutdown() that waited for the task would leave it spinning to its deadline and then resolve,
  // failing the test. (It spins rather than blocks because Deno's worker termination does not
  // interrupt running code, and a task left running would steal a core from later tests.)
  const flags = new Int32Array(new SharedArrayBuffer(8)); // [started, release]
  const longTask = eval(spawn(() => {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    const end = Date.now() + 20_000;
    while (Date.now() < end && Atomics.load(flags, 1) === 0);
    return "finished";
  }));
  const rejected = assert.rejects(longTask, (e) => {
    assert.equal(e.code, "WEFT_SHUTDOWN");
    assert.match(e.message, /spawn\.test\.js:\d+/);
    return true;
  });
  while (Atomics.load(flags, 0) === 0) {
    const wait = Atomics.waitAsync(flags, 0, 0);
    if (wait.async) await wait.value;
  }
  try {
    await shutdown();
    await rejected;
  } finally {
    Atomics.store(flags, 1, 1);
  }
  const n = 41;
  assert.equal(await eval(spawn(() => n + 1)), 42);
});

test("a process that never calls shutdown exits soon after its last result", async () => {
  const dir = scratchDir("exit-");
  try {
    const script = join(dir, "probe.js");
    writeFileSync(
      script,
      `import { spawn } from "weft";\nconst n = 2;\nconsole.log(await eval(spawn(() => n * 21)));\nconsole.log(Date.now());\n`,
    );
    const { code, stdout, stderr } = await runScript(script, { cwd: new URL(".", import.meta.url).pathname });
    const ended = Date.now();
    assert.equal(code, 0, stderr);
    const [answer, printedAt] = stdout.trim().split("\n").map(Number);
    assert.equal(answer, 42);
    // An idle worker that kept the process alive would hold it until idleTimeoutMs (30 s).
    assert.ok(ended - printedAt < 15_000, `exited ${ended - printedAt} ms after its last result`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a worker that runs a task loads no builtin only some operations need (node:crypto)", async () => {
  // The analysis cache hashes with node:crypto, loaded on first use (node/builtins.ts) except on the
  // root thread; a worker that never analyses must not pay for it at start-up. Node lists what
  // each thread loaded.
  const { code, stdout, stderr } = await probe(
    "builtins-",
    `import { spawn, shutdown } from "weft";\n` +
      `const main = process.moduleLoadList.includes("NativeModule crypto");\n` +
      `const loaded = await eval(spawn(() => process.moduleLoadList.filter((m) => /^NativeModule (crypto|internal\\/crypto\\/hash)$/.test(m))));\n` +
      `console.log(JSON.stringify({ worker: loaded, main }));\n` +
      `await shutdown();\n`,
  );
  assert.equal(code, 0, stderr);
  const { worker, main } = JSON.parse(stdout.trim());
  assert.deepEqual(worker, [], "the worker loaded node:crypto");
  // The root thread does load it, with weft (its first spawn reads the analysis cache); this is
  // also the control that the probe sees node:crypto at all.
  assert.equal(main, true, "the root thread had not loaded node:crypto once weft was imported");
}, { skip: runtimeName === "node" ? false : "only Node lists the builtins a thread loaded (process.moduleLoadList)" });

test("a new worker answers its first task without loading perf_hooks or process.report", async () => {
  // Node loads both on first use: the global `performance` loads perf_hooks, and `import process
  // from "node:process"` reads every property of `process`, `process.report` among them. Each
  // costs about a millisecond of a new worker's start (bench/ row 3), so a worker's loop reads
  // the runtime's clock and weft's shims use the global `process`.
  const { code, stdout, stderr } = await probe(
    "lazy-",
    `import { spawn, shutdown } from "weft";\n` +
      `const lazy = (m) => /^NativeModule (perf_hooks|internal\\/process\\/report)$/.test(m);\n` +
      `const worker = await eval(spawn(() => process.moduleLoadList.filter(lazy)));\n` +
      `performance.now();\n` +
      `console.log(JSON.stringify({ worker, main: process.moduleLoadList.filter(lazy) }));\n` +
      `await shutdown();\n`,
  );
  assert.equal(code, 0, stderr);
  const { worker, main } = JSON.parse(stdout.trim());
  assert.deepEqual(worker, [], "the worker loaded them before answering");
  // The control: a thread that reads \`performance\` does list perf_hooks.
  assert.ok(main.includes("NativeModule perf_hooks"), `the root thread listed ${JSON.stringify(main)}`);
}, { skip: runtimeName === "node" ? false : "only Node lists the builtins a thread loaded (process.moduleLoadList)" });

test("shutdown() resolves after a worker that was still starting has been closed", async () => {
  // The pool logs its events with WEFT_DEBUG; the script marks the moment shutdown() resolved.
  const { code, stdout, stderr } = await probe(
    "discard-",
    `import { spawn, shutdown } from "weft";\n` +
      `const first = eval(spawn(() => 1)).catch((e) => e.code);\n` +
      `await shutdown();\n` +
      `console.error("probe: shutdown resolved");\n` +
      `console.log(await first);\n`,
    { WEFT_DEBUG: "1" },
  );
  assert.equal(code, 0, stderr);
  assert.equal(stdout.trim(), "WEFT_SHUTDOWN", "the task queued before shutdown() was not refused");
  // Terminated workers exit with code 1 on Node and Deno, none on Bun: the code is not the point.
  const lines = stderr
    .split("\n")
    .filter((l) => /^(weft: worker|probe:)/.test(l))
    .map((l) => l.replace(/ with code \d+$/, ""));
  assert.deepEqual(
    lines,
    ["weft: worker discarded: it was starting when the pool shut down", "weft: worker exited", "probe: shutdown resolved"],
    stderr,
  );
});

test("tasks run at the same time on different threads: one per core meet at a shared word", async () => {
  // Each task checks in on a shared counter, then waits until every task has checked in. Run one
  // after another on fewer threads than tasks, the first would wait alone until its deadline and
  // report false; the deadline only guards against a hang, it never makes the test pass. Each task
  // is spawned once the previous one runs, so the pool never holds two queued tasks to pipeline
  // onto one worker. (How much faster parallel work is belongs in bench/cpu.bench.js.)
  const cores = navigator.hardwareConcurrency;
  configure({ maxWorkers: cores });
  const arrived = new Int32Array(new SharedArrayBuffer(4));
  const results = [];
  for (let k = 0; k < cores; k++) {
    results.push(
      eval(spawn(() => {
        Atomics.add(arrived, 0, 1);
        Atomics.notify(arrived, 0);
        const deadline = Date.now() + 20_000;
        for (let seen; (seen = Atomics.load(arrived, 0)) < cores && Date.now() < deadline; ) {
          Atomics.wait(arrived, 0, seen, 50);
        }
        return { all: Atomics.load(arrived, 0) >= cores, thread: isolateTag() };
      })),
    );
    for (let seen; (seen = Atomics.load(arrived, 0)) <= k; ) {
      const wait = Atomics.waitAsync(arrived, 0, seen);
      if (wait.async) await wait.value;
    }
  }
  const settled = await Promise.all(results);
  assert.deepEqual(settled.map((r) => r.all), Array(cores).fill(true));
  assert.equal(new Set(settled.map((r) => r.thread)).size, cores, "every task ran on a thread of its own");
}, { timeoutMs: 60_000 });

test("an uncaught async error in a worker fails its task, and the pool recovers", async () => {
  await assert.rejects(
    eval(spawn(() => {
      setTimeout(() => {
        throw new RangeError("boom later");
      }, 0);
      return new Promise(() => {});
    })),
    (e) => e instanceof RangeError && e.message === "boom later",
  );
  const v = 3;
  assert.equal(await eval(spawn(() => v * 3)), 9);
});

test("a re-created top-level binding keeps what later top-level statements add to it", async () => {
  const c = await import(fixture("completions.js"));
  assert.equal(await c.counter(1), 11);
  assert.equal(await c.make("ab"), "id:AB");
  assert.equal(await c.cacheSize(), 0);
  // Refused at the eval, as a capture that cannot cross is: no worker is involved.
  assert.throws(() => c.model(), (e) => {
    assert.equal(e.code, "WEFT_CANNOT_RECREATE");
    assert.match(e.message, /`Model` \(declared at 29:10\)/);
    assert.match(e.message, /30:29 \(`Model\.prototype\[k\] = \(\) => k`\)/);
    return true;
  });
});

test("a worker over its heap limit fails its task with WEFT_WORKER_OUT_OF_MEMORY and is replaced", async () => {
  await shutdown(); // limits apply to workers started afterwards
  configure({ resourceLimits: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 } });
  try {
    await assert.rejects(
      eval(spawn(() => {
        const hog = [];
        for (;;) hog.push(new Array(100_000).fill({ n: hog.length }));
      })),
      (e) => {
        assert.equal(e.code, "WEFT_WORKER_OUT_OF_MEMORY");
        assert.match(e.message, /ran out of memory/);
        return true;
      },
    );
    const v = 4;
    assert.equal(await eval(spawn(() => v + 1)), 5);
  } finally {
    configure({ resourceLimits: {} });
    await shutdown();
  }
}, { skip: runtimeName === "bun" ? "Bun ignores resourceLimits (WEFT_RESOURCE_LIMITS_IGNORED)" : false });

test("on Node, maxOldGenerationSizeMb alone also bounds a worker's young generation, to half of it", async () => {
  // V8's heap_size_limit is the old generation's limit plus the young generation's size. Node 24's
  // own young generation for a worker is 192 MB, and one larger than the old generation's room can
  // make a heap overflow abort the process (see node/runtime.ts).
  const heapLimitMb = () => eval(spawn(async () => (await import("node:v8")).getHeapStatistics().heap_size_limit / 2 ** 20));
  await shutdown(); // limits apply to workers started afterwards
  try {
    // V8 sizes the young generation from the setting in its own steps (32 MB counts as 48 here):
    // bounded, the total stays far below 64 + 192.
    configure({ resourceLimits: { maxOldGenerationSizeMb: 64 } });
    const bounded = await heapLimitMb();
    assert.ok(bounded <= 64 + 64, `the worker's heap limit is ${bounded} MB`);
    await shutdown();
    configure({ resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 } });
    const given = await heapLimitMb();
    assert.ok(given < bounded, `a young generation the caller gave was not kept: ${given} MB against ${bounded} MB`);
  } finally {
    configure({ resourceLimits: {} });
    await shutdown();
  }
}, { skip: runtimeName === "node" ? false : "the bound is Node's (its workers' young generation outgrew small old ones)" });

test("idle workers are closed after idleTimeoutMs", async () => {
  await shutdown();
  configure({ idleTimeoutMs: 150 });
  try {
    const v = 1;
    await Promise.all([eval(spawn(() => v)), eval(spawn(() => v))]);
    assert.ok(rootPool().size >= 1);
    // Closed by the reaper, however late its timer fires on a loaded machine; the deadline only
    // guards against a reaper that never closes them.
    const deadline = Date.now() + 10_000;
    while (rootPool().size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(rootPool().size, 0);
    assert.equal(await eval(spawn(() => v + 1)), 2, "a new worker starts on demand");
  } finally {
    configure({ idleTimeoutMs: 30_000 });
  }
});

/** Writes a caller module into tests/.scratch and imports it. */
async function callerModule(name, text) {
  const dir = scratchDir("gen-");
  const file = join(dir, name);
  writeFileSync(file, text);
  return import(new URL(`file://${file}`).href);
}

// The analyzer's own tests cover 5,000 levels natively; here the caller must still be loadable by
// every engine's parser, whose stacks overflow long before that.
test("nesting beyond the analyzer's limit is refused with WEFT_TOO_DEEP, and the analyzer stays usable", async () => {
  const deep = `${"[".repeat(600)}0${"]".repeat(600)}`;
  const mod = await callerModule(
    "deep.js",
    `import { spawn } from "weft";\nconst deep = ${deep};\nexport function run() { return eval(spawn(() => deep)); }\n`,
  );
  assert.throws(() => mod.run(), (e) => {
    assert.equal(e.code, "WEFT_TOO_DEEP");
    assert.match(e.message, /deep\.js/);
    return true;
  });
  const after = 3;
  assert.equal(await eval(spawn(() => after * 2)), 6);
});

test("a 50,000-line caller file is analysed", async () => {
  const lines = ["import { spawn } from \"weft\";"];
  for (let i = 0; i < 50_000; i++) lines.push(`export const value${i} = ${i} * 2;`);
  lines.push("export function run() { return eval(spawn(() => value49999 + value1)); }");
  const mod = await callerModule("big.js", `${lines.join("\n")}\n`);
  assert.equal(await mod.run(), 49_999 * 2 + 2);
}, { timeoutMs: 120_000 });

test("a returned class instance or function is refused with WEFT_UNCLONEABLE_RESULT naming it", async () => {
  await assert.rejects(
    eval(spawn(() => {
      class Point {
        constructor(x) {
          this.x = x;
        }
        norm() {
          return Math.abs(this.x);
        }
      }
      return { items: [1, new Point(3)] };
    })),
    (e) => {
      assert.ok(e instanceof WeftError, `got ${e?.constructor?.name}: ${e}`);
      assert.equal(e.code, "WEFT_UNCLONEABLE_RESULT");
      assert.match(e.message, /the result\.items\[1\] is an instance of Point/);
      assert.match(e.message, /task spawned at .*spawn\.test\.js:\d+:\d+/);
      return true;
    },
  );
  await assert.rejects(eval(spawn(() => () => 1)), { code: "WEFT_UNCLONEABLE_RESULT", message: /is a function/ });
  const ok = await eval(spawn(() => ({ map: new Map([[1, new Set(["a"])]]), at: new Date(7) })));
  assert.equal(ok.map.get(1).has("a"), true, "plain data still crosses");
  assert.equal(ok.at.getTime(), 7);
});

test("a primitive result crosses as itself and an ArrayBuffer result is moved", async () => {
  const size = 1 << 20;
  const [text, buffer, view] = await Promise.all([
    eval(spawn(() => "plain")),
    eval(spawn(() => new ArrayBuffer(size))),
    eval(spawn(() => ({ nested: new Uint16Array(size / 2) }))),
  ]);
  assert.equal(text, "plain");
  assert.equal(buffer.byteLength, size);
  assert.equal(view.nested.length, size / 2);
});

/**
 * Writes `text` as probe.js into a scratch folder, runs it (with `env` added to the environment),
 * and returns its exit code and output.
 */
async function probe(prefix, text, env = {}) {
  const dir = scratchDir(prefix);
  try {
    const script = join(dir, "probe.js");
    writeFileSync(script, text);
    return await runScript(script, { cwd: new URL(".", import.meta.url).pathname, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("an error a task's timer throws after the task settled is a WEFT_STRAY_ERROR warning, and the worker goes on", async () => {
  const { code, stdout, stderr } = await probe(
    "stray-",
    `import { configure, spawn } from "weft";
configure({ maxWorkers: 1 });
const keepAlive = setInterval(() => {}, 1000);
const warned = new Promise((resolve) => {
  const original = console.warn;
  console.warn = (...args) => {
    original(...args);
    resolve(args.join(" "));
  };
});
const tag = () => (globalThis.__tag ??= Math.random());
const first = await eval(spawn(() => {
  setTimeout(() => {
    throw new RangeError("late boom");
  }, 1);
  return tag();
}));
const warning = await warned;
const second = await eval(spawn(() => tag()));
clearInterval(keepAlive);
console.log(JSON.stringify({ sameWorker: first === second, warning }));
`,
  );
  assert.equal(code, 0, stderr);
  const { sameWorker, warning } = JSON.parse(stdout.trim().split("\n").at(-1));
  assert.equal(sameWorker, true, "the worker was kept");
  assert.match(warning, /WEFT_STRAY_ERROR/);
  assert.match(warning, /RangeError: late boom/);
  assert.match(warning, /the task spawned at file:.*probe\.js:12:\d+/, "names the spawn that scheduled it");
  assert.match(warning, /probe\.js:14:\d+/, "the original stack names the line that threw");
  assert.doesNotMatch(warning, /data:text|blob:/);
});

test("an error escaping a finished task never rejects the task running after it on the same worker", async () => {
  const { code, stdout, stderr } = await probe(
    "stray-next-",
    `import { configure, spawn } from "weft";
configure({ maxWorkers: 1 });
const thrown = new Int32Array(new SharedArrayBuffer(4));
await eval(spawn(() => {
  setTimeout(() => {
    Atomics.store(thrown, 0, 1);
    Atomics.notify(thrown, 0);
    throw new TypeError("left behind");
  }, 1);
  return "first";
}));
// Runs on the same worker while the first task's timer throws; it waits (without blocking its
// thread) until the timer has run.
const second = await eval(spawn(async () => {
  const wait = Atomics.waitAsync(thrown, 0, 0);
  if (wait.async) await wait.value;
  return "second";
}));
console.log(JSON.stringify({ second }));
`,
  );
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout.trim().split("\n").at(-1)), { second: "second" });
  assert.match(stderr, /WEFT_STRAY_ERROR.*TypeError: left behind/s);
});

test("a task that sets Object.prototype.then cannot make results hang: objects still arrive, the worker is replaced", async () => {
  configure({ maxWorkers: 1 });
  try {
    const polluter = await eval(spawn(() => {
      Object.prototype.then = function () {};
      return "set";
    }));
    assert.equal(polluter, "set");
    const objects = await Promise.all(Array.from({ length: 3 }, (_, i) => eval(spawn(() => ({ i, ok: Object.prototype.then === undefined })))));
    assert.deepEqual(objects, [0, 1, 2].map((i) => ({ i, ok: true })), "later tasks ran on a fresh worker");
    await assert.rejects(
      eval(spawn(() => {
        Object.prototype.then = function () {};
        return { a: 1 };
      })),
      (e) => {
        assert.equal(e.code, "WEFT_PROTOTYPE_POLLUTED");
        assert.match(e.message, /Object\.prototype\.then is set/);
        return true;
      },
    );
    await assert.rejects(
      eval(spawn(async () => {
        Array.prototype.then = function () {};
        return [1];
      })),
      { code: "WEFT_PROTOTYPE_POLLUTED", message: /Array\.prototype\.then/ },
    );
    assert.deepEqual(await eval(spawn(() => [Object.prototype.then, Array.prototype.then])), [undefined, undefined]);
  } finally {
    configure({ maxWorkers: navigator.hardwareConcurrency });
  }
});

test("a worker that just went idle takes the next task at once and in order: 600 sequential tasks, some awaiting, some spawning", async () => {
  configure({ maxWorkers: 1 });
  try {
    const results = [];
    for (let i = 0; i < 600; i++) {
      const kind = i % 3;
      results.push(
        await eval(
          spawn(async () => {
            globalThis.weftWorker ??= Math.random();
            globalThis.weftSequence = (globalThis.weftSequence ?? 0) + 1;
            const mine = globalThis.weftSequence;
            if (kind === 1) await null;
            if (kind === 2) {
              const inner = i;
              return [globalThis.weftWorker, mine, await eval(spawn(() => inner * 2))];
            }
            return [globalThis.weftWorker, mine, i * 2];
          }),
        ),
      );
    }
    // Each task starts after the one before it ended: on the same worker (the pool may replace
    // one that reached its bound of modules), it sees the count the one before it left.
    for (let i = 0; i < results.length; i++) {
      const [worker, sequence, value] = results[i];
      assert.equal(value, i * 2, `task ${i}`);
      if (i > 0 && results[i - 1][0] === worker) assert.equal(sequence, results[i - 1][1] + 1, `task ${i}`);
    }
    assert.ok(results.filter((r, i) => i > 0 && r[0] === results[i - 1][0]).length >= 500, "the tasks mostly ran on one worker");
  } finally {
    configure({ maxWorkers: navigator.hardwareConcurrency });
  }
});

test("an idle worker gives its core back: after 300 sequential tasks, the process uses little CPU while idle", async () => {
  const dir = scratchDir("idle-cpu-");
  try {
    const script = join(dir, "probe.js");
    writeFileSync(
      script,
      `import process from "node:process";
import { configure, shutdown, spawn } from "weft";
configure({ maxWorkers: 1 });
let sum = 0;
for (let i = 0; i < 300; i++) sum += await eval(spawn(() => i));
const before = process.cpuUsage();
await new Promise((resolve) => setTimeout(resolve, 600));
const used = process.cpuUsage(before);
console.log(JSON.stringify({ sum, ms: (used.user + used.system) / 1000 }));
await shutdown();
`,
    );
    const { code, stdout, stderr } = await runScript(script, { cwd: new URL(".", import.meta.url).pathname });
    assert.equal(code, 0, stderr);
    const { sum, ms } = JSON.parse(stdout.trim().split("\n").at(-1));
    assert.equal(sum, (299 * 300) / 2);
    // A worker that kept checking for calls would use about as much CPU as the 600 ms of wall time.
    assert.ok(ms < 200, `the idle process used ${ms} ms of CPU in 600 ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
