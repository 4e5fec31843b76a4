//! The `/metrics` text: one `name value` per line, `#` comments ignored
//! (the Prometheus exposition format without types). A name may carry
//! labels, `cache_hits{route="redirect"} 12`; the whole of it is the key.

use std::collections::BTreeMap;

/// Counters read from `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics(BTreeMap<String, f64>);

impl Metrics {
    /// Parses the text, or says which line is broken.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut values = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line
                .rsplit_once(' ')
                .ok_or_else(|| format!("line {}: {line:?} is not `name value`", number + 1))?;
            let value: f64 = value
                .parse()
                .map_err(|e| format!("line {}: {value:?} is not a number: {e}", number + 1))?;
            if values.insert(name.trim().to_owned(), value).is_some() {
                return Err(format!("line {}: {name} appears twice", number + 1));
            }
        }
        Ok(Metrics(values))
    }

    /// The value of `name`, if the service reports it.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }

    /// The value of `name`.
    ///
    /// # Panics
    /// If the service does not report it; the message lists what it does report.
    pub fn get(&self, name: &str) -> f64 {
        self.value(name).unwrap_or_else(|| {
            let known: Vec<&str> = self.0.keys().map(String::as_str).collect();
            panic!("/metrics has no `{name}`; it reports: {}", known.join(", "))
        })
    }

    /// How much `name` grew since `before`.
    pub fn since(&self, before: &Metrics, name: &str) -> f64 {
        self.get(name) - before.value(name).unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_labels_and_comments() {
        let m = Metrics::parse("# counts\nstore_reads 3\ncache_hits{route=\"r\"} 12\n\n").unwrap();
        assert_eq!(m.get("store_reads"), 3.0);
        assert_eq!(m.get("cache_hits{route=\"r\"}"), 12.0);
        let later = Metrics::parse("store_reads 10").unwrap();
        assert_eq!(later.since(&m, "store_reads"), 7.0);
    }

    #[test]
    fn broken_lines_are_named() {
        assert!(Metrics::parse("a 1\nb").unwrap_err().starts_with("line 2"));
        assert!(Metrics::parse("a one").unwrap_err().contains("\"one\""));
        assert!(Metrics::parse("a 1\na 2").unwrap_err().contains("twice"));
    }

    #[test]
    #[should_panic(expected = "it reports: a, b")]
    fn a_missing_counter_lists_the_others() {
        Metrics::parse("a 1\nb 2").unwrap().get("c");
    }
}
