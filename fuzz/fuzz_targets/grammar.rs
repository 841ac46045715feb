//! Any text, in both modes, through everything a client can reach: parse,
//! the error's rendering, TAB at any cursor, `?`. Nothing may panic, and
//! what comes back must be usable (markers inside the line, completions
//! replacing text before the cursor).

#![no_main]

use clap::CommandFactory;
use kubetac_fuzz::opscenter::grammar::{Command, Grammar, Mode, Values};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

struct Fake;

impl Values for Fake {
    fn namespaces(&self) -> Vec<String> {
        vec!["cee-cee".into(), "smf-data".into(), "a b".into()]
    }
    fn pods(&self, namespace: Option<&str>) -> Vec<String> {
        vec![
            format!("pod-{}", namespace.unwrap_or("default")),
            "smf-service-n0-0".into(),
        ]
    }
    fn package_ids(&self) -> Vec<String> {
        vec!["1591662529".into()]
    }
    fn logger_names(&self) -> Vec<String> {
        vec!["infra.config.core".into()]
    }
}

fn grammar() -> &'static Grammar {
    static G: OnceLock<Grammar> = OnceLock::new();
    G.get_or_init(|| Grammar::new(kubetac_fuzz::cli::Args::command()))
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the cursor; the rest is the line.
    let Some((&seed, rest)) = data.split_first() else {
        return;
    };
    let Ok(line) = std::str::from_utf8(rest) else {
        return;
    };
    let g = grammar();
    for mode in [Mode::Exec, Mode::Config] {
        match g.parse(line, mode) {
            Ok(l) => {
                if let Command::Cli { argv } = &l.command {
                    assert!(!argv.is_empty());
                }
                assert!(l.pipes.is_empty() || l.command.prints());
            }
            Err(e) => {
                assert!(!e.message.is_empty(), "{line:?}");
                assert!(e.pos <= line.len(), "{line:?}: {e:?}");
                assert!(line.is_char_boundary(e.pos), "{line:?}: {e:?}");
                let r = e.render(18, line);
                assert!(r.contains("% Invalid input detected at '^' marker."));
            }
        }
        let cursor = (seed as usize * (line.len() + 1)) / 256;
        let c = g.complete(line, cursor, mode, &Fake);
        assert!(
            c.start <= cursor.min(line.len()),
            "{line:?} at {cursor}: {c:?}"
        );
        assert!(line.is_char_boundary(c.start), "{line:?}: {c:?}");
        assert!(
            c.candidates.iter().all(|w| !w.is_empty()),
            "{line:?}: {c:?}"
        );
        let c = g.complete(line, line.len(), mode, &Fake);
        assert!(c.start <= line.len());
        let h = g.help(line, mode, &Fake);
        assert!(h.ends_with('\n'), "{line:?}: {h:?}");
    }
});
