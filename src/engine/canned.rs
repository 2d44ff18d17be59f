//! Canned queries: SQL files with `{{name}}` parameters, rendered with safe quoting.

use std::collections::BTreeSet;

use super::EngineError;

/// A query shipped with the library (the text comes from `sql/*.sql` via `include_str!`).
#[derive(Clone, Copy, Debug)]
pub struct CannedQuery {
    pub name: &'static str,
    pub template: &'static str,
}

/// A parameter value and how it is spliced into SQL.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// An integer literal.
    Int(i64),
    /// A boolean literal.
    Bool(bool),
    /// A string literal, single-quoted with quotes doubled.
    Str(String),
    /// An identifier (column or table), double-quoted with quotes doubled.
    Ident(String),
    /// A SQL fragment built by the tool layer from typed values (never user text), such
    /// as an optional filter clause; inserted as is.
    Sql(String),
}

impl Param {
    fn to_sql(&self) -> String {
        match self {
            Param::Int(v) => v.to_string(),
            Param::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Param::Str(s) => format!("'{}'", s.replace('\'', "''")),
            Param::Ident(s) => format!("\"{}\"", s.replace('"', "\"\"")),
            Param::Sql(s) => s.clone(),
        }
    }
}

impl CannedQuery {
    /// Names of the parameters the template uses, sorted.
    pub fn parameters(&self) -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        let mut rest = self.template;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            match after.find("}}") {
                Some(end) => {
                    out.insert(after[..end].trim());
                    rest = &after[end + 2..];
                }
                None => break,
            }
        }
        out
    }

    /// Substitutes every `{{name}}`. A missing parameter, or one given but not used, is an
    /// error: both are bugs in the caller.
    pub fn render(&self, params: &[(&str, Param)]) -> Result<String, EngineError> {
        let wanted = self.parameters();
        for (name, _) in params {
            if !wanted.contains(name) {
                return Err(EngineError::Query(format!(
                    "query {} has no parameter {name}",
                    self.name
                )));
            }
        }
        let mut out = String::with_capacity(self.template.len());
        let mut rest = self.template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| EngineError::Query(format!("query {}: unclosed {{{{", self.name)))?;
            let name = after[..end].trim();
            let value = params.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                EngineError::Query(format!("query {} needs parameter {name}", self.name))
            })?;
            out.push_str(&value.1.to_sql());
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: CannedQuery = CannedQuery {
        name: "t",
        template: "SELECT {{ col }} FROM t WHERE a = {{a}} AND b = {{b}} AND {{a}} > 0",
    };

    #[test]
    fn renders_with_quoting() {
        let sql = Q
            .render(&[
                ("col", Param::Ident("we\"ird".into())),
                ("a", Param::Int(3)),
                ("b", Param::Str("it's".into())),
            ])
            .unwrap();
        assert_eq!(
            sql,
            "SELECT \"we\"\"ird\" FROM t WHERE a = 3 AND b = 'it''s' AND 3 > 0"
        );
    }

    #[test]
    fn missing_and_unknown_parameters_are_errors() {
        assert!(Q.render(&[("a", Param::Int(1))]).is_err());
        let all = [
            ("col", Param::Ident("c".into())),
            ("a", Param::Int(1)),
            ("b", Param::Bool(true)),
            ("zzz", Param::Int(1)),
        ];
        assert!(Q.render(&all).is_err());
    }
}
