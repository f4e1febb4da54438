//! `regex` for weft's Wasm module, backed by [`regex_lite`].
//!
//! The workspace replaces crates.io's `regex` with this crate (`[patch.crates-io]` in the root
//! `Cargo.toml`). Its only user in weft's dependency tree is `swc_ecma_codegen`, which compiles
//! one pattern: the escapes and line breaks of a template literal's raw text, used when it
//! minifies or escapes non-ASCII output, which weft's generated modules never ask for. `regex`
//! brings its Unicode tables, lazy DFAs, literal searchers (aho-corasick, memchr) and their
//! compilers along: a quarter of the module's code, which every load of weft compiles or
//! validates (Bun compiles the whole module up front, at a cost that grows with its size).
//! `regex-lite` implements the same syntax and matching semantics for that pattern (ASCII, no
//! Unicode classes) with a backtracker and a Pike VM in a fraction of the code.
//!
//! Only what `regex-lite` offers is re-exported: a dependency that starts using more of `regex`
//! fails to compile here, instead of running with different behaviour.

pub use regex_lite::*;

#[cfg(test)]
mod tests {
    use super::Regex;

    /// `swc_ecma_codegen`'s pattern (`NEW_LINE_TPL_REGEX`): an escaped or literal line break in
    /// group 1; any other escape consumed without a group, so that an escaped backslash cannot
    /// start a line break.
    const TEMPLATE_LINE_BREAKS: &str = r"(\\(?:n|x0[aA]|u000[aA]|u\{0*[aA]\}|\n)|\n)|\\.";

    fn line_breaks(raw: &str) -> Vec<(usize, &str)> {
        let re = Regex::new(TEMPLATE_LINE_BREAKS).expect("the pattern compiles");
        re.captures_iter(raw)
            .filter_map(|c| c.get(1))
            .map(|m| (m.end(), m.as_str()))
            .collect()
    }

    #[test]
    fn finds_each_spelling_of_a_line_break() {
        assert_eq!(
            line_breaks("a\\nb\\x0Ac\\u000ad\\u{00A}e\nf"),
            vec![
                (3, "\\n"),
                (8, "\\x0A"),
                (15, "\\u000a"),
                (23, "\\u{00A}"),
                (25, "\n")
            ],
        );
    }

    #[test]
    fn an_escaped_backslash_does_not_start_a_line_break() {
        // `\\n` is a backslash and an `n`: the first escape consumes both backslashes.
        assert_eq!(line_breaks("a\\\\nb"), vec![]);
        assert_eq!(line_breaks("\\\\\\n"), vec![(4, "\\n")]);
        assert_eq!(line_breaks("\\t\\u{41}`"), vec![]);
    }
}
