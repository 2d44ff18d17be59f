//! Per-location frame expansion and the string dictionaries shared by every batch of a
//! profile. Computed once at load; the big tables are generated from it on demand.

use foldhash::HashMap;
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use datafusion::arrow::array::{Array, StringArray, StringBuilder};

use crate::decode::Profile;

/// One frame of a location: one of its lines (or the whole location if it has no lines).
#[derive(Clone, Copy, Debug)]
pub struct FrameSym {
    /// Position in the location's lines; 0 is the innermost inlined callee.
    pub line_index: u32,
    /// The function's id, 0 when the location has no line.
    pub function_id: u64,
    /// Index into `Symbols::names`: the node name at pprof's functions granularity.
    pub name: u32,
    /// Index into `Symbols::files`, if the function has a file name.
    pub file: Option<u32>,
    pub line: i64,
    pub column: i64,
    /// True when this line was inlined into a later line of the same location.
    pub is_inline: bool,
}

/// Frames of all locations plus the dictionaries their strings live in.
#[derive(Debug)]
pub struct Symbols {
    /// Frames of location `i` are `frames[loc_frame_offsets[i]..loc_frame_offsets[i+1]]`,
    /// innermost (leaf-most) first.
    pub loc_frame_offsets: Vec<u32>,
    pub frames: Vec<FrameSym>,
    pub names: Arc<StringArray>,
    pub files: Arc<StringArray>,
}

impl Symbols {
    pub fn location_frames(&self, location: u32) -> &[FrameSym] {
        let i = location as usize;
        &self.frames[self.loc_frame_offsets[i] as usize..self.loc_frame_offsets[i + 1] as usize]
    }
}

/// Interns strings into a dense dictionary. Keys borrow from the profile's string table
/// where they can, so interning a function name allocates nothing.
#[derive(Default)]
struct Interner<'a> {
    ids: HashMap<Cow<'a, str>, u32>,
    values: Vec<Cow<'a, str>>,
}

impl<'a> Interner<'a> {
    fn with_capacity(n: usize) -> Self {
        Self {
            ids: HashMap::with_capacity_and_hasher(n, Default::default()),
            values: Vec::with_capacity(n),
        }
    }

    fn intern(&mut self, s: Cow<'a, str>) -> u32 {
        // One hash per string: the entry is both the lookup and the insert.
        let next = self.values.len() as u32;
        match self.ids.entry(s) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                self.values.push(e.key().clone());
                e.insert(next);
                next
            }
        }
    }

    /// `intern` for string-table entry `index`, remembered by index in `memo`: many
    /// functions share a file, and its text is hashed once, not once per function.
    fn intern_index(&mut self, profile: &'a Profile, memo: &mut [u32], index: i64) -> Option<u32> {
        let text = profile.str_i64(index);
        if text.is_empty() {
            return None;
        }
        let slot = usize::try_from(index).ok().and_then(|i| memo.get_mut(i));
        match slot {
            Some(slot) if *slot != u32::MAX => Some(*slot),
            Some(slot) => {
                *slot = self.intern(Cow::Borrowed(text));
                Some(*slot)
            }
            None => Some(self.intern(Cow::Borrowed(text))),
        }
    }

    fn into_array(self) -> Arc<StringArray> {
        // Sized up front: growing the value buffer by doubling copies it and faults in
        // twice its size.
        let bytes = self.values.iter().map(|v| v.len()).sum();
        let mut b = StringBuilder::with_capacity(self.values.len(), bytes);
        for v in &self.values {
            b.append_value(v);
        }
        Arc::new(b.finish())
    }
}

/// `filepath.Base` for the `[binary]` name of unsymbolized frames.
pub fn path_base(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The name pprof gives a frame with no function name (a location without symbols, or a
/// function whose name is empty): `[binary base name]`, or `<unknown>` without a mapping
/// file. Named functions are simply their name.
pub(crate) fn unnamed_frame_name(profile: &Profile, location: usize) -> String {
    let loc = &profile.locations[location];
    let file = profile.mapping_file(loc).unwrap_or("");
    if file.is_empty() {
        "<unknown>".to_string()
    } else {
        format!("[{}]", path_base(file))
    }
}

pub fn build(profile: &Profile) -> Symbols {
    // About one name per function: sized for that, the name table never rehashes. Files
    // are few.
    let mut names = Interner::with_capacity(profile.functions.len());
    let mut files = Interner::default();
    // Names and files are interned once per function, not once per line: far fewer
    // functions than lines, and no string is built for a named function.
    let n_strings = profile.strings.len();
    let (mut name_memo, mut file_memo) = (vec![u32::MAX; n_strings], vec![u32::MAX; n_strings]);
    let func_syms: Vec<(Option<u32>, Option<u32>)> = profile
        .functions
        .iter()
        .map(|f| {
            (
                names.intern_index(profile, &mut name_memo, f.name),
                files.intern_index(profile, &mut file_memo, f.filename),
            )
        })
        .collect();
    let mut frames = Vec::with_capacity(profile.locations.len() * 2);
    let mut offsets = Vec::with_capacity(profile.locations.len() + 1);
    offsets.push(0u32);
    for (li, loc) in profile.locations.iter().enumerate() {
        let lines = profile.lines_of(loc);
        if lines.is_empty() {
            frames.push(FrameSym {
                line_index: 0,
                function_id: 0,
                name: names.intern(Cow::Owned(unnamed_frame_name(profile, li))),
                file: None,
                line: 0,
                column: 0,
                is_inline: false,
            });
        }
        let n = lines.len();
        for (k, line) in lines.iter().enumerate() {
            // Validation guarantees the function exists.
            let (name, file) = profile
                .function_index
                .get(line.function_id)
                .and_then(|f| func_syms.get(f as usize).copied())
                .unwrap_or((None, None));
            let name = match name {
                Some(id) => id,
                None => names.intern(Cow::Owned(unnamed_frame_name(profile, li))),
            };
            frames.push(FrameSym {
                line_index: k as u32,
                function_id: line.function_id,
                name,
                file,
                line: line.line,
                column: line.column,
                is_inline: k + 1 < n,
            });
        }
        offsets.push(frames.len() as u32);
    }
    Symbols {
        loc_frame_offsets: offsets,
        frames,
        names: names.into_array(),
        files: files.into_array(),
    }
}

#[cfg(test)]
mod tests {
    use super::path_base;

    #[test]
    fn base_names_like_go() {
        assert_eq!(path_base("/usr/lib/libc.so.6"), "libc.so.6");
        assert_eq!(path_base("bin/"), "bin");
        assert_eq!(path_base("/"), "/");
        assert_eq!(path_base("x"), "x");
    }
}
