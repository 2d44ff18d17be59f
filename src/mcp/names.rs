//! Tool names as clients see them: pprof's dotted names, or (codex mode) underscores,
//! since some clients accept only `^[a-zA-Z0-9_-]+$`.

pub const NAME_MODE_ENV: &str = "PPROF_MCP_TOOL_NAME_MODE";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameMode {
    #[default]
    Dots,
    Codex,
}

impl NameMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "" | "dots" | "default" => Ok(Self::Dots),
            "codex" => Ok(Self::Codex),
            other => Err(format!(
                "unknown tool name mode {other:?} (expected dots or codex)"
            )),
        }
    }

    /// `--tool-name-mode` if given, else `PPROF_MCP_TOOL_NAME_MODE`.
    pub fn from_flag_or_env(flag: Option<&str>) -> Result<Self, String> {
        match flag {
            Some(f) => Self::parse(f),
            None => Self::parse(&std::env::var(NAME_MODE_ENV).unwrap_or_default()),
        }
    }

    pub fn exposed(self, name: &str) -> String {
        match self {
            Self::Dots => name.to_string(),
            Self::Codex => name.replace('.', "_"),
        }
    }

    /// The description a client sees: codex mode says which name to call.
    pub fn describe(self, name: &str, description: &str) -> String {
        match self {
            Self::Dots => description.to_string(),
            Self::Codex => format!("Codex tool name: {}\n\n{description}", self.exposed(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codex_names_use_underscores() {
        assert_eq!(
            NameMode::Codex.exposed("datadog.profiles.list"),
            "datadog_profiles_list"
        );
        assert_eq!(NameMode::Dots.exposed("pprof.top"), "pprof.top");
        assert!(NameMode::parse("snake").is_err());
    }
}
