// Load on examples/server.mjs: requests per second with the handler offloaded to weft vs computed
// on the server's own thread, both measured in this run against the same server process (which
// runs on the same runtime as this script).
//   node bench/server_load.mjs [seconds per mode] [concurrent clients] [below]   (also deno run -A, bun)
import { spawn as spawnProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const seconds = Number(process.argv[2] ?? 5);
const clients = Number(process.argv[3] ?? 8);
const below = Number(process.argv[4] ?? 100_000);
const isDeno = typeof globalThis.Deno !== "undefined";

const server = spawnProcess(
  process.execPath,
  [...(isDeno ? ["run", "-A"] : []), fileURLToPath(new URL("../examples/server.mjs", import.meta.url)), "0"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const url = await new Promise((resolve, reject) => {
  let out = "";
  server.stdout.on("data", (d) => {
    out += d;
    const found = /listening on (\S+)/.exec(out);
    if (found) resolve(found[1]);
  });
  server.on("exit", (code) => reject(new Error(`the server exited with code ${code}`)));
});

/** Requests per second that `clients` concurrent clients get for `path` during `seconds`. */
async function load(path) {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const client = async () => {
    while (performance.now() < end) {
      const res = await fetch(url + path);
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
      await res.json();
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  return done / ((performance.now() - start) / 1000);
}

try {
  await load(`/primes?below=${below}`); // warm up: workers started, call site analysed
  const inline = await load(`/primes?below=${below}&inline=1`);
  const offloaded = await load(`/primes?below=${below}`);
  const stats = await (await fetch(`${url}/stats`)).json();
  console.log(
    `${clients} clients, primes below ${below}, ${seconds} s each: ` +
      `inline ${inline.toFixed(1)} req/s, weft ${offloaded.toFixed(1)} req/s ` +
      `(${(offloaded / inline).toFixed(2)}x; ${stats.workers} workers, p50 task ${stats.runTimeMs.p50.toFixed(1)} ms)`,
  );
} finally {
  server.kill();
}
