/**
 * Resolving bare specifiers of a spawned closure's imports as Deno resolves them in the caller's
 * file, for generated modules that load from `data:` URLs (from which Deno cannot find the
 * caller's `node_modules` or `package.json` "imports").
 *
 * Node's ESM resolution for the two kinds that depend on the importing file's location: package
 * imports (`#name`) from the nearest package.json, and packages (`name`, `@scope/name/sub`) from the
 * nearest `node_modules` upward. Finding those package.json files is done here; reading their
 * `exports` and `imports` maps (conditions `deno`, `node`, `import`, `default`, subpath patterns)
 * is `resolve.exports`'s. A package without `exports` resolves through `main` (or `index.js`).
 * Specifiers it does not handle or cannot find — `node:`/`npm:`/`jsr:`/URL specifiers and
 * import-map names — are left as written: Deno resolves those the same way from any module.
 * @module
 */

import { exports as exportsOf, imports as importsOf, legacy, type Package } from "resolve.exports";

/** Conditions beyond resolve.exports' defaults (`default`, `import`, `node`). */
const OPTIONS = { conditions: ["deno"] } as const;

/** What the resolver needs from the file system. */
export interface Files {
  /** The file's text, or `undefined` when it does not exist. */
  readText(url: URL): string | undefined;
  isFile(url: URL): boolean;
}

function readPackage(files: Files, url: URL): Package | undefined {
  const text = files.readText(url);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Package) : undefined;
  } catch {
    return undefined; // an unreadable package.json: Deno reports it when it resolves the import
  }
}

/** The first target of a map lookup, or `undefined` when the map has no entry (resolve.exports throws then). */
function firstTarget(lookup: () => readonly string[] | void): string | undefined {
  try {
    return lookup()?.[0];
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

/** `#name` through the `imports` of the nearest package.json above `parent`. */
function resolveImports(files: Files, specifier: string, parent: URL): string | undefined {
  for (let dir = new URL("./", parent); ; ) {
    const pkgUrl = new URL("package.json", dir);
    const pkg = readPackage(files, pkgUrl);
    if (pkg !== undefined) {
      const target = firstTarget(() => importsOf(pkg, specifier, OPTIONS));
      if (target === undefined) return undefined;
      // A target is a file of this package, or another package, found from this package.
      return target.startsWith("./") ? new URL(target, dir).href : resolveBare(files, target, pkgUrl.href);
    }
    const up = new URL("../", dir);
    if (up.href === dir.href) return undefined;
    dir = up;
  }
}

function packageName(specifier: string): string | undefined {
  const parts = specifier.split("/");
  const count = specifier.startsWith("@") ? 2 : 1;
  if (parts.length < count || parts.slice(0, count).some((p) => p === "")) return undefined;
  return parts.slice(0, count).join("/");
}

/** `name/sub` from the nearest `node_modules/name` above `parent`. */
function resolvePackage(files: Files, specifier: string, parent: URL): string | undefined {
  const name = packageName(specifier);
  if (name === undefined) return undefined;
  for (let dir = new URL("./", parent); ; ) {
    const pkgDir = new URL(`node_modules/${name}/`, dir);
    const pkg = readPackage(files, new URL("package.json", pkgDir));
    if (pkg !== undefined) return resolveInPackage(files, pkg, pkgDir, `.${specifier.slice(name.length)}`);
    const up = new URL("../", dir);
    if (up.href === dir.href) return undefined;
    dir = up;
  }
}

function resolveInPackage(files: Files, pkg: Package, pkgDir: URL, subpath: string): string | undefined {
  if (pkg.exports !== undefined && pkg.exports !== null) {
    const target = firstTarget(() => exportsOf(pkg, subpath, OPTIONS));
    return target === undefined ? undefined : new URL(target, pkgDir).href;
  }
  const file = subpath === "." ? (legacy(pkg, { browser: false, fields: ["main"] }) ?? "index.js") : subpath;
  return fileOrIndex(files, new URL(file, pkgDir));
}

/** A package file without `exports`, as Node's legacy resolution finds it. */
function fileOrIndex(files: Files, url: URL): string | undefined {
  for (const candidate of [url.href, `${url.href}.js`, `${url.href}/index.js`]) {
    if (files.isFile(new URL(candidate))) return candidate;
  }
  return undefined;
}
