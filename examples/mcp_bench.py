"""Latency and memory of pprof-mcp-server, measured the way an agent uses it.

    python examples/mcp_bench.py SERVER_BINARY PROFILE [CALLS]

Starts the server on stdio with the official MCP Python SDK, reads its idle RSS before
any profile is loaded, loads PROFILE, then times CALLS (default 200) warm pprof.top
calls from the client side and prints p50/p99 and the server's peak RSS.
"""

import asyncio
import os
import statistics
import sys
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def server_pid(parent):
    """The server is the client's only child process."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[1]) == parent and comm.startswith("pprof-mcp"):
            return int(pid)
    raise RuntimeError("server process not found")


async def main(server, profile, calls):
    params = StdioServerParameters(command=server, args=[], env=dict(os.environ))
    async with stdio_client(params) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            await s.list_tools()
            pid = server_pid(os.getpid())
            idle_mb = status_kb(pid, "VmRSS") / 1024
            t0 = time.perf_counter()
            loaded = await s.call_tool("profiles.load", {"profiles": [profile]})
            load_ms = (time.perf_counter() - t0) * 1000
            handle = loaded.structured_content["profiles"][0]["handle"]
            await s.call_tool("pprof.top", {"profile": handle})  # first call builds node maps
            times = []
            for _ in range(calls):
                t = time.perf_counter()
                res = await s.call_tool("pprof.top", {"profile": handle})
                times.append((time.perf_counter() - t) * 1000)
                assert not res.is_error, res.content[0].text
            # A filter makes each call scan the frames again (filtered results are not
            # remembered): the cost of a new question.
            filtered = []
            for _ in range(max(calls // 4, 1)):
                t = time.perf_counter()
                res = await s.call_tool("pprof.top", {"profile": handle, "focus": "runtime"})
                filtered.append((time.perf_counter() - t) * 1000)
                assert not res.is_error, res.content[0].text
            peak_mb = status_kb(pid, "VmHWM") / 1024
    times.sort()
    filtered.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"idle RSS before any load: {idle_mb:.1f} MB")
    print(f"profiles.load: {load_ms:.0f} ms")
    print(f"warm pprof.top x{calls}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {times[-1]:.1f} ms")
    print(f"pprof.top focus=runtime x{len(filtered)}: p50 {statistics.median(filtered):.1f} ms, "
          f"max {filtered[-1]:.1f} ms")
    print(f"server peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200))
