// Node Buffers cross threads as Buffers, with their bytes, on every runtime: pooled ones (views
// into an ArrayBuffer shared by many small Buffers) as a copy of their own bytes, whole ones moved.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { shutdown, spawn } from "weft";
import { assert, test } from "./harness/mod.js";

test("a Buffer returned by a task arrives as a Buffer with the same bytes, pooled or not", async () => {
  const [small, digest, large] = await Promise.all([
    eval(spawn(() => Buffer.from("abc"))),
    eval(spawn(() => createHash("sha256").update("weft").digest())),
    eval(spawn(() => Buffer.alloc(64 * 1024, 7))),
  ]);
  for (const [name, value] of Object.entries({ small, digest, large })) {
    assert.ok(Buffer.isBuffer(value), `${name} is a ${value?.constructor?.name}`);
  }
  assert.equal(small.toString("hex"), Buffer.from("abc").toString("hex"));
  assert.equal(digest.toString("hex"), createHash("sha256").update("weft").digest("hex"));
  assert.equal(large.length, 64 * 1024);
  assert.ok(large.every((b) => b === 7));
});

test("a captured Buffer arrives as a Buffer; a pooled one leaves its neighbours in the pool intact", async () => {
  const pooled = Buffer.from("hello");
  const neighbour = Buffer.from("world");
  const whole = Buffer.alloc(16 * 1024, 1);
  const seen = await eval(
    spawn(() => ({
      pooledIsBuffer: Buffer.isBuffer(pooled),
      text: pooled.toString("utf8"),
      // A pooled Buffer crosses as its own bytes, not the whole pool.
      poolBytes: pooled.buffer.byteLength,
      wholeIsBuffer: Buffer.isBuffer(whole),
      sum: whole.reduce((a, b) => a + b, 0),
    })),
  );
  assert.deepEqual(seen, { pooledIsBuffer: true, text: "hello", poolBytes: 5, wholeIsBuffer: true, sum: 16 * 1024 });
  assert.equal(pooled.toString(), "hello", "the caller's Buffer is untouched");
  assert.equal(neighbour.toString(), "world");
  assert.equal(whole.length, 16 * 1024, "a captured Buffer is copied, not moved");
});

test("Buffers nested in a result keep their class and identity within it", async () => {
  const out = await eval(
    spawn(() => {
      const b = Buffer.from("xyz");
      return { list: [b, b], map: new Map([["k", Buffer.from([1, 2, 3])]]) };
    }),
  );
  assert.ok(Buffer.isBuffer(out.list[0]));
  assert.equal(out.list[0], out.list[1], "one Buffer twice in a value arrives as one Buffer");
  assert.equal(out.list[0].toString(), "xyz");
  assert.deepEqual([...out.map.get("k")], [1, 2, 3]);
  assert.ok(Buffer.isBuffer(out.map.get("k")));
});

test("shutdown", async () => {
  await shutdown();
});
