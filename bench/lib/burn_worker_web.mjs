// Raw control worker for the speedup benchmark as a web Worker: [id, { seed, steps }] → [id, burn(…)].
import { burn } from "./burn.mjs";

self.onmessage = (e) => {
  const [id, { seed, steps }] = e.data;
  self.postMessage([id, burn(seed, steps)]);
};
