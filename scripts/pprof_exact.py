#!/usr/bin/env python3
"""Parse `go tool pprof` text output into exact reference files.

Used by scripts/gen-fixtures.sh. Subcommands:

  sample-types RAW_TXT
      Read the output of `go tool pprof -raw P` and print the profile's
      sample types, one `type/unit` per line in profile order, followed by
      `default=<type>`. The default is the type marked `[dflt]` by pprof;
      when none is marked (runtime/pprof only marks one for the "allocs"
      profile), it is the last type, which is what pprof itself uses.

  unit-flag UNIT
      Print the value to pass to pprof's -unit for a sample unit:
      `ns` for nanoseconds, `B` for bytes, nothing for anything else
      (counts). Printed without a newline.

  exact TOP_TXT TSV_OUT TOTAL_OUT
      Read the output of
        go tool pprof -top -nodecount=0 -nodefraction=0 -edgefraction=0 \
            -sample_index=T [-unit=U] P
      and write TSV_OUT with one line `name<TAB>flat<TAB>cum` per function
      row, in pprof's order (no header), and TOTAL_OUT with the report
      total (Z of `Showing nodes accounting for X, Y% of Z total`). Values
      are plain integers: the unit suffix (`ns`, `B`) is removed and a
      trailing ` (inline)` / ` (partial-inline)` is removed from names.
      Exits with status 1 if any value is not an integer or the output does
      not have the expected shape.

  source-file RAW_TXT REGEX
      Print the source file recorded for the first line (in the Locations
      section of `go tool pprof -raw P`) whose function name matches REGEX
      (Python syntax; the regexes used here mean the same in Go's RE2).
      Prints nothing when no function matches.

  check-manifest MANIFEST_TSV DIR
      Check a MANIFEST.tsv: the corpus's header, 8 tab-separated columns on
      every row, every reference file present in DIR, no reference listed
      twice. Prints the empty reference files (pprof printed nothing), one
      a line, and exits with status 1 on any other problem.
"""

import os

import re
import sys

SHOWING_RE = re.compile(
    r"^Showing nodes accounting for (\S+), (\S+)% of (\S+) total$")
HEADER_RE = re.compile(r"^\s*flat\s+flat%\s+sum%\s+cum\s+cum%\s*$")
ROW_RE = re.compile(
    r"^\s*(\S+)\s+(\S+%)\s+(\S+%)\s+(\S+)\s+(\S+%)\s+(\S.*?)\s*$")
VALUE_RE = re.compile(r"^(-?[0-9]+)(ns|B)?$")
INLINE_SUFFIXES = (" (inline)", " (partial-inline)")


class ParseError(Exception):
    pass


def parse_int(text, what):
    m = VALUE_RE.match(text)
    if not m:
        raise ParseError("%s: %r is not an integer (with optional ns/B suffix)"
                         % (what, text))
    return int(m.group(1))


def sample_types(raw_path):
    with open(raw_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        i = lines.index("Samples:")
    except ValueError:
        raise ParseError("%s: no 'Samples:' line" % raw_path)
    if i + 1 >= len(lines):
        raise ParseError("%s: no sample-type line after 'Samples:'" % raw_path)
    types = []
    default = None
    for field in lines[i + 1].split():
        dflt = field.endswith("[dflt]")
        if dflt:
            field = field[: -len("[dflt]")]
        if "/" not in field:
            raise ParseError("%s: bad sample type %r" % (raw_path, field))
        typ, unit = field.split("/", 1)
        types.append((typ, unit))
        if dflt:
            default = typ
    if not types:
        raise ParseError("%s: no sample types" % raw_path)
    if default is None:
        default = types[-1][0]
    out = ["%s/%s" % t for t in types]
    out.append("default=%s" % default)
    return "\n".join(out) + "\n"


def unit_flag(unit):
    if unit in ("nanoseconds", "ns"):
        return "ns"
    if unit in ("bytes", "B"):
        return "B"
    return ""


def exact(top_path):
    with open(top_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    total = None
    header = None
    for n, line in enumerate(lines):
        m = SHOWING_RE.match(line)
        if m and total is None:
            total = parse_int(m.group(3), "%s:%d total" % (top_path, n + 1))
        if HEADER_RE.match(line):
            header = n
            break
    if total is None:
        raise ParseError("%s: no 'Showing nodes accounting for' line"
                         % top_path)
    if header is None:
        raise ParseError("%s: no 'flat flat%% sum%% cum cum%%' header"
                         % top_path)
    rows = []
    for n, line in enumerate(lines[header + 1:], start=header + 2):
        if not line.strip():
            continue
        m = ROW_RE.match(line)
        if not m:
            raise ParseError("%s:%d: unexpected row %r" % (top_path, n, line))
        where = "%s:%d" % (top_path, n)
        flat = parse_int(m.group(1), where + " flat")
        cum = parse_int(m.group(4), where + " cum")
        name = m.group(6)
        for suffix in INLINE_SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        if "\t" in name or "\n" in name:
            raise ParseError("%s: name %r contains a tab" % (where, name))
        rows.append((name, flat, cum))
    tsv = "".join("%s\t%d\t%d\n" % r for r in rows)
    return tsv, "%d\n" % total


MANIFEST_HEADER = ("profile\tkind\tperiod_type\tsample_types\treference_file\t"
                   "command (run in the profile's folder)\tseconds\tnotes")


def source_file(raw_path, regex):
    rx = re.compile(regex)
    with open(raw_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    try:
        start = lines.index("Locations")
    except ValueError:
        raise ParseError("%s: no 'Locations' line" % raw_path)
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break  # the next section (Mappings)
        fields = line.split()
        # `ID: 0xADDR M=N NAME FILE:LINE s=N` or, for the further lines of
        # a location with inlined calls, `NAME FILE:LINE s=N`.
        if len(fields) >= 6 and fields[2].startswith("M="):
            name, where = fields[3], fields[4]
        elif len(fields) == 3 and fields[2].startswith("s="):
            name, where = fields[0], fields[1]
        else:
            continue
        if rx.search(name):
            return where.rsplit(":", 1)[0] + "\n"
    return ""


def check_manifest(path, folder):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != MANIFEST_HEADER:
        raise ParseError("%s: header is not the corpus's" % path)
    seen = set()
    empty = []
    for n, line in enumerate(lines[1:], start=2):
        cols = line.split("\t")
        if len(cols) != 8:
            raise ParseError("%s:%d: %d columns, want 8" % (path, n, len(cols)))
        ref = cols[4]
        if ref in seen:
            raise ParseError("%s:%d: %s listed twice" % (path, n, ref))
        seen.add(ref)
        for c in (0, 4):
            if not os.path.isfile(os.path.join(folder, cols[c])):
                raise ParseError("%s:%d: %s does not exist" % (path, n, cols[c]))
        if not cols[5].startswith("go tool pprof ") or \
                not cols[5].endswith(" " + cols[0]):
            raise ParseError("%s:%d: odd command %r" % (path, n, cols[5]))
        if not re.match(r"^[0-9]+\.[0-9][0-9]$", cols[6]):
            raise ParseError("%s:%d: seconds %r" % (path, n, cols[6]))
        if os.path.getsize(os.path.join(folder, ref)) == 0:
            empty.append(ref)
    return "".join(e + "\n" for e in empty)


def main(argv):
    if len(argv) >= 2 and argv[1] == "sample-types" and len(argv) == 3:
        sys.stdout.write(sample_types(argv[2]))
    elif len(argv) >= 2 and argv[1] == "unit-flag" and len(argv) == 3:
        sys.stdout.write(unit_flag(argv[2]))
    elif len(argv) >= 2 and argv[1] == "exact" and len(argv) == 5:
        tsv, total = exact(argv[2])
        with open(argv[3], "w", encoding="utf-8") as f:
            f.write(tsv)
        with open(argv[4], "w", encoding="utf-8") as f:
            f.write(total)
    elif len(argv) >= 2 and argv[1] == "source-file" and len(argv) == 4:
        sys.stdout.write(source_file(argv[2], argv[3]))
    elif len(argv) >= 2 and argv[1] == "check-manifest" and len(argv) == 4:
        sys.stdout.write(check_manifest(argv[2], argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except ParseError as e:
        sys.stderr.write("pprof_exact.py: %s\n" % e)
        sys.exit(1)
