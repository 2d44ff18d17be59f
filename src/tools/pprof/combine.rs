//! What `go tool pprof` does with several profiles before reporting: merge the sources,
//! merge the bases, and for `-base`/`-diff_base` subtract the bases (`fetch.go`).

use super::merge::{compatibilize, merge, MergeError, Source};
use crate::decode::proto::ProfileMessage;
use crate::decode::{from_message, Profile};
use crate::tools::ToolError;

/// How bases are subtracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseMode {
    /// `-base`: plain subtraction; equal samples cancel and the total shrinks.
    Subtract,
    /// `-diff_base`: base samples are labelled `pprof::base` and percentages are of the
    /// base's total.
    Diff,
}

fn merge_error(e: MergeError) -> ToolError {
    ToolError::InvalidArgument(format!("cannot merge profiles: {e}"))
}

/// The profile of a message we just built (the merge's output is a profile like any other).
pub fn reparse(msg: ProfileMessage) -> Result<Profile, ToolError> {
    from_message("<merged profile>", msg).map_err(|e| ToolError::Internal {
        query: "merge",
        detail: e.to_string(),
    })
}

/// pprof's `Merge` plus its second pass when summing left all-zero samples.
fn merge_gc(sources: &[Source<'_>]) -> Result<ProfileMessage, ToolError> {
    let (msg, has_zero) = merge(sources).map_err(merge_error)?;
    if !has_zero {
        return Ok(msg);
    }
    let p = reparse(msg)?;
    let (msg, _) = merge(&[Source::new(&p)]).map_err(merge_error)?;
    Ok(msg)
}

/// The CLI's merge of several profiles (`combineProfiles`): common sample types, finest
/// units, then `Merge`.
pub fn merge_profiles(profiles: &[&Profile]) -> Result<ProfileMessage, ToolError> {
    let mut sources: Vec<Source<'_>> = profiles.iter().map(|p| Source::new(p)).collect();
    compatibilize(&mut sources).map_err(merge_error)?;
    merge_gc(&sources)
}

/// pprof's `Compact`: the profile merged with itself alone, so equal samples add up and
/// all-zero samples go (Go 1.19's pprof did this to every profile it read).
pub fn compact(p: &Profile) -> Result<Profile, ToolError> {
    reparse(merge_gc(&[Source::new(p)])?)
}

/// What a report compares its profile with, and the label pseudo-frames it adds.
#[derive(Clone, Copy, Debug)]
pub struct Derivation<'a> {
    pub mode: BaseMode,
    pub normalize: bool,
    pub tagroot: Option<&'a str>,
    pub tagleaf: Option<&'a str>,
}

impl Derivation<'_> {
    /// Whether `derive` of a profile with no base returns it as it is, with no warning.
    pub fn is_identity_without_bases(&self) -> bool {
        !self.normalize && super::label_nodes::adds_nothing(self.tagroot, self.tagleaf)
    }
}

impl Default for Derivation<'_> {
    fn default() -> Self {
        Self {
            mode: BaseMode::Diff,
            normalize: false,
            tagroot: None,
            tagleaf: None,
        }
    }
}

/// The profile a report reads when it is not `source` as it is: `source` minus the merged
/// `bases` (`-base`/`-diff_base`, `-normalize`), then `-tagroot`/`-tagleaf` frames. Also
/// pprof's "matched no samples" warnings of those label keys.
pub fn derive(
    source: &Profile,
    bases: &[&Profile],
    d: &Derivation<'_>,
) -> Result<(Option<Profile>, Vec<String>), ToolError> {
    let compared = if bases.is_empty() {
        if d.normalize {
            return Err(ToolError::InvalidArgument(
                "-normalize needs a base profile (--base or --diff_base)".into(),
            ));
        }
        None
    } else {
        Some(subtract(source, bases, d.mode, d.normalize)?)
    };
    let current = compared.as_ref().unwrap_or(source);
    match super::label_nodes::add_label_nodes(current, d.tagroot, d.tagleaf)? {
        Some((labelled, unmatched)) => Ok((
            Some(labelled),
            unmatched
                .into_iter()
                .map(|w| format!("{w} expression matched no samples"))
                .collect(),
        )),
        None => Ok((compared, Vec::new())),
    }
}

/// `source` minus the merged `bases` (pprof's `-base`/`-diff_base`, `-normalize`).
pub fn subtract(
    source: &Profile,
    bases: &[&Profile],
    mode: BaseMode,
    normalize: bool,
) -> Result<Profile, ToolError> {
    let merged;
    let base: &Profile = match bases {
        [] => return Err(ToolError::InvalidArgument("no base profile".into())),
        [one] => one,
        many => {
            merged = reparse(merge_profiles(many)?)?;
            &merged
        }
    };
    let mut b = Source::new(base);
    if mode == BaseMode::Diff {
        b = b.mark_base();
    }
    let mut s = Source::new(source);
    if normalize {
        s = s.normalize_to(&b).map_err(merge_error)?;
    }
    let mut both = vec![s, b.scale(-1.0)];
    compatibilize(&mut both).map_err(merge_error)?;
    reparse(merge_gc(&both)?)
}
