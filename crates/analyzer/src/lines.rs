//! Line and column arithmetic in the units JS stack traces use.
//!
//! Lines are 1-based and end at any JS line terminator (`\n`, `\r\n`, `\r`, U+2028, U+2029).
//! Columns are 1-based and count UTF-16 code units, as V8 and JavaScriptCore report them.

/// Start offsets (in bytes) of every line of one source text.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub(crate) fn new(src: &str) -> Self {
        let bytes = src.as_bytes();
        let mut starts = vec![0u32];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push(i as u32 + 1);
                }
                // U+2028 and U+2029 are E2 80 A8 / E2 80 A9 in UTF-8.
                0xE2 if bytes.get(i + 1) == Some(&0x80)
                    && matches!(bytes.get(i + 2), Some(0xA8) | Some(0xA9)) =>
                {
                    i += 2;
                    starts.push(i as u32 + 1);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            len: bytes.len() as u32,
        }
    }

    /// The byte offset of a 1-based line and 1-based UTF-16 column, clamped to the line's end.
    /// `None` when the line does not exist.
    pub(crate) fn offset(&self, src: &str, line: u32, column: u32) -> Option<u32> {
        let start = *self.starts.get(line.checked_sub(1)? as usize)?;
        let end = self.line_end(src, line as usize - 1);
        let text = &src[start as usize..end as usize];
        let mut units = 0u32;
        let target = column.saturating_sub(1);
        for (i, ch) in text.char_indices() {
            if units >= target {
                return Some(start + i as u32);
            }
            units += ch.len_utf16() as u32;
        }
        Some(end)
    }

    /// The 1-based line and UTF-16 column of a byte offset.
    pub(crate) fn position(&self, src: &str, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.len);
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line] as usize;
        let mut end = offset as usize;
        while !src.is_char_boundary(end) {
            end -= 1;
        }
        let column: usize = src[start..end].chars().map(char::len_utf16).sum();
        (line as u32 + 1, column as u32 + 1)
    }

    /// Where line `i` (0-based) ends, before its terminator.
    fn line_end(&self, src: &str, i: usize) -> u32 {
        let next = self.starts.get(i + 1).copied().unwrap_or(self.len);
        let mut end = next as usize;
        let bytes = src.as_bytes();
        if end > self.starts[i] as usize && end <= bytes.len() && next != self.len {
            // Step back over the terminator that started the next line.
            if end >= 3 && bytes[end - 3] == 0xE2 && bytes[end - 2] == 0x80 {
                end -= 3;
            } else if bytes[end - 1] == b'\n' {
                end -= 1;
                if end > self.starts[i] as usize && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
            } else if bytes[end - 1] == b'\r' {
                end -= 1;
            }
        }
        end as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_positions_across_terminators_and_astral_chars() {
        let src = "a\r\nb😀c\u{2028}d\re";
        let idx = LineIndex::new(src);
        assert_eq!(idx.position(src, 0), (1, 1));
        let c = src.find('c').unwrap() as u32;
        assert_eq!(idx.position(src, c), (2, 4));
        assert_eq!(idx.offset(src, 2, 4), Some(c));
        let d = src.find('d').unwrap() as u32;
        assert_eq!(idx.position(src, d), (3, 1));
        assert_eq!(idx.offset(src, 4, 1), Some(src.find('e').unwrap() as u32));
        assert_eq!(idx.offset(src, 9, 1), None);
        assert_eq!(idx.offset(src, 1, 99), Some(1));
    }
}
