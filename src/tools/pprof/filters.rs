//! pprof's sample filters, decided on the profile's symbols and labels (small) so the
//! canned SQL over the frames (large) only consults bit masks:
//! focus/ignore/hide/show (`FilterSamplesByName`), show_from, tagfocus/tagignore,
//! prune_from, in pprof's order.

use datafusion::logical_expr::ScalarUDF;
use regex::Regex;

use super::options::{compile, ReportOptions, TagFilter};
use crate::tables::mask::mask_udf;
use crate::tables::LoadedProfile;
use crate::tools::ToolError;

/// The decisions, as bit vectors. `None` means "no filter of this kind".
#[derive(Default)]
pub struct Decisions {
    /// Per frame key: the line survives hide/show and the show_from/prune_from line cuts.
    pub frame_alive: Option<Vec<bool>>,
    /// Per sample id: the sample survives focus/ignore/tag filters and keeps a frame.
    pub sample_kept: Option<Vec<bool>>,
    /// Per frame key: a kept line of a location matching show_from.
    pub show_from: Option<Vec<bool>>,
    /// Per frame key: a kept line of a location matching prune_from.
    pub prune_from: Option<Vec<bool>>,
    /// Filter options that matched nothing, as pprof's warning names them.
    pub unmatched: Vec<&'static str>,
}

impl Decisions {
    /// The sample filter for a query: the mask UDF and ` AND pprof_sample_kept(column)`;
    /// None when every sample is kept.
    pub fn sample_filter(&self, column: &str) -> Option<(ScalarUDF, String)> {
        let kept = self.sample_kept.as_ref()?;
        Some((
            mask_udf("pprof_sample_kept", kept.clone()),
            format!(" AND pprof_sample_kept({column})"),
        ))
    }
}

/// What the frame keys of a location are and how its symbols read.
struct LocSyms<'a> {
    keys: std::ops::Range<usize>,
    /// (function name, file) per frame key; empty strings when absent.
    lines: Vec<(&'a str, &'a str)>,
    mapping_file: Option<&'a str>,
    has_lines: bool,
}

fn loc_syms(lp: &LoadedProfile, li: usize) -> LocSyms<'_> {
    let p = &lp.profile;
    let sym = &lp.symbols;
    let lo = sym.loc_frame_offsets[li] as usize;
    let hi = sym.loc_frame_offsets[li + 1] as usize;
    let loc = &p.locations[li];
    let lines = sym.frames[lo..hi]
        .iter()
        .map(|f| {
            p.function(f.function_id).map_or(("", ""), |fun| {
                (p.str_i64(fun.name), p.str_i64(fun.filename))
            })
        })
        .collect();
    let mapping_file = p.mapping_file(loc);
    LocSyms {
        keys: lo..hi,
        lines,
        mapping_file,
        has_lines: !p.lines_of(loc).is_empty(),
    }
}

fn line_matches(re: &Regex, (name, file): (&str, &str), has_lines: bool) -> bool {
    has_lines && (re.is_match(name) || re.is_match(file))
}

/// pprof's `simplifyFunc`: leading '.' dropped, argument list cut at the first '(' that
/// does not start a reserved name.
pub fn simplify_func(f: &str) -> &str {
    let name = f.strip_prefix('.').unwrap_or(f);
    const RESERVED: [&str; 2] = ["(anonymous namespace)", "operator()"];
    let mut i = 0;
    while i < name.len() {
        let rest = &name[i..];
        if let Some(r) = RESERVED.iter().find(|r| rest.starts_with(**r)) {
            i += r.len();
            continue;
        }
        if rest.starts_with('(') {
            return &name[..i];
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    name
}

pub fn decide(lp: &LoadedProfile, o: &ReportOptions) -> Result<Decisions, ToolError> {
    let focus = compile("focus", o.focus.as_deref())?;
    let ignore = compile("ignore", o.ignore.as_deref())?;
    let hide = compile("hide", o.hide.as_deref())?;
    let show = compile("show", o.show.as_deref())?;
    let show_from = compile("show_from", o.show_from.as_deref())?;
    let prune_from = compile("prune_from", o.prune_from.as_deref())?;
    let tag = |name: &str, v: &Option<String>| -> Result<Option<TagFilter>, ToolError> {
        v.as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| TagFilter::parse(name, v))
            .transpose()
    };
    let tagfocus = tag("tagfocus", &o.tagfocus)?;
    let tagignore = tag("tagignore", &o.tagignore)?;

    let p = &lp.profile;
    let nkeys = lp.symbols.frames.len();
    let nlocs = p.locations.len();
    let mut d = Decisions::default();
    let by_name = focus.is_some() || ignore.is_some() || hide.is_some() || show.is_some();
    let cuts = show_from.is_some() || prune_from.is_some();
    // Location verdicts for focus/ignore: Some(true) focused, Some(false) ignored.
    let mut verdict: Vec<Option<bool>> = vec![None; nlocs];
    let mut alive = vec![true; nkeys];
    let mut sf = vec![false; if show_from.is_some() { nkeys } else { 0 }];
    let mut pf = vec![false; if prune_from.is_some() { nkeys } else { 0 }];
    let (mut fm, mut im, mut hm, mut sm, mut sfm) = (false, false, false, false, false);
    if by_name || cuts {
        for (li, verdict) in verdict.iter_mut().enumerate() {
            let s = loc_syms(lp, li);
            let map_match = |re: &Regex| s.mapping_file.is_some_and(|f| re.is_match(f));
            let any_match = |re: &Regex| {
                map_match(re) || s.lines.iter().any(|&l| line_matches(re, l, s.has_lines))
            };
            if by_name {
                if ignore.as_ref().is_some_and(any_match) {
                    im = true;
                    *verdict = Some(false);
                } else if focus.as_ref().is_none_or(any_match) {
                    fm = true;
                    *verdict = Some(true);
                }
            }
            if let Some(re) = &hide {
                if any_match(re) {
                    hm = true;
                    for (k, &l) in s.keys.clone().zip(&s.lines) {
                        if map_match(re) || line_matches(re, l, s.has_lines) || !s.has_lines {
                            alive[k] = false;
                        }
                    }
                }
            }
            if let Some(re) = &show {
                let keep_all = map_match(re);
                let mut any = false;
                for (k, &l) in s.keys.clone().zip(&s.lines) {
                    // A location without lines is kept only through its mapping.
                    let keep = keep_all || line_matches(re, l, s.has_lines);
                    if !keep {
                        alive[k] = false;
                    } else if alive[k] {
                        any = true;
                    }
                }
                sm |= any;
            }
            if let Some(re) = &show_from {
                // Outermost (last) matching line among the lines hide/show left.
                let keys: Vec<usize> = s.keys.clone().filter(|&k| alive[k]).collect();
                let matched = if map_match(re) {
                    Some(keys.len())
                } else {
                    keys.iter()
                        .rposition(|&k| line_matches(re, s.lines[k - s.keys.start], s.has_lines))
                        .map(|i| i + 1)
                };
                if let Some(n) = matched {
                    sfm = true;
                    for (i, &k) in keys.iter().enumerate() {
                        if i < n {
                            sf[k] = true;
                        } else {
                            alive[k] = false;
                        }
                    }
                }
            }
        }
    }
    if let Some(re) = &prune_from {
        for li in 0..nlocs {
            let s = loc_syms(lp, li);
            let keys: Vec<usize> = s.keys.clone().filter(|&k| alive[k]).collect();
            // Innermost line whose simplified function name matches.
            let hit = keys.iter().position(|&k| {
                let name = s.lines[k - s.keys.start].0;
                s.has_lines && !name.is_empty() && re.is_match(simplify_func(name))
            });
            if let Some(i) = hit {
                for (j, &k) in keys.iter().enumerate() {
                    if j < i {
                        alive[k] = false;
                    } else {
                        pf[k] = true;
                    }
                }
            }
        }
    }
    if focus.is_some() && !fm {
        d.unmatched.push("Focus");
    }
    if ignore.is_some() && !im {
        d.unmatched.push("Ignore");
    }
    if hide.is_some() && !hm {
        d.unmatched.push("Hide");
    }
    if show.is_some() && !sm {
        d.unmatched.push("Show");
    }
    if show_from.is_some() && !sfm {
        d.unmatched.push("ShowFrom");
    }

    let stack_rewrite = hide.is_some() || show.is_some() || cuts;
    let tags = tagfocus.is_some() || tagignore.is_some();
    if by_name || show_from.is_some() || tags {
        let store = &p.samples;
        let sym = &lp.symbols;
        let mut kept = vec![true; store.len()];
        let (mut tfm, mut tim) = (false, false);
        let units = tags.then(|| super::labels::num_label_units(p));
        for (s, keep) in kept.iter_mut().enumerate() {
            let locs = store.locations(s);
            if by_name {
                let mut focused = false;
                for &l in locs {
                    match verdict[l as usize] {
                        Some(false) => {
                            focused = false;
                            break;
                        }
                        Some(true) => focused = true,
                        None => {}
                    }
                }
                if !focused {
                    *keep = false;
                    continue;
                }
            }
            if stack_rewrite {
                let keys = |l: u32| {
                    sym.loc_frame_offsets[l as usize] as usize
                        ..sym.loc_frame_offsets[l as usize + 1] as usize
                };
                if !locs.iter().any(|&l| keys(l).any(|k| alive[k])) {
                    *keep = false;
                    continue;
                }
                if show_from.is_some() && !locs.iter().any(|&l| keys(l).any(|k| sf[k])) {
                    *keep = false;
                    continue;
                }
            }
            if let Some(units) = &units {
                let (strings, numbers) = super::labels::sample_labels(p, s, units);
                let focused = tagfocus
                    .as_ref()
                    .is_none_or(|f| f.matches(&strings, &numbers));
                let ignored = tagignore
                    .as_ref()
                    .is_some_and(|f| f.matches(&strings, &numbers));
                tfm |= focused;
                tim |= ignored;
                if !focused || ignored {
                    *keep = false;
                }
            }
        }
        if tagfocus.is_some() && !tfm {
            d.unmatched.push("TagFocus");
        }
        if tagignore.is_some() && !tim {
            d.unmatched.push("TagIgnore");
        }
        d.sample_kept = Some(kept);
    }
    if stack_rewrite {
        d.frame_alive = Some(alive);
    }
    if show_from.is_some() {
        d.show_from = Some(sf);
    }
    if prune_from.is_some() {
        d.prune_from = Some(pf);
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::simplify_func;

    #[test]
    fn simplifies_like_pprof() {
        assert_eq!(simplify_func("main.(*T).f"), "main.");
        assert_eq!(simplify_func(".foo(int)"), "foo");
        assert_eq!(
            simplify_func("(anonymous namespace)::f(int)"),
            "(anonymous namespace)::f"
        );
        assert_eq!(simplify_func("A::operator()(int)"), "A::operator()");
        assert_eq!(simplify_func("main.main"), "main.main");
    }
}
