//! Flame graph SVGs drawn by inferno from folded stacks: search and zoom come with
//! inferno's embedded script. Given a base, a differential graph: widths are the
//! profile's, red frames grew and blue ones shrank against the base.

use inferno::flamegraph::{self, color, Direction};

use super::folded::lines;
use super::ReportError;
use crate::tools::pprof::stacks::StackSet;
use crate::tools::pprof::ValueFormat;

/// How the picture is laid out.
#[derive(Clone, Debug, Default)]
pub struct FlameOptions {
    /// Replaces the default title (sample type and total).
    pub title: Option<String>,
    /// Icicle: roots at the top, stacks growing down.
    pub icicle: bool,
    /// Reversed stacks: leaves at the base (merges callers of hot leaf functions).
    pub reverse: bool,
    /// Image width in pixels (inferno's default 1200).
    pub width: Option<usize>,
    /// Frames narrower than this many pixels are left out (inferno's default 0.1).
    pub min_width: Option<f64>,
    /// Extra line under the title (filters, base).
    pub subtitle: Option<String>,
}

/// The unit the tooltips count in, and the factor from raw values to it: the largest
/// unit in which the smallest stack is still at least 1, so no frame reads as 0.
fn display_unit(unit: &str, min_value: i64) -> (String, f64) {
    let scales: &[(&str, f64)] = match unit {
        "nanoseconds" => &[("s", 1e9), ("ms", 1e6), ("µs", 1e3), ("ns", 1.0)],
        "microseconds" => &[("s", 1e6), ("ms", 1e3), ("µs", 1.0)],
        "milliseconds" => &[("s", 1e3), ("ms", 1.0)],
        "bytes" => &[
            ("GB", 1073741824.0),
            ("MB", 1048576.0),
            ("kB", 1024.0),
            ("B", 1.0),
        ],
        other => return (other.to_string(), 1.0),
    };
    for &(name, size) in scales {
        if min_value as f64 >= size {
            return (name.to_string(), 1.0 / size);
        }
    }
    let (name, size) = scales[scales.len() - 1];
    (name.to_string(), 1.0 / size)
}

/// Colours that hint at the kind of profile (inferno's palettes).
fn palette(unit: &str, sample_type: &str) -> color::Palette {
    use color::BasicPalette::*;
    let basic = if unit == "bytes" || sample_type.contains("alloc") || sample_type.contains("inuse")
    {
        Mem
    } else if sample_type.contains("contention") || sample_type.contains("delay") {
        Io
    } else {
        Hot
    };
    color::Palette::Basic(basic)
}

fn base_options(set: &StackSet, o: &FlameOptions, min_value: i64) -> flamegraph::Options<'static> {
    let unit = &set.sample_type.unit;
    let (count_name, factor) = display_unit(unit, min_value);
    let mut opt = flamegraph::Options::default();
    opt.title = o.title.clone().unwrap_or_else(|| {
        format!(
            "{} flame graph: {} total",
            set.sample_type.r#type,
            ValueFormat::per_value(unit).format(set.total)
        )
    });
    opt.subtitle = o.subtitle.clone();
    opt.count_name = count_name;
    opt.factor = factor;
    opt.colors = palette(unit, &set.sample_type.r#type);
    // Colours from a hash of the name, not a random generator: the same input gives the
    // same file.
    opt.hash = true;
    opt.deterministic = true;
    opt.direction = if o.icicle {
        Direction::Inverted
    } else {
        Direction::Straight
    };
    opt.reverse_stack_order = o.reverse;
    opt.image_width = o.width;
    if let Some(w) = o.min_width {
        opt.min_width = w;
    }
    opt.name_type = "Function:".to_string();
    opt
}

/// The folded lines a flame graph can draw (positive stacks) and the smallest value, or
/// an error naming the profile when there are none.
fn drawable(set: &StackSet) -> Result<(String, i64), ReportError> {
    let min = set.stacks.iter().map(|s| s.value).filter(|&v| v > 0).min();
    let Some(min) = min else {
        return Err(ReportError::File {
            path: set.profile.clone(),
            message: "no samples with a positive value to draw".into(),
        });
    };
    Ok((lines(set, |s| s.value > 0), min))
}

fn svg_error(e: std::io::Error) -> ReportError {
    ReportError::File {
        path: "flame graph".into(),
        message: e.to_string(),
    }
}

/// A flame graph SVG of the set's positive stacks (a set without any is an error).
pub fn flamegraph(set: &StackSet, o: &FlameOptions) -> Result<Vec<u8>, ReportError> {
    let (text, min) = drawable(set)?;
    let mut opt = base_options(set, o, min);
    let mut out = Vec::new();
    flamegraph::from_lines(&mut opt, text.lines(), &mut out).map_err(svg_error)?;
    Ok(out)
}

/// A differential flame graph: `set` against `base`, widths from `set`.
pub fn differential(
    set: &StackSet,
    base: &StackSet,
    o: &FlameOptions,
    normalize: bool,
) -> Result<Vec<u8>, ReportError> {
    let (after, min) = drawable(set)?;
    let before = lines(base, |s| s.value > 0);
    let mut diff = Vec::new();
    inferno::differential::from_readers(
        inferno::differential::Options {
            normalize,
            strip_hex: false,
        },
        before.as_bytes(),
        after.as_bytes(),
        &mut diff,
    )
    .map_err(svg_error)?;
    let diff = String::from_utf8_lossy(&diff).into_owned();
    let mut opt = base_options(set, o, min);
    if o.title.is_none() {
        opt.title = format!(
            "{} differential flame graph: {} total, base {}",
            set.sample_type.r#type,
            ValueFormat::per_value(&set.sample_type.unit).format(set.total),
            ValueFormat::per_value(&base.sample_type.unit).format(base.total)
        );
    }
    let mut out = Vec::new();
    flamegraph::from_lines(&mut opt, diff.lines(), &mut out).map_err(svg_error)?;
    Ok(out)
}
