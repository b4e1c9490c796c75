"""Schemathesis hooks for fuzzing crm's GraphQL schema (tests/fuzz/run.sh).

Strategies for the schema's custom scalars (DateTime, Decimal, JSON) and for
String and ID: mostly valid values, with a share of edge cases and junk. A
rewrite of paging arguments and IDs, so that positive cases get past the
argument checks. And the check `no_internal_errors`, which replaces the
built-in checks that count the API's intentional errors (BAD_USER_INPUT,
NOT_FOUND, ...) as failures.
"""

import datetime as dt
import os
import zlib

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


def weighted(*choices):
    """One of the (weight, strategy) choices, drawn in proportion to its weight."""
    return st.sampled_from([s for w, s in choices for _ in range(w)]).flatmap(lambda s: s)


# String (replacing the built-in strategy): random text, plus pieces that
# break careless code: NUL (PostgreSQL text and jsonb refuse it), LIKE
# wildcards and escapes, quotes, case folding that changes length, bidi
# controls, astral characters, and a value longer than any text limit.
NASTY = ["\x00", "%", "_", "\\", "'", '"', "' OR '1'='1", "--", "\u202e", "\U0001f600", "ß", "İ", "ﬃ", "\r\n", "\t",
         " ", "\ufeff", "\u0301", "x" * 2_001]  # fmt: skip
text = weighted(
    (4, st.text(max_size=40)),
    (1, st.sampled_from(NASTY)),
    (1, st.tuples(st.text(max_size=8), st.sampled_from(NASTY), st.text(max_size=8)).map("".join)),
)
junk = text
schemathesis.graphql.scalar("String", text.map(nodes.String))


# DateTime: RFC 3339. Mostly UTC instants in a plausible range, also far
# years and the widest offsets (converting them to UTC may overflow), and junk.
utc_instants = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1))
far_instants = st.datetimes(
    timezones=st.sampled_from([dt.timezone.utc, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12))])
)
schemathesis.graphql.scalar(
    "DateTime",
    weighted(
        (2, utc_instants.map(lambda d: d.isoformat() + "Z")),
        (2, utc_instants.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))),
        (1, far_instants.map(lambda d: d.isoformat())),
        (1, junk),
    ).map(nodes.String),
)

# Decimal: money as a string with two decimals; also other scales, huge or
# odd numbers, numbers instead of strings, and junk.
schemathesis.graphql.scalar(
    "Decimal",
    weighted(
        (6, st.decimals(min_value=-10**9, max_value=10**9, places=2).map(lambda d: nodes.String(format(d, "f")))),
        (1, st.decimals(allow_nan=True, allow_infinity=True).map(lambda d: nodes.String(str(d)))),
        (1, st.sampled_from(["0", "-0.00", "0.001", "1e3", "1E+400", "99999999999999999999999999999.99", " 1.00", ""]).map(nodes.String)),
        (1, st.integers().map(nodes.Int)),
        (1, st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float)),
        (1, junk.map(nodes.String)),
    ),
)


# JSON: any JSON value, written as a GraphQL literal, with the edges of f64
# and i64 among the numbers; objects most of the time, since metadata,
# filters and rule values expect them.
def _object(pairs):
    return nodes.Object(
        [graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in pairs.items()]
    )


json_keys = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,12}\Z")
json_values = st.recursive(
    st.one_of(
        st.just(nodes.Null),
        st.booleans().map(nodes.Boolean),
        st.integers().map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.sampled_from([1.7976931348623157e308, -1.7976931348623157e308, 5e-324]).map(nodes.Float),
        st.sampled_from([2**63, 2**64, -(2**63) - 1]).map(nodes.Int),
        text.map(nodes.String),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(nodes.List),
        st.dictionaries(json_keys, inner, max_size=5).map(_object),
    ),
    max_leaves=20,
)
schemathesis.graphql.scalar(
    "JSON",
    weighted((3, st.dictionaries(json_keys, json_values, max_size=6).map(_object)), (1, json_values)),
)

# ID: the IDs of the objects run.sh created (FUZZ_IDS, space-separated), IDs
# of the right shape that exist nowhere, IDs of another type, and junk.
PREFIXES = ["cus_", "ord_", "act_", "note_", "seg_", "drr_", "whk_", "whd_", "evt_"]
seeded = os.environ.get("FUZZ_IDS", "").split()
made_up = st.tuples(st.sampled_from(PREFIXES), st.from_regex(r"\A[0-9a-f]{32}\Z")).map("".join)
schemathesis.graphql.scalar(
    "ID",
    weighted(
        (4 if seeded else 0, st.sampled_from(seeded or ["-"])),
        (2, made_up),
        (1, st.sampled_from(PREFIXES + ["", "cus", "cus_0", "CUS_" + "0" * 32])),
        (1, junk),
    ).map(nodes.String),
)


# Positive cases are rewritten before they are sent, so that they get past
# the argument checks and reach the database, the lists, filters and sorts:
#  - paging: random `first`/`last`/`after`/`before` nearly always break a
#    rule (both `first` and `last`, over 100, `after` with `last`, a cursor
#    that is not one). Keep `first` (or else `last`) within 1..100, and its
#    cursor (`after` or `before`) one time in four.
#  - IDs: a seeded ID in an argument that takes another type is swapped for a
#    seeded ID of that type (`updateNote(id:)` gets a `note_`).
ID_ARGUMENTS = {"customerId": "cus_", "customerIds": "cus_", "keepId": "cus_", "mergeId": "cus_", "segmentId": "seg_"}
ID_FIELDS = {
    "customer": "cus_", "updateCustomer": "cus_", "deleteCustomer": "cus_", "tagCustomers": "cus_",
    "updateNote": "note_", "deleteNote": "note_", "removalRequest": "drr_",
    "segment": "seg_", "updateSegment": "seg_", "deleteSegment": "seg_", "addSegmentMembers": "seg_", "removeSegmentMembers": "seg_",
    "webhookEndpoint": "whk_", "deleteWebhookEndpoint": "whk_",
}  # fmt: skip


def _retarget(value, prefix):
    if isinstance(value, graphql.ListValueNode):
        return nodes.List([_retarget(v, prefix) for v in value.values])
    of_type = [i for i in seeded if i.startswith(prefix)]
    if isinstance(value, graphql.StringValueNode) and value.value in seeded and of_type:
        return nodes.String(of_type[zlib.crc32(value.value.encode()) % len(of_type)])
    return value


class _Positive(graphql.Visitor):
    def enter_field(self, node, *_):
        names = {a.name.value for a in node.arguments or ()}
        size, cursor = ("first", "after") if "first" in names else ("last", "before")
        kept = []
        for arg in node.arguments or ():
            name, value = arg.name.value, arg.value
            prefix = ID_ARGUMENTS.get(name) or (ID_FIELDS.get(node.name.value) if name in ("id", "ids") else None)
            if prefix:
                value = _retarget(value, prefix)
            elif name == size and isinstance(value, graphql.IntValueNode):
                value = nodes.Int(abs(int(value.value)) % 100 + 1)
            elif name in ("first", "last", "after", "before") and not (
                name == cursor and isinstance(value, graphql.StringValueNode) and len(value.value) % 4 == 0
            ):
                continue
            kept.append(graphql.ArgumentNode(name=arg.name, value=value))
        return graphql.FieldNode(
            alias=node.alias, name=node.name, arguments=tuple(kept), directives=node.directives, selection_set=node.selection_set
        )


@schemathesis.hook
def map_case(context, case):
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, str):
        return case
    case.body = graphql.print_ast(graphql.visit(graphql.parse(case.body), _Positive()))
    return case


# Text that must never reach a client: it means an internal error leaked.
LEAK_MARKERS = ("panicked at", "sqlx", "SQLSTATE", "stack backtrace", "DbErr", "RUST_BACKTRACE")


@schemathesis.check
def no_internal_errors(ctx, response, case):
    """No 5xx, no INTERNAL_SERVER_ERROR, an extensions.code on every error."""
    assert response.status_code < 500, f"HTTP {response.status_code}: {response.text[:500]}"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"HTTP {response.status_code} with a body that is not JSON: {response.text[:500]!r}")
    assert isinstance(body, dict), f"the body is not a JSON object: {response.text[:500]}"
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code != "INTERNAL_SERVER_ERROR", f"INTERNAL_SERVER_ERROR: {error}"
        assert code is not None, f"error without extensions.code: {error}"
        leaked = [m for m in LEAK_MARKERS if m.lower() in str(error).lower()]
        assert not leaked, f"error leaks internals ({leaked}): {error}"
