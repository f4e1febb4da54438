// Baseline contended worker as a web Worker: [id, { buffer, times, outside }] → [id, times].
import { incrementUnderFutex } from "./futex_mutex.mjs";

self.onmessage = (e) => {
  const [id, { buffer, times, outside }] = e.data;
  self.postMessage([id, incrementUnderFutex(buffer, times, outside)]);
};
