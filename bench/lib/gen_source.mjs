// A deterministic TypeScript file of about 5,000 lines for the analyzer benchmark: interfaces,
// enums, generic classes, functions, namespaces and type aliases, with two spawn call sites near
// the end. Written to bench/.cache (gitignored), never elsewhere.
import { mkdirSync, writeFileSync } from "node:fs";

function block(i) {
  return `
/** Block ${i}: a record, its kind, a store and helpers. */
export interface Record${i} {
  id: number;
  name: string;
  tags: string[];
  meta?: Map<string, number>;
}

export enum Kind${i} {
  Alpha = ${i},
  Beta,
  Gamma,
}

export class Store${i}<T extends Record${i}> {
  private items = new Map<number, T>();
  constructor(private readonly limit: number) {}
  add(item: T): boolean {
    if (this.items.size >= this.limit) return false;
    this.items.set(item.id, item);
    return true;
  }
  find(predicate: (item: T) => boolean): T | undefined {
    for (const item of this.items.values()) if (predicate(item)) return item;
    return undefined;
  }
  get size(): number {
    return this.items.size;
  }
}

export function score${i}(record: Record${i}, weight = ${(i % 7) + 1}): number {
  let total = 0;
  for (const tag of record.tags) total += tag.length * weight;
  const bonus = record.meta?.get("bonus") ?? 0;
  return total + bonus + Kind${i}.Beta;
}

export const defaults${i}: Readonly<Record${i}> = { id: ${i}, name: "item${i}", tags: ["a", "bb", "ccc"] };

type Pair${i}<A, B> = { first: A; second: B; kind: Kind${i} };

export async function load${i}(ids: readonly number[]): Promise<Pair${i}<number, string>[]> {
  const out: Pair${i}<number, string>[] = [];
  for (const id of ids) out.push({ first: id, second: String(id), kind: Kind${i}.Gamma });
  return out;
}

export namespace Util${i} {
  export const factor = ${i};
  export function twice(x: number): number {
    return x * factor * 2;
  }
}
`;
}

const FIRST = "spawn(() => records.map((r) => score0(r) + Util3.twice(Kind1.Gamma)).reduce((a, b) => a + b, limit))";
const SECOND = "spawn(() => score2(defaults2) * limit)";

/** Generates the file; returns its path, text, and the two call sites (1-based line/column). */
export function generateSource(dir, targetLines = 5000) {
  let text = `// Generated for weft's analyzer benchmark.\nimport { spawn } from "weft";\n`;
  let lines = text.split("\n").length;
  const tail = `
export async function summarize(records: Record0[], limit: number): Promise<number> {
  const store = new Store0<Record0>(limit);
  for (const r of records) store.add(r);
  const first = await eval(${FIRST});
  const second = await eval(${SECOND});
  return first + second + store.size;
}
`;
  const tailLines = tail.split("\n").length - 1;
  for (let i = 0; lines + tailLines < targetLines; i++) {
    const b = block(i);
    text += b;
    lines += b.split("\n").length - 1;
  }
  text += tail;
  const site = (needle) => {
    const offset = text.indexOf(needle);
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - before.lastIndexOf("\n");
    return { offset, line, column };
  };
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/big.ts`;
  writeFileSync(path, text);
  return { path, text, lines: text.split("\n").length, first: site(FIRST), second: site(SECOND) };
}
