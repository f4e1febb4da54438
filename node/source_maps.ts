/**
 * Source maps of generated files on disk, for stack frames. Node maps its own frames through the
 * map a file names (`//# sourceMappingURL=`) when source maps are enabled; a worker's frames that
 * weft maps back to such a file are carried one step further the same way, so that an error thrown
 * in a task names `src/app.ts`, not `dist/app.js`. Nothing is read unless source maps are on.
 * @module
 */

import { readFileSync } from "node:fs";
import { findSourceMap, SourceMap } from "node:module";
import { pathToFileURL } from "node:url";
import type { CallSite } from "../js/runtime.js";

/** Each file's map, or `null` when it has none or its map cannot be read. */
const maps = new Map<string, SourceMap | null>();

/** The origin of a position in the file at `url` through its source map, when enabled. */
export function originalPosition(url: string, line: number, column: number): CallSite | undefined {
  if (!(process as { sourceMapsEnabled?: boolean }).sourceMapsEnabled || !url.startsWith("file:")) return undefined;
  let map = maps.get(url);
  if (map === undefined) {
    map = findSourceMap(url) ?? readSourceMap(url);
    maps.set(url, map);
  }
  if (map === null) return undefined;
  const origin = map.findOrigin(line, column) as { fileName?: string; lineNumber?: number; columnNumber?: number };
  if (origin.fileName === undefined || origin.lineNumber === undefined || origin.columnNumber === undefined) {
    return undefined;
  }
  const file = origin.fileName.startsWith("/") ? pathToFileURL(origin.fileName).href : origin.fileName;
  return { url: file, line: origin.lineNumber, column: origin.columnNumber };
}

/** The map named by the last `sourceMappingURL` comment of the file (a file or a data: URL). */
function readSourceMap(url: string): SourceMap | null {
  try {
    const text = readFileSync(new URL(url), "utf8");
    const name = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
    if (name === undefined) return null;
    const mapUrl = new URL(name, url);
    const json =
      mapUrl.protocol === "data:"
        ? Buffer.from(mapUrl.pathname.slice(mapUrl.pathname.indexOf(",") + 1), mapUrl.pathname.includes(";base64,") ? "base64" : "utf8").toString()
        : readFileSync(mapUrl, "utf8");
    const payload = JSON.parse(json) as { sourceRoot?: string; sources?: string[] };
    // Sources are relative to the map; SourceMap reports them as written, so resolve them here.
    if (Array.isArray(payload.sources)) {
      const base = new URL(payload.sourceRoot ? `${payload.sourceRoot.replace(/\/?$/, "/")}` : ".", mapUrl.protocol === "data:" ? url : mapUrl);
      payload.sources = payload.sources.map((s) => new URL(s, base).href);
      delete payload.sourceRoot;
    }
    return new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
  } catch {
    return null;
  }
}
