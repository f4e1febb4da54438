// tsx, in a package without "type": "module": tsx compiles each TypeScript file to CommonJS
// (imports become `import_x.name`) with a source map; spawn finds its closure through the map and
// re-creates the renamed imports in the worker. Node only (tsx is a Node loader).
import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, runtimeName, scratchDir, test } from "./harness/mod.js";

const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url));

const HELPER = `export const triple = (n: number): number => n * 3;\n`;
const MAIN = `import { spawn, shutdown } from "weft";
import { triple } from "./helper";

interface Job { readonly n: number; label?: string }
const job: Job = { n: 7 };

async function main(): Promise<void> {
  const offset: number = 1;
  const result: number = await eval(spawn(() => triple(job.n) + offset));
  console.log("result " + result);
  await shutdown();
}
main();
`;

test(
  "spawn under tsx in a CommonJS package: imports renamed by the loader are re-created in the worker",
  async () => {
    const dir = scratchDir("tsx-");
    try {
      writeFileSync(join(dir, "package.json"), "{}");
      writeFileSync(join(dir, "helper.ts"), HELPER);
      writeFileSync(join(dir, "main.ts"), MAIN);
      const { stdout, stderr } = await new Promise((resolve) =>
        execFile(process.execPath, [tsx, "main.ts"], { cwd: dir }, (error, stdout, stderr) => resolve({ error, stdout, stderr })),
      );
      assert.match(stdout, /^result 22$/m, stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { skip: runtimeName === "node" ? undefined : "tsx is a Node loader" },
);
