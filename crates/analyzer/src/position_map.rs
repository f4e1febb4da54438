//! Mapping positions in a generated worker module back to the caller's file.
//!
//! A map is a sorted list of entries `[generated_line, generated_column, original_line,
//! original_column]`, all 1-based, columns in UTF-16 code units. An entry says "from here on this
//! generated line, the text is copied from there in the original", until the next entry. An
//! entry whose original line is `0` ends the mapped text on its line (the wrapper code after the
//! closure). Lines with no entry at all are wrapper code.

use swc_common::{BytePos, LineCol};

use crate::parse::SourceFile;

/// Maps a 1-based `line` and UTF-16 `column` in a generated module back to the caller's file,
/// using [`GeneratedModule::mappings`](crate::GeneratedModule::mappings).
///
/// Takes the last entry at or before the position on the same generated line and carries the
/// column offset from it over to the original. Returns `None` for wrapper code: lines without
/// entries, the part of a line before its first entry, and text after an end marker.
///
/// The result is exact at the start of every copied token the code generator gave a position
/// (identifiers, literals, the start and end of expressions and statements); between two such
/// points it is off by however much the generator changed spacing or dropped text (such as
/// TypeScript types) there.
///
/// # Examples
/// ```
/// use std::collections::HashMap;
/// use weft_analyzer::{map_position, SourceFile};
///
/// let src = "import { spawn } from 'weft';\nconst n = 2;\nspawn(() => n * 21);\n";
/// let file = SourceFile::parse("file:///app/main.js", src).unwrap();
/// let closure = file.closure_at(3, 1, None).unwrap();
/// let module = file.generate(&closure, &[], &HashMap::new()).unwrap();
/// // return (()=>n * 21)();
/// let line = module.code.lines().position(|l| l.starts_with("return")).unwrap() as u32 + 1;
/// assert_eq!(map_position(&module.mappings, line, 13), Some((3, 13)));
/// assert_eq!(map_position(&module.mappings, line, 1), None);
/// ```
pub fn map_position(mappings: &[[u32; 4]], line: u32, column: u32) -> Option<(u32, u32)> {
    let after = mappings.partition_point(|m| (m[0], m[1]) <= (line, column));
    let entry = mappings[..after].last()?;
    if entry[0] != line || entry[2] == 0 {
        return None;
    }
    Some((entry[2], entry[3].saturating_add(column - entry[1])))
}

/// Collects the entries of a generated module as its pieces are emitted.
#[derive(Default)]
pub(crate) struct MapBuilder {
    entries: Vec<[u32; 4]>,
}

impl MapBuilder {
    /// Adds the code generator's entries for a piece of code that starts at 0-based generated
    /// `line`, with `column` UTF-16 units already written on that first line.
    pub(crate) fn add(
        &mut self,
        file: &SourceFile,
        srcmap: &[(BytePos, LineCol)],
        line: u32,
        column: u32,
    ) {
        let end = file.start as u64 + file.src().len() as u64;
        for &(pos, at) in srcmap {
            if pos.0 < file.start || pos.0 as u64 > end {
                continue;
            }
            let (original_line, original_column) = file.pos(pos);
            let generated_column = at.col + if at.line == 0 { column } else { 0 };
            self.entries.push([
                line + at.line + 1,
                generated_column + 1,
                original_line,
                original_column,
            ]);
        }
    }

    /// Marks where mapped text ends on a line (0-based `line`, `column` units written before).
    pub(crate) fn end(&mut self, line: u32, column: u32) {
        self.entries.push([line + 1, column + 1, 0, 0]);
    }

    /// The entries sorted by generated position, one per position (the last one recorded: the
    /// start of the token written there rather than the end of the node before it), without
    /// entries that only repeat what carrying the previous one over would give.
    pub(crate) fn finish(mut self) -> Vec<[u32; 4]> {
        self.entries.sort_by_key(|e| (e[0], e[1]));
        let mut out: Vec<[u32; 4]> = Vec::with_capacity(self.entries.len());
        for e in self.entries {
            if let Some(last) = out.last_mut() {
                if (last[0], last[1]) == (e[0], e[1]) {
                    *last = e;
                    continue;
                }
            }
            out.push(e);
        }
        let mut compact: Vec<[u32; 4]> = Vec::with_capacity(out.len());
        for e in out {
            if let Some(p) = compact.last() {
                let implied = p[0] == e[0]
                    && p[2] != 0
                    && p[2] == e[2]
                    && (e[1] as i64 - p[1] as i64) == (e[3] as i64 - p[3] as i64);
                if implied {
                    continue;
                }
            }
            compact.push(e);
        }
        compact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_at_or_before_on_the_same_line_only() {
        let m = [[2, 1, 5, 3], [2, 10, 6, 1], [2, 20, 0, 0], [4, 5, 9, 9]];
        assert_eq!(map_position(&m, 1, 4), None);
        assert_eq!(map_position(&m, 2, 1), Some((5, 3)));
        assert_eq!(map_position(&m, 2, 4), Some((5, 6)));
        assert_eq!(map_position(&m, 2, 10), Some((6, 1)));
        assert_eq!(map_position(&m, 2, 19), Some((6, 10)));
        assert_eq!(map_position(&m, 2, 20), None);
        assert_eq!(map_position(&m, 3, 1), None);
        assert_eq!(map_position(&m, 4, 4), None);
        assert_eq!(map_position(&m, 4, 7), Some((9, 11)));
        assert_eq!(map_position(&[], 1, 1), None);
    }

    #[test]
    fn finish_keeps_the_last_entry_per_position_and_drops_implied_ones() {
        let b = MapBuilder {
            entries: vec![
                [1, 1, 3, 1],
                [1, 4, 3, 9],
                [1, 4, 3, 4],
                [1, 6, 3, 6],
                [1, 8, 4, 1],
                [2, 1, 4, 5],
            ],
        };
        assert_eq!(b.finish(), [[1, 1, 3, 1], [1, 8, 4, 1], [2, 1, 4, 5]]);
    }
}
