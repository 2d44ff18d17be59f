"""End-to-end checks of pprof-mcp-server with the official MCP Python SDK.

Run by tests/mcp_client.rs: python client_test.py SERVER_BINARY FIXTURES_DIR.
Every check compares with go tool pprof's reference outputs in the fixtures folder.
"""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

SERVER, FIXTURES = sys.argv[1], sys.argv[2]
HANDLE = re.compile(r"^handle:[0-9a-f]{16}$")
failures = []
OUTPUT_SCHEMAS = {}


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def fixture(name):
    return os.path.join(FIXTURES, name)


def reference(name):
    """A go tool pprof reference, without the Time: line (Go 1.19 prints an older form)."""
    with open(fixture(name)) as f:
        return [l for l in f.read().splitlines() if not l.startswith("Time:")]


def without_time(text):
    return [l for l in text.splitlines() if not l.startswith("Time:")]


def payload(result):
    check(not result.is_error, f"unexpected error: {result.content[0].text if result.content else ''}")
    text = result.content[0].text
    summary, _, body = text.partition("\n\n")
    check("\n" not in summary, f"summary is one line: {summary!r}")
    check(json.loads(body) == result.structured_content, "text JSON equals structuredContent")
    return result.structured_content


def matches_output_schema(tool, structured):
    schema = OUTPUT_SCHEMAS.get(tool)
    check(schema is not None, f"{tool} declares an output schema")
    if schema is not None:
        try:
            jsonschema.validate(structured, schema)
        except jsonschema.ValidationError as e:
            check(False, f"{tool} payload matches its output schema: {e.message}")


def error_code(result):
    check(result.is_error, f"expected an error, got {result.content[0].text[:200]}")
    if result.structured_content:
        return result.structured_content.get("error", {}).get("code")
    # Tools with an output schema carry the error object only in the text.
    body = result.content[0].text.rsplit("\n\n", 1)[-1]
    return json.loads(body).get("error", {}).get("code")


async def tools_are_listed_well(s, codex=False):
    tools = (await s.list_tools()).tools
    names = [t.name for t in tools]
    check(names == sorted(names), f"tools sorted by name: {names}")
    for want in ["pprof.top", "pprof.peek", "pprof.list", "pprof.traces_head", "pprof.tags",
                 "pprof.meta", "pprof.merge", "pprof.diff_top", "pprof.focus_paths",
                 "profiles.load", "sql.query"]:
        exposed = want.replace(".", "_") if codex else want
        check(exposed in names, f"{exposed} listed")
    for t in tools:
        jsonschema.Draft202012Validator.check_schema(t.input_schema)
        if t.output_schema is not None:
            jsonschema.Draft202012Validator.check_schema(t.output_schema)
            OUTPUT_SCHEMAS[t.name] = t.output_schema
        check(t.input_schema.get("additionalProperties") is False, f"{t.name} refuses unknown keys")
        if codex:
            check(re.fullmatch(r"[a-zA-Z0-9_-]+", t.name) is not None, f"codex name {t.name}")
            check(t.description.startswith(f"Codex tool name: {t.name}"), f"codex description {t.name}")
    return names


async def numbers_match_pprof(s, call):
    loaded = payload(await call("profiles.load", {"profiles": [fixture("cpu.pb.gz"), fixture("heap.pb.gz")]}))
    matches_output_schema("profiles.load", loaded)
    handles = [p["handle"] for p in loaded["profiles"]]
    check(all(HANDLE.match(h) for h in handles), f"handles look like handle:<16 hex>: {handles}")
    cpu, heap = handles

    top = payload(await call("pprof.top", {"profile": cpu}))
    check(without_time(top["raw"]) == reference("cpu.pb.gz.top.txt"), "pprof.top text equals go tool pprof -top")
    top10 = payload(await call("pprof.top", {"profile": cpu, "nodecount": 10, "cum": True}))
    check(len(top10["result"]["rows"]) == 10, "nodecount 10 gives 10 rows")
    heap_top = payload(await call("pprof.top", {"profile": heap, "sample_index": "inuse_space"}))
    check(without_time(heap_top["raw"]) == reference("heap.pb.gz.top.inuse_space.txt"),
          "pprof.top sample_index=inuse_space equals pprof")
    peek = payload(await call("pprof.peek", {"profile": cpu, "regex": r"^main\.sortWork$"}))
    check(without_time(peek["raw"]) == reference("cpu.pb.gz.peek.txt"), "pprof.peek text equals go tool pprof -peek")

    # sql.query: flat per function from the frames table equals pprof's exact flat values.
    cpu_id = loaded["profiles"][0]["profile_id"]
    q = payload(await call("sql.query", {
        "query": f"SELECT function_name, sum(cpu) AS flat FROM frames WHERE profile_id = {cpu_id} "
                 "AND depth = 0 GROUP BY 1 ORDER BY flat DESC, function_name",
        "max_rows": 100000}))
    matches_output_schema("sql.query", q)
    got = {r["function_name"]: int(r["flat"]) for r in q["rows"]}
    want = {}
    with open(fixture("cpu.pb.gz.exact.cpu.tsv")) as f:
        for line in f:
            name, flat, _cum = line.rstrip("\n").split("\t")
            if int(flat):
                want[name] = int(flat)
    check(got == want, "sql.query flat per function equals pprof's exact values")
    small = payload(await call("sql.query", {"query": "SELECT sample_id FROM samples", "max_rows": 3}))
    check(small["row_count"] == 3 and small["truncated"], "max_rows cuts and says so")

    nomatch = payload(await call("pprof.peek", {"profile": cpu, "regex": "^no\\.such\\.function$"}))
    check(nomatch.get("matched") is False and nomatch.get("reason") == "no_matches", "no match is a result")

    lines = payload(await call("pprof.top", {"profile": cpu, "max_lines": 5, "truncate_strategy": "head_tail"}))
    check(lines["raw_meta"]["truncated"] and lines["raw"].count("\n") == 5, "max_lines truncates raw")
    return cpu, heap


async def pictures(call, cpu):
    with tempfile.TemporaryDirectory() as d:
        svg = os.path.join(d, "cpu.svg")
        fg = payload(await call("pprof.flamegraph", {"profile": cpu, "output_path": svg}))
        with open(svg) as f:
            body = f.read()
        check(body.startswith("<?xml") and "main.runFor" in body, "pprof.flamegraph writes an SVG")
        check(fg["result"]["total"] == 2550000000, "flame graph total is pprof's")
        dot = os.path.join(d, "cpu.dot")
        payload(await call("pprof.callgraph", {"profile": cpu, "output_path": dot}))
        with open(dot) as f:
            got = f.read().replace(' style="dashed"', "")
        with open(fixture("cpu.pb.gz.dot.txt")) as f:
            want = f.read()
        time_line = re.compile(r"\\lTime: [^\\]*\\l")
        check(time_line.sub("", got) == time_line.sub("", want), "pprof.callgraph DOT equals go tool pprof -dot")
        folded = payload(await call("pprof.folded", {"profile": cpu}))
        total = sum(int(l.rsplit(" ", 1)[1]) for l in folded["raw"].splitlines())
        check(total == 2550000000, "folded stacks sum to the total")


async def errors_are_clear(s, call, cpu):
    check(error_code(await call("pprof.top", {"profile": fixture("missing.pb.gz")})) == "NOT_FOUND", "missing file")
    check(error_code(await call("pprof.top", {"profile": cpu, "focus": "("})) == "INVALID_ARGUMENT", "bad regex")
    check(error_code(await call("pprof.top", {"profile": cpu, "bogus": 1})) == "INVALID_ARGUMENT", "unknown argument")
    check(error_code(await call("pprof.top", {})) == "INVALID_ARGUMENT", "missing required argument")
    check(error_code(await call("pprof.top", {"profile": cpu, "nodefraction": 2})) == "INVALID_ARGUMENT", "out of range")
    check(error_code(await call("pprof.top", {"profile": "handle:00000000000000ff"})) == "NOT_FOUND", "unknown handle")
    target = os.path.join(tempfile.gettempdir(), f"profsql-copy-{os.getpid()}")
    for q in [f"COPY (SELECT 1) TO '{target}'",
              f"CREATE EXTERNAL TABLE leak STORED AS CSV LOCATION '{fixture('MANIFEST.tsv')}'",
              f"SELECT * FROM '{fixture('MANIFEST.tsv')}'",
              "SET datafusion.execution.batch_size = 1",
              "CREATE TABLE t AS SELECT 1",
              "INSERT INTO samples SELECT * FROM samples"]:
        check(error_code(await call("sql.query", {"query": q})) == "INVALID_ARGUMENT", f"sql.query refuses {q}")
    check(not os.path.exists(target), "COPY wrote nothing")


async def resources_and_prompt(s):
    res = (await s.list_resources()).resources
    check(len(res) >= 2, f"loaded profiles are resources: {len(res)}")
    if res:
        body = (await s.read_resource(res[0].uri)).contents[0].text
        meta = json.loads(body)
        check(HANDLE.match(meta["handle"]) is not None and "sample_types" in meta["meta"], "resource is meta JSON")
    prompts = (await s.list_prompts()).prompts
    check([p.name for p in prompts] == ["pprof_workflow"], "workflow prompt listed")
    text = (await s.get_prompt("pprof_workflow")).messages[0].content.text
    check("pprof.top" in text and "pprof.peek" in text, "workflow prompt names the tools")


async def sources(call):
    """The Datadog and download tools against the fakes tests/mcp_client.rs started (the
    server got their URLs and keys through the environment)."""
    if "PPROF_MCP_DD_BASE_URL" not in os.environ:
        print("skipping the source checks: no fake Datadog", file=sys.stderr)
        return
    keys = [os.environ["DD_API_KEY"], os.environ["DD_APP_KEY"]]
    listed = payload(await call("datadog.profiles.list", {"service": "api", "env": "prod", "hours": 1}))
    cands = listed["result"]["candidates"]
    check(len(cands) == 3, f"datadog.profiles.list over MCP: {len(cands)} candidates")
    picked = payload(await call("datadog.profiles.pick", {"service": "api", "env": "prod", "strategy": "oldest"}))
    check(picked["result"]["candidate"]["event_id"] == cands[-1]["event_id"], "pick oldest is the last listed")
    with tempfile.TemporaryDirectory() as out:
        got = payload(await call("profiles.download_latest_bundle",
                                 {"service": "api", "env": "prod", "out_dir": out}))
        files = got["result"]["files"]
        check([f["type"] for f in files][0] == "cpu" and all(HANDLE.match(f["handle"]) for f in files),
              "bundle files are handles")
        top = payload(await call("pprof.top", {"profile": files[0]["handle"]}))
        check(without_time(top["raw"])[1:] == reference("cpu.pb.gz.top.txt")[1:],
              "a downloaded profile's top equals pprof's")
        live = payload(await call("profiles.download", {"url": os.environ["PROFSQL_TEST_PPROF_URL"],
                                                        "seconds": 1, "types": ["cpu", "heap"], "out_dir": out}))
        check(live["mode"] == "url" and len(live["result"]["files"]) == 2, "profiles.download from a URL")
    hist = payload(await call("datadog.function_history",
                              {"service": "api", "env": "prod", "function": "^main\\.", "hours": 1}))
    check(hist["result"]["summary"]["total_profiles"] == 3, "function_history covers every profile")
    check("regexp_like" in hist["result"]["sql"], "function_history shows its SQL")
    with tempfile.TemporaryDirectory() as out:
        agg = payload(await call("datadog.profiles.aggregate", {"service": "api", "env": "prod", "window": "1h",
                                                                "out_dir": out}))
        check(agg["result"]["profiles_merged"] == 3 and HANDLE.match(agg["result"]["handle"]), "aggregate merges 3")
        cmp = payload(await call("datadog.profiles.compare_range", {"service": "api", "env": "prod",
                                                                    "before_from": "-1h", "before_to": "-15m",
                                                                    "after_from": "-15m", "out_dir": out}))
        check(cmp["result"]["top_changes"] == [], "the same profile twice: no changes")
    with tempfile.TemporaryDirectory() as out:
        d = payload(await call("pprof.discover", {"service": "api", "env": "prod", "out_dir": out}))
        check(d["result"]["profiles"][0]["type"] == "cpu" and d["result"]["cpu"]["top"],
              "pprof.discover downloads the latest bundle and analyses it")
    near = payload(await call("datadog.profiles.near_event", {"service": "api", "env": "prod",
                                                              "event_time": "-5m", "window": "30m"}))
    check(near["result"]["closest_before"] is not None and near["result"]["closest_after"] is not None,
          "near_event finds both sides")
    disc = payload(await call("datadog.metrics.discover", {"service": "api"}))
    check(any(m["name"] == "go.goroutines" for m in disc["result"]["metrics"]), "metrics.discover")
    at = payload(await call("datadog.metrics_at_timestamp", {"service": "api", "metrics": ["go.goroutines"]}))
    check(at["result"]["summary"].get("go_goroutines") == 140.0, "metrics_at_timestamp")
    svc = payload(await call("datadog.services.search", {"query": "ap"}))
    check(svc["result"]["services"][0]["service"] == "api", "services.search")
    if "FAKE_KUBECTL_DIR" in os.environ:
        with tempfile.TemporaryDirectory() as out:
            pod = payload(await call("d2.profiles.download", {"service": "api", "namespace": "staging",
                                                              "seconds": 1, "types": ["heap"], "out_dir": out}))
            check(pod["result"]["pod_name"] == "api-7d9f-x2" and len(pod["result"]["files"]) == 1,
                  "d2.profiles.download through the fake kubectl")
    else:
        check(False, "the fake kubectl is set up")
    bad = await call("datadog.profiles.list", {"service": "api", "env": "prod", "from": "-1h", "limit": 0})
    check(bad.is_error and error_code(bad) == "INVALID_ARGUMENT", "limit 0 is refused by the schema")
    for r in [listed, picked, got, hist]:
        check(not any(k in json.dumps(r) for k in keys), "no key in any payload")


async def analyses(call):
    """Every analysis tool over MCP on the generated fixtures, each checked against a number
    from a pprof reference or the fixture program's design (tests/analysis.rs pins the rest)."""
    repo = os.path.join(os.path.dirname(FIXTURES), "..", "scripts", "fixtures-src", "worker")
    repo = os.path.abspath(repo)
    cpu, heap, gor, mtx = (fixture(n) for n in
                           ("worker.cpu.pb.gz", "churn.heap.pb.gz", "worker.goroutine.pb.gz", "mutex.pb.gz"))
    with open(fixture("worker.cpu.pb.gz.exact.cpu.tsv")) as f:
        exact = {l.split("\t")[0]: [int(x) for x in l.split("\t")[1:3]] for l in f if l.strip()}
    with open(fixture("worker.cpu.pb.gz.total.cpu")) as f:
        total = int(f.read())
    pct = lambda v: round(v * 100.0 / total, 2)
    hot = max(exact, key=lambda k: (exact[k][0], exact[k][1]))
    r = payload(await call("pprof.storylines", {"profile": cpu, "repo_root": repo}))["result"]
    check(r["storylines"][0]["leaf_hotspot"] == hot, "storylines starts at the heaviest flat function")
    r = payload(await call("pprof.trace_source", {"profile": cpu, "function": "protojson\\.Unmarshal$",
                                                   "repo_root": repo}))["result"]
    check(any(f["matched"] for f in r["frames"]), "trace_source marks the matched frame")
    r = payload(await call("pprof.alloc_paths", {"profile": heap}))["result"]
    with open(fixture("churn.heap.pb.gz.total.alloc_space")) as f:
        check(r["total_alloc"] == int(f.read()), "alloc_paths total is pprof's alloc_space total")
    r = payload(await call("pprof.memory_sanity", {"heap_profile": heap, "goroutine_profile": gor}))["result"]
    check(r["goroutine_count"] == 630, "memory_sanity counts the worker's 630 goroutines")
    r = payload(await call("pprof.overhead_report", {"profile": cpu}))["result"]
    pb = next(d for d in r["detections"] if d["category"] == "Protobuf Serialization")
    check(pb["value"] == exact["google.golang.org/protobuf/encoding/protojson.Unmarshal"][1],
          "overhead_report protobuf share is protojson.Unmarshal's cum")
    r = payload(await call("pprof.explain_overhead", {"category": "Runtime/GC", "detail_level": "brief"}))["result"]
    check(r["category"] == "Runtime/GC" and r["explanation"], "explain_overhead explains")
    r = payload(await call("pprof.detect_repo", {"profile": cpu, "search_roots": [repo]}))["result"]
    check(r["app_module"] == "example.com/worker", "detect_repo finds the worker module")
    r = payload(await call("pprof.vendor_analyze", {"profile": cpu, "repo_root": repo}))["result"]
    check(any(v["package"] == "google.golang.org/protobuf" and v["version"] == "v1.31.0"
              for v in r["vendor_hotspots"]), "vendor_analyze names protobuf v1.31.0")
    r = payload(await call("repo.services.discover", {"repo_root": repo}))
    check(r["services"][0]["service"] == "order-worker", "repo.services.discover reads DD_SERVICE")
    r = payload(await call("pprof.goroutine_analysis", {"profile": gor}))["result"]
    check(r["potential_leaks"][0]["count"] == 600, "goroutine_analysis finds the 600-goroutine leak")
    r = payload(await call("pprof.goroutine_categorize", {"profile": gor, "presets": ["temporal"]}))["result"]
    cats = {c["name"]: c["count"] for c in r["categories"]}
    check(cats.get("temporal_workflow_cached") == 7, f"goroutine_categorize: {cats}")
    r = payload(await call("pprof.temporal_analysis", {"profile": gor}))["result"]
    check(r["inferred_settings"]["active_activities"] == 5, "temporal_analysis counts 5 activities")
    r = payload(await call("pprof.contention_analysis", {"profile": mtx}))["result"]
    check(r["patterns"][0]["type"] == "hot_lock", "contention_analysis finds the hot lock")
    bundle = [cpu, heap, mtx, gor]
    r = payload(await call("pprof.cross_correlate", {"bundle": bundle}))["result"]
    check(any(c["function"].endswith("EncodeAll") for c in r["correlations"]), "cross_correlate links EncodeAll")
    r = payload(await call("pprof.hotspot_summary", {"bundle": bundle}))["result"]
    check(r["cpu_top"][0]["flat"] == exact[hot][0], "hotspot_summary's first CPU row is pprof's")
    res = await call("pprof.regression_check", {"profile": cpu, "checks": [
        {"function": "computeTotals", "metric": "flat_pct", "max": 1}]})
    r = payload(res)
    check(r["passed"] is False and r["result"]["checks"][0]["actual"] == pct(exact[hot][0]),
          "regression_check fails with pprof's share")
    r = payload(await call("pprof.suggest_fix", {"profile": cpu}))["result"]
    check(any(s["id"] == "protojson_to_binary" for s in r["suggestions"]), "suggest_fix names protojson")
    d = payload(await call("pprof.discover", {"bundle": bundle}))
    check(d["result"]["goroutine"]["total_goroutines"] == 630, "discover analyses the bundle")
    r = payload(await call("pprof.generate_report", {"inputs": [{"kind": "discover", "data": d}]}))["result"]
    check(r["markdown"].startswith("# Profiling Report"), "generate_report writes Markdown")


async def over_stdio(env_extra=None, codex=False):
    env = dict(os.environ, **(env_extra or {}))
    params = StdioServerParameters(command=SERVER, args=[], env=env)
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            names = await tools_are_listed_well(s, codex)
            name = (lambda n: n.replace(".", "_")) if codex else (lambda n: n)

            async def call(tool, args):
                return await s.call_tool(name(tool), args)

            if codex:
                top = payload(await call("pprof.top", {"profile": fixture("cpu.pb.gz")}))
                check(without_time(top["raw"]) == reference("cpu.pb.gz.top.txt"), "codex pprof_top works")
                return
            cpu, _ = await numbers_match_pprof(s, call)
            await pictures(call, cpu)
            await errors_are_clear(s, call, cpu)
            await resources_and_prompt(s)
            await sources(call)
            await analyses(call)
            return names


async def confined_to_basedir():
    with tempfile.TemporaryDirectory() as d:
        base = os.path.join(d, "base")
        os.mkdir(base)
        shutil.copy(fixture("cpu.pb.gz"), os.path.join(base, "cpu.pb.gz"))
        shutil.copy(fixture("heap.pb.gz"), os.path.join(d, "outside.pb.gz"))
        os.symlink(os.path.join(d, "outside.pb.gz"), os.path.join(base, "link.pb.gz"))
        params = StdioServerParameters(command=SERVER, args=[], env=dict(os.environ, PPROF_MCP_BASEDIR=base))
        async with stdio_client(params) as (r, w):
            async with ClientSession(r, w) as s:
                await s.initialize()
                ok = payload(await s.call_tool("pprof.top", {"profile": "cpu.pb.gz"}))
                check(without_time(ok["raw"]) == reference("cpu.pb.gz.top.txt"), "relative path inside BASEDIR")
                for bad in ["../outside.pb.gz", os.path.join(d, "outside.pb.gz"), "link.pb.gz"]:
                    res = await s.call_tool("pprof.top", {"profile": bad})
                    check(error_code(res) == "INVALID_ARGUMENT" and "outside base dir" in res.content[0].text,
                          f"BASEDIR refuses {bad}")
                res = await s.call_tool("pprof.merge", {"profiles": ["cpu.pb.gz", "cpu.pb.gz"],
                                                        "output_path": "../merged.pb.gz"})
                check(error_code(res) == "INVALID_ARGUMENT", "BASEDIR refuses an output outside")
                check(not os.path.exists(os.path.join(d, "merged.pb.gz")), "nothing written outside")
                merged = payload(await s.call_tool("pprof.merge", {"profiles": ["cpu.pb.gz", "cpu.pb.gz"],
                                                                   "output_path": "out/merged.pb.gz"}))
                check(os.path.exists(os.path.join(base, "out", "merged.pb.gz")), "merge writes inside BASEDIR")
                meta = payload(await s.call_tool("pprof.meta", {"profile": merged["handle"]}))
                one = payload(await s.call_tool("pprof.meta", {"profile": "cpu.pb.gz"}))
                check([t["total"] for t in meta["result"]["totals"]] ==
                      [2 * t["total"] for t in one["result"]["totals"]], "merged totals are twice")


def start_http(env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    proc = subprocess.Popen([SERVER, "--http", "127.0.0.1:0"], env=env, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    line = proc.stderr.readline()
    m = re.search(r"http://(\S+)/mcp", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"server did not say where it listens: {line!r}")
    return proc, f"http://{m.group(1)}/mcp"


def rss_kb(pid, field="VmHWM"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def http_session(url, token=None):
    import httpx2 as httpx  # the SDK's HTTP client
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(headers=headers, timeout=60)


async def over_http():
    proc, url = start_http({"PPROF_MCP_HTTP_TOKEN": "s3cret"})
    try:
        req = urllib.request.Request(url, data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10)
            check(False, "a request without the token is refused")
        except urllib.error.HTTPError as e:
            check(e.code == 401, f"no token gives 401, got {e.code}")
        client = await http_session(url, "s3cret")
        async with client:
            async with streamable_http_client(url, http_client=client) as streams:
                r, w = streams[0], streams[1]
                async with ClientSession(r, w) as s:
                    await s.initialize()
                    await tools_are_listed_well(s)
                    top = payload(await s.call_tool("pprof.top", {"profile": fixture("cpu.pb.gz")}))
                    check(without_time(top["raw"]) == reference("cpu.pb.gz.top.txt"), "pprof.top over HTTP")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def concurrent_clients():
    """8 clients x 50 calls on two profiles over HTTP: every answer right, memory bounded."""
    proc, url = start_http()
    try:
        expected = {
            "cpu": reference("cpu.pb.gz.top.txt"),
            "heap": reference("heap.pb.gz.top.txt"),
        }

        async def client(i):
            http = await http_session(url)
            async with http:
                async with streamable_http_client(url, http_client=http) as streams:
                    async with ClientSession(streams[0], streams[1]) as s:
                        await s.initialize()
                        wrong = 0
                        for j in range(50):
                            kind = "cpu" if (i + j) % 2 == 0 else "heap"
                            res = await s.call_tool("pprof.top", {"profile": fixture(f"{kind}.pb.gz")})
                            if res.is_error or without_time(res.structured_content["raw"]) != expected[kind]:
                                wrong += 1
                        return wrong

        wrong = await asyncio.gather(*(client(i) for i in range(8)))
        check(sum(wrong) == 0, f"every concurrent answer is right (wrong: {wrong})")
        peak_mb = rss_kb(proc.pid) / 1024
        print(f"concurrency: 400 calls, server peak RSS {peak_mb:.0f} MB", file=sys.stderr)
        check(peak_mb < 400, f"server peak RSS stays bounded: {peak_mb:.0f} MB")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def main():
    await over_stdio()
    await over_stdio({"PPROF_MCP_TOOL_NAME_MODE": "codex"}, codex=True)
    await confined_to_basedir()
    await over_http()
    await concurrent_clients()


asyncio.run(main())
if failures:
    print(f"{len(failures)} checks failed", file=sys.stderr)
    sys.exit(1)
print("all MCP checks passed", file=sys.stderr)
