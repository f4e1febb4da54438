// The package's types from CommonJS compiled with module node16, which cannot name an ES module's
// declarations: `require("weft")` is typed through js/index.d.cts.
import weft = require("weft");
import type { MutexGuard, WeftErrorCode } from "weft" with { "resolution-mode": "import" };

const { spawn, Mutex, shutdown } = weft;

export async function answer(): Promise<number> {
  const x = 2;
  const n: number = await eval(spawn(() => x * 21));
  return n;
}

export function guarded(m: InstanceType<typeof Mutex<SharedArrayBuffer>>): Promise<MutexGuard<SharedArrayBuffer>> {
  return m.lock();
}

export const code: WeftErrorCode = "WEFT_SHUTDOWN";
export const stop: () => Promise<void> = shutdown;
