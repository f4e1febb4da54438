// The package's entries export the same names on every runtime. On Bun the names are listed by
// hand (bun/mod.ts, bun/internal.ts), because there they come from a module loaded at run time.
import * as api from "weft";
import * as internal from "weft/_internal";
import { assert, test } from "./harness/mod.js";

const API = [
  "Barrier", "Channel", "Condvar", "Global", "Mutex", "MutexGuard", "Permit", "PoisonError", "RwLock",
  "RwLockGuard", "RwLockReadGuard", "RwLockWriteGuard", "Semaphore", "SharedStruct", "WaitGroup",
  "WeftError", "configure", "shutdown", "spawn", "stats", "version",
];
const INTERNAL = [
  "BUNDLED_API", "Histogram", "WORKER_STACK_SIZE", "WorkerHost", "closureAt", "core", "coreMemory",
  "decodeBase64", "isCoreReady", "memoryBytes", "rootPool", "runBuilt", "runtime", "spinPolicy", "words",
  "wordsAt",
];

test("weft and weft/_internal export the same names on every runtime", () => {
  assert.deepEqual(Object.keys(api).sort(), [...API].sort());
  assert.deepEqual(Object.keys(internal).sort(), [...INTERNAL].sort());
  for (const name of API) assert.notEqual(api[name], undefined, name);
  for (const name of INTERNAL) assert.notEqual(internal[name], undefined, name);
});
