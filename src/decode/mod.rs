//! pprof decoding: container sniffing, protobuf parsing, validation.

mod compress;
mod legacy;
pub mod model;
mod parse;
pub mod proto;
mod stream;
mod wire;

use std::path::Path;

pub use compress::{
    decompress, max_decompressed_from_env, Container, DEFAULT_MAX_DECOMPRESSED,
    MAX_DECOMPRESSED_ENV,
};
pub use model::{IdIndex, LabelRec, NumLabel, Profile, SampleStore, ValueType};

/// Why a file was refused. Each message states the rule broken.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum Reason {
    #[error("cannot read file: {0}")]
    Io(String),
    #[error("is a directory, not a profile file")]
    IsDirectory,
    #[error("empty input file")]
    Empty,
    #[error("{format} data is corrupt or truncated: {message}")]
    Decompress {
        format: &'static str,
        message: String,
    },
    #[error(
        "decompressed size exceeds the cap of {cap} bytes (set PROFSQL_MAX_DECOMPRESSED to raise it)"
    )]
    TooLarge { cap: u64 },
    #[error("not a valid profile.proto message: {0}")]
    Malformed(String),
    #[error("invalid profile: {0}")]
    Invalid(String),
    #[error("concatenated profiles detected (a second time_nanos field); merge them instead")]
    Concatenated,
    #[error("{0}")]
    Config(String),
    #[error("this is a {0}, which profsql does not read; convert it with `go tool pprof -proto FILE > FILE.pb.gz`")]
    Legacy(String),
}

/// A decoding failure, naming the file.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{path}: {reason}")]
pub struct DecodeError {
    pub path: String,
    pub reason: Reason,
}

/// Options for decoding.
#[derive(Clone, Copy, Debug)]
pub struct DecodeOptions {
    /// Largest decompressed size accepted, in bytes.
    pub max_decompressed: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
        }
    }
}

impl DecodeOptions {
    /// Defaults with the cap read from `PROFSQL_MAX_DECOMPRESSED`.
    pub fn from_env() -> Result<Self, Reason> {
        Ok(Self {
            max_decompressed: max_decompressed_from_env().map_err(Reason::Config)?,
        })
    }
}

/// Decodes a profile from bytes; `name` is used in errors.
pub fn decode_bytes(name: &str, data: &[u8], opts: &DecodeOptions) -> Result<Profile, DecodeError> {
    let err = |reason| DecodeError {
        path: name.to_string(),
        reason,
    };
    if data.is_empty() {
        return Err(err(Reason::Empty));
    }
    if let Some((profile, ())) = stream::parse_gzip(data, opts.max_decompressed, |_, _| ()) {
        return Ok(profile);
    }
    let raw = compress::decompress(data, opts.max_decompressed).map_err(err)?;
    parse_named(&raw).map_err(err)
}

/// A profile from a message this program built (a merge's result), checked like a decoded
/// one; `name` is used in errors.
pub fn from_message(name: &str, msg: proto::ProfileMessage) -> Result<Profile, DecodeError> {
    parse::from_message(msg).map_err(|reason| DecodeError {
        path: name.to_string(),
        reason,
    })
}

/// Frees `v` on another thread: a merged profile's tables hold a small allocation per
/// key or sample, and freeing a large profile's worth one by one takes longer than the
/// caller should wait. A process that exits first leaves it to the OS.
pub fn drop_elsewhere<T: Send + 'static>(v: T) {
    // When no thread can be started, `spawn` drops `v` here, which is just slower.
    let _ = std::thread::Builder::new()
        .name("profsql-drop".into())
        .spawn(move || drop(v));
}

/// Reads and decodes a profile file.
pub fn decode_file(path: &Path, opts: &DecodeOptions) -> Result<Profile, DecodeError> {
    decode_file_with(path, opts, |_, _| ()).map(|(profile, ())| profile)
}

/// `decode_file`, also running `with_symbols` on the profile without its samples (and the
/// sample count), for work that needs only the symbols: a gzip profile's samples are still
/// being finished while it runs, so that work costs little wall time. Other files run it
/// once decoded. It may run twice, when the streamed parse gives up late.
pub fn decode_file_with<T: Send>(
    path: &Path,
    opts: &DecodeOptions,
    with_symbols: impl Fn(&Profile, usize) -> T + Sync,
) -> Result<(Profile, T), DecodeError> {
    let name = path.display().to_string();
    let err = |reason| DecodeError {
        path: name.clone(),
        reason,
    };
    if path.is_dir() {
        return Err(err(Reason::IsDirectory));
    }
    let data = std::fs::read(path).map_err(|e| err(Reason::Io(e.to_string())))?;
    if data.is_empty() {
        return Err(err(Reason::Empty));
    }
    // Gzip, the usual container, is parsed as it inflates. What that refuses goes the
    // whole-buffer way below, which decodes it alike or says what is wrong.
    if let Some(done) = stream::parse_gzip(&data, opts.max_decompressed, &with_symbols) {
        return Ok(done);
    }
    let inflated = match compress::decompress(&data, opts.max_decompressed).map_err(err)? {
        std::borrow::Cow::Owned(v) => Some(v),
        std::borrow::Cow::Borrowed(_) => None,
    };
    let mut profile = match inflated {
        Some(raw) => {
            // The compressed bytes are not needed once inflated; free them before parsing,
            // which is when memory peaks.
            drop(data);
            parse_named(&raw).map_err(err)?
        }
        None => parse_named(&data).map_err(err)?,
    };
    // The same view the streamed parse gives: symbols only.
    let samples = std::mem::take(&mut profile.samples);
    let done = with_symbols(&profile, samples.len());
    profile.samples = samples;
    Ok((profile, done))
}

/// Parses profile.proto; when that fails on a legacy format, says which one it is.
fn parse_named(raw: &[u8]) -> Result<Profile, Reason> {
    parse::parse(raw).map_err(|e| match legacy::sniff(raw) {
        Some(format) => Reason::Legacy(format),
        None => e,
    })
}
