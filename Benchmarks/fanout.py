#!/usr/bin/env python3
"""WebSocket fan-out benchmark for `senate-live` (run it through Benchmarks/fanout.sh).

Opens SUBSCRIBERS WebSocket subscribers to one channel, measures the server's memory per idle
connection, then publishes RATE events a second for DURATION seconds over HTTP, each carrying its send
time (`t=<unix seconds>` in the notice text). Every subscriber records receive time - send time for every
event and checks that it got every published seq exactly once and in order.

The subscribers are spread over WORKERS processes (one asyncio loop each); the publisher and the
coordinator run in this process. Server and clients share the machine's cores.

Environment (all optional):
  SUBSCRIBERS          subscribers (default 10000)
  RATE                 events a second (default 2)
  DURATION             seconds of publishing (default 30)
  BURST                events published within one second after the steady ones (default 0; 50: a vote's
                       running tally), their latency also reported on its own
  TARGET_P99_MS        p99 target (default 150 up to 10,000 subscribers, else 500)
  TARGET_KB            memory target per idle connection (default 12)
  WORKERS              client processes (default 2)
  CLIENT               swift: `senate-live-bench subscribers` (SwiftNIO, one process per worker, a few µs of CPU
                       per message: the default when BENCH_BIN exists); sansio: websockets' Sans-I/O
                       ClientProtocol under a plain asyncio.Protocol, no task per connection (the cheapest
                       Python client, ~25 µs per message); asyncio: websockets.asyncio.client
  BENCH_BIN            the senate-live-bench binary for CLIENT=swift
  COMPRESSION          deflate: offer permessage-deflate like a browser (default); none: do not offer it
  SOURCE_ADDRS         client source addresses, space separated, or "none"; default 127.0.0.2 … 127.0.0.9
                       when the server is on 127.0.0.1 (one address only has ~28k ephemeral ports)
  CONNECT_CONCURRENCY  handshakes in flight per worker (default 200)
  CONNECT_TIMEOUT      seconds for all subscribers to get their snapshot (default 600)
  SETTLE               seconds to wait after the last snapshot before reading the server's RSS (default 3)
  GRACE                seconds to wait for the last deliveries after the last publish (default 15)
  CHANNEL              channel slug (default senate)

Usage: fanout.py --url http://127.0.0.1:PORT --token JWT --server-pid PID
"""

import argparse
import array
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import sys
import time
import urllib.parse


def env_int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def env_float(name, default):
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


CLK_TCK = os.sysconf("SC_CLK_TCK")


def kernel_socket_kb():
    """The kernel's memory for TCP sockets, KB: slab objects (TCP, sock_inode_cache; /proc/slabinfo needs
    root) and socket buffers (/proc/net/sockstat `mem`, pages). None when not readable."""
    try:
        slab = 0
        with open("/proc/slabinfo") as info:
            for line in info:
                fields = line.split()
                if fields and fields[0] in ("TCP", "sock_inode_cache", "tcp_bind_bucket", "request_sock_TCP"):
                    slab += int(fields[1]) * int(fields[3]) // 1024
        with open("/proc/net/sockstat") as stat:
            tcp = next(line for line in stat if line.startswith("TCP:")).split()
        buffers = int(tcp[tcp.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        return {"slab": slab, "buffers": buffers}
    except (OSError, ValueError, StopIteration):
        return None


def proc_cpu_seconds(pid):
    """utime + stime of a process, seconds (None when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def system_cpu():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def proc_status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def servers_kb(pids, key):
    """Sum of a /proc/PID/status figure over the server processes (None if one is unreadable)."""
    values = [proc_status_kb(pid, key) for pid in pids]
    return None if None in values else sum(values)


def servers_fds(pids):
    values = [proc_fds(pid) for pid in pids]
    return None if None in values else sum(values)


def servers_cpu(pids):
    values = [proc_cpu_seconds(pid) for pid in pids]
    return None if None in values else sum(values)


def proc_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


# --------------------------------------------------------------------------------------------------
# Client side (runs in each worker process)
# --------------------------------------------------------------------------------------------------

EVENT_PREFIX = b'{"op":"event"'
SEQ_KEY = b'"seq":'
TIME_KEY = b'"text":"t='


class Sub:
    """One subscriber's bookkeeping."""

    __slots__ = ("snap_seq", "last", "seen", "count", "dups", "ooo", "close_code", "close_reason",
                 "closed", "ready", "error")

    def __init__(self):
        self.snap_seq = None   # seq of the snapshot (events after it are expected)
        self.last = -1         # highest seq received
        self.seen = 0          # bitmask of received seqs (relative to nothing: bit = seq)
        self.count = 0
        self.dups = 0
        self.ooo = 0
        self.close_code = None
        self.close_reason = None
        self.closed = False
        self.ready = None      # future: snapshot received
        self.error = None


class Collector:
    """Everything a worker measures; `on_message` is the hot path."""

    def __init__(self):
        self.latencies = array.array("d")   # ms, one per delivery
        self.seqs = array.array("q")        # seq of each delivery (same index)
        self.other = 0                      # messages that were neither event nor snapshot
        self.other_sample = []
        self.first_recv = None
        self.last_recv = None

    def on_message(self, sub, data, now):
        """`data` is the bytes of one text message, `now` the time it was read off the socket."""
        if data.startswith(EVENT_PREFIX):
            i = data.find(SEQ_KEY) + 6
            j = i
            while 48 <= data[j] <= 57:
                j += 1
            seq = int(data[i:j])
            k = data.find(TIME_KEY) + 10
            sent = float(data[k:data.find(b'"', k)])
            self.latencies.append((now - sent) * 1000.0)
            self.seqs.append(seq)
            if self.first_recv is None:
                self.first_recv = now
            self.last_recv = now
            bit = 1 << seq
            if sub.seen & bit:
                sub.dups += 1
            else:
                sub.seen |= bit
            if seq < sub.last:
                sub.ooo += 1
            else:
                sub.last = seq
            sub.count += 1
        elif b'"op":"snapshot"' in data:
            sub.snap_seq = json.loads(data)["seq"]
            if sub.last < sub.snap_seq:
                sub.last = sub.snap_seq
            if sub.ready is not None and not sub.ready.done():
                sub.ready.set_result(True)
        else:
            self.other += 1
            if len(self.other_sample) < 5:
                self.other_sample.append(data[:200].decode("utf-8", "replace"))


def subscribe_message(channel):
    return json.dumps({"op": "subscribe", "channel": channel}).encode()


class SansIOSubscriber(asyncio.Protocol):
    """websockets' Sans-I/O ClientProtocol driven by asyncio.Protocol callbacks: no task per connection."""

    def __init__(self, sub, collector, wsuri, extensions, channel):
        from websockets.client import ClientProtocol
        self.sub = sub
        self.collector = collector
        self.ws = ClientProtocol(wsuri, extensions=extensions, max_size=1 << 20)
        self.channel = channel
        self.transport = None
        self.fragments = None

    def connection_made(self, transport):
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self.flush()

    def flush(self):
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()

    def data_received(self, data):
        from websockets.frames import Frame, Opcode
        from websockets.http11 import Response
        now = time.time()
        ws = self.ws
        ws.receive_data(data)
        for event in ws.events_received():
            if isinstance(event, Frame):
                opcode = event.opcode
                if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
                    if event.fin:
                        self.collector.on_message(self.sub, event.data, now)
                    else:
                        self.fragments = [event.data]
                elif opcode is Opcode.CONT and self.fragments is not None:
                    self.fragments.append(event.data)
                    if event.fin:
                        self.collector.on_message(self.sub, b"".join(self.fragments), now)
                        self.fragments = None
                elif opcode is Opcode.CLOSE and ws.close_rcvd is not None:
                    self.sub.close_code = ws.close_rcvd.code
                    self.sub.close_reason = ws.close_rcvd.reason
            elif isinstance(event, Response):
                if ws.handshake_exc is not None:
                    self.sub.error = f"handshake: {ws.handshake_exc!r}"
                else:
                    ws.send_text(subscribe_message(self.channel))
        self.flush()
        if ws.close_expected() or ws.handshake_exc is not None:
            self.transport.close()

    def eof_received(self):
        self.ws.receive_eof()
        self.flush()
        return False

    def connection_lost(self, exc):
        self.sub.closed = True
        if self.sub.close_code is None and self.ws.close_rcvd is not None:
            self.sub.close_code = self.ws.close_rcvd.code
        if self.sub.close_code is None:
            self.sub.close_code = 1006
        if self.sub.ready is not None and not self.sub.ready.done():
            self.sub.ready.set_exception(ConnectionError(self.sub.error or f"closed before the snapshot ({exc!r})"))


class Worker:
    def __init__(self, index, count, cfg, pipe):
        self.index = index
        self.count = count
        self.cfg = cfg
        self.pipe = pipe
        self.collector = Collector()
        self.subs = []
        self.inbox = None

    def send(self, kind, payload):
        self.pipe.send((kind, payload))

    async def receive(self):
        return await self.inbox.get()

    async def open_sansio(self, sub, addr, sem):
        from websockets.uri import parse_uri
        from websockets.extensions.permessage_deflate import enable_client_permessage_deflate
        loop = asyncio.get_running_loop()
        cfg = self.cfg
        wsuri = parse_uri(cfg["ws_url"])
        extensions = enable_client_permessage_deflate(None) if cfg["compression"] == "deflate" else None
        async with sem:
            sub.ready = loop.create_future()
            kwargs = {"local_addr": (addr, 0)} if addr else {}
            await loop.create_connection(
                lambda: SansIOSubscriber(sub, self.collector, wsuri, extensions, cfg["channel"]),
                wsuri.host, wsuri.port, **kwargs)
            await sub.ready

    async def open_asyncio(self, sub, addr, sem):
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed
        cfg = self.cfg
        kwargs = {"local_addr": (addr, 0)} if addr else {}
        try:
            async with sem:
                ws = await connect(cfg["ws_url"], compression="deflate" if cfg["compression"] == "deflate" else None,
                                   proxy=None, open_timeout=cfg["connect_timeout"], ping_interval=None,
                                   max_queue=None, **kwargs)
                await ws.send(subscribe_message(cfg["channel"]).decode())
                while sub.snap_seq is None:   # on_message resolves sub.ready on the snapshot
                    self.collector.on_message(sub, await ws.recv(decode=False), time.time())
            on_message = self.collector.on_message
            while True:
                data = await ws.recv(decode=False)
                on_message(sub, data, time.time())
        except ConnectionClosed as error:
            sub.close_code = error.rcvd.code if error.rcvd else 1006
            sub.close_reason = error.rcvd.reason if error.rcvd else None
        except Exception as error:  # noqa: BLE001 - recorded, reported
            sub.error = repr(error)
        finally:
            sub.closed = True
            if not sub.ready.done():
                sub.ready.set_exception(ConnectionError(sub.error or f"closed before the snapshot ({sub.close_code})"))

    async def run(self):
        loop = asyncio.get_running_loop()
        cfg = self.cfg
        self.inbox = asyncio.Queue()

        def on_pipe():
            try:
                self.inbox.put_nowait(self.pipe.recv())
            except EOFError:
                loop.remove_reader(self.pipe.fileno())
                self.inbox.put_nowait(("quit", None))

        loop.add_reader(self.pipe.fileno(), on_pipe)

        # 1. connect and subscribe
        addrs = cfg["source_addrs"] or [None]
        sem = asyncio.Semaphore(cfg["connect_concurrency"])
        started = time.time()
        tasks = []
        for i in range(self.count):
            sub = Sub()
            self.subs.append(sub)
            # global index keeps the address spread even over all workers
            addr = addrs[(self.index + i * cfg["workers"]) % len(addrs)]
            if cfg["client"] == "asyncio":
                sub.ready = loop.create_future()
                tasks.append(asyncio.ensure_future(self.open_asyncio(sub, addr, sem)))
            else:
                tasks.append(asyncio.ensure_future(
                    asyncio.wait_for(self.open_sansio(sub, addr, sem), cfg["connect_timeout"])))
        if cfg["client"] == "asyncio":
            readies = [sub.ready for sub in self.subs]
            done = await asyncio.gather(*[asyncio.wait_for(asyncio.shield(r), cfg["connect_timeout"]) for r in readies],
                                        return_exceptions=True)
        else:
            done = await asyncio.gather(*tasks, return_exceptions=True)
        errors = {}
        failed = 0
        for sub, result in zip(self.subs, done):
            if isinstance(result, BaseException):
                failed += 1
                key = sub.error or f"{type(result).__name__}: {result}"
                errors[key[:160]] = errors.get(key[:160], 0) + 1
        self.send("ready", {"subscribed": self.count - failed, "failed": failed,
                            "errors": sorted(errors.items(), key=lambda kv: -kv[1])[:5],
                            "connect_seconds": time.time() - started})

        # 2. wait for the publisher to finish
        while True:
            kind, payload = await self.receive()
            if kind == "stop":
                break
            if kind == "quit":
                return
        published = payload["seqs"]
        last_seq = max(published) if published else None
        deadline = time.time() + cfg["grace"]
        while last_seq is not None and time.time() < deadline:
            if all(sub.closed or sub.last >= last_seq or sub.snap_seq is None for sub in self.subs):
                break
            await asyncio.sleep(0.05)

        # 3. account
        published_mask = 0
        for seq in published:
            published_mask |= 1 << seq
        missing = extra = dups = ooo = 0
        subs_missing = 0
        closes = {}
        for sub in self.subs:
            if sub.snap_seq is None:
                continue
            expected = (published_mask >> (sub.snap_seq + 1)) << (sub.snap_seq + 1)
            miss = bin(expected & ~sub.seen).count("1")
            missing += miss
            subs_missing += miss > 0
            extra += bin(sub.seen & ~published_mask).count("1")
            dups += sub.dups
            ooo += sub.ooo
            if sub.closed:
                key = f"{sub.close_code}" + (f" {sub.close_reason}" if sub.close_reason else "")
                closes[key] = closes.get(key, 0) + 1
        c = self.collector
        self.send("result", {
            "latencies": c.latencies.tobytes(), "seqs": c.seqs.tobytes(),
            "missing": missing, "subs_missing": subs_missing, "extra": extra, "dups": dups, "ooo": ooo,
            "closes": closes, "other": c.other, "other_sample": c.other_sample,
            "first_recv": c.first_recv, "last_recv": c.last_recv,
        })
        # The process exits right after; the kernel closes the sockets.
        while True:
            kind, _ = await self.receive()
            if kind == "quit":
                return


def swift_worker_main(index, count, cfg, pipe):
    """CLIENT=swift: the subscribers live in a `senate-live-bench subscribers` process; this one relays
    its JSON lines to and from the coordinator."""
    import base64
    import subprocess
    addrs = cfg["source_addrs"]
    # This worker's share of the addresses, as the Python workers spread them.
    mine = sorted({addrs[(index + i * cfg["workers"]) % len(addrs)] for i in range(min(count, len(addrs)))}) if addrs else []
    child = subprocess.Popen(
        [cfg["bench_bin"], "subscribers", "--url", cfg["ws_url"], "--channel", cfg["channel"], "--count", str(count),
         "--source-addrs", " ".join(mine), "--compression", cfg["compression"],
         "--connect-concurrency", str(cfg["connect_concurrency"]), "--grace", str(cfg["grace"])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        def read(kind):
            for line in child.stdout:
                message = json.loads(line)
                if message.get("kind") == kind:
                    return message
            raise RuntimeError(f"senate-live-bench exited (code {child.wait()}) before '{kind}'")
        ready = read("ready")
        ready["errors"] = [tuple(e) for e in ready["errors"]]
        pipe.send(("ready", ready))
        while True:
            kind, payload = pipe.recv()
            if kind == "quit":
                return
            if kind == "stop":
                break
        child.stdin.write(json.dumps({"kind": "stop", "seqs": payload["seqs"]}) + "\n")
        child.stdin.flush()
        result = read("result")
        result["latencies"] = base64.b64decode(result["latencies"])
        result["seqs"] = base64.b64decode(result["seqs"])
        pipe.send(("result", result))
        while pipe.recv()[0] != "quit":
            pass
    except Exception as error:  # noqa: BLE001
        pipe.send(("crash", repr(error)))
        raise
    finally:
        child.kill()
        os._exit(0)


def worker_main(index, count, cfg, pipe):
    try:
        import uvloop  # noqa: F401  (only if already installed; not a dependency)
        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(Worker(index, count, cfg, pipe).run())
    except Exception as error:  # noqa: BLE001
        pipe.send(("crash", repr(error)))
        raise
    finally:
        os._exit(0)


# --------------------------------------------------------------------------------------------------
# Coordinator + publisher
# --------------------------------------------------------------------------------------------------

def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def wait_for(workers, kind, timeout):
    """Collects one `kind` message from each worker."""
    results = [None] * len(workers)
    deadline = time.time() + timeout
    while any(r is None for r in results):
        remaining = deadline - time.time()
        if remaining <= 0:
            raise TimeoutError(f"workers did not report '{kind}' within {timeout:.0f}s")
        for i, (proc, pipe) in enumerate(workers):
            if results[i] is None and pipe.poll(min(0.2, max(remaining, 0.01))):
                got, payload = pipe.recv()
                if got == "crash":
                    raise RuntimeError(f"worker {i} crashed: {payload}")
                if got == kind:
                    results[i] = payload
            if results[i] is None and not proc.is_alive():
                raise RuntimeError(f"worker {i} exited (code {proc.exitcode}) before '{kind}'")
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, action="append",
                        help="http://HOST:PORT of the server; repeat for several nodes on one shared store (subscribers "
                             "are spread over them by worker, events are published to each in turn)")
    parser.add_argument("--token", required=True, help="publish token (JWT)")
    parser.add_argument("--server-pid", type=int, required=True, action="append",
                        help="pid of the server (for RSS and CPU); one per --url")
    args = parser.parse_args()

    n = env_int("SUBSCRIBERS", 10000)
    rate = env_float("RATE", 2)
    duration = env_float("DURATION", 30)
    workers_n = max(1, min(env_int("WORKERS", 2), n))
    bench_bin = os.environ.get("BENCH_BIN", "").strip()
    client = os.environ.get("CLIENT", "").strip() or ("swift" if bench_bin and os.access(bench_bin, os.X_OK) else "sansio")
    compression = os.environ.get("COMPRESSION", "deflate").strip() or "deflate"
    channel = os.environ.get("CHANNEL", "senate").strip() or "senate"
    nodes = [(u.hostname, u.port) for u in map(urllib.parse.urlsplit, args.url)]
    host, port = nodes[0]
    if len(args.server_pid) != len(nodes):
        sys.exit("give one --server-pid per --url")
    if workers_n < len(nodes):
        sys.exit(f"WORKERS ({workers_n}) must be at least the number of nodes ({len(nodes)}): subscribers go to nodes by worker")
    source_env = os.environ.get("SOURCE_ADDRS", "").strip()
    if source_env == "none":
        source_addrs = []
    elif source_env:
        source_addrs = source_env.split()
    elif host == "127.0.0.1":
        source_addrs = [f"127.0.0.{i}" for i in range(2, 10)]
    else:
        source_addrs = []
    if client not in ("swift", "sansio", "asyncio"):
        sys.exit("CLIENT must be swift, sansio or asyncio")
    if client == "swift" and not (bench_bin and os.access(bench_bin, os.X_OK)):
        sys.exit("CLIENT=swift needs BENCH_BIN, the senate-live-bench binary")
    if compression not in ("deflate", "none"):
        sys.exit("COMPRESSION must be deflate or none")

    cfg = {
        "ws_urls": [f"ws://{h}:{p}/ws" for h, p in nodes], "channel": channel, "client": client, "compression": compression,
        "source_addrs": source_addrs, "workers": workers_n, "bench_bin": bench_bin,
        "connect_concurrency": env_int("CONNECT_CONCURRENCY", 200),
        "connect_timeout": env_float("CONNECT_TIMEOUT", 600), "grace": env_float("GRACE", 15),
    }
    settle = env_float("SETTLE", 3)
    spids = args.server_pid
    spid = spids[0]
    cores = os.cpu_count()

    try:
        import uvloop  # noqa: F401
        loop_name = "uvloop"
    except ImportError:
        loop_name = "asyncio (stdlib loop)"
    import websockets
    print(f"fanout: {n} subscribers, {rate:g} events/s for {duration:g}s, channel {channel}"
          + (f", {len(nodes)} nodes (subscribers spread by worker, events published to each node in turn)" if len(nodes) > 1 else ""))
    library = "senate-live-bench (SwiftNIO)" if client == "swift" else f"websockets {websockets.__version__} {client} client, {loop_name}"
    print(f"  client: {workers_n} worker processes, {library}, "
          f"compression offered: {compression}, source addresses: {' '.join(source_addrs) or 'default'}")
    try:
        server_cpus, client_cpus = sorted(os.sched_getaffinity(spid)), sorted(os.sched_getaffinity(0))
    except OSError:
        server_cpus = client_cpus = list(range(cores))
    if server_cpus == client_cpus:
        print(f"  machine: {cores} cores; the server, the {workers_n} client processes and this publisher share "
              f"cores {server_cpus}: latency includes client-side queueing when the cores are busy")
    else:
        print(f"  machine: {cores} cores; server pinned to cores {server_cpus}, clients and publisher to {client_cpus}")

    # --- background load (other processes on the machine skew every number below) ----------------
    idle_a, idle_cpu_a = system_cpu(), proc_cpu_seconds(spid)
    time.sleep(1.0)
    idle_b, idle_cpu_b = system_cpu(), proc_cpu_seconds(spid)
    background = 100 * (idle_b[0] - idle_a[0]) / max(1, idle_b[1] - idle_a[1])
    print(f"  background load before the run: machine busy {background:.0f}% of {cores} cores "
          f"(server {100 * (idle_cpu_b - idle_cpu_a):.0f}% of one core)"
          + ("  <-- other processes are using the CPU: expect skewed results" if background > 15 else ""))

    # --- memory before ---------------------------------------------------------------------------
    rss_before = servers_kb(spids, "VmRSS")
    fds_before = servers_fds(spids)
    kernel_before = kernel_socket_kb()
    print(f"\nserver pid {' '.join(map(str, spids))}: RSS before connecting {rss_before} KB, fds {fds_before}")

    # --- connect ---------------------------------------------------------------------------------
    ctx = mp.get_context("fork")
    workers = []
    shares = [n // workers_n + (1 if i < n % workers_n else 0) for i in range(workers_n)]
    cpu0 = servers_cpu(spids)
    sys0 = system_cpu()
    t_connect = time.time()
    for i, share in enumerate(shares):
        parent, child = ctx.Pipe()
        worker_cfg = dict(cfg, ws_url=cfg["ws_urls"][i % len(cfg["ws_urls"])])
        proc = ctx.Process(target=swift_worker_main if client == "swift" else worker_main, args=(i, share, worker_cfg, child), daemon=True)
        proc.start()
        child.close()
        workers.append((proc, parent))
    readies = wait_for(workers, "ready", cfg["connect_timeout"] + 30)
    connect_wall = time.time() - t_connect
    cpu1 = servers_cpu(spids)
    sys1 = system_cpu()
    subscribed = sum(r["subscribed"] for r in readies)
    failed = sum(r["failed"] for r in readies)
    print(f"\nconnect: {subscribed}/{n} subscribed (got the snapshot), {failed} failed, in {connect_wall:.1f}s "
          f"({subscribed / max(connect_wall, 1e-9):.0f}/s); server CPU {100 * (cpu1 - cpu0) / connect_wall:.0f}% of one core, "
          f"machine busy {100 * (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]):.0f}%")
    for i, r in enumerate(readies):
        for error, count in r["errors"]:
            print(f"  worker {i}: {count} x {error}")

    time.sleep(settle)
    rss_after = servers_kb(spids, "VmRSS")
    fds_after = servers_fds(spids)
    if rss_before is None or rss_after is None:
        print("memory: server RSS not readable")
        per_conn = None
    else:
        per_conn = (rss_after - rss_before) / n
        print(f"memory: RSS {rss_before} KB -> {rss_after} KB after {settle:g}s idle "
              f"(+{(rss_after - rss_before) / 1024:.1f} MB, fds {fds_before} -> {fds_after})")
        print(f"  KB per idle connection = (after - before) / N = {per_conn:.1f} KB"
              + (f"  (per subscribed connection: {(rss_after - rss_before) / subscribed:.1f} KB)" if subscribed != n and subscribed else ""))
    kernel_after = kernel_socket_kb()
    if kernel_before and kernel_after:
        slab = kernel_after["slab"] - kernel_before["slab"]
        buffers = kernel_after["buffers"] - kernel_before["buffers"]
        print(f"kernel (not in RSS; both ends of every connection are on this machine): socket slabs +{slab / 1024:.1f} MB, "
              f"socket buffers +{buffers / 1024:.1f} MB: {(slab + buffers) / (2 * n):.1f} KB per socket")

    # --- publish ---------------------------------------------------------------------------------
    steady = int(round(rate * duration))
    burst = env_int("BURST", 0)
    total = steady + burst
    conns = [http.client.HTTPConnection(h, p, timeout=30) for h, p in nodes]
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    path = f"/api/v1/channels/{channel}/events"
    seqs, post_ms, post_errors = [], [], []
    # CLIENT=swift: the subscribers' CPU is spent in the senate-live-bench processes.
    wpids = [r.get("pid", proc.pid) for r, (proc, _) in zip(readies, workers)]
    cpu_a = {pid: proc_cpu_seconds(pid) for pid in spids + wpids}
    self_a = time.process_time()
    sys_a = system_cpu()
    t0 = time.time() + 0.2
    first_send = None
    print(f"\npublishing {total} events ...", flush=True)
    burst_seqs = set()
    for i in range(total):
        # The burst follows the steady events: BURST events spread over one second.
        target = t0 + i / rate if i < steady else t0 + steady / rate + 1 + (i - steady) / burst
        delay = target - time.time()
        if delay > 0:
            time.sleep(delay)
        sent = time.time()
        if first_send is None:
            first_send = sent
        body = json.dumps({"type": "notice", "data": {"text": f"t={sent:.6f}"}})
        node = i % len(nodes)
        try:
            conns[node].request("POST", path, body=body, headers=headers)
            response = conns[node].getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            post_errors.append(repr(error))
            conns[node].close()
            conns[node] = http.client.HTTPConnection(*nodes[node], timeout=30)
            continue
        post_ms.append((time.time() - sent) * 1000)
        if response.status != 201:
            post_errors.append(f"{response.status} {payload[:200]!r}")
            continue
        stored = json.loads(payload)
        for event in stored if isinstance(stored, list) else [stored]:
            seqs.append(event["seq"])
            if i >= steady:
                burst_seqs.add(event["seq"])
    publish_end = time.time()
    for conn in conns:
        conn.close()
    for _, pipe in workers:
        pipe.send(("stop", {"seqs": seqs}))
    results = wait_for(workers, "result", cfg["grace"] + 120)
    cpu_b = {pid: proc_cpu_seconds(pid) for pid in spids + wpids}
    self_b = time.process_time()
    sys_b = system_cpu()
    window = time.time() - t0
    rss_end = servers_kb(spids, "VmRSS")
    hwm = servers_kb(spids, "VmHWM")
    for _, pipe in workers:
        try:
            pipe.send(("quit", None))
        except OSError:
            pass

    # --- results ---------------------------------------------------------------------------------
    latencies = array.array("d")
    dseqs = array.array("q")
    for r in results:
        latencies.frombytes(r["latencies"])
        dseqs.frombytes(r["seqs"])
    ordered = sorted(latencies)
    deliveries = len(ordered)
    expected = subscribed * len(seqs)
    missing = sum(r["missing"] for r in results)
    subs_missing = sum(r["subs_missing"] for r in results)
    dups = sum(r["dups"] for r in results)
    ooo = sum(r["ooo"] for r in results)
    extra = sum(r["extra"] for r in results)
    closes = {}
    for r in results:
        for key, count in r["closes"].items():
            closes[key] = closes.get(key, 0) + count
    firsts = [r["first_recv"] for r in results if r["first_recv"]]
    lasts = [r["last_recv"] for r in results if r["last_recv"]]

    print(f"published: {len(seqs)}/{total} events (seq {min(seqs) if seqs else '-'}..{max(seqs) if seqs else '-'}), "
          f"{len(post_errors)} errors; POST round trip p50 {percentile(sorted(post_ms), 50):.1f} ms, "
          f"p99 {percentile(sorted(post_ms), 99):.1f} ms, max {max(post_ms) if post_ms else float('nan'):.1f} ms")
    for error in post_errors[:5]:
        print(f"  publish error: {error}")
    print(f"\ndeliveries: {deliveries} of {expected} expected ({subscribed} subscribers x {len(seqs)} events)")
    if ordered:
        print(f"latency (receive - send, ms): p50 {percentile(ordered, 50):.1f}  p90 {percentile(ordered, 90):.1f}  "
              f"p99 {percentile(ordered, 99):.1f}  p99.9 {percentile(ordered, 99.9):.1f}  max {ordered[-1]:.1f}  "
              f"min {ordered[0]:.1f}")
        # time for an event to reach its last subscriber (the fan-out time of one event)
        worst = {}
        for seq, lat in zip(dseqs, latencies):
            if lat > worst.get(seq, -1e18):
                worst[seq] = lat
        per_event = sorted(worst.values())
        print(f"per-event fan-out time (until the last subscriber got it, ms): p50 {percentile(per_event, 50):.1f}  "
              f"max {per_event[-1]:.1f}")
        if burst_seqs:
            steady_only = sorted(lat for seq, lat in zip(dseqs, latencies) if seq not in burst_seqs)
            if steady_only:
                print(f"steady events ({rate:g}/s): latency p50 {percentile(steady_only, 50):.1f}  p99 {percentile(steady_only, 99):.1f}  "
                      f"max {steady_only[-1]:.1f} ms")
            in_burst = sorted(lat for seq, lat in zip(dseqs, latencies) if seq in burst_seqs)
            print(f"burst of {burst} events in one second: latency p50 {percentile(in_burst, 50):.1f}  p99 {percentile(in_burst, 99):.1f}  "
                  f"max {in_burst[-1]:.1f} ms" if in_burst else f"burst of {burst}: no deliveries")
    if firsts and lasts:
        span = max(lasts) - first_send + 1 / rate   # N events occupy N / RATE seconds
        print(f"deliveries per second: {deliveries / span:.0f} over {span:.1f}s (first send to last receive + 1/RATE; "
              f"offered: {subscribed * rate:.0f}/s)")
    print(f"missing: {missing} (subscribers with gaps: {subs_missing})  duplicate: {dups}  out-of-order: {ooo}  "
          f"unexpected seq: {extra}")
    closed_4008 = closes.get("4008", 0) + sum(v for k, v in closes.items() if k.startswith("4008 "))
    closed_total = sum(closes.values())
    print(f"subscribers closed: {closed_total} (4008: {closed_4008}, other: {closed_total - closed_4008})"
          + (f"  {closes}" if closes else ""))
    other = sum(r["other"] for r in results)
    if other:
        sample = [s for r in results for s in r["other_sample"]][:3]
        print(f"other messages: {other}, e.g. {sample}")

    print(f"\nCPU during publishing ({window:.1f}s, {cores} cores, 100% = one core):")
    def pct(pid):
        a, b = cpu_a.get(pid), cpu_b.get(pid)
        return f"{100 * (b - a) / window:.0f}%" if a is not None and b is not None else "n/a"
    busy = (sys_b[0] - sys_a[0]) / max(1, sys_b[1] - sys_a[1])          # fraction of all cores
    ours = sum((cpu_b[p] - cpu_a[p]) for p in spids + wpids if cpu_a.get(p) is not None and cpu_b.get(p) is not None)
    ours += self_b - self_a
    print(f"  server{'s' if len(spids) > 1 else ''} {', '.join(pct(pid) for pid in spids)};  clients " + ", ".join(pct(pid) for pid in wpids)
          + f";  publisher {100 * (self_b - self_a) / window:.0f}%;  machine busy {100 * busy:.0f}% of {cores} cores "
          f"(other processes: {max(0.0, 100 * (busy * cores - ours / window)):.0f}% of one core)")
    print(f"server memory: RSS {rss_end} KB at the end, peak (VmHWM) {hwm} KB")

    target_p99 = env_float("TARGET_P99_MS", 150 if n <= 10000 else 500)
    target_kb = env_float("TARGET_KB", 12)
    ok_lat = bool(ordered) and percentile(ordered, 99) <= target_p99
    ok_mem = per_conn is not None and per_conn <= target_kb
    ok_int = missing == 0 and dups == 0 and ooo == 0 and extra == 0 and closed_total == 0 and not post_errors \
        and subscribed == n and len(seqs) == total
    print("\ntargets:")
    print(f"  {'PASS' if subscribed == n else 'FAIL'}  {n} subscribers connected ({subscribed})")
    print(f"  {'PASS' if ok_lat else 'FAIL'}  p99 <= {target_p99:g} ms ({percentile(ordered, 99):.1f} ms)" if ordered
          else f"  FAIL  p99 <= {target_p99:g} ms (no deliveries)")
    print(f"  {'PASS' if ok_mem else 'FAIL'}  <= {target_kb:g} KB per idle connection ("
          + (f"{per_conn:.1f} KB)" if per_conn is not None else "n/a)"))
    print(f"  {'PASS' if ok_int else 'FAIL'}  every delivery exactly once and in order, no subscriber closed, no publish errors")
    for proc, _ in workers:
        proc.join(timeout=10)
    return 0 if (ok_lat and ok_mem and ok_int) else 1


if __name__ == "__main__":
    sys.exit(main())
