// examples/server.mjs on every runtime: it answers from a worker, serves stats(), and cancels the
// task of a client that hung up (the task's worker is terminated; the server goes on).
import { spawn as spawnProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { assert, runtimeName, test } from "./harness/mod.js";

const serverFile = fileURLToPath(new URL("../examples/server.mjs", import.meta.url));

/** Starts the example server in a new process of this runtime; its URL and the process. */
async function startServer() {
  const args = runtimeName === "deno" ? ["run", "-A", serverFile, "0"] : [serverFile, "0"];
  const child = spawnProcess(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const found = /listening on (\S+)/.exec(out);
      if (found) resolve(found[1]);
    });
    child.on("exit", (code) => reject(new Error(`the server exited with code ${code}: ${err}`)));
  });
  return { url, child };
}

const json = async (res) => ({ status: res.status, body: await res.json() });

/** Polls /stats until `done(figures)` holds. */
async function statsWhen(url, done) {
  for (;;) {
    const figures = (await json(await fetch(`${url}/stats`))).body;
    if (done(figures)) return figures;
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("the example server answers from a worker, counts in /stats, and cancels a task whose client hung up", async () => {
  const { url, child } = await startServer();
  try {
    const answer = await json(await fetch(`${url}/primes?below=100000`));
    assert.deepEqual(answer, { status: 200, body: { below: 100000, count: 9592 } });
    const inline = await json(await fetch(`${url}/primes?below=1000&inline=1`));
    assert.deepEqual(inline.body, { below: 1000, count: 168 });
    assert.equal((await json(await fetch(`${url}/primes?below=-1`))).status, 400);

    // A request far too long to finish during this test; the client hangs up once it runs.
    const client = new AbortController();
    const hungUp = fetch(`${url}/primes?below=50000000`, { signal: client.signal }).catch((e) => e.name);
    await statsWhen(url, (s) => s.busy === 1);
    client.abort();
    assert.equal(await hungUp, "AbortError");
    const after = await statsWhen(url, (s) => s.cancelled === 1);
    assert.equal(after.completed, 1);
    assert.equal(after.busy, 0);
    assert.equal(after.failed, 0);
    // The server goes on: the next request is answered by a new worker.
    assert.deepEqual((await json(await fetch(`${url}/primes?below=10`))).body, { below: 10, count: 4 });
  } finally {
    child.kill();
  }
});
