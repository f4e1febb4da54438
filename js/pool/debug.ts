/**
 * `WEFT_DEBUG=1`: one line on stderr per pool event (worker started or gone, task queued,
 * started, settled, cancelled). Read once, through the Runtime interface, when the pool starts;
 * off by default, and then each event costs one check of a boolean.
 * @module
 */

import { runtime } from "../runtime.js";

let enabled: boolean | undefined;

/** Whether pool events are logged. */
export function debugEnabled(): boolean {
  if (enabled === undefined) {
    const value = runtime().env?.("WEFT_DEBUG");
    enabled = value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
  }
  return enabled;
}

/** Writes one event line (call only when {@link debugEnabled}). */
export function debugLog(event: string): void {
  console.error(`weft: ${event}`);
}
