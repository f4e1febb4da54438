// weft example: an HTTP server (plain node:http, on Node, Deno and Bun) that offloads a CPU-heavy
// handler to weft's pool, cancels the task when the client disconnects, and serves the pool's
// figures on /stats.
//   node examples/server.mjs [port]        deno run -A examples/server.mjs      bun examples/server.mjs
//   curl 'http://localhost:8080/primes?below=2000000'     curl http://localhost:8080/stats
// `?inline=1` computes on the server's own thread instead, for comparison (bench/server_load.mjs).
import { createServer } from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { spawn, stats } from "weft";

/** The CPU-heavy part: how many primes there are below `n` (trial division, on purpose slow). */
export function countPrimes(n) {
  let count = 0;
  for (let i = 2; i < n; i++) {
    let prime = true;
    for (let d = 2; d * d <= i; d++) {
      if (i % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/** Answers a request; `signal` fires when the client goes away before the answer is sent. */
async function handle(url, signal) {
  if (url.pathname === "/stats") return { status: 200, body: stats() };
  if (url.pathname !== "/primes") return { status: 404, body: { error: "try /primes?below=100000 or /stats" } };
  const below = Number(url.searchParams.get("below") ?? 100_000);
  if (!Number.isInteger(below) || below < 0 || below > 50_000_000) {
    return { status: 400, body: { error: "below must be an integer from 0 to 50,000,000" } };
  }
  if (url.searchParams.get("inline") === "1") return { status: 200, body: { below, count: countPrimes(below) } };
  // The closure runs in a worker; the client hanging up cancels it, and so does a 30 s timeout.
  const count = await eval(spawn(() => countPrimes(below), { signal, timeout: 30_000 }));
  return { status: 200, body: { below, count } };
}

/** Starts the server on `port` (0: any free port); resolves with its URL and a way to close it. */
export function startServer(port = 0) {
  const server = createServer((req, res) => {
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    handle(new URL(req.url ?? "/", "http://localhost"), controller.signal).then(
      ({ status, body }) => send(res, status, body),
      (error) => {
        if (controller.signal.aborted) return; // the client is gone: nobody to answer
        const status = error?.code === "WEFT_TIMED_OUT" ? 503 : 500;
        send(res, status, { error: String(error?.message ?? error), code: error?.code });
      },
    );
  });
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      resolve({ url: `http://127.0.0.1:${bound}`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const isMain = process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url;
if (isMain) {
  const { url } = await startServer(Number(process.argv[2] ?? 8080));
  console.log(`listening on ${url}`);
}
