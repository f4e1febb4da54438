// What every fault case uses: its findings go to stdout as one line the fault test reads, so that
// the case can fail in any way (crash, hang, wrong code) and the test still sees what happened.
import { runtimeName } from "../../harness/mod.js";

export { runtimeName };

/** Prints the case's findings: `##fault {...}`. Call once, last. */
export function report(findings) {
  console.log(`##fault ${JSON.stringify(findings)}`);
}

/** `{ code, message }` of what `run` threw or rejected with, or `{ value }` (`null` for `undefined`) if it did not fail. */
export async function outcome(run) {
  try {
    const value = await run();
    return { value: value === undefined ? null : value };
  } catch (error) {
    return { code: error?.code ?? error?.name, message: String(error?.message ?? error) };
  }
}
