// Serves a folder over HTTP on 127.0.0.1 (any free port, printed as "serving <url>"), as JSR
// serves a package's files: for the remote-import check of the JSR layout in scripts/test.sh.
//   node tests/jsr/serve.mjs <folder>
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join, normalize } from "node:path";

const root = process.argv[2];
const TYPES = { ".js": "application/javascript", ".ts": "application/typescript", ".wasm": "application/wasm", ".json": "application/json" };

const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname));
  if (path.includes("..")) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = readFileSync(join(root, path));
    res.writeHead(200, { "content-type": TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(0, "127.0.0.1", () => console.log(`serving http://127.0.0.1:${server.address().port}`));
