// The package entry on Bun (the `bun` export condition). Its exports are js/index.ts's, listed
// here because they come from a module loaded at run time (./load.ts); tests/exports.test.js
// checks that every runtime's entry exports the same names.
import { loadPackage } from "./load.js";

const weft = loadPackage(import.meta.url);
// The files beside this entry: `<runtime>/mod.js` sits one level below the package root.
weft.enterPackage(new URL("../js/wasm/weft_bg.wasm", import.meta.url), new URL("./worker.js", import.meta.url));

export const {
  Barrier,
  Channel,
  Condvar,
  configure,
  Global,
  Mutex,
  MutexGuard,
  Permit,
  PoisonError,
  RwLock,
  RwLockGuard,
  RwLockReadGuard,
  RwLockWriteGuard,
  Semaphore,
  SharedStruct,
  shutdown,
  spawn,
  stats,
  version,
  WaitGroup,
  WeftError,
} = weft.api;
