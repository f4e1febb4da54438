/**
 * Whether an idle worker should spin (take its next call synchronously for a moment, see
 * ./worker.ts) or sleep in its event loop, chosen from what each has cost it on this machine.
 *
 * Neither is best everywhere. Between two cores of a virtual machine, waking a sleeping thread
 * takes tens of microseconds, and a worker that spins saves its caller that wake-up. But the
 * scheduler may also run the caller and the worker on one core (a raw worker's round-trips flip
 * between the two modes, bench/ row 1), or another process may hold the other core; then a
 * spinning worker takes the core its caller needs to send the next call, and a round-trip costs
 * several times what it costs with a worker that sleeps.
 *
 * So the worker measures. A cycle is the time from its answer to the next call's arrival, the
 * part of a round-trip that the choice changes; only cycles shorter than {@link BACK_TO_BACK_MS}
 * count, since a caller that sends its next call later gains nothing from either. The policy runs
 * a number of cycles in the mode it prefers, then tries the other for {@link PROBE_CYCLES}, and
 * keeps whichever mode's median cycle was lower, by at least {@link MARGIN}. Each trial starts
 * with {@link SETTLE_CYCLES} that are not counted, while the scheduler adapts to the change. The
 * run between two trials starts at {@link RUN_CYCLES} and doubles each time a trial confirms the
 * preference, up to {@link MAX_RUN_CYCLES}: a trial of the worse mode costs a little, so a
 * settled worker tries rarely, and one whose preference just changed soon checks it again.
 *
 * Only the worker's timing depends on the choice, never what it computes.
 * @module
 */

/** Cycles in the preferred mode before the first trial of the other, and after a change. */
export const RUN_CYCLES = 512;
/** The most cycles in the preferred mode between two trials. */
export const MAX_RUN_CYCLES = 16 * RUN_CYCLES;
/** Cycles of a trial of the other mode, {@link SETTLE_CYCLES} of them not counted. */
export const PROBE_CYCLES = 48;
/** Cycles after a change of mode that are not counted. */
export const SETTLE_CYCLES = 16;
/** The longest cycle counted, in milliseconds. */
export const BACK_TO_BACK_MS = 1;
/** How much lower the trial's median must be for the policy to change its preference. */
export const MARGIN = 0.85;

/** The counted cycles each mode keeps, newest last. */
const KEPT = PROBE_CYCLES - SETTLE_CYCLES;

export class SpinPolicy {
  /** The mode the policy prefers: spinning at first, as an idle worker did before it measured. */
  #prefersSpin = true;
  /** Whether the cycles now are a trial of the other mode. */
  #probing = false;
  /** Cycles counted since the last change of mode (including the settling ones). */
  #cycles = 0;
  /** Cycles of the current run in the preferred mode. */
  #run = RUN_CYCLES;
  /** The latest counted cycles of each mode. */
  #spin: number[] = [];
  #sleep: number[] = [];

  /** Whether the worker should spin after its next answer. */
  get spinning(): boolean {
    return this.#probing ? !this.#prefersSpin : this.#prefersSpin;
  }

  /** Records a cycle of `ms` milliseconds, spent in the mode {@link spinning} gave. */
  record(ms: number): void {
    if (!(ms >= 0 && ms < BACK_TO_BACK_MS)) return;
    this.#cycles++;
    if (this.#cycles > SETTLE_CYCLES) {
      const samples = this.spinning ? this.#spin : this.#sleep;
      samples.push(ms);
      if (samples.length > KEPT) samples.shift();
    }
    if (!this.#probing) {
      if (this.#cycles >= this.#run) this.#change(true);
      return;
    }
    if (this.#cycles < PROBE_CYCLES) return;
    const tried = median(this.#prefersSpin ? this.#sleep : this.#spin);
    const kept = median(this.#prefersSpin ? this.#spin : this.#sleep);
    if (tried !== undefined && (kept === undefined || tried < kept * MARGIN)) {
      this.#prefersSpin = !this.#prefersSpin;
      this.#run = RUN_CYCLES;
    } else {
      this.#run = Math.min(2 * this.#run, MAX_RUN_CYCLES);
    }
    this.#change(false);
  }

  #change(probing: boolean): void {
    this.#probing = probing;
    this.#cycles = 0;
  }
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}
