//! Units and number formatting exactly as pprof's `internal/measurement`: value scaling
//! between units of one family, `ScaledLabel` strings and `Percentage` strings.

struct Unit {
    name: &'static str,
    aliases: &'static [&'static str],
    factor: f64,
}

struct Family {
    units: &'static [Unit],
    default: &'static Unit,
}

const fn u(name: &'static str, aliases: &'static [&'static str], factor: f64) -> Unit {
    Unit {
        name,
        aliases,
        factor,
    }
}

const BYTES: &[Unit] = &[
    u("B", &["b", "byte"], 1.0),
    u("kB", &["kb", "kbyte", "kilobyte"], 1024.0),
    u("MB", &["mb", "mbyte", "megabyte"], 1_048_576.0),
    u("GB", &["gb", "gbyte", "gigabyte"], 1_073_741_824.0),
    u("TB", &["tb", "tbyte", "terabyte"], 1_099_511_627_776.0),
    u("PB", &["pb", "pbyte", "petabyte"], 1_125_899_906_842_624.0),
];
const TIME: &[Unit] = &[
    u("ns", &["ns", "nanosecond"], 1.0),
    u("us", &["μs", "us", "microsecond"], 1e3),
    u("ms", &["ms", "millisecond"], 1e6),
    u("s", &["s", "sec", "second"], 1e9),
    u("hrs", &["hour", "hr"], 3.6e12),
];
const GCU: &[Unit] = &[
    u("n*GCU", &["nanogcu"], 1e-9),
    u("u*GCU", &["microgcu"], 1e-6),
    u("m*GCU", &["milligcu"], 1e-3),
    u("GCU", &["gcu"], 1.0),
    u("k*GCU", &["kilogcu"], 1e3),
    u("M*GCU", &["megagcu"], 1e6),
    u("G*GCU", &["gigagcu"], 1e9),
    u("T*GCU", &["teragcu"], 1e12),
    u("P*GCU", &["petagcu"], 1e15),
];
const SECOND: Unit = u("s", &[], 1e9);
const FAMILIES: &[Family] = &[
    Family {
        units: BYTES,
        default: &BYTES[0],
    },
    Family {
        units: TIME,
        default: &SECOND,
    },
    Family {
        units: GCU,
        default: &GCU[3],
    },
];

fn sniff<'a>(family: &'a Family, unit: &str) -> Option<&'a Unit> {
    let mut lower = unit.to_lowercase();
    // Go compares byte lengths here, so "μs" (3 bytes) loses its trailing "s" too.
    if lower.len() > 2 {
        if let Some(s) = lower.strip_suffix('s') {
            lower = s.to_string();
        }
    }
    family
        .units
        .iter()
        .find(|u| u.aliases.contains(&lower.as_str()))
}

fn auto_scale(family: &Family, value: f64) -> Option<(f64, &'static str)> {
    let mut f = 0.0;
    let mut name = "";
    for u in family.units {
        if u.factor >= f && value / u.factor >= 1.0 {
            f = u.factor;
            name = u.name;
        }
    }
    (f != 0.0).then(|| (value / f, name))
}

fn convert(family: &Family, value: i64, from: &str, to: &str) -> Option<(f64, String)> {
    let from = sniff(family, from)?;
    let v = value as f64 * from.factor;
    if to == "minimum" || to == "auto" {
        if let Some((v, name)) = auto_scale(family, v) {
            return Some((v, name.to_string()));
        }
        return Some((v / family.default.factor, family.default.name.to_string()));
    }
    let to = sniff(family, to).unwrap_or(family.default);
    Some((v / to.factor, to.name.to_string()))
}

/// `measurement.Scale`: `value` in `from` expressed in `to` ("minimum"/"auto" pick the
/// largest unit in which the value is at least 1).
pub fn scale(value: i64, from: &str, to: &str) -> (f64, String) {
    if value < 0 && value != i64::MIN {
        let (v, u) = scale(-value, from, to);
        return (-v, u);
    }
    for family in FAMILIES {
        if let Some(r) = convert(family, value, from, to) {
            return r;
        }
    }
    match to {
        "count" | "sample" | "unit" | "minimum" | "auto" => (value as f64, String::new()),
        other => (value as f64, other.to_string()),
    }
}

/// `measurement.ScaledLabel`: `%.2f` of the scaled value, `.00` trimmed, unit appended.
pub fn scaled_label(value: i64, from: &str, to: &str) -> String {
    let (v, unit) = scale(value, from, to);
    let s = format!("{v:.2}");
    let s = s.strip_suffix(".00").unwrap_or(&s);
    if s == "0" || s == "-0" {
        return "0".to_string();
    }
    format!("{s}{unit}")
}

/// `measurement.Label`: a value auto-scaled in its own unit.
pub fn label(value: i64, unit: &str) -> String {
    scaled_label(value, unit, "auto")
}

/// The unit `measurement.Scale` picks for `value` (`""` for counts and unknown units).
pub fn unit_of(value: i64, from: &str, to: &str) -> String {
    scale(value, from, to).1
}

/// `measurement.Percentage`: `|value/total|` as pprof prints it (`  100%`, `12.34%`,
/// ` 0.89%`, `    0%`).
pub fn percentage(value: i64, total: i64) -> String {
    let ratio = if total != 0 {
        (value as f64 / total as f64).abs() * 100.0
    } else {
        0.0
    };
    if (99.95..=100.05).contains(&ratio) {
        "  100%".to_string()
    } else if ratio >= 1.0 {
        format!("{ratio:5.2}%")
    } else {
        format!("{:>5}%", format_g2(ratio))
    }
}

/// Go's `%.2g` for a non-negative finite value: two significant digits, exponent form
/// below 1e-4, trailing zeros removed.
fn format_g2(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let e = format!("{v:.1e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..2).contains(&exp) {
        let m = mantissa.trim_end_matches('0').trim_end_matches('.');
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    let decimals = (1 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// How many `to` one `from` is (`Scale(1, from, to)`); 1 for unknown units.
pub fn scale_factor(from: &str, to: &str) -> f64 {
    scale(1, from, to).0
}

/// pprof's `compatibleValueTypes`: type names equal up to a trailing 's', and units equal
/// or of one family.
fn compatible_types(a: &(String, String), b: &(String, String)) -> bool {
    if a.0.strip_suffix('s').unwrap_or(&a.0) != b.0.strip_suffix('s').unwrap_or(&b.0) {
        return false;
    }
    a.1 == b.1
        || FAMILIES
            .iter()
            .any(|f| sniff(f, &a.1).is_some() && sniff(f, &b.1).is_some())
}

/// pprof's `CommonValueType`: the finest of compatible (type, unit) pairs; None for fewer
/// than two.
pub fn common_unit(ts: &[(String, String)]) -> Result<Option<(String, String)>, String> {
    let Some((first, rest)) = ts.split_first() else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(None);
    }
    let mut min = first;
    for t in rest {
        if !compatible_types(min, t) {
            return Err(format!(
                "incompatible types: {{{} {}}} {{{} {}}}",
                min.0, min.1, t.0, t.1
            ));
        }
        if scale_factor(&t.1, &min.1) < 1.0 {
            min = t;
        }
    }
    Ok(Some(min.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_like_pprof() {
        assert_eq!(
            scaled_label(1_100_000_000, "nanoseconds", "minimum"),
            "1.10s"
        );
        assert_eq!(scaled_label(10_000_000, "nanoseconds", "s"), "0.01s");
        assert_eq!(scaled_label(65_536_000, "bytes", "auto"), "62.50MB");
        assert_eq!(scaled_label(1_024_000, "bytes", "kB"), "1000kB");
        assert_eq!(scaled_label(0, "nanoseconds", "ms"), "0");
        assert_eq!(scaled_label(42, "count", "count"), "42");
        assert_eq!(scaled_label(42, "widgets", "widgets"), "42widgets");
        assert_eq!(scaled_label(42, "widgets", "auto"), "42");
        assert_eq!(scaled_label(-1_500_000, "nanoseconds", "ms"), "-1.50ms");
        assert_eq!(label(240_360_000_000, "nanoseconds"), "240.36s");
        assert_eq!(label(7_200_000_000_000, "nanoseconds"), "2hrs");
    }

    #[test]
    fn percentages_like_pprof() {
        assert_eq!(percentage(1, 1), "  100%");
        assert_eq!(percentage(9821, 10000), "98.21%");
        assert_eq!(percentage(89, 10000), " 0.89%");
        assert_eq!(percentage(17, 100000), "0.017%");
        assert_eq!(percentage(0, 100), "    0%");
        assert_eq!(percentage(5, 0), "    0%");
        assert_eq!(percentage(-50, 100), "50.00%");
        assert_eq!(percentage(1, 10_000_000), "1e-05%");
        assert_eq!(percentage(5, 1000), "  0.5%");
    }
}
