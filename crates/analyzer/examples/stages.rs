use std::time::Instant;
use swc_common::{sync::Lrc, FileName, Globals, Mark, SourceMap, GLOBALS};
use swc_ecma_ast::Pass;
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax};

fn main() {
    let mut src = String::from("import { spawn } from \"weft\";\nimport { util } from \"./util.js\";\n");
    let mut n = 0;
    while 2 + 7 * n < 50_000 {
        src.push_str(&format!(
            "export function f{n}(a, b = {n}) {{\n  const c = a + b * {n};\n  if (c > 3) {{ return util(c, `x${{a}}`); }}\n  return [c, {{ k: c }}, c?.toString()];\n}}\nclass K{n} extends Object {{ m() {{ return f{n}(1); }} }}\nconst v{n} = f{n}(2) + new K{n}().m().length;\n"
        ));
        n += 1;
    }
    for _ in 0..3 {
        let t = Instant::now();
        let _ = weft_analyzer::content_hash(&src);
        let hash = t.elapsed();
        let globals = Globals::new();
        GLOBALS.set(&globals, || {
            let cm: Lrc<SourceMap> = Default::default();
            let fm = cm.new_source_file(Lrc::new(FileName::Anon), src.clone());
            let t = Instant::now();
            let mut p = Parser::new(Syntax::Es(EsSyntax { jsx: true, ..Default::default() }), StringInput::from(&*fm), None);
            let mut prog = p.parse_program().unwrap();
            let parse = t.elapsed();
            let t = Instant::now();
            swc_ecma_transforms_base::resolver(Mark::new(), Mark::new(), false).process(&mut prog);
            let resolve = t.elapsed();
            let t = Instant::now();
            let f = weft_analyzer::SourceFile::parse("file:///big.js", &src).unwrap();
            let all = t.elapsed();
            drop(f);
            println!("hash {hash:?} swc parse {parse:?} resolver {resolve:?} SourceFile::parse total {all:?}");
        });
    }
}
