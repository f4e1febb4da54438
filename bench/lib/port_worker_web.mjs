// Baseline channel endpoint as a web Worker: [id, { role, port, n }] → [id, n].
import { servePort } from "./port_endpoint.mjs";

self.onmessage = (e) => {
  const [id, job] = e.data;
  servePort(job, () => self.postMessage([id, job.n]));
};
