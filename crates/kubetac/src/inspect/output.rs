//! `-o json` and `-o yaml`: objects printed as kubectl prints them (a `List`
//! for many), streamed item by item so large lists never sit in memory twice.

use std::io::Write;

use serde::Serialize;

use crate::cli::inspect::Output;

/// Writes items as a kubectl-style `List`, one item at a time.
pub struct ListWriter<W: Write> {
    out: W,
    format: Output,
    count: usize,
}

impl<W: Write> ListWriter<W> {
    pub fn new(mut out: W, format: Output) -> std::io::Result<Self> {
        match format {
            Output::Json => write!(out, "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [")?,
            _ => writeln!(out, "apiVersion: v1\nitems:")?,
        }
        Ok(ListWriter {
            out,
            format,
            count: 0,
        })
    }

    pub fn item<T: Serialize>(
        &mut self,
        item: &T,
        kind: &str,
        api_version: &str,
    ) -> std::io::Result<()> {
        let mut v = serde_json::to_value(item).map_err(std::io::Error::other)?;
        if let Some(m) = v.as_object_mut() {
            // Typed objects from a list carry no kind; kubectl's output does.
            let mut with = serde_json::Map::new();
            with.insert("apiVersion".into(), api_version.into());
            with.insert("kind".into(), kind.into());
            with.extend(std::mem::take(m));
            *m = with;
        }
        match self.format {
            Output::Json => {
                let text = serde_json::to_string_pretty(&v).map_err(std::io::Error::other)?;
                let sep = if self.count == 0 { "\n" } else { ",\n" };
                write!(self.out, "{sep}")?;
                for (i, l) in text.lines().enumerate() {
                    if i > 0 {
                        writeln!(self.out)?;
                    }
                    write!(self.out, "        {l}")?;
                }
            }
            _ => {
                let text = serde_saphyr::to_string(&v).map_err(std::io::Error::other)?;
                for (i, l) in text.lines().enumerate() {
                    let prefix = if i == 0 { "- " } else { "  " };
                    writeln!(self.out, "{prefix}{l}")?;
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        match self.format {
            Output::Json => {
                if self.count > 0 {
                    writeln!(self.out)?;
                    write!(self.out, "    ")?;
                }
                writeln!(
                    self.out,
                    "],\n    \"kind\": \"List\",\n    \"metadata\": {{\n        \"resourceVersion\": \"\"\n    }}\n}}"
                )?;
            }
            _ => {
                if self.count == 0 {
                    // "items:" with nothing after it would read as null.
                    writeln!(self.out, "  []")?;
                }
                writeln!(self.out, "kind: List\nmetadata:\n  resourceVersion: \"\"")?;
            }
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_lists_parse_back() {
        for format in [Output::Json, Output::Yaml] {
            let mut buf = Vec::new();
            let mut w = ListWriter::new(&mut buf, format).unwrap();
            w.item(&serde_json::json!({"metadata": {"name": "a"}}), "Pod", "v1")
                .unwrap();
            w.item(&serde_json::json!({"metadata": {"name": "b"}}), "Pod", "v1")
                .unwrap();
            w.finish().unwrap();
            let text = String::from_utf8(buf).unwrap();
            let v: serde_json::Value = match format {
                Output::Json => serde_json::from_str(&text).unwrap(),
                _ => serde_saphyr::from_str(&text).unwrap(),
            };
            assert_eq!(v["kind"], "List");
            assert_eq!(v["items"][1]["metadata"]["name"], "b");
            assert_eq!(v["items"][0]["kind"], "Pod");
        }
        let mut buf = Vec::new();
        ListWriter::new(&mut buf, Output::Yaml)
            .unwrap()
            .finish()
            .unwrap();
        let v: serde_json::Value =
            serde_saphyr::from_str(std::str::from_utf8(&buf).unwrap()).unwrap();
        assert_eq!(v["items"], serde_json::json!([]));
    }
}
