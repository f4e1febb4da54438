//! Fingerprints what decides the analyzer's output: its sources and the locked dependency
//! versions (swc). JS keys its persistent analysis cache on it (`analyzerFingerprint`), so that a
//! rebuilt analyzer never reads results of another build, even under the same version number.

use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// FNV-1a, 64 bits: a fingerprint, not a defence (the cache directory is private).
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let mut inputs = Vec::new();
    files(&root.join("crates/analyzer/src"), &mut inputs);
    inputs.sort();
    inputs.push(root.join("Cargo.lock"));
    inputs.push(root.join("crates/analyzer/Cargo.toml"));
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for path in &inputs {
        println!("cargo:rerun-if-changed={}", path.display());
        fnv(
            &mut hash,
            path.strip_prefix(&root)
                .unwrap_or(path)
                .to_string_lossy()
                .as_bytes(),
        );
        fnv(&mut hash, &fs::read(path).unwrap_or_default());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-env=WEFT_ANALYZER_FINGERPRINT={hash:016x}");
}
