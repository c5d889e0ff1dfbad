//! The county's units (`models/units.toml`), for routing registry items to the unit that
//! owns them: the unit column when the export has one, else a unit named in the text.

use crate::lang::Lang;
use crate::tag::pattern::Pattern;
use crate::text::tokenize;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    unit: Vec<UnitEntry>,
}

#[derive(Deserialize)]
struct UnitEntry {
    name: String,
    #[serde(default)]
    patterns: BTreeMap<String, Vec<String>>,
}

pub struct Unit {
    pub name: String,
    patterns: Vec<Pattern>,
}

/// Where an item is routed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub unit: String,
    /// "unit column" or the words in the text that named the unit.
    pub because: String,
}

pub struct Units {
    pub units: Vec<Unit>,
    pub source: String,
}

impl Units {
    /// `path`, else `models/units.toml` when it exists, else the built-in list.
    pub fn load(path: Option<&Path>) -> Result<Self, UnitsError> {
        let spec = &crate::datafile::UNITS;
        let file = spec.load(path).map_err(|source| UnitsError::Read {
            path: spec.path_for_errors(path).display().to_string(),
            source,
        })?;
        let source = file.origin.describe();
        let text = file.text().map_err(|message| UnitsError::Invalid {
            path: source.clone(),
            message,
        })?;
        Self::parse(text, &source)
    }

    pub fn parse(text: &str, source: &str) -> Result<Self, UnitsError> {
        let bad = |message: String| UnitsError::Invalid {
            path: source.to_string(),
            message,
        };
        let file: File = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut units = Vec::new();
        for u in file.unit {
            if u.name.trim().is_empty() {
                return Err(bad("a [[unit]] has an empty name".into()));
            }
            let mut patterns = Vec::new();
            for (code, list) in &u.patterns {
                let lang = Lang::from_code(code)
                    .filter(|l| *l != Lang::Other)
                    .ok_or_else(|| bad(format!("unit {:?}: unknown language {code:?}", u.name)))?;
                for p in list {
                    patterns.push(
                        Pattern::parse(p, lang)
                            .map_err(|e| bad(format!("unit {:?}: pattern {p:?}: {e}", u.name)))?,
                    );
                }
            }
            units.push(Unit {
                name: u.name,
                patterns,
            });
        }
        Ok(Units {
            units,
            source: source.to_string(),
        })
    }

    /// The unit column wins; otherwise the first unit (in file order) named in the text.
    pub fn route(&self, unit_column: Option<&str>, text: &str) -> Option<Route> {
        if let Some(u) = unit_column.map(str::trim).filter(|u| !u.is_empty()) {
            return Some(Route {
                unit: u.to_string(),
                because: "unit column".into(),
            });
        }
        let tokens = tokenize(text);
        self.units.iter().find_map(|u| {
            u.patterns.iter().find_map(|p| {
                p.find(&tokens).map(|m| Route {
                    unit: u.name.clone(),
                    because: format!("\"{}\"", m.span(text, &tokens)),
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_wins_then_text_names_the_unit() {
        let u = Units::parse(
            std::str::from_utf8(crate::datafile::UNITS.bytes).unwrap(),
            "built-in",
        )
        .expect("built-in units");
        assert_eq!(
            u.route(Some("Suun terveydenhuolto"), "päivystyksessä")
                .map(|r| r.unit),
            Some("Suun terveydenhuolto".into())
        );
        let r = u
            .route(None, "Yhteispäivystyksessä odotin kuusi tuntia.")
            .unwrap();
        assert_eq!(r.unit, "Yhteispäivystys");
        assert_eq!(
            u.route(None, "Hemvården kom inte.").map(|r| r.unit),
            Some("Kotihoito ja asumispalvelut".into())
        );
        assert_eq!(u.route(None, "Kiitos hyvästä palvelusta."), None);
    }

    #[test]
    fn a_broken_units_file_names_the_unit() {
        let e = Units::parse("[[unit]]\nname = \"X\"\npatterns.xx = [\"a\"]\n", "u.toml")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("u.toml") && e.contains("\"X\"")));
    }
}
