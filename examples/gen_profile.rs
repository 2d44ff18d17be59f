//! Synthetic pprof profiles for scale tests and benchmarks.
//!
//! `cargo run --release --example gen_profile -- --samples N --depth D --functions F --seed S --out FILE`
//!
//! The program is a made-up service: F functions in a few packages, each calling a few
//! others with skewed odds (so some paths are hot), recursion, inlined helpers (locations
//! with two lines), a shared-library mapping with unsymbolized frames, `worker` and
//! `endpoint` labels, and either CPU (samples, cpu) or heap (4 types plus a `bytes` label)
//! sample types. The same arguments always give the same bytes.
//!
//! `--boost-function N --boost-factor K` multiplies the values of every sample whose stack
//! passes through function N (the number at the end of its name, e.g. `planner.handle41`)
//! by K, and draws no extra random numbers: with and without it the two profiles have the
//! same program, stacks and labels, so they make a before/after pair for diff reports.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use profsql::decode::proto::{
    Function, Label, Line, Location, Mapping, ProfileMessage, Sample, StringTable, ValueType,
};
use prost::Message;

#[derive(Parser, Debug)]
struct Args {
    /// Number of samples.
    #[arg(long, default_value_t = 10_000)]
    samples: usize,
    /// Largest stack depth in locations; depths are spread between D/2 and D.
    #[arg(long, default_value_t = 32)]
    depth: usize,
    /// Number of distinct functions.
    #[arg(long, default_value_t = 500)]
    functions: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// cpu (samples/count, cpu/nanoseconds) or heap (alloc_objects, alloc_space, inuse_objects, inuse_space).
    #[arg(long, default_value = "cpu")]
    kind: String,
    /// Output file (gzip-compressed profile.proto).
    #[arg(long)]
    out: PathBuf,
    /// Function number whose samples get their values multiplied by --boost-factor.
    #[arg(long)]
    boost_function: Option<usize>,
    /// Multiplier for the samples through --boost-function.
    #[arg(long, default_value_t = 1)]
    boost_factor: i64,
}

/// splitmix64: tiny, fast, and stable across crate versions (unlike a library RNG whose
/// stream may change), so a seed always gives the same profile.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Index in 0..n skewed towards 0 (roughly Zipf-like): hot callees stay hot.
    fn skewed(&mut self, n: usize) -> usize {
        let a = self.below(n);
        let b = self.below(n);
        a.min(b)
    }
}

const PACKAGES: [&str; 8] = [
    "scheduler",
    "planner",
    "executor",
    "storage",
    "codec",
    "index",
    "rpc",
    "cache",
];

struct Program {
    /// For each function: the locations (call sites) inside it, as location ids.
    sites: Vec<Vec<u64>>,
    /// For each function: the functions it calls.
    callees: Vec<Vec<usize>>,
    /// Unsymbolized shared-library locations.
    lib_locations: Vec<u64>,
    locations: Vec<Location>,
    functions: Vec<Function>,
}

fn build_program(rng: &mut Rng, n_functions: usize, strings: &mut StringTable) -> Program {
    let n = n_functions.max(2);
    let mut functions = Vec::with_capacity(n + 8);
    for i in 0..n {
        let pkg = PACKAGES[i % PACKAGES.len()];
        let name = match i % 5 {
            0 => format!("example.com/svc/{pkg}.(*{}Worker).Run{i}", capitalise(pkg)),
            1 => format!("example.com/svc/{pkg}.handle{i}"),
            2 => format!("example.com/svc/{pkg}.process{i}.func1"),
            3 => format!("example.com/svc/{pkg}.Decode[...]{i}"),
            _ => format!("example.com/svc/{pkg}.step{i}"),
        };
        let file = format!("example.com/svc/{pkg}/{pkg}{}.go", i % 7);
        functions.push(Function {
            id: i as u64 + 1,
            name: strings.add(&name),
            system_name: strings.add(&name),
            filename: strings.add(&file),
            start_line: 10 + (i as i64 * 37) % 900,
        });
    }
    // Small helpers that get inlined into callers' call sites.
    let helpers: Vec<u64> = ["min", "hash", "bswap", "ptr"]
        .iter()
        .enumerate()
        .map(|(k, h)| {
            let id = functions.len() as u64 + 1;
            let name = format!("example.com/svc/internal.{h}");
            functions.push(Function {
                id,
                name: strings.add(&name),
                system_name: strings.add(&name),
                filename: strings.add("example.com/svc/internal/util.go"),
                start_line: 5 + k as i64 * 10,
            });
            id
        })
        .collect();

    let mut locations = Vec::new();
    let mut sites = Vec::with_capacity(n);
    let mut address = 0x40_1000u64;
    for (i, f) in functions.iter().take(n).enumerate() {
        let count = 1 + rng.below(3);
        let mut own = Vec::with_capacity(count);
        for k in 0..count {
            let id = locations.len() as u64 + 1;
            let mut line = vec![Line {
                function_id: f.id,
                line: f.start_line + 3 + k as i64 * 4,
                column: 0,
            }];
            if rng.below(6) == 0 {
                // line[0] is the inlined callee, the last line the function it sits in.
                let h = helpers[rng.below(helpers.len())];
                line.insert(
                    0,
                    Line {
                        function_id: h,
                        line: 7 + (i as i64 % 20),
                        column: 0,
                    },
                );
            }
            address += 0x10 + rng.below(0x40) as u64;
            locations.push(Location {
                id,
                mapping_id: 1,
                address,
                line,
                is_folded: false,
            });
            own.push(id);
        }
        sites.push(own);
    }
    let mut lib_locations = Vec::new();
    for _ in 0..4 {
        let id = locations.len() as u64 + 1;
        locations.push(Location {
            id,
            mapping_id: 2,
            address: 0x7f00_0000_1000 + id * 0x100,
            line: vec![],
            is_folded: false,
        });
        lib_locations.push(id);
    }
    // Calls mostly go "down" the function list, so stacks look like layers, with a chance
    // of calling itself (recursion) or an earlier function (mutual recursion).
    let callees = (0..n)
        .map(|i| {
            let fan = 2 + rng.below(3);
            (0..fan)
                .map(|k| match rng.below(10) {
                    0 => i,
                    1 => rng.below(i + 1),
                    _ => (i + 1 + k + rng.below(n / 8 + 1)) % n,
                })
                .collect()
        })
        .collect();
    Program {
        sites,
        callees,
        lib_locations,
        locations,
        functions,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.depth >= 1, "--depth must be at least 1");
    let heap = match args.kind.as_str() {
        "cpu" => false,
        "heap" => true,
        k => anyhow::bail!("--kind must be cpu or heap, not {k:?}"),
    };
    let mut rng = Rng(args.seed);
    let mut strings = StringTable::default();
    let program = build_program(&mut rng, args.functions, &mut strings);
    if let Some(b) = args.boost_function {
        anyhow::ensure!(
            b < program.sites.len(),
            "--boost-function must be below the number of functions ({})",
            program.sites.len()
        );
    }
    anyhow::ensure!(args.boost_factor >= 1, "--boost-factor must be at least 1");

    let type_names: &[(&str, &str)] = if heap {
        &[
            ("alloc_objects", "count"),
            ("alloc_space", "bytes"),
            ("inuse_objects", "count"),
            ("inuse_space", "bytes"),
        ]
    } else {
        &[("samples", "count"), ("cpu", "nanoseconds")]
    };
    let sample_type: Vec<ValueType> = type_names
        .iter()
        .map(|(t, u)| ValueType {
            r#type: strings.add(t),
            unit: strings.add(u),
        })
        .collect();
    let worker_key = strings.add("worker");
    let workers: Vec<i64> = (0..4).map(|w| strings.add(&format!("w{w}"))).collect();
    let endpoint_key = strings.add("endpoint");
    let endpoints: Vec<i64> = ["/api/query", "/api/ingest", "/healthz"]
        .iter()
        .map(|e| strings.add(e))
        .collect();
    let bytes_key = strings.add("bytes");
    let bytes_unit = strings.add("bytes");

    let n = program.sites.len();
    let roots = (n / 50).max(1);
    let period = 10_000_000i64;
    let mut samples = Vec::with_capacity(args.samples);
    let mut stack: Vec<u64> = Vec::with_capacity(args.depth);
    for _ in 0..args.samples {
        stack.clear();
        let mut boosted = false;
        let target = args.depth / 2 + rng.below(args.depth - args.depth / 2 + 1);
        let mut f = rng.skewed(roots);
        while stack.len() < target.max(1) {
            let sites = &program.sites[f];
            boosted |= args.boost_function == Some(f);
            stack.push(sites[rng.skewed(sites.len())]);
            let callees = &program.callees[f];
            f = callees[rng.skewed(callees.len())];
        }
        if rng.below(20) == 0 {
            stack.push(program.lib_locations[rng.below(program.lib_locations.len())]);
        }
        stack.reverse(); // leaf first
        let mut label = vec![Label {
            key: worker_key,
            str: workers[rng.below(workers.len())],
            num: 0,
            num_unit: 0,
        }];
        if rng.below(3) > 0 {
            label.push(Label {
                key: endpoint_key,
                str: endpoints[rng.skewed(endpoints.len())],
                num: 0,
                num_unit: 0,
            });
        }
        let value = if heap {
            let size = 16i64 << rng.below(10);
            let objects = 1 + rng.below(64) as i64;
            let live = if rng.below(4) == 0 { objects } else { 0 };
            label.push(Label {
                key: bytes_key,
                str: 0,
                num: size,
                num_unit: bytes_unit,
            });
            vec![objects, objects * size, live, live * size]
        } else {
            let count = 1 + rng.skewed(8) as i64;
            vec![count, count * period]
        };
        let value = if boosted {
            value.iter().map(|v| v * args.boost_factor).collect()
        } else {
            value
        };
        samples.push(Sample {
            location_id: stack.clone(),
            value,
            label,
        });
    }

    let main_binary = strings.add("/usr/local/bin/svc");
    let build_id = strings.add("5f0c7a1d2b3e4f60");
    let libc = strings.add("/lib/x86_64-linux-gnu/libc.so.6");
    let (period_type, default_type) = if heap {
        (("space", "bytes"), strings.add("alloc_space"))
    } else {
        (("cpu", "nanoseconds"), 0)
    };
    let period_type = ValueType {
        r#type: strings.add(period_type.0),
        unit: strings.add(period_type.1),
    };
    let comment = match args.boost_function {
        Some(b) => format!(
            "synthetic profile, seed {}, function {b} boosted x{}",
            args.seed, args.boost_factor
        ),
        None => format!("synthetic profile, seed {}", args.seed),
    };
    let comment = strings.add(&comment);
    let profile = ProfileMessage {
        sample_type,
        sample: samples,
        mapping: vec![
            Mapping {
                id: 1,
                memory_start: 0x40_0000,
                memory_limit: 0x80_0000,
                file_offset: 0,
                filename: main_binary,
                build_id,
                has_functions: true,
                has_filenames: true,
                has_line_numbers: true,
                has_inline_frames: true,
            },
            Mapping {
                id: 2,
                memory_start: 0x7f00_0000_0000,
                memory_limit: 0x7f00_0020_0000,
                file_offset: 0,
                filename: libc,
                ..Mapping::default()
            },
        ],
        location: program.locations,
        function: program.functions,
        string_table: strings.into_vec(),
        time_nanos: 1_700_000_000_000_000_000,
        duration_nanos: 60_000_000_000,
        period_type: Some(period_type),
        period: if heap { 512 * 1024 } else { period },
        comment: vec![comment],
        default_sample_type: default_type,
        ..ProfileMessage::default()
    };
    let raw = profile.encode_to_vec();
    profsql::report::write_atomically(&args.out, |file| {
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        gz.write_all(&raw)?;
        gz.finish()?;
        Ok(())
    })?;
    eprintln!(
        "wrote {}: {} samples, {} bytes of protobuf",
        args.out.display(),
        args.samples,
        raw.len()
    );
    Ok(())
}
