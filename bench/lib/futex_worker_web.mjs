// Baseline contended worker as a web Worker: [id, { buffer, times }] → [id, times].
import { incrementUnderFutex } from "./futex_mutex.mjs";

self.onmessage = (e) => {
  const [id, { buffer, times }] = e.data;
  self.postMessage([id, incrementUnderFutex(buffer, times)]);
};
