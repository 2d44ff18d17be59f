"""pprof's `top` from profsql's Parquet export, with pandas.

    profsql export --out cpu-parquet cpu.pb.gz
    python examples/notebook/top_from_parquet.py cpu-parquet cpu [--tsv]

`frames.parquet` has one row per frame of every sample (leaf first: depth 0), the
sample's values in one column per sample type, and `first_in_stack` marking a
function's first frame in its sample. So, at pprof's default (functions) granularity:

    flat = sum of the values of the frames at depth 0 (the leaf), per function
    cum  = sum of the values of each function's first frame in a sample (a recursive
           function counts once per sample), per function

sorted as pprof sorts `top`: by |flat|, then name, then |cum|. The numbers equal
`go tool pprof -top -nodecount=0 -nodefraction=0`'s; `--tsv` prints name, flat, cum as
plain integers, the form of the reference files in tests/fixtures.
"""

import argparse

import pandas as pd


def top(export_dir: str, sample_type: str, profile_id: int = 0) -> pd.DataFrame:
    columns = ["profile_id", "depth", "function_name", "first_in_stack", sample_type]
    frames = pd.read_parquet(f"{export_dir}/frames.parquet", columns=columns)
    frames = frames[frames.profile_id == profile_id]
    frames["function_name"] = frames["function_name"].astype(str)
    value = frames[sample_type].fillna(0).astype("int64")
    flat = value[frames.depth == 0].groupby(frames.function_name).sum()
    cum = value[frames.first_in_stack].groupby(frames.function_name).sum()
    t = pd.DataFrame({"flat": flat, "cum": cum}).fillna(0).astype("int64")
    t = t[(t.flat != 0) | (t.cum != 0)]
    t["name"] = t.index
    t["abs_flat"], t["abs_cum"] = t.flat.abs(), t.cum.abs()
    t = t.sort_values(["abs_flat", "name", "abs_cum"], ascending=[False, True, False])
    return t[["name", "flat", "cum"]].reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export_dir", help="folder written by `profsql export --out`")
    ap.add_argument("sample_type", help="a value column of frames, e.g. cpu or alloc_space")
    ap.add_argument("--profile-id", type=int, default=0)
    ap.add_argument("--tsv", action="store_true", help="name<TAB>flat<TAB>cum, every row")
    ap.add_argument("-n", type=int, default=10, help="rows to show (without --tsv)")
    a = ap.parse_args()
    t = top(a.export_dir, a.sample_type, a.profile_id)
    if a.tsv:
        for row in t.itertuples():
            print(f"{row.name}\t{row.flat}\t{row.cum}")
        return
    samples = pd.read_parquet(f"{a.export_dir}/samples.parquet")
    total = int(samples[samples.profile_id == a.profile_id][a.sample_type].fillna(0).sum())
    t["flat%"] = (100 * t.flat / total).round(2)
    t["sum%"] = t["flat%"].cumsum().round(2)
    t["cum%"] = (100 * t.cum / total).round(2)
    print(f"total {a.sample_type}: {total}")
    print(t.head(a.n).to_string(index=False))


if __name__ == "__main__":
    main()
