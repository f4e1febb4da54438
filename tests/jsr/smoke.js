// The JSR package at run time on Deno (its unbundled layout): it loads the .wasm, starts a worker,
// runs a spawned closure with a capture and a Mutex crossing as a handle. Run by scripts/test.sh,
// with the package's entry as the argument: a path, or an http: URL serving the layout as JSR does.
const { Mutex, shutdown, spawn } = await import(Deno.args[0]);

const base = 20;
const counter = new Mutex(new SharedArrayBuffer(4));
const result = await eval(
  spawn(() => {
    const guard = counter.lockSync();
    new Int32Array(guard.value)[0] += 1;
    guard.unlock();
    return base * 2 + 2;
  }),
);
const guard = await counter.lock();
const count = new Int32Array(guard.value)[0];
guard.unlock();
await shutdown();
if (result !== 42 || count !== 1) {
  console.error(`jsr smoke: expected 42 and a count of 1, got ${result} and ${count}`);
  Deno.exit(1);
}
