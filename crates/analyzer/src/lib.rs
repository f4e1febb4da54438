//! Closure analysis for `spawn`: filled in by the analyzer work.
