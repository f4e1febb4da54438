// The idle worker's choice between spinning and sleeping (js/pool/spin_policy.ts), driven with
// made-up cycle times: which mode it keeps, when it tries the other, what it ignores.
import { spinPolicy } from "weft/_internal";
import { assert, test } from "./harness/mod.js";

const { BACK_TO_BACK_MS, MAX_RUN_CYCLES, PROBE_CYCLES, RUN_CYCLES, SETTLE_CYCLES, SpinPolicy } = spinPolicy;

/**
 * Feeds `policy` `n` cycles, each costing what `cost(spinning)` says for the mode in use, and
 * returns the modes used, one letter per cycle ("s" spin, "z" sleep).
 */
function feed(policy, n, cost) {
  let modes = "";
  for (let i = 0; i < n; i++) {
    const spinning = policy.spinning;
    modes += spinning ? "s" : "z";
    policy.record(cost(spinning));
  }
  return modes;
}

/** The lengths of the runs of equal letters in `modes`, as "s512 z48 …". */
const runs = (modes) => (modes.match(/(.)\1*/g) ?? []).map((r) => `${r[0]}${r.length}`).join(" ");

const spinWins = (spinning) => (spinning ? 0.01 : 0.04);
const sleepWins = (spinning) => (spinning ? 0.05 : 0.02);

test("a worker whose spinning serves its caller better keeps spinning, and tries sleeping less and less often", () => {
  const policy = new SpinPolicy();
  const total = RUN_CYCLES + PROBE_CYCLES + 2 * RUN_CYCLES + PROBE_CYCLES + 4 * RUN_CYCLES + PROBE_CYCLES;
  assert.equal(
    runs(feed(policy, total, spinWins)),
    `s${RUN_CYCLES} z${PROBE_CYCLES} s${2 * RUN_CYCLES} z${PROBE_CYCLES} s${4 * RUN_CYCLES} z${PROBE_CYCLES}`,
  );
  // The run between two trials stops doubling at its maximum.
  const settled = runs(feed(policy, 3 * (MAX_RUN_CYCLES + PROBE_CYCLES), spinWins)).split(" ");
  assert.ok(settled.includes(`s${MAX_RUN_CYCLES}`), settled.join(" "));
  assert.ok(settled.every((r) => r === `z${PROBE_CYCLES}` || Number(r.slice(1)) <= MAX_RUN_CYCLES), settled.join(" "));
});

test("a worker whose caller is served better while it sleeps changes to sleeping after its first trial", () => {
  const policy = new SpinPolicy();
  const modes = feed(policy, RUN_CYCLES + PROBE_CYCLES + RUN_CYCLES + PROBE_CYCLES, sleepWins);
  // Spins (its first mode), tries sleeping and keeps it; its next trial, of spinning, loses.
  assert.equal(runs(modes), `s${RUN_CYCLES} z${PROBE_CYCLES + RUN_CYCLES} s${PROBE_CYCLES}`);
  assert.equal(policy.spinning, false);
});

test("the choice follows a machine whose state changes, and a difference within the margin changes nothing", () => {
  const policy = new SpinPolicy();
  feed(policy, 4 * (RUN_CYCLES + PROBE_CYCLES), sleepWins);
  assert.equal(policy.spinning, false);
  // Spinning becomes the better choice: the next trial of it wins.
  feed(policy, 2 * MAX_RUN_CYCLES, spinWins);
  assert.equal(policy.spinning, true);
  // Five per cent apart: not enough to change the preference back.
  const close = feed(policy, 4 * MAX_RUN_CYCLES, (spinning) => (spinning ? 0.021 : 0.02));
  assert.equal(close.replace(/z+/g, "").length > 0.9 * close.length, true);
  assert.equal(policy.spinning, true);
});

test("cycles that are not back to back, and the first ones after each change of mode, are not counted", () => {
  const policy = new SpinPolicy();
  // Slow cycles neither count nor advance the policy: it never leaves its first mode.
  assert.equal(feed(policy, 10 * RUN_CYCLES, () => BACK_TO_BACK_MS), "s".repeat(10 * RUN_CYCLES));
  assert.equal(feed(policy, 100, () => Number.NaN), "s".repeat(100));
  // A trial whose settling cycles are slow but whose counted ones are fast wins.
  const fresh = new SpinPolicy();
  feed(fresh, RUN_CYCLES, () => 0.03);
  let trial = 0;
  const modes = feed(fresh, PROBE_CYCLES, () => (trial++ < SETTLE_CYCLES ? 0.9 : 0.01));
  assert.equal(modes, "z".repeat(PROBE_CYCLES));
  assert.equal(fresh.spinning, false, "the settling cycles were counted");
});
