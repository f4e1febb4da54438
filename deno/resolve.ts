/**
 * Resolving bare specifiers of a spawned closure's imports as Deno resolves them in the caller's
 * file, for generated modules that load from `data:` URLs (from which Deno cannot find the
 * caller's `node_modules` or `package.json` "imports").
 *
 * Implements Node's ESM resolution for the two kinds that depend on the importing file's location:
 * package imports (`#name`) from the nearest package.json, and packages (`name`, `@scope/name/sub`)
 * from the nearest `node_modules` upward, through `exports` (conditions `deno`, `node`, `import`,
 * `default`, with subpath patterns) or `main`. Specifiers it does not handle or cannot find —
 * `node:`/`npm:`/`jsr:`/URL specifiers and import-map names — are left as written: Deno resolves
 * those the same way from any module.
 * @module
 */

const CONDITIONS = ["deno", "node", "import", "default"];

/** What the resolver needs from the file system. */
export interface Files {
  /** The file's text, or `undefined` when it does not exist. */
  readText(url: URL): string | undefined;
  isFile(url: URL): boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function readJson(files: Files, url: URL): Record<string, Json> | undefined {
  const text = files.readText(url);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Json;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves `specifier` as imported from `parent` (a file: URL), or `undefined` to leave it. */
export function resolveBare(files: Files, specifier: string, parent: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined; // node:, npm:, jsr:, https:, …
  if (specifier.startsWith("#")) return resolveImports(files, specifier, new URL(parent));
  return resolvePackage(files, specifier, new URL(parent));
}

function* packageJsonsAbove(from: URL): Generator<URL> {
  let dir = new URL("./", from);
  for (;;) {
    yield new URL("package.json", dir);
    const up = new URL("../", dir);
    if (up.href === dir.href) return;
    dir = up;
  }
}

function resolveImports(files: Files, specifier: string, parent: URL): string | undefined {
  for (const pkgUrl of packageJsonsAbove(parent)) {
    const pkg = readJson(files, pkgUrl);
    if (pkg === undefined) continue;
    const imports = pkg.imports;
    if (typeof imports !== "object" || imports === null || Array.isArray(imports)) return undefined;
    return matchMap(files, imports, specifier, new URL("./", pkgUrl), true);
  }
  return undefined;
}

function splitPackage(specifier: string): { name: string; subpath: string } | undefined {
  const parts = specifier.split("/");
  const nameParts = specifier.startsWith("@") ? 2 : 1;
  if (parts.length < nameParts || parts.slice(0, nameParts).some((p) => p === "")) return undefined;
  const name = parts.slice(0, nameParts).join("/");
  const rest = parts.slice(nameParts).join("/");
  return { name, subpath: rest === "" ? "." : `./${rest}` };
}

function resolvePackage(files: Files, specifier: string, parent: URL): string | undefined {
  const split = splitPackage(specifier);
  if (split === undefined) return undefined;
  let dir = new URL("./", parent);
  for (;;) {
    const pkgDir = new URL(`node_modules/${split.name}/`, dir);
    const pkg = readJson(files, new URL("package.json", pkgDir));
    if (pkg !== undefined) return resolveInPackage(files, pkg, pkgDir, split.subpath);
    const up = new URL("../", dir);
    if (up.href === dir.href) return undefined;
    dir = up;
  }
}

function resolveInPackage(files: Files, pkg: Record<string, Json>, pkgDir: URL, subpath: string): string | undefined {
  const exports = pkg.exports;
  if (exports !== undefined && exports !== null && typeof exports !== "boolean" && typeof exports !== "number") {
    const sugar = typeof exports === "string" || Array.isArray(exports) || !Object.keys(exports).some((k) => k.startsWith("."));
    const map: { [key: string]: Json } = sugar ? { ".": exports } : (exports as { [key: string]: Json });
    return matchMap(files, map, subpath, pkgDir, false);
  }
  if (subpath !== ".") return fileOrIndex(files, new URL(subpath, pkgDir));
  const main = typeof pkg.main === "string" ? pkg.main : "index.js";
  return fileOrIndex(files, new URL(main, pkgDir));
}

function fileOrIndex(files: Files, url: URL): string | undefined {
  for (const candidate of [url.href, `${url.href}.js`, `${url.href}/index.js`]) {
    if (files.isFile(new URL(candidate))) return candidate;
  }
  return undefined;
}

/** Looks `key` up in an exports/imports map, with `*` patterns (longest prefix wins). */
function matchMap(
  files: Files,
  map: { [key: string]: Json },
  key: string,
  base: URL,
  isImports: boolean,
): string | undefined {
  if (Object.hasOwn(map, key) && !key.includes("*")) return resolveTarget(files, map[key]!, base, undefined, isImports);
  let best: { prefix: string; suffix: string; target: Json } | undefined;
  for (const [pattern, target] of Object.entries(map)) {
    const star = pattern.indexOf("*");
    if (star < 0 || star !== pattern.lastIndexOf("*")) continue;
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    if (key.startsWith(prefix) && key.endsWith(suffix) && key.length >= pattern.length - 1) {
      if (best === undefined || prefix.length > best.prefix.length) best = { prefix, suffix, target };
    }
  }
  if (best === undefined) return undefined;
  const match = key.slice(best.prefix.length, key.length - best.suffix.length);
  return resolveTarget(files, best.target, base, match, isImports);
}

function resolveTarget(
  files: Files,
  target: Json,
  base: URL,
  match: string | undefined,
  isImports: boolean,
): string | undefined {
  if (typeof target === "string") {
    const filled = match === undefined ? target : target.replaceAll("*", match);
    if (filled.startsWith("./")) return new URL(filled, base).href;
    // Package imports may name another package (`"#dep": "some-pkg"`), found from this package.
    return isImports ? resolveBare(files, filled, new URL("package.json", base).href) : undefined;
  }
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = resolveTarget(files, t, base, match, isImports);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  if (typeof target === "object" && target !== null) {
    for (const [condition, value] of Object.entries(target)) {
      if (CONDITIONS.includes(condition)) {
        const r = resolveTarget(files, value, base, match, isImports);
        if (r !== undefined) return r;
      }
    }
  }
  return undefined;
}
