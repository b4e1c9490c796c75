#!/usr/bin/env python3
"""`customersCount` (limit 10,000) of the given queries against a running
server, one request at a time over one connection: the count, its
precision and p50 / p90 of 60 requests after 5 warm-ups each. For an A/B
of two builds over the same database, run it against each in turn.

    TOKEN=$(crm token --tenant bench-big) URL=http://127.0.0.1:8080 \\
      python3 bench/counts.py 'churn_risk:>0.7' 'rfm_segment:champions'
"""

import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

COUNT = "query($q: String) { customersCount(query: $q) { count precision } }"

url = urllib.parse.urlparse(os.environ.get("URL", "http://127.0.0.1:8080"))
headers = {
    "content-type": "application/json",
    "authorization": "Bearer " + os.environ["TOKEN"],
}
conn = http.client.HTTPConnection(url.hostname, url.port)


def count(query):
    body = json.dumps({"query": COUNT, "variables": {"q": query}})
    conn.request("POST", "/graphql", body, headers)
    answer = json.loads(conn.getresponse().read())
    return answer["data"]["customersCount"]


for query in sys.argv[1:]:
    counted = count(query)
    for _ in range(5):
        count(query)
    times = []
    for _ in range(60):
        started = time.perf_counter()
        count(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    print(
        f"| `{query}` ({counted['count']} {counted['precision']}) "
        f"| p50 {statistics.median(times):.2f} ms, p90 {times[53]:.2f} ms |"
    )
