// Compiled with `tsc --noEmit` (strict) against the assembled package: `make test` fails if the
// public types regress. Lines marked @ts-expect-error must stay errors.
import { configure, shutdown, spawn, WeftError, type WorkerScript } from "weft";

const rounds = 3;
const user = { name: "ada" };

// A sync closure: the awaited result has the closure's return type.
const doubled: number = await eval(spawn(() => rounds * 2));
// An async closure: its promise is unwrapped once.
const greeting: string = await eval(spawn(async () => `hi ${user.name}`));
// Objects keep their shape.
const pair: { a: number; b: string[] } = await eval(spawn(() => ({ a: 1, b: ["x"] })));

// The script itself is a WorkerScript carrying the result type.
const script: WorkerScript<number> = spawn(() => 1);
const fromScript: Promise<number> = eval(script);

// @ts-expect-error the result is a number, not a string
const wrong: string = await eval(spawn(() => 1));

// @ts-expect-error spawn closures take no parameters
spawn((x: number) => x * 2);

// @ts-expect-error spawn needs a function
spawn(42);

configure({ maxWorkers: 2, idleTimeoutMs: 1_000 });
// @ts-expect-error maxWorkers is a number
configure({ maxWorkers: "2" });

try {
  await shutdown();
} catch (e) {
  if (e instanceof WeftError) {
    const code: string = e.code;
    void code;
  }
}

// Plain eval still works on strings.
const plain: unknown = eval("1 + 1");

void [doubled, greeting, pair, fromScript, wrong, plain];
