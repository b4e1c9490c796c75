"""Creates a few objects of every kind for tests/fuzz/run.sh and prints their
IDs, space-separated: hooks.py mixes them into the generated IDs, so that
the fuzz reaches real customers, notes, segments, ... and not only NOT_FOUND.

    python3 seed.py URL TOKEN
"""

import json
import sys
import urllib.request

url, token = sys.argv[1:]


def gql(query):
    request = urllib.request.Request(
        url,
        json.dumps({"query": query}).encode(),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    body = json.load(urllib.request.urlopen(request))
    assert not body.get("errors"), body
    return body["data"]


first = gql("""mutation {
  a: createCustomer(input: { firstName: "Ana", lastName: "Núñez", email: "ana@example.com", phone: "+34 612 345 678",
       tags: ["vip"], address: { city: "Madrid", country: "ES" }, metadata: { plan: "pro" } }) { customer { id } }
  b: createCustomer(input: { name: "Bo Li", email: "bo@example.com" }) { customer { id } }
  c: createCustomer(input: { firstName: "Zoë", phone: "+1 415 555 0100", status: ACTIVE }) { customer { id } }
  e: createCustomer(input: { lastName: "O'Brien", companyName: "Acme", tags: ["churned"] }) { customer { id } }
  d: createSegment(input: { name: "big spenders", rules: [{ field: "total_spent", operator: "gte", value: 100 }] }) { id }
  w: createWebhookEndpoint(url: "http://127.0.0.1:9/hook", events: ["customer.created"]) { id }
}""")
a, b, c, e = (first[k]["customer"]["id"] for k in "abce")
then = gql(f"""mutation {{
  o: recordOrder(customerId: "{a}", input: {{ externalId: "o-1", amount: "120.50", currency: "EUR" }}) {{ id }}
  t: recordActivity(customerId: "{a}", input: {{ type: EMAIL, title: "welcome", data: {{ opened: true }} }}) {{ id }}
  n: addNote(customerId: "{a}", body: "called back") {{ id }}
  m: addNote(customerId: "{c}", body: "wants a demo") {{ id }}
  s: createSegment(input: {{ name: "picked", type: STATIC, customerIds: ["{a}", "{b}"] }}) {{ id }}
  r: createRemovalRequest(customerId: "{b}", input: {{ type: EXPORT }}) {{ id }}
}}""")
print(a, b, c, e, first["d"]["id"], first["w"]["id"], *(v["id"] for v in then.values()))
