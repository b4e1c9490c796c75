#!/usr/bin/env python3
"""Soak test for crm-graphql: many clients, many tenants, a long mixed load.

Not part of `cargo test`: run it by hand against a built binary.

    cargo build --release
    python3 bench/soak.py                                  # SQLite, 600 s + 60 s warm-up
    python3 bench/soak.py --duration 60 --warmup 15        # a short run
    python3 bench/soak.py --warmup 120 --steady            # data stops growing after warm-up
    python3 bench/soak.py --database-url postgres://postgres@127.0.0.1:5432/postgres

What it does:

1. Starts `crm serve` (`--crm`, default target/release/crm) on a free loopback
   port with a fresh database: SQLite in a temporary directory, or, with
   `--database-url postgres://…`, a new database created on that server with
   `psql` (dropped at the end; `--keep` keeps it and the temp dir).
2. Mints one token per client with `crm token`, creates a few dynamic
   segments per tenant, and runs every operation once (the preflight: the
   run stops at once if any of them fails).
3. Runs `--clients` threads (each bound to one of `--tenants` tenants,
   round-robin) for `--warmup` + `--duration` seconds: about 70 % reads
   (customers lists with filters, sorts and search, one customer with its
   orders, activity and notes, customerCount, customerStats, segment
   members) and 30 % writes (createCustomer, updateCustomer, recordOrder,
   recordActivity, addNote, tagCustomers, importCustomers of 20 rows).
   A client writes only to customers it created, so the state each write
   leaves is known. With `--steady`, after the warm-up the writes only
   update and tag existing customers, so the data stops growing: memory
   that still grows then is not the database's. A 429 (or a refusal with
   RATE_LIMITED) is retried after Retry-After and counted apart, never as
   an error.
4. Keeps a ledger of every acknowledged write (HTTP 200, data, no errors),
   then reads everything back: customer fields and tags, each order's amount
   and status by externalId, each note's body and author, each activity's
   type and title, every imported row, the customer's totals against its
   paid orders, and customerCount per tenant against the customers created.
5. Samples the server's VmRSS every 10 s, stops it with SIGTERM and records
   its exit code.

Prints a Markdown summary (tables to paste into BENCHMARKS.md), writes the
figures and error samples (request and response) as JSON to `--out`, and the
server's output to `<out stem>-server.log`. Latencies and throughput cover
the time after the warm-up; errors, writes and checks cover the whole run.

Exit status 1 when any check fails: an HTTP 5xx, an INTERNAL_SERVER_ERROR, a
lost write (or a customerCount that disagrees with the ledger, or totals
that disagree with the orders), a dropped connection, or a server exit code
other than 0 after SIGTERM. Other GraphQL errors are reported (with samples)
but do not fail the run by themselves.

Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
JWT_SECRET = "soak-secret-0123456789abcdefghijklmnopqr"  # 40 characters
SCOPES = "read:customers write:customers read:segments write:segments"
RSS_EVERY = 10.0
SAMPLES_PER_KIND = 5
IMPORT_ROWS = 20

# Operation mix, in percent of requests.
READS = {
    "customers": 20,
    "customer": 22,
    "customerCount": 10,
    "customerStats": 6,
    "segmentMembers": 12,
}
WRITES = {
    "createCustomer": 6,
    "updateCustomer": 6,
    "recordOrder": 7,
    "recordActivity": 4,
    "addNote": 4,
    "tagCustomers": 2,
    "importCustomers": 1,
}
OPS = list(READS) + list(WRITES)
WEIGHTS = list(READS.values()) + list(WRITES.values())
# --steady, after the warm-up: writes that add customers, orders, notes or
# activity become one of these (by their own weights), so the mix keeps its
# share of writes while the data stays the size it was (updates and tags
# still add their timeline entries, a few hundred bytes each).
STEADY_WRITES = {op: WRITES[op] for op in ("updateCustomer", "tagCustomers")}

FIRST_NAMES = ["María", "José", "Anna", "Jürgen", "Chloé", "Wei", "Aiko", "Oluwaseun",
               "Siobhán", "Lars", "Priya", "Mateo", "Zoë", "Dmitri"]
LAST_NAMES = ["López", "García", "Müller", "Dubois", "Chen", "Tanaka", "Okafor",
              "O'Brien", "Nilsson", "Sharma", "Rossi", "Smith", "Nowak", "Ødegaard"]
COMPANIES = ["Acme SL", "Globex GmbH", "Initech", "Umbrella plc", "Søstrene Grene", None]
CITIES = [("Madrid", "ES", "28013"), ("Berlin", "DE", "10115"), ("Lyon", "FR", "69001"),
          ("Austin", "US", "78701"), ("Leeds", "GB", "LS1 4AP"), ("Osaka", "JP", "530-0001")]
TAGS = ["vip", "newsletter", "wholesale", "b2b", "beta", "spring-sale", "Loyalty"]
SEARCH_TERMS = ["lopez", "garcia", "muller", "chen", "maria", "jurgen", "acme", "globex",
                "example", "o'brien", "+346", "soak"]
SORT_FIELDS = ["CREATED_AT", "UPDATED_AT", "NAME", "EMAIL", "LAST_ORDER_AT", "TOTAL_SPENT",
               "TOTAL_ORDERS"]
ACTIVITY_TYPES = ["EMAIL", "PAGE_VIEW", "SUPPORT", "CUSTOM"]
ORDER_STATUSES = (["PAID"] * 16) + ["PENDING", "PENDING", "REFUNDED", "CANCELLED"]

SEGMENTS = [
    {"name": "Big spenders", "type": "DYNAMIC", "match": "ALL",
     "rules": [{"field": "total_spent", "operator": "gte", "value": 200}]},
    {"name": "VIP or pro", "type": "DYNAMIC", "match": "ANY",
     "rules": [{"field": "tags", "operator": "contains", "value": "vip"},
               {"field": "metadata.plan", "operator": "eq", "value": "pro"}]},
    {"name": "Spain, this week", "type": "DYNAMIC", "match": "ALL",
     "rules": [{"field": "country", "operator": "eq", "value": "ES"},
               {"field": "created_at", "operator": "after", "value": "7_days_ago"}]},
    {"name": "Slipping away", "type": "DYNAMIC", "match": "ANY",
     "rules": [{"field": "rfm_segment", "operator": "in",
                "value": ["AT_RISK", "CANNOT_LOSE", "HIBERNATING", "LOST"]},
               {"field": "churn_risk", "operator": "gte", "value": 0.5}]},
]

# --- GraphQL documents -------------------------------------------------------

CUSTOMER_FIELDS = """id name firstName lastName email phone companyName status source tags
  address { line1 line2 city state postalCode country } metadata totalOrders totalSpent"""

Q_CUSTOMERS = """query Customers($first: Int, $filter: CustomerFilter, $sort: CustomerSort) {
  customers(first: $first, filter: $filter, sort: $sort) {
    totalCount
    edges { cursor node { id name email phone tags totalSpent lastOrderAt status } }
    pageInfo { hasNextPage endCursor }
  }
}"""

Q_CUSTOMER = """query Customer($id: ID!) {
  customer(id: $id) {
    %s
    lastOrderAt createdAt updatedAt
    metrics { rfm { recencyScore frequencyScore monetaryScore segment }
              lifetimeValue averageOrderValue purchaseFrequencyDays churnRisk }
    orders(first: 10) { totalCount nodes { id externalId amount currency status placedAt } }
    activity(first: 10) { nodes { id type title data occurredAt } }
    notes(first: 5) { totalCount nodes { id body author createdAt } }
    segments { id name }
  }
}""" % CUSTOMER_FIELDS

Q_COUNT = """query Count($filter: CustomerFilter) { customerCount(filter: $filter) }"""

Q_STATS = """query Stats($from: DateTime) {
  customerStats(from: $from) {
    totalCustomers newCustomers activeCustomers totalOrders revenue averageOrderValue
    averageLifetimeValue rfmDistribution { segment count }
    segmentDistribution { segment { id name } count } period { start end }
  }
}"""

Q_SEGMENT_MEMBERS = """query Members($id: ID!, $first: Int, $filter: CustomerFilter, $sort: CustomerSort) {
  segment(id: $id) {
    id name memberCount
    members(first: $first, filter: $filter, sort: $sort) {
      totalCount nodes { id name totalSpent tags } pageInfo { hasNextPage endCursor }
    }
  }
}"""

M_CREATE = """mutation Create($input: CustomerInput!) {
  createCustomer(input: $input) { created customer { %s } }
}""" % CUSTOMER_FIELDS

M_UPDATE = """mutation Update($id: ID!, $input: CustomerUpdateInput!) {
  updateCustomer(id: $id, input: $input) { %s }
}""" % CUSTOMER_FIELDS

M_ORDER = """mutation Order($customerId: ID!, $input: OrderInput!) {
  recordOrder(customerId: $customerId, input: $input) {
    id externalId amount currency status placedAt customer { id totalOrders totalSpent }
  }
}"""

M_ACTIVITY = """mutation Activity($customerId: ID!, $input: ActivityInput!) {
  recordActivity(customerId: $customerId, input: $input) { id type title data occurredAt }
}"""

M_NOTE = """mutation Note($customerId: ID!, $body: String!) {
  addNote(customerId: $customerId, body: $body) { id body author createdAt }
}"""

M_TAG = """mutation Tag($ids: [ID!]!, $add: [String!], $remove: [String!]) {
  tagCustomers(ids: $ids, add: $add, remove: $remove) { id tags }
}"""

M_IMPORT = """mutation Import($rows: [CustomerInput!]!) {
  importCustomers(customers: $rows, mode: UPSERT) {
    created updated skipped failed { index code message field }
  }
}"""

M_SEGMENT = """mutation Segment($input: SegmentInput!) { createSegment(input: $input) { id name } }"""

# Verification: the customer with the first page of each list; later pages apart.
PAGE = 50
VERIFY_LISTS = {
    "orders": ("", "id externalId amount status"),
    "notes": ("", "id body author"),
    "activity": (", types: [EMAIL, PAGE_VIEW, SUPPORT, CUSTOM]", "id type title"),
}
Q_VERIFY_CUSTOMER = "query Verify($id: ID!) { customer(id: $id) { %s %s } }" % (
    CUSTOMER_FIELDS,
    " ".join(f"{name}(first: {PAGE}{args}) {{ nodes {{ {fields} }} pageInfo {{ hasNextPage endCursor }} }}"
             for name, (args, fields) in VERIFY_LISTS.items()),
)
Q_VERIFY_BATCH = """query Batch($filter: CustomerFilter) {
  customers(first: 100, filter: $filter) { totalCount nodes { %s } }
}""" % CUSTOMER_FIELDS
Q_LOOKUP = "query Lookup($email: String) { customerLookup(email: $email) { %s } }" % CUSTOMER_FIELDS


def page_query(name: str) -> str:
    args, fields = VERIFY_LISTS[name]
    return (f"query Page($id: ID!, $after: String) {{ customer(id: $id) {{ "
            f"{name}(first: {PAGE}, after: $after{args}) {{ nodes {{ {fields} }} "
            f"pageInfo {{ hasNextPage endCursor }} }} }} }}")


# --- options -----------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--crm", default=str(REPO / "target/release/crm"), help="the crm binary")
    p.add_argument("--database-url", help="postgres://… of a server to create a fresh database on "
                   "(default: SQLite in a temp dir)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--tenants", type=int, default=10)
    p.add_argument("--duration", type=float, default=600, help="measured seconds, after the warm-up")
    p.add_argument("--warmup", type=float, default=60, help="seconds of load before measuring")
    p.add_argument("--steady", action="store_true",
                   help="after the warm-up, writes only change existing customers (updateCustomer, "
                        "tagCustomers): the data stops growing, so memory that still grows is not "
                        "the database's")
    p.add_argument("--rate-bucket", type=int, default=1_000_000, help="CRM_RATE_BUCKET")
    p.add_argument("--rate-restore", type=int, default=100_000, help="CRM_RATE_RESTORE")
    p.add_argument("--out", default=str(REPO / "target/soak.json"), help="JSON report")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--verify-threads", type=int, default=8)
    p.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                   help="an environment setting for the server (repeatable), e.g. CRM_DB_POOL=4")
    p.add_argument("--keep", action="store_true", help="keep the temp dir and the PostgreSQL database")
    p.add_argument("--backtrace", action="store_true",
                   help="RUST_BACKTRACE=1 for the server (its log then shows where errors came from; "
                        "symbolizing them grows RSS)")
    opts = p.parse_args(argv)
    if not 1 <= opts.clients <= 100:
        p.error("--clients must be 1..100 (phone numbers are unique per client)")
    if not 1 <= opts.tenants <= opts.clients:
        p.error("--tenants must be 1..clients")
    if opts.database_url and not opts.database_url.startswith(("postgres://", "postgresql://")):
        p.error("--database-url must be postgres://…")
    return opts


# --- the server and its database ---------------------------------------------

def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(admin_url: str, sql: str) -> None:
    subprocess.run(["psql", admin_url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
                   check=True, capture_output=True, text=True)


class Server:
    """`crm serve` on a fresh database; also mints tokens with the same settings."""

    def __init__(self, opts: argparse.Namespace, log_path: Path):
        self.opts = opts
        self.tmp = Path(tempfile.mkdtemp(prefix="crm-soak-"))
        self.port = free_port()
        self.pg_name: str | None = None
        self.analyze_every_s: float | None = None
        if opts.database_url:
            self.backend = "postgres"
            self.pg_name = f"crm_soak_{int(time.time())}_{os.getpid()}"
            psql(opts.database_url, f'CREATE DATABASE "{self.pg_name}"')
            self.database_url = with_database(opts.database_url, self.pg_name)
        else:
            self.backend = "sqlite"
            self.database_url = f"sqlite://{self.tmp}/crm.db?mode=rwc"
        # The server runs as in production: no inherited CRM_* settings, and no
        # backtraces (capturing one loads the debug info, a jump in RSS).
        dropped = ("DATABASE_URL", "RUST_BACKTRACE", "RUST_LIB_BACKTRACE")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("CRM_") and k not in dropped}
        self.env.update({
            "DATABASE_URL": self.database_url,
            "CRM_LISTEN": f"127.0.0.1:{self.port}",
            "CRM_JWT_SECRET": JWT_SECRET,
            "CRM_LOG": "warn",
            "CRM_RATE_BUCKET": str(opts.rate_bucket),
            "CRM_RATE_RESTORE": str(opts.rate_restore),
        })
        for setting in opts.server_env:
            name, sep, value = setting.partition("=")
            if not sep or not name:
                raise SystemExit(f"--server-env {setting!r}: expected NAME=VALUE")
            self.env[name] = value
        if opts.backtrace:
            self.env["RUST_BACKTRACE"] = "1"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.exit_code: int | None = None

    def start(self) -> None:
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([self.opts.crm, "serve"], env=self.env,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"crm serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"crm serve not ready after 120 s:\n{self.log_tail()}")

    def token(self, tenant: str, sub: str, ttl_s: int) -> str:
        out = subprocess.run(
            [self.opts.crm, "token", "--tenant", tenant, "--sub", sub, "--scopes", SCOPES,
             "--ttl", f"{ttl_s}s", "--database-url", self.database_url],
            env=self.env, check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def rss_kib(self) -> int | None:
        return self.memory_kib().get("VmRSS")

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and its parts: RssAnon (heap, stacks), RssFile (the binary's
        pages and other mapped files), RssShmem (SQLite's WAL index)."""
        out = {}
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[name] = int(value.split()[0])
        except OSError:
            pass
        return out

    def database_kib(self) -> int | None:
        """The SQLite database with its WAL, on disk."""
        if self.backend != "sqlite":
            return None
        return sum(p.stat().st_size for p in self.tmp.glob("crm.db*")) // 1024

    def stop(self) -> int | None:
        """SIGTERM, then the exit code (None when it had to be killed after 60 s)."""
        if self.proc is None or self.exit_code is not None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.exit_code = None
        self.log_file.close()
        return self.exit_code

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cleanup(self) -> None:
        self.stop()
        if self.opts.keep:
            log(f"kept {self.tmp}" + (f" and database {self.pg_name}" if self.pg_name else ""))
            return
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.pg_name:
            try:
                psql(self.opts.database_url, f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            except subprocess.CalledProcessError as err:
                log(f"could not drop {self.pg_name}: {err.stderr.strip()}")


# --- the GraphQL client and its counters --------------------------------------

@dataclass
class Stats:
    """One thread's counters; merged at the end."""
    latencies: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    requests: Counter = field(default_factory=Counter)
    http_5xx: Counter = field(default_factory=Counter)
    http_other: Counter = field(default_factory=Counter)
    error_codes: Counter = field(default_factory=Counter)
    rate_limited: Counter = field(default_factory=Counter)
    transport_errors: Counter = field(default_factory=Counter)
    acknowledged: Counter = field(default_factory=Counter)
    unacknowledged: Counter = field(default_factory=Counter)
    samples: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def sample(self, kind: str, entry: dict) -> None:
        if len(self.samples[kind]) < SAMPLES_PER_KIND:
            self.samples[kind].append(entry)

    def merge(self, other: "Stats") -> None:
        for op, values in other.latencies.items():
            self.latencies[op].extend(values)
        for name in ("requests", "http_5xx", "http_other", "error_codes", "rate_limited",
                     "transport_errors", "acknowledged", "unacknowledged"):
            getattr(self, name).update(getattr(other, name))
        for kind, entries in other.samples.items():
            self.samples[kind].extend(entries[:SAMPLES_PER_KIND - len(self.samples[kind])])


@dataclass
class Result:
    data: dict | None
    errors: list[dict]

    def ok(self, name: str) -> bool:
        return not self.errors and bool(self.data) and self.data.get(name) is not None


def error_code(error: dict) -> str:
    return str((error.get("extensions") or {}).get("code") or "NO_CODE")


class Client:
    """One keep-alive HTTP connection with a tenant's token; counts what it sees."""

    def __init__(self, port: int, token: str, t0: float, deadline: float):
        self.port, self.token, self.t0, self.deadline = port, token, t0, deadline
        self.stats = Stats()
        self.conn: http.client.HTTPConnection | None = None
        self.last_ms = 0.0

    def _post(self, body: bytes) -> tuple[int, http.client.HTTPMessage, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.request("POST", "/graphql", body, {
            "Content-Type": "application/json", "Accept": "application/json",
            "Authorization": f"Bearer {self.token}"})
        resp = self.conn.getresponse()
        raw = resp.read()
        if resp.will_close:
            self._reset()
        return resp.status, resp.headers, raw

    def _reset(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def call(self, op: str, query: str, variables: dict | None = None, write: bool = False) -> Result | None:
        """Runs one operation; None when it got no usable answer (counted and sampled)."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        while True:
            started = time.monotonic()
            try:
                status, headers, raw = self._post(body)
            except (OSError, http.client.HTTPException) as err:
                self._reset()
                self.stats.transport_errors[op] += 1
                self._failed(op, write, "transport", query, variables, None, repr(err))
                return None
            elapsed_ms = (time.monotonic() - started) * 1000
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            delay = self._retry_delay(status, headers, payload)
            if delay is not None:
                self.stats.rate_limited[op] += 1
                if time.monotonic() + delay > self.deadline:
                    return None
                time.sleep(delay)
                continue
            self.stats.requests[op] += 1
            self.stats.latencies[op].append((started - self.t0, elapsed_ms))
            self.last_ms = elapsed_ms
            return self._classify(op, write, query, variables, status, raw, payload)

    @staticmethod
    def _retry_delay(status: int, headers, payload) -> float | None:
        """Seconds to wait when the request was refused by the rate limit, else None."""
        if not isinstance(payload, dict):
            payload = {}
        errors = payload.get("errors") or []
        refused = bool(errors) and not payload.get("data") and all(
            error_code(e) == "RATE_LIMITED" for e in errors)
        if status != 429 and not refused:
            return None
        for value in (headers.get("Retry-After"),
                      *((e.get("extensions") or {}).get("retryAfter") for e in errors)):
            try:
                return max(0.05, float(value))
            except (TypeError, ValueError):
                continue
        return 1.0

    def _classify(self, op, write, query, variables, status, raw, payload) -> Result | None:
        text = raw.decode(errors="replace")
        if status >= 500:
            self.stats.http_5xx[status] += 1
            self._failed(op, write, f"http {status}", query, variables, status, text)
            return None
        if not isinstance(payload, dict):
            self.stats.http_other[f"{status} (not JSON)"] += 1
            self._failed(op, write, "not JSON", query, variables, status, text)
            return None
        errors = payload.get("errors") or []
        for e in errors:
            self.stats.error_codes[error_code(e)] += 1
        if status != 200:
            self.stats.http_other[status] += 1
            self._failed(op, write, f"http {status}", query, variables, status, text)
            return None
        if errors:  # sampled under each code it carries, counted once as unanswered
            codes = list(dict.fromkeys(error_code(e) for e in errors))
            self._failed(op, write, codes[0], query, variables, status, text)
            for code in codes[1:]:
                self._failed(op, False, code, query, variables, status, text)
        elif write:
            self.stats.acknowledged[op] += 1
        return Result(payload.get("data"), errors)

    def _failed(self, op, write, kind, query, variables, status, text) -> None:
        if write:
            self.stats.unacknowledged[op] += 1
        self.stats.sample(kind, {
            "op": op, "at_s": round(time.monotonic() - self.t0, 3),
            "latency_ms": round(self.last_ms, 1) if status is not None else None, "query": query,
            "variables": variables, "status": status, "response": text[:4000]})


# --- the ledger ----------------------------------------------------------------

@dataclass
class CustomerRecord:
    """What the API must answer for one customer, from its acknowledged writes."""
    id: str
    tenant: str
    fields: dict
    orders: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)
    activities: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class ImportBatch:
    tenant: str
    batch: str
    rows: dict[str, dict]  # email -> expected fields


@dataclass
class Tenant:
    """What the clients of one tenant share: customer IDs to read, segments."""
    name: str
    segment_ids: list[str] = field(default_factory=list)
    customer_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, customer_id: str) -> None:
        with self.lock:
            self.customer_ids.append(customer_id)

    def any_customer(self, rng: random.Random) -> str | None:
        with self.lock:
            return rng.choice(self.customer_ids) if self.customer_ids else None


def expected_fields(given: dict, previous: dict | None = None) -> dict:
    """The fields the API shows after `given` (create input or update patch)."""
    out = dict(previous or {
        "firstName": None, "lastName": None, "email": None, "phone": None, "companyName": None,
        "status": "ACTIVE", "source": None, "tags": [], "address": None, "metadata": {}})
    for key, value in given.items():
        if key == "email" and value is not None:
            value = value.lower()
        elif key == "phone" and value is not None:
            value = "+" + "".join(ch for ch in value if ch.isdigit())
        elif key == "tags":
            value = sorted(set(value or []))
        elif key == "address" and value is not None:
            value = {k: value.get(k) for k in ("line1", "line2", "city", "state", "postalCode", "country")}
        out[key] = value
    names = [n for n in (out["firstName"], out["lastName"]) if n]
    out["name"] = " ".join(names) or None
    return out


def now_rfc3339(delta: timedelta = timedelta()) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- the workload ----------------------------------------------------------------

class Worker(threading.Thread):
    """One client: a tenant, a token, its own customers, and its share of the ledger."""

    def __init__(self, index: int, tenant: Tenant, client: Client, stop_at: float, seed: int):
        super().__init__(name=f"client-{index:02d}", daemon=True)
        self.index, self.tenant, self.client, self.stop_at = index, tenant, client, stop_at
        self.sub = f"soak-{index:02d}"
        self.rng = random.Random(seed * 1000 + index)
        self.seq = 0
        self.own: dict[str, CustomerRecord] = {}
        self.own_ids: list[str] = []
        self.imports: list[ImportBatch] = []
        self.created = 0  # customers this client's acknowledged writes created
        self.anomalies: list[dict] = []
        self.steady_at = float("inf")  # --steady: when writes stop adding rows

    # helpers

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def tag(self) -> str:
        return f"{self.tenant.name}-c{self.index:02d}"

    def new_email(self, kind: str = "cus") -> str:
        email = f"{kind}.{self.tag()}.{self.next_seq()}@soak.example.com"
        return email.upper() if self.rng.random() < 0.1 else email

    def new_phone(self) -> str:
        digits = f"{self.index:02d}{self.next_seq():06d}"
        return f"+34 6{digits[:2]} {digits[2:5]} {digits[5:]}"

    def address(self) -> dict:
        city, country, postal = self.rng.choice(CITIES)
        return {"line1": f"{self.rng.randint(1, 300)} Main Street", "city": city,
                "postalCode": postal, "country": country}

    def metadata(self) -> dict:
        return {"plan": self.rng.choice(["pro", "free"]), "score": self.rng.randint(0, 100),
                "client": self.index, "prefs": {"lang": self.rng.choice(["es", "en", "de"])}}

    def own_customer(self) -> CustomerRecord:
        return self.own[self.rng.choice(self.own_ids)]

    def anomaly(self, kind: str, detail: dict) -> None:
        self.anomalies.append({"kind": kind, "client": self.index, **detail})

    def random_filter(self) -> dict:
        choice = self.rng.randrange(8)
        return [
            {},
            {"search": self.rng.choice(SEARCH_TERMS)},
            {"tags": [self.rng.choice(TAGS)]},
            {"tagsAny": self.rng.sample(TAGS, 2), "status": "ACTIVE"},
            {"minTotalSpent": "50.00", "maxTotalSpent": "5000.00"},
            {"country": self.rng.choice(CITIES)[1]},
            {"metadata": {"plan": "pro"}},
            {"createdAfter": now_rfc3339(timedelta(minutes=-5)), "search": "soak"},
        ][choice]

    def random_sort(self) -> dict:
        return {"field": self.rng.choice(SORT_FIELDS), "direction": self.rng.choice(["ASC", "DESC"])}

    # the loop

    def run(self) -> None:
        while time.monotonic() < self.stop_at:
            op = self.rng.choices(OPS, WEIGHTS)[0]
            if op in WRITES and op not in STEADY_WRITES and time.monotonic() >= self.steady_at \
                    and self.own_ids:
                op = self.rng.choices(list(STEADY_WRITES), list(STEADY_WRITES.values()))[0]
            self.step(op)

    def step(self, op: str) -> None:
        if not self.own_ids and op in WRITES and op not in ("createCustomer", "importCustomers"):
            op = "createCustomer"
        if op == "customer" and not self.tenant.customer_ids:
            op = "createCustomer"
        if op == "segmentMembers" and not self.tenant.segment_ids:
            op = "customers"
        getattr(self, "op_" + op)()

    # reads

    def op_customers(self) -> Result | None:
        return self.client.call("customers", Q_CUSTOMERS, {
            "first": self.rng.choice([10, 25, 50]), "filter": self.random_filter(),
            "sort": self.random_sort()})

    def op_customer(self) -> Result | None:
        customer_id = self.tenant.any_customer(self.rng)
        res = self.client.call("customer", Q_CUSTOMER, {"id": customer_id})
        if res is not None and not res.errors and (res.data or {}).get("customer") is None:
            self.anomaly("acknowledged customer read as null", {"id": customer_id})
        return res

    def op_customerCount(self) -> Result | None:
        return self.client.call("customerCount", Q_COUNT, {"filter": self.random_filter()})

    def op_customerStats(self) -> Result | None:
        days = self.rng.choice([None, 1, 7, 90])
        return self.client.call("customerStats", Q_STATS,
                                {"from": now_rfc3339(timedelta(days=-days)) if days else None})

    def op_segmentMembers(self) -> Result | None:
        variables = {"id": self.rng.choice(self.tenant.segment_ids), "first": self.rng.choice([10, 25]),
                     "sort": self.random_sort()}
        if self.rng.random() < 0.3:
            variables["filter"] = self.random_filter()
        return self.client.call("segmentMembers", Q_SEGMENT_MEMBERS, variables)

    # writes

    def op_createCustomer(self) -> Result | None:
        given = {"firstName": self.rng.choice(FIRST_NAMES), "lastName": self.rng.choice(LAST_NAMES),
                 "email": self.new_email(), "source": "soak",
                 "tags": self.rng.sample(TAGS, self.rng.randint(0, 3)),
                 "address": self.address(), "metadata": self.metadata()}
        if self.rng.random() < 0.5:
            given["phone"] = self.new_phone()
        if self.rng.random() < 0.5:
            given["companyName"] = self.rng.choice(COMPANIES)
        res = self.client.call("createCustomer", M_CREATE, {"input": given}, write=True)
        if res is None or not res.ok("createCustomer"):
            return res
        payload = res.data["createCustomer"]
        if not payload["created"]:
            self.anomaly("createCustomer of a new email answered created: false",
                         {"input": given, "response": payload})
            return res
        record = CustomerRecord(payload["customer"]["id"], self.tenant.name, expected_fields(given))
        self.own[record.id] = record
        self.own_ids.append(record.id)
        self.created += 1
        self.tenant.add(record.id)
        return res

    def op_updateCustomer(self) -> Result | None:
        record = self.own_customer()
        patch: dict = {}
        if self.rng.random() < 0.5:
            patch["firstName"] = self.rng.choice(FIRST_NAMES)
        if self.rng.random() < 0.3:
            patch["lastName"] = self.rng.choice(LAST_NAMES)
        if self.rng.random() < 0.3:
            patch["companyName"] = self.rng.choice(COMPANIES)  # None clears it
        if self.rng.random() < 0.3:
            patch["source"] = self.rng.choice(["web", "shop", "referral"])
        if self.rng.random() < 0.2:
            patch["status"] = self.rng.choice(["ACTIVE", "ARCHIVED"])
        if self.rng.random() < 0.3:
            patch["metadata"] = self.metadata()
        if self.rng.random() < 0.2:
            patch["address"] = self.address()
        if self.rng.random() < 0.15:
            patch["email"] = self.new_email()
        if self.rng.random() < 0.1:
            patch["phone"] = self.new_phone() if self.rng.random() < 0.7 else None
        if not patch:
            patch["source"] = "soak-update"
        res = self.client.call("updateCustomer", M_UPDATE, {"id": record.id, "input": patch}, write=True)
        if res is not None and res.ok("updateCustomer"):
            record.fields = expected_fields(patch, record.fields)
        return res

    def op_recordOrder(self) -> Result | None:
        record = self.own_customer()
        order = {"externalId": f"ord-{self.tag()}-{self.next_seq()}",
                 "amount": f"{Decimal(self.rng.randint(100, 50000)) / 100:.2f}",
                 "currency": "EUR", "status": self.rng.choice(ORDER_STATUSES)}
        if self.rng.random() < 0.3:
            order["placedAt"] = now_rfc3339(timedelta(days=-self.rng.uniform(1, 700)))
        res = self.client.call("recordOrder", M_ORDER, {"customerId": record.id, "input": order}, write=True)
        if res is not None and res.ok("recordOrder"):
            record.orders[order["externalId"]] = (Decimal(order["amount"]), order["status"])
        return res

    def op_recordActivity(self) -> Result | None:
        record = self.own_customer()
        seq = self.next_seq()
        kind = self.rng.choice(ACTIVITY_TYPES)
        entry = {"type": kind, "title": f"{kind.lower()} #{seq} by {self.sub} «soak»",
                 "data": {"seq": seq, "path": "/pricing", "tags": ["a", "b"]}}
        if self.rng.random() < 0.5:
            entry["occurredAt"] = now_rfc3339(timedelta(hours=-self.rng.uniform(1, 2000)))
        res = self.client.call("recordActivity", M_ACTIVITY, {"customerId": record.id, "input": entry},
                               write=True)
        if res is not None and res.ok("recordActivity"):
            record.activities[res.data["recordActivity"]["id"]] = (kind, entry["title"])
        return res

    def op_addNote(self) -> Result | None:
        record = self.own_customer()
        lines = [f"Note {self.next_seq()} from {self.sub} — ünïcødé ✓"]
        lines += [f"line {i}: " + " ".join(["lorem ipsum"] * self.rng.randint(1, 20))
                  for i in range(self.rng.randint(0, 5))]
        body = "\n".join(lines)
        res = self.client.call("addNote", M_NOTE, {"customerId": record.id, "body": body}, write=True)
        if res is not None and res.ok("addNote"):
            record.notes[res.data["addNote"]["id"]] = (body, self.sub)
        return res

    def op_tagCustomers(self) -> Result | None:
        chosen = self.rng.sample(self.own_ids, min(len(self.own_ids), self.rng.randint(1, 5)))
        add = self.rng.sample(TAGS, self.rng.randint(1, 2))
        remove = self.rng.sample([t for t in TAGS if t not in add], self.rng.randint(0, 1))
        res = self.client.call("tagCustomers", M_TAG, {"ids": chosen, "add": add, "remove": remove},
                               write=True)
        if res is not None and res.ok("tagCustomers"):
            for customer_id in chosen:
                record = self.own[customer_id]
                tags = (set(record.fields["tags"]) | set(add)) - set(remove)
                record.fields = expected_fields({"tags": list(tags)}, record.fields)
        return res

    def op_importCustomers(self) -> Result | None:
        batch = f"{self.tag()}-b{self.next_seq()}"
        rows = []
        for _ in range(IMPORT_ROWS):
            rows.append({"firstName": self.rng.choice(FIRST_NAMES), "lastName": self.rng.choice(LAST_NAMES),
                         "email": self.new_email("imp"), "source": "import",
                         "tags": self.rng.sample(TAGS, self.rng.randint(0, 2)),
                         "metadata": {"batch": batch, "plan": self.rng.choice(["pro", "free"])}})
        res = self.client.call("importCustomers", M_IMPORT, {"rows": rows}, write=True)
        if res is None or not res.ok("importCustomers"):
            return res
        payload = res.data["importCustomers"]
        failed = {f["index"] for f in payload["failed"]}
        if failed or payload["created"] != IMPORT_ROWS:
            self.anomaly("importCustomers of new rows did not create them all",
                         {"batch": batch, "response": payload})
        self.created += payload["created"]
        self.imports.append(ImportBatch(self.tenant.name, batch, {
            row["email"].lower(): expected_fields(row) for i, row in enumerate(rows) if i not in failed}))
        return res

    def preflight(self) -> list[str]:
        """Runs every operation once; returns the problems."""
        problems = []
        for op in ["createCustomer", "createCustomer", *OPS]:
            res = getattr(self, "op_" + op)()
            if res is None or res.errors or not res.data:
                problems.append(f"{op}: {json.dumps(res.errors if res else None)[:2000]}")
        return problems


# --- verification ----------------------------------------------------------------

@dataclass
class Verification:
    checked: Counter = field(default_factory=Counter)
    lost: Counter = field(default_factory=Counter)
    samples: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, kind: str) -> None:
        with self.lock:
            self.checked[kind] += 1

    def fail(self, kind: str, detail: dict) -> None:
        with self.lock:
            self.checked[kind] += 1
            self.lost[kind] += 1
            if len(self.samples) < 50:
                self.samples.append({"kind": kind, **detail})


def compare_fields(expected: dict, actual: dict) -> dict:
    """Field -> (expected, actual) where they differ."""
    diffs = {}
    for key, want in expected.items():
        got = actual.get(key)
        if key == "tags":
            got = sorted(got or [])
        if got != want:
            diffs[key] = {"expected": want, "actual": got}
    return diffs


def read_list(client: Client, customer_id: str, name: str, first_page: dict) -> list[dict] | None:
    """Every node of one of the customer's lists, following pages."""
    nodes, page = list(first_page["nodes"]), first_page["pageInfo"]
    while page["hasNextPage"]:
        res = client.call("verify:" + name, page_query(name), {"id": customer_id, "after": page["endCursor"]})
        if res is None or res.errors or not (res.data or {}).get("customer"):
            return None
        conn = res.data["customer"][name]
        nodes.extend(conn["nodes"])
        page = conn["pageInfo"]
    return nodes


def verify_customer(client: Client, record: CustomerRecord, v: Verification) -> None:
    res = client.call("verify:customer", Q_VERIFY_CUSTOMER, {"id": record.id})
    where = {"tenant": record.tenant, "customer": record.id}
    if res is None or res.errors:
        v.fail("unreadable customer", {**where, "errors": res and res.errors})
        return
    actual = res.data.get("customer")
    if actual is None:
        v.fail("customer", {**where, "missing": True})
        return
    diffs = compare_fields(record.fields, actual)
    if diffs:
        v.fail("customer", {**where, "diffs": diffs})
    else:
        v.ok("customer")
    lists = {name: read_list(client, record.id, name, actual[name]) for name in VERIFY_LISTS}
    verify_orders(record, lists["orders"], actual, v, where)
    verify_items("note", record.notes, lists["notes"], lambda n: (n["body"], n["author"]), v, where)
    verify_items("activity", record.activities, lists["activity"], lambda a: (a["type"], a["title"]), v, where)


def verify_orders(record: CustomerRecord, orders: list[dict] | None, customer: dict,
                  v: Verification, where: dict) -> None:
    by_external = {o["externalId"]: (Decimal(o["amount"]), o["status"]) for o in orders or []}
    for external_id, want in record.orders.items():
        got = by_external.get(external_id)
        if got == want:
            v.ok("order")
        else:
            v.fail("order", {**where, "externalId": external_id, "expected": [str(want[0]), want[1]],
                             "actual": got and [str(got[0]), got[1]]})
    if orders is None:
        return
    paid = [amount for amount, status in by_external.values() if status == "PAID"]
    totals = (customer["totalOrders"], Decimal(customer["totalSpent"]))
    if totals != (len(paid), sum(paid, Decimal("0"))):
        v.fail("totals vs paid orders", {**where, "customer": [totals[0], str(totals[1])],
                                         "paid orders": [len(paid), str(sum(paid, Decimal('0')))]})
    else:
        v.ok("totals vs paid orders")


def verify_items(kind: str, expected: dict, nodes: list[dict] | None, value, v: Verification,
                 where: dict) -> None:
    by_id = {n["id"]: value(n) for n in nodes or []}
    for item_id, want in expected.items():
        got = by_id.get(item_id)
        if got == want:
            v.ok(kind)
        else:
            v.fail(kind, {**where, "id": item_id, "expected": want, "actual": got})


def verify_batch(client: Client, batch: ImportBatch, v: Verification) -> None:
    res = client.call("verify:import", Q_VERIFY_BATCH, {"filter": {"metadata": {"batch": batch.batch}}})
    found = {c["email"]: c for c in ((res and res.data or {}).get("customers") or {}).get("nodes", [])}
    for email, want in batch.rows.items():
        actual = found.get(email)
        how = "metadata filter"
        if actual is None:  # not in the filtered list: is it there at all?
            lookup = client.call("verify:lookup", Q_LOOKUP, {"email": email})
            actual = lookup and (lookup.data or {}).get("customerLookup")
            how = "customerLookup (missing from the metadata filter)"
        diffs = compare_fields(want, actual) if actual else {"missing": True}
        if diffs:
            v.fail("imported row", {"tenant": batch.tenant, "batch": batch.batch, "email": email,
                                    "found by": how, "diffs": diffs})
        elif how != "metadata filter":
            v.fail("imported row missing from metadata filter", {"tenant": batch.tenant, "email": email})
        else:
            v.ok("imported row")


def verify_all(port: int, tokens: dict[str, str], workers: list[Worker], threads: int, t0: float
               ) -> tuple[Verification, Stats]:
    """Reads back every customer and import batch of the ledger, on `threads` threads."""
    v = Verification()
    local = threading.local()
    clients: list[Client] = []
    clients_lock = threading.Lock()

    def client_for(tenant: str) -> Client:
        """This thread's client for the tenant."""
        mine = local.__dict__.setdefault("clients", {})
        if tenant not in mine:
            mine[tenant] = Client(port, tokens[tenant], t0, float("inf"))
            with clients_lock:
                clients.append(mine[tenant])
        return mine[tenant]

    def job(check, item) -> None:
        check(client_for(item.tenant), item, v)

    items = [(verify_customer, r) for w in workers for r in w.own.values()]
    items += [(verify_batch, b) for w in workers for b in w.imports]
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(job, check, item) for check, item in items]:
            future.result()
    stats = Stats()
    for c in clients:
        stats.merge(c.stats)
    return v, stats


def verify_counts(port: int, tokens: dict[str, str], workers: list[Worker], t0: float,
                  v: Verification, stats: Stats) -> dict[str, dict]:
    """customerCount per tenant against the customers the ledger created."""
    expected = Counter()
    uncertain = Counter()
    for w in workers:
        expected[w.tenant.name] += w.created
        uncertain[w.tenant.name] += (w.client.stats.unacknowledged["createCustomer"]
                                     + IMPORT_ROWS * w.client.stats.unacknowledged["importCustomers"])
    out = {}
    for tenant, token in tokens.items():
        client = Client(port, token, t0, float("inf"))
        res = client.call("verify:customerCount", Q_COUNT, {})
        stats.merge(client.stats)
        actual = (res.data or {}).get("customerCount") if res and not res.errors else None
        out[tenant] = {"expected": expected[tenant], "actual": actual,
                       "unacknowledged create rows": uncertain[tenant]}
        explained = actual is not None and expected[tenant] <= actual <= expected[tenant] + uncertain[tenant]
        if actual == expected[tenant]:
            v.ok("customerCount")
        elif explained:
            v.ok("customerCount")  # the extra customers come from writes that got no answer
        else:
            v.fail("customerCount", {"tenant": tenant, **out[tenant]})
    return out


# --- the run -----------------------------------------------------------------------

class RssSampler(threading.Thread):
    def __init__(self, server: Server, t0: float):
        super().__init__(name="rss", daemon=True)
        self.server, self.t0 = server, t0
        self.samples: list[tuple[float, int]] = []
        # (at, RssAnon, RssFile + RssShmem, database size), all KiB.
        self.parts: list[tuple[float, int, int, int | None]] = []
        self.stopped = threading.Event()

    def take(self) -> int | None:
        memory = self.server.memory_kib()
        kib = memory.get("VmRSS")
        if kib is not None:
            at = round(time.monotonic() - self.t0, 1)
            self.samples.append((at, kib))
            self.parts.append((at, memory.get("RssAnon", 0),
                               memory.get("RssFile", 0) + memory.get("RssShmem", 0),
                               self.server.database_kib()))
        return kib

    def run(self) -> None:
        while not self.stopped.wait(RSS_EVERY):
            self.take()


class Analyzer(threading.Thread):
    """Runs `ANALYZE` on the soak database every minute, standing in for
    autovacuum where the PostgreSQL server has it switched off (PostgreSQL's
    default has it on; without statistics on tables that grew from empty,
    the planner picks nested loops that take seconds)."""

    EVERY = 60.0

    def __init__(self, database_url: str):
        super().__init__(name="analyze", daemon=True)
        self.database_url = database_url
        self.stopped = threading.Event()
        self.runs = 0

    def run(self) -> None:
        while not self.stopped.wait(self.EVERY):
            psql(self.database_url, "ANALYZE")
            self.runs += 1


def autovacuum_off(database_url: str) -> bool:
    out = subprocess.run(["psql", database_url, "-Atc", "SHOW autovacuum"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip() == "off"


def setup_tenants(server: Server, opts, t0: float, ttl: int) -> tuple[list[Tenant], dict[str, str]]:
    tenants = [Tenant(f"soak-t{i:02d}") for i in range(opts.tenants)]
    tokens = {t.name: server.token(t.name, "soak-verify", ttl) for t in tenants}
    for tenant in tenants:
        client = Client(server.port, tokens[tenant.name], t0, float("inf"))
        for segment in SEGMENTS:
            res = client.call("createSegment", M_SEGMENT, {"input": segment}, write=True)
            if res is None or not res.ok("createSegment"):
                raise SystemExit(f"createSegment failed: {json.dumps(client.stats.samples)[:3000]}")
            tenant.segment_ids.append(res.data["createSegment"]["id"])
    return tenants, tokens


def progress(workers: list[Worker], sampler: RssSampler, t0: float, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        time.sleep(min(30.0, max(0.0, stop_at - time.monotonic())))
        total = sum(sum(w.client.stats.requests.values()) for w in workers)
        errors = sum(sum(w.client.stats.error_codes.values()) + sum(w.client.stats.http_5xx.values())
                     for w in workers)
        rss = sampler.samples[-1][1] if sampler.samples else 0
        log(f"{time.monotonic() - t0:6.0f} s: {total} requests, {errors} errors, RSS {rss / 1024:.1f} MiB")


def run(opts, server: Server) -> dict:
    total_s = opts.warmup + opts.duration
    ttl = int(total_s) + 3600
    t0 = time.monotonic()
    tenants, tokens = setup_tenants(server, opts, t0, ttl)
    log(f"{len(tenants)} tenants, {len(SEGMENTS)} segments each; minting {opts.clients} client tokens")
    workers = []
    for i in range(opts.clients):
        tenant = tenants[i % len(tenants)]
        client = Client(server.port, server.token(tenant.name, f"soak-{i:02d}", ttl), t0, float("inf"))
        workers.append(Worker(i, tenant, client, float("inf"), opts.seed))

    problems = workers[0].preflight()
    if problems:
        raise SystemExit("preflight failed:\n" + "\n".join(problems)
                         + "\n" + json.dumps(workers[0].client.stats.samples, indent=1)[:6000])
    log("preflight: every operation answered without errors")

    sampler = RssSampler(server, t0)
    start = time.monotonic()
    warm_at, stop_at = start + opts.warmup, start + total_s
    for w in workers:
        w.stop_at = w.client.deadline = stop_at
        if opts.steady:
            w.steady_at = warm_at
        w.start()
    sampler.start()
    analyzer = None
    if server.backend == "postgres" and autovacuum_off(server.database_url):
        log("autovacuum is off on this PostgreSQL server: running ANALYZE every minute instead")
        analyzer = Analyzer(server.database_url)
        analyzer.start()
    server.analyze_every_s = Analyzer.EVERY if analyzer else None
    log(f"load: {opts.clients} clients for {opts.warmup:.0f} s warm-up + {opts.duration:.0f} s"
        + (" (steady: no new rows after the warm-up)" if opts.steady else ""))
    time.sleep(max(0.0, warm_at - time.monotonic()))
    rss_warm = sampler.take()
    log(f"warm-up done, RSS {(rss_warm or 0) / 1024:.1f} MiB")
    progress(workers, sampler, t0, stop_at)
    for w in workers:
        w.join()
    rss_end = sampler.take()
    sampler.stopped.set()
    if analyzer:
        analyzer.stopped.set()
    log(f"load done, RSS {(rss_end or 0) / 1024:.1f} MiB; verifying the ledger")

    stats = Stats()
    for w in workers:
        stats.merge(w.client.stats)
    v, verify_stats = verify_all(server.port, tokens, workers, opts.verify_threads, t0)
    counts = verify_counts(server.port, tokens, workers, t0, v, verify_stats)
    for w in workers:
        for a in w.anomalies:
            v.fail(a["kind"], a)
    log(f"verified {sum(v.checked.values())} items, {sum(v.lost.values())} lost or wrong")
    exit_code = server.stop()
    log(f"server stopped with exit code {exit_code}")
    return build_report(opts, server, stats, verify_stats, v, counts, sampler, workers,
                        measured_from=warm_at - t0, measured_s=opts.duration,
                        rss=(rss_warm, rss_end), exit_code=exit_code)


# --- the report ----------------------------------------------------------------------

def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def build_report(opts, server, stats: Stats, verify_stats: Stats, v: Verification, counts, sampler,
                 workers, measured_from, measured_s, rss, exit_code) -> dict:
    operations = {}
    measured_total = 0
    for op in OPS:
        ms = sorted(ms for t, ms in stats.latencies.get(op, []) if t >= measured_from)
        measured_total += len(ms)
        operations[op] = {
            "requests": stats.requests[op], "measured": len(ms),
            "p50_ms": round(percentile(ms, 0.50), 2) if ms else None,
            "p99_ms": round(percentile(ms, 0.99), 2) if ms else None,
            "max_ms": round(ms[-1], 2) if ms else None,
            "acknowledged": stats.acknowledged[op], "unacknowledged": stats.unacknowledged[op],
            "rate_limited": stats.rate_limited[op]}
    everything = Stats()
    everything.merge(stats)
    everything.merge(verify_stats)
    rss_warm, rss_end = rss
    growth = round((rss_end - rss_warm) * 100 / rss_warm, 1) if rss_warm and rss_end else None
    report = {
        "backend": server.backend,
        "binary": opts.crm,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "config": {"clients": opts.clients, "tenants": opts.tenants, "duration_s": opts.duration,
                   "warmup_s": opts.warmup, "steady": opts.steady,
                   "rate_bucket": opts.rate_bucket,
                   "analyze_every_s": server.analyze_every_s, "server_env": opts.server_env,
                   "rate_restore": opts.rate_restore, "seed": opts.seed},
        "requests": {"total": sum(stats.requests.values()), "measured": measured_total,
                     "per_second": round(measured_total / measured_s, 1) if measured_s else None,
                     "verification": sum(verify_stats.requests.values())},
        "operations": operations,
        "http_5xx": dict(everything.http_5xx),
        "http_other": {str(k): n for k, n in everything.http_other.items()},
        "graphql_errors": dict(everything.error_codes),
        "rate_limited": sum(everything.rate_limited.values()),
        "transport_errors": sum(everything.transport_errors.values()),
        "writes": {"acknowledged": sum(stats.acknowledged.values()),
                   "unacknowledged": sum(stats.unacknowledged.values()),
                   "customers_created": sum(w.created for w in workers),
                   "checked": dict(v.checked), "lost": sum(v.lost.values()), "lost_by_kind": dict(v.lost)},
        "customer_count": counts,
        "rss_kib": {"after_warmup": rss_warm, "end": rss_end, "growth_pct": growth,
                    "peak": max((k for _, k in sampler.samples), default=None),
                    "samples": sampler.samples, "parts": sampler.parts,
                    "measured_from_s": round(measured_from, 1)},
        "server_exit_code": exit_code,
        "client_cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime
                              + resource.getrusage(resource.RUSAGE_SELF).ru_stime, 1),
        "server_log": str(server.log_path),
        "lost_write_samples": v.samples,
        "error_samples": dict(everything.samples),
    }
    report["failures"] = failures(report)
    return report


def failures(r: dict) -> list[str]:
    out = []
    if r["http_5xx"]:
        out.append(f"HTTP 5xx: {r['http_5xx']}")
    if r["graphql_errors"].get("INTERNAL_SERVER_ERROR"):
        out.append(f"INTERNAL_SERVER_ERROR: {r['graphql_errors']['INTERNAL_SERVER_ERROR']}")
    if r["writes"]["lost"]:
        out.append(f"lost or wrong writes: {r['writes']['lost_by_kind']}")
    if r["transport_errors"]:
        out.append(f"dropped connections / timeouts: {r['transport_errors']}")
    if r["server_exit_code"] != 0:
        out.append(f"server exit code after SIGTERM: {r['server_exit_code']}")
    return out


def fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} ms"


def rss_by_minute(samples: list, measured_from_s: float) -> str:
    """The first sample at or after each whole minute past the warm-up."""
    picked, next_at = [], measured_from_s
    for at, kib in samples:
        if at >= next_at:
            picked.append(f"{kib / 1024:.0f}")
            next_at += 60
    return " · ".join(picked) or "–"


def parts_by_minute(parts: list, measured_from_s: float) -> tuple[str, str]:
    """Anonymous / file-backed RSS, and the database's size, at each whole
    minute past the warm-up (MiB)."""
    memory, database, next_at = [], [], measured_from_s
    for at, anon, file, db in parts:
        if at >= next_at:
            memory.append(f"{anon / 1024:.0f}/{file / 1024:.0f}")
            if db is not None:
                database.append(f"{db / 1024:.0f}")
            next_at += 60
    return " · ".join(memory) or "–", " · ".join(database)


def markdown(r: dict) -> str:
    c = r["config"]
    backend = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[r["backend"]]
    errors = ", ".join(f"{code} {n}" for code, n in sorted(r["graphql_errors"].items())) or "none"
    rss = r["rss_kib"]
    rss_line = (f"{rss['after_warmup'] / 1024:.1f} MiB / {rss['end'] / 1024:.1f} MiB "
                f"({rss['growth_pct']:+.1f} %), peak {rss['peak'] / 1024:.1f} MiB"
                if rss["after_warmup"] and rss["end"] else "–")
    memory_parts, database_sizes = parts_by_minute(rss.get("parts", []), rss["measured_from_s"])
    w = r["writes"]
    lines = [
        f"## Soak, {backend}: {c['clients']} clients, {c['tenants']} tenants, "
        f"{c['duration_s']:.0f} s after {c['warmup_s']:.0f} s warm-up"
        f"{', steady (no new rows after it)' if c.get('steady') else ''} ({r['date']})",
        "",
        "| measure | result |",
        "|---|---|",
        f"| requests (after warm-up) | {r['requests']['measured']} ({r['requests']['per_second']} req/s); "
        f"{r['requests']['total']} in all |",
        f"| writes acknowledged / unanswered | {w['acknowledged']} / {w['unacknowledged']} |",
        f"| ledger items read back | {sum(w['checked'].values())} |",
        f"| lost or wrong writes | **{w['lost']}** |",
        f"| HTTP 5xx | **{sum(r['http_5xx'].values())}** |",
        f"| other HTTP errors | {sum(r['http_other'].values())} |",
        f"| GraphQL errors by code | {errors} |",
        f"| 429 rate-limited (waited, retried) | {r['rate_limited']} |",
        f"| dropped connections / timeouts | {r['transport_errors']} |",
        f"| RSS after warm-up / at end | {rss_line} |",
        f"| RSS each minute after warm-up (MiB) | {rss_by_minute(rss['samples'], rss['measured_from_s'])} |",
        f"| of which anonymous / file-backed, each minute (MiB) | {memory_parts} |",
        *([f"| database and WAL on disk, each minute (MiB) | {database_sizes} |"]
          if database_sizes else []),
        f"| server exit code after SIGTERM | {r['server_exit_code']} |",
        *([f"| `ANALYZE` by the script (autovacuum off) | every {c['analyze_every_s']:.0f} s |"]
          if c.get("analyze_every_s") else []),
        "",
        "| operation | requests | p50 | p99 |",
        "|---|---|---|---|",
    ]
    for op, o in r["operations"].items():
        lines.append(f"| `{op}` | {o['measured']} | {fmt_ms(o['p50_ms'])} | {fmt_ms(o['p99_ms'])} |")
    lines.append("")
    lines.append("Result: " + ("**FAILED**: " + "; ".join(r["failures"]) if r["failures"] else "passed"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    out = Path(opts.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    server = Server(opts, out.with_name(out.stem + "-server.log"))
    try:
        server.start()
        log(f"crm serve on port {server.port}, {server.backend} ({server.database_url})")
        report = run(opts, server)
    finally:
        server.cleanup()
    out.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False))
    print(markdown(report))
    print(f"\nJSON: {out}   server log: {server.log_path}")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
