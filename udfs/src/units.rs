//! pprof-style value labels with automatic unit scaling.
//!
//! Mirrors the behaviour of pprof's `measurement.ScaledLabel` so numbers
//! look the same as in `go tool pprof`: a value in a time or byte unit is
//! shown in the largest unit in which it is at least 1, printed with two
//! decimals and a trailing `.00` dropped (`1.10s`, `10ms`, `62.50MB`).
//!
//! ```
//! use profsql_udfs::units::scaled_label;
//! assert_eq!(scaled_label(1_100_000_000_i64, "nanoseconds"), "1.10s");
//! assert_eq!(scaled_label(65_536_000_i64, "bytes"), "62.50MB");
//! assert_eq!(scaled_label(42_i64, "count"), "42");
//! ```

/// A value to label: integers keep full precision when printed unscaled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    Int(i64),
    Float(f64),
}

impl From<i64> for Quantity {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<i32> for Quantity {
    fn from(v: i32) -> Self {
        Self::Int(v.into())
    }
}

impl From<u32> for Quantity {
    fn from(v: u32) -> Self {
        Self::Int(v.into())
    }
}

impl From<f64> for Quantity {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}

impl From<f32> for Quantity {
    fn from(v: f32) -> Self {
        Self::Float(v.into())
    }
}

impl Quantity {
    fn as_f64(self) -> f64 {
        match self {
            // Precision loss above 2^53 is invisible at two decimals of a
            // scaled unit, which is the only place this is used.
            Self::Int(v) => v as f64,
            Self::Float(v) => v,
        }
    }
}

/// One unit of a family: printed name, size in the family's base unit, and
/// the normalized spellings that denote it (as in pprof).
#[derive(Debug, PartialEq)]
struct Scale {
    name: &'static str,
    factor: f64,
    aliases: &'static [&'static str],
}

/// Byte sizes, factor 1024 as in pprof.
const BYTES: &[Scale] = &[
    Scale {
        name: "B",
        factor: 1.0,
        aliases: &["b", "byte"],
    },
    Scale {
        name: "kB",
        factor: 1024.0,
        aliases: &["kb", "kbyte", "kilobyte"],
    },
    Scale {
        name: "MB",
        factor: 1_048_576.0,
        aliases: &["mb", "mbyte", "megabyte"],
    },
    Scale {
        name: "GB",
        factor: 1_073_741_824.0,
        aliases: &["gb", "gbyte", "gigabyte"],
    },
    Scale {
        name: "TB",
        factor: 1_099_511_627_776.0,
        aliases: &["tb", "tbyte", "terabyte"],
    },
    Scale {
        name: "PB",
        factor: 1_125_899_906_842_624.0,
        aliases: &["pb", "pbyte", "petabyte"],
    },
];

/// Durations in nanoseconds; pprof has no minutes, it goes from s to hrs.
const TIME: &[Scale] = &[
    Scale {
        name: "ns",
        factor: 1.0,
        aliases: &["ns", "nanosecond"],
    },
    Scale {
        name: "us",
        factor: 1e3,
        // Both the Greek mu and the micro sign are seen in the wild.
        aliases: &["us", "μs", "µs", "microsecond"],
    },
    Scale {
        name: "ms",
        factor: 1e6,
        aliases: &["ms", "millisecond"],
    },
    Scale {
        name: "s",
        factor: 1e9,
        aliases: &["s", "sec", "second"],
    },
    Scale {
        name: "hrs",
        factor: 3.6e12,
        aliases: &["hr", "hour"],
    },
];

const FAMILIES: &[&[Scale]] = &[BYTES, TIME];

/// Units whose values are plain numbers (pprof prints no suffix for them).
const COUNT_UNITS: &[&str] = &["", "count", "sample", "unit"];

/// A parsed unit name; parse once and reuse it to label many values.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit(Kind);

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Count,
    Scaled {
        family: &'static [Scale],
        given: &'static Scale,
    },
    Other(String),
}

/// pprof's unit normalization: lower case, and a plural 's' dropped from
/// names longer than two characters ("bytes" -> "byte", but "ms" stays).
fn normalize(unit: &str) -> String {
    let lower = unit.trim().to_lowercase();
    // Counted in characters, not bytes, so that "μs" is not mistaken for a
    // three-letter plural.
    if lower.chars().count() > 2 {
        if let Some(singular) = lower.strip_suffix('s') {
            return singular.to_owned();
        }
    }
    lower
}

impl Unit {
    /// Recognizes `unit` case-insensitively; anything unknown is kept as is.
    pub fn parse(unit: &str) -> Self {
        let norm = normalize(unit);
        if COUNT_UNITS.contains(&norm.as_str()) {
            return Self(Kind::Count);
        }
        for family in FAMILIES {
            if let Some(given) = family.iter().find(|s| s.aliases.contains(&norm.as_str())) {
                return Self(Kind::Scaled { family, given });
            }
        }
        Self(Kind::Other(unit.to_owned()))
    }

    /// Formats `value`, expressed in this unit, the way pprof labels it.
    pub fn label(&self, value: impl Into<Quantity>) -> String {
        let value = value.into();
        match &self.0 {
            Kind::Count => plain_number(value),
            Kind::Scaled { family, given } => {
                let v = value.as_f64();
                if !v.is_finite() {
                    return two_decimals(v);
                }
                let base = v * given.factor;
                // Largest unit in which the magnitude is at least 1; values
                // below 1 of every unit (such as 0) stay in the given unit.
                let unit = family
                    .iter()
                    .rev()
                    .find(|s| base.abs() / s.factor >= 1.0)
                    .unwrap_or(given);
                let number = two_decimals(base / unit.factor);
                if number == "0" {
                    number
                } else {
                    number + unit.name
                }
            }
            Kind::Other(unit) => {
                let number = plain_number(value);
                if number == "0" {
                    number
                } else {
                    // A space keeps free-form names readable ("42 widgets").
                    format!("{number} {unit}")
                }
            }
        }
    }
}

/// pprof's `%.2f` with a trailing ".00" removed and "-0" shown as "0".
fn two_decimals(v: f64) -> String {
    let mut s = format!("{v:.2}");
    if s.ends_with(".00") {
        s.truncate(s.len() - 3);
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

/// Integers print exactly; floats like [`two_decimals`].
fn plain_number(value: Quantity) -> String {
    match value {
        Quantity::Int(v) => v.to_string(),
        Quantity::Float(v) => two_decimals(v),
    }
}

/// Labels `value`, expressed in `unit`, like pprof: time units (ns, us, ms,
/// s, hrs) and byte units (B, kB, MB, GB, TB, PB; factor 1024) are scaled to
/// the largest unit where |value| >= 1; counts print as bare numbers; other
/// units print the number, a space, and the unit name.
pub fn scaled_label(value: impl Into<Quantity>, unit: &str) -> String {
    Unit::parse(unit).label(value)
}

#[cfg(test)]
mod tests;
