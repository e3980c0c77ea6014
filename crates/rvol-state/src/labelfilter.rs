//! Docker's `label=K[=V]` filters over an object's labels (moby's
//! filters.Args.MatchKVList): every filter of the key must match. Volume
//! ls and volume prune read them so (checked against Engine 20.10: two
//! `label=` filters give only the volumes that carry both, and with two
//! `label!=` a volume is spared only when it matches both;
//! docs/docker-behaviour.md §14).

use serde_json::{Map, Value};

/// One `K` or `K=V`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub key: String,
    pub value: Option<String>,
}

impl Label {
    pub fn parse(kv: &str) -> Label {
        match kv.split_once('=') {
            Some((k, v)) => Label {
                key: k.to_string(),
                value: Some(v.to_string()),
            },
            None => Label {
                key: kv.to_string(),
                value: None,
            },
        }
    }

    /// The labels have the key (and the value, when given).
    pub fn matches(&self, labels: &Map<String, Value>) -> bool {
        match labels.get(&self.key) {
            None => false,
            Some(v) => self
                .value
                .as_deref()
                .is_none_or(|want| v.as_str().unwrap_or("") == want),
        }
    }
}

/// MatchKVList: true when there are no filters, or every one matches.
pub fn match_all(filters: &[Label], labels: &Map<String, Value>) -> bool {
    filters.iter().all(|f| f.matches(labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_must_match() {
        let l: Map<String, Value> = serde_json::from_str(r#"{"x":"2","y":""}"#).unwrap();
        let f = |s: &[&str]| s.iter().map(|x| Label::parse(x)).collect::<Vec<_>>();
        assert!(match_all(&f(&["x", "y"]), &l));
        assert!(match_all(&f(&["x=2", "y="]), &l));
        assert!(!match_all(&f(&["x=1", "x=2"]), &l));
        assert!(!match_all(&f(&["z"]), &l));
        assert!(match_all(&[], &l));
    }
}
