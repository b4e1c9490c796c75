#!/usr/bin/env python3
"""One tenant's expensive requests beside another tenant's reads, at full size.

Tenant `big` holds CUSTOMERS customers and 100 dynamic segments of 50 rules
under ANY (text substrings, metadata, amounts, and tags in a list of 100);
CALLERS threads send `{ segments(first: PAGE) { nodes { memberCount } } }`
back to back for SECONDS, as its budget allows. Tenant `small` meanwhile
reads one customer and a page of ten, READS times a second. Prints the big
tenant's statuses, the small tenant's latencies (p50, p99, max, failures),
and how long after the big tenant stopped the server's CPU went back to idle.

    CRM=target/release/crm DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_fair \\
      python3 bench/fairness.py
    CRM=target/release/crm DATABASE_URL='sqlite:///tmp/crm-fair.db?mode=rwc' python3 bench/fairness.py

Env: CUSTOMERS (200000), SECONDS (60), CALLERS (8), PAGE (40), READS (20;
3 keeps the small tenant within the default budget of 50 points a
second), EXTRA
(more `crm serve` options, e.g. "--rate-bucket 1e9 --rate-restore 1e9" to
take the budget out of the way and leave it to the slots and time limit).
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

CRM = os.environ.get("CRM", "target/release/crm")
URL = os.environ["DATABASE_URL"]
CUSTOMERS = int(os.environ.get("CUSTOMERS", "200000"))
SECONDS = float(os.environ.get("SECONDS", "60"))
CALLERS = int(os.environ.get("CALLERS", "8"))
PAGE = int(os.environ.get("PAGE", "40"))
EXTRA = os.environ.get("EXTRA", "").split()
READS = float(os.environ.get("READS", "20"))
SECRET = "fairness-secret-0123456789abcdef0123456789"
PORT = 18099
ENV = dict(os.environ, DATABASE_URL=URL, CRM_JWT_SECRET=SECRET, CRM_LOG="warn")


def crm(*args):
    return subprocess.run([CRM, *args], env=ENV, check=True, capture_output=True, text=True).stdout


def post(token, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/graphql",
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def post_within_budget(token, query, variables=None):
    """`post`, waiting out the tenant's budget (the setup's writes)."""
    while True:
        status, body = post(token, query, variables)
        if status != 429:
            return status, body
        time.sleep(float(body["errors"][0]["extensions"].get("retryAfter", 1)))


def heavy_segment(i):
    rules = [{"field": "tags", "operator": "in", "value": [f"t{i}-{t}" for t in range(100)]}]
    for r in range(49):
        rules.append([
            {"field": "name", "operator": "contains", "value": f"zz{i}{r}"},
            {"field": "email", "operator": "contains", "value": f"q{r}x{i}"},
            {"field": "metadata.plan", "operator": "eq", "value": f"p{r}"},
            {"field": "total_spent", "operator": "gt", "value": 1_000_000 + r},
        ][r % 4])
    return {"name": f"Heavy {i}", "match": "ANY", "rules": rules}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    seeded = crm("seed-demo", "--tenant", "big", "--customers", str(CUSTOMERS), "--seed", "11")
    print(seeded.strip().splitlines()[-1])
    server = subprocess.Popen(
        [CRM, "serve", "--listen", f"127.0.0.1:{PORT}", "--worker", "false", *EXTRA],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        big = crm("token", "--tenant", "big", "--sub", "bench").strip()
        small = crm("token", "--tenant", "small", "--sub", "bench").strip()
        existing = post(big, "{ segments(first: 100) { nodes { id } } }")[1]["data"]["segments"]["nodes"]
        for i in range(len(existing), 100):
            status, body = post_within_budget(big, "mutation($s: SegmentInput!) { createSegment(input: $s) { id } }", {"s": heavy_segment(i)})
            assert status == 200 and "errors" not in body, body
        status, body = post(small, 'mutation { createCustomer(input: { email: "ana@small.example" }) { customer { id } } }')
        ana = body["data"]["createCustomer"]["customer"]["id"]

        heavy = f"{{ segments(first: {PAGE}) {{ nodes {{ memberCount }} }} }}"
        stop = time.monotonic() + SECONDS
        statuses = {}
        lock = threading.Lock()

        def caller():
            while time.monotonic() < stop:
                status, body = post(big, heavy)
                if status == 429:
                    time.sleep(float(body.get("errors", [{}])[0].get("extensions", {}).get("retryAfter", 1)))
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

        threads = [threading.Thread(target=caller) for _ in range(CALLERS)]
        for t in threads:
            t.start()
        latencies, failures = [], {}
        read = "query($id: ID!) { customer(id: $id) { id email tags } customers(first: 10) { nodes { id } } }"
        next_at = time.monotonic()
        while time.monotonic() < stop:
            next_at += 1 / READS
            started = time.monotonic()
            status, body = post(small, read, {"id": ana})
            latencies.append((time.monotonic() - started) * 1000)
            if status != 200 or "errors" in body:
                code = (body.get("errors") or [{}])[0].get("extensions", {}).get("code", status)
                failures[code] = failures.get(code, 0) + 1
            time.sleep(max(0.0, next_at - time.monotonic()))
        for t in threads:
            t.join()
        stopped = time.monotonic()
        # Back to idle: the server's CPU use under 5 % over half a second.
        idle_after = None
        while time.monotonic() - stopped < 60:
            before = cpu_seconds(server.pid)
            time.sleep(0.5)
            if cpu_seconds(server.pid) - before < 0.025:
                idle_after = time.monotonic() - stopped - 0.5
                break
        latencies.sort()
        pick = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))]
        print(f"backend={URL.split(':')[0]} customers={CUSTOMERS} callers={CALLERS} page={PAGE} extra={' '.join(EXTRA) or '-'}")
        print(f"big: statuses {dict(sorted(statuses.items()))}")
        print(f"small: {len(latencies)} reads, failed {dict(sorted(failures.items())) or 0}, p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {latencies[-1]:.1f} ms")
        print(f"server idle {idle_after:.1f} s after the big tenant stopped" if idle_after is not None else "server still busy 60 s after")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
