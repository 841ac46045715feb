//! The ops center's running configuration: what `show running-config`
//! prints and config mode edits. Each setting is a line whose last word is
//! its value (`logging name infra.config.core level application debug`);
//! the words before it are its key, so a new value replaces the old one
//! and `no <key prefix>` removes a whole subtree. Committed configuration
//! is a file in the store, so it survives restarts (and, in a cluster,
//! lives on the store's volume).

use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningConfig {
    settings: BTreeMap<String, String>,
}

/// A fresh ops center logs the application at info, like most products'
/// factory configuration.
const DEFAULTS: [&str; 3] = [
    "logging level application info",
    "logging level transaction info",
    "logging level tracing off",
];

impl Default for RunningConfig {
    fn default() -> Self {
        let mut c = RunningConfig {
            settings: BTreeMap::new(),
        };
        for l in DEFAULTS {
            c.set_line(l);
        }
        c
    }
}

impl RunningConfig {
    /// Sets the line's key to its last word.
    pub fn set_line(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some((value, key)) = words.split_last() {
            self.settings.insert(key.join(" "), value.to_string());
        }
    }

    /// Removes the setting `prefix` names, or every setting under it;
    /// false when nothing matched.
    pub fn unset_prefix(&mut self, prefix: &str) -> bool {
        let prefix = prefix.split_whitespace().collect::<Vec<_>>().join(" ");
        let before = self.settings.len();
        // `no logging level application debug` names the value too.
        let full: Vec<String> = self
            .settings
            .iter()
            .filter(|(k, v)| format!("{k} {v}") == prefix)
            .map(|(k, _)| k.clone())
            .collect();
        for k in full {
            self.settings.remove(&k);
        }
        self.settings
            .retain(|k, _| !(*k == prefix || k.starts_with(&format!("{prefix} "))));
        self.settings.len() != before
    }

    pub fn lines(&self) -> Vec<String> {
        self.settings
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect()
    }

    /// The configuration as `show running-config [WORDS]` prints it: the
    /// lines starting with the words given.
    pub fn render(&self, filter: &[String]) -> String {
        let prefix = filter.join(" ");
        let mut out = String::new();
        for l in self.lines() {
            if super::grammar::section_matches(filter, &l) {
                out.push_str(&l);
                out.push('\n');
            }
        }
        if out.is_empty() && !prefix.is_empty() {
            out.push_str(&format!("% No entries found for {prefix}.\n"));
        }
        out
    }

    /// What `show configuration` prints in config mode: lines to add (`+`)
    /// and to remove (`-`) relative to the running configuration.
    pub fn diff(&self, candidate: &RunningConfig) -> String {
        let old = self.lines();
        let new = candidate.lines();
        let mut out = String::new();
        for l in &old {
            if !new.contains(l) {
                out.push_str(&format!("- {l}\n"));
            }
        }
        for l in &new {
            if !old.contains(l) {
                out.push_str(&format!("+ {l}\n"));
            }
        }
        out
    }

    pub fn load(path: &Path) -> anyhow::Result<RunningConfig> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mut c = RunningConfig {
                    settings: BTreeMap::new(),
                };
                for l in text.lines().map(str::trim) {
                    if !l.is_empty() && !l.starts_with('#') {
                        c.set_line(l);
                    }
                }
                Ok(c)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RunningConfig::default()),
            Err(e) => Err(anyhow::anyhow!(
                "reading the running configuration {}: {e}",
                path.display()
            )),
        }
    }

    /// Written atomically: a crash mid-commit keeps the old configuration.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut text =
            String::from("# kubetac ops center running configuration (written by `commit`)\n");
        for l in self.lines() {
            text.push_str(&l);
            text.push('\n');
        }
        crate::debugpkg::store::write_atomic(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replace_unset_and_render() {
        let mut c = RunningConfig::default();
        c.set_line("logging level application debug");
        c.set_line("logging name infra.config.core level application debug");
        c.set_line("logging name infra.config.core level tracing debug");
        assert!(c.render(&[]).contains("logging level application debug\n"));
        assert!(!c.render(&[]).contains("logging level application info"));
        assert_eq!(
            c.render(&["logging".into(), "name".into()]),
            "logging name infra.config.core level application debug\nlogging name infra.config.core level tracing debug\n"
        );
        let before = c.clone();
        assert!(c.unset_prefix("logging name infra.config.core level tracing"));
        assert_eq!(
            before.diff(&c),
            "- logging name infra.config.core level tracing debug\n"
        );
        assert!(c.unset_prefix("logging name infra.config.core"));
        assert!(!c.unset_prefix("logging name nothing"));
        assert!(c.unset_prefix("logging level tracing off"));
        assert!(c.render(&["nope".into()]).starts_with("% No entries"));
    }

    #[test]
    fn survives_a_restart() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("running-config");
        assert_eq!(RunningConfig::load(&p).unwrap(), RunningConfig::default());
        let mut c = RunningConfig::default();
        c.set_line("logging name infra.message_log.core level transaction debug");
        c.save(&p).unwrap();
        assert_eq!(RunningConfig::load(&p).unwrap(), c);
    }
}
