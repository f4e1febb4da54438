// The CPU-bound work of the speedup benchmark, shared by weft's tasks, raw workers and the serial run.

/** A linear congruential generator run `steps` times: pure integer work the JIT cannot skip. */
export function burn(seed, steps) {
  let x = seed;
  for (let i = 0; i < steps; i++) x = (x * 1103515245 + 12345) % 2147483647;
  return x;
}
