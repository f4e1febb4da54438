//! Module specifiers: which are relative, which are bare, and how relative ones resolve.

/// Whether a specifier is resolved relative to the importing module's URL.
pub(crate) fn is_relative(spec: &str) -> bool {
    spec.starts_with("./")
        || spec.starts_with("../")
        || spec.starts_with('/')
        || spec == "."
        || spec == ".."
}

/// Whether a specifier is an absolute URL that means the same thing from any module.
pub(crate) fn is_absolute_url(spec: &str) -> bool {
    ["file:", "http:", "https:", "data:", "blob:"]
        .iter()
        .any(|s| spec.starts_with(s))
}

/// Bare specifiers resolve through the package, import map or runtime of the importing module:
/// `lodash`, `#internal`, `node:fs`, `npm:x`, `jsr:@std/x`, import-map names.
pub fn is_bare(spec: &str) -> bool {
    !is_relative(spec) && !is_absolute_url(spec)
}

/// Resolves a relative specifier against a `file:`/`http(s):` base URL, as the URL standard does
/// for these schemes (dot segments removed, the base's query and fragment dropped).
pub(crate) fn resolve(base: &str, spec: &str) -> String {
    let base = base.split(['?', '#']).next().unwrap_or(base);
    let Some(scheme_end) = base.find("://") else {
        return spec.to_owned();
    };
    let after = scheme_end + 3;
    let path_start = base[after..]
        .find('/')
        .map(|i| after + i)
        .unwrap_or(base.len());
    let origin = &base[..path_start];
    let base_path = &base[path_start..];
    // Split the specifier's own query/fragment off.
    let cut = spec.find(['?', '#']).unwrap_or(spec.len());
    let (spec_path, suffix) = spec.split_at(cut);
    let joined = if spec_path.starts_with('/') {
        spec_path.to_owned()
    } else {
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..=i],
            None => "/",
        };
        format!("{dir}{spec_path}")
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = joined.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("{origin}/{}{suffix}", out.join("/"))
}

/// The file system path of a `file:` URL, percent-decoded; `None` for other schemes.
pub(crate) fn file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("file://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let mut path = String::from_utf8_lossy(&out).into_owned();
    // file:///C:/x → C:/x
    let b = path.as_bytes();
    if b.len() > 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        path.remove(0);
    }
    Some(path)
}

/// The directory part of a path.
pub(crate) fn dir_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_specifiers() {
        let base = "file:///app/src/main.ts?v=1";
        assert_eq!(resolve(base, "./util.ts"), "file:///app/src/util.ts");
        assert_eq!(resolve(base, "../lib/x.js?raw"), "file:///app/lib/x.js?raw");
        assert_eq!(resolve(base, "/abs.js"), "file:///abs.js");
        assert_eq!(resolve(base, "../../../../x.js"), "file:///x.js");
        assert_eq!(
            resolve("https://deno.land/x/mod.ts", "./dep.ts"),
            "https://deno.land/x/dep.ts"
        );
        assert_eq!(resolve(base, "."), "file:///app/src/");
    }

    #[test]
    fn classifies_specifiers() {
        for bare in [
            "lodash",
            "#internal",
            "node:fs",
            "npm:chalk@5",
            "jsr:@std/path",
            "@/utils",
        ] {
            assert!(is_bare(bare), "{bare}");
        }
        for not in [
            "./x",
            "../x",
            "/x",
            "file:///x",
            "https://x/y.js",
            "data:text/javascript,1",
        ] {
            assert!(!is_bare(not), "{not}");
        }
    }

    #[test]
    fn turns_file_urls_into_paths() {
        assert_eq!(
            file_path("file:///a%20b/c.js").as_deref(),
            Some("/a b/c.js")
        );
        assert_eq!(file_path("file:///C:/x/y.js").as_deref(), Some("C:/x/y.js"));
        assert_eq!(file_path("https://x/y.js"), None);
        assert_eq!(dir_name("/a b/c.js"), "/a b");
    }
}
