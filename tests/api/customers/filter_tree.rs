//! The filter tree: `and`, `or` and `not` nested, checked against an
//! oracle over generated trees (the rows each should match, computed here
//! from the customers' known fields), on lists and counts alike, and each
//! tree written as a text query, which must match the same rows.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, record_order, spawn_app};

/// What the oracle knows of a customer.
struct Known {
    email: String,
    vip: bool,
    country: Option<&'static str>,
    archived: bool,
    kestrel: bool,
    ordered: bool,
    berliner: bool,
    from_web: bool,
}

/// One condition of a leaf filter.
#[derive(Clone, Copy)]
enum Atom {
    Vip,
    German,
    Archived,
    Kestrel,
    /// Has ordered: a range on a column that is NULL for the others.
    Ordered,
    Berliner,
    FromWeb,
    TwoOrders,
    /// No paid order: RFM segment NONE.
    Unrated,
    /// Low churn risk: those who ordered, all just now.
    Loyal,
    /// An average order of exactly 5.00: those who ordered.
    AverageFive,
    /// One email exactly, in another case.
    Third,
}

impl Atom {
    fn filter(self) -> Value {
        match self {
            Atom::Vip => json!({ "tags": ["vip"] }),
            Atom::German => json!({ "country": "DE" }),
            Atom::Archived => json!({ "status": "ARCHIVED" }),
            Atom::Kestrel => json!({ "search": "kestrel" }),
            Atom::Ordered => json!({ "lastOrderAfter": "2000-01-01T00:00:00Z" }),
            Atom::Berliner => json!({ "city": "Berlin" }),
            Atom::FromWeb => json!({ "source": "web" }),
            Atom::TwoOrders => json!({ "minOrders": 2, "maxOrders": 5 }),
            Atom::Unrated => json!({ "rfmSegment": ["NONE"] }),
            Atom::Loyal => json!({ "churnRiskBelow": 0.5 }),
            Atom::AverageFive => {
                json!({ "minAverageOrderValue": "5.00", "maxAverageOrderValue": "5.00" })
            }
            Atom::Third => json!({ "email": "C3@ACME.example" }),
        }
    }

    /// The same condition in the query language.
    fn text(self) -> &'static str {
        match self {
            Atom::Vip => "tag:vip",
            Atom::German => "country:de",
            Atom::Archived => "status:archived",
            Atom::Kestrel => "kestrel",
            Atom::Ordered => "last_order_at:>1999-12-31",
            Atom::Berliner => "city:Berlin",
            Atom::FromWeb => "source:\"web\"",
            Atom::TwoOrders => "orders:2..5",
            Atom::Unrated => "rfm_segment:none",
            Atom::Loyal => "churn_risk:<0.5",
            Atom::AverageFive => "aov:4.99..5",
            Atom::Third => "email:C3@acme.EXAMPLE",
        }
    }

    fn holds(self, c: &Known) -> bool {
        match self {
            Atom::Vip => c.vip,
            Atom::German => c.country == Some("DE"),
            Atom::Archived => c.archived,
            Atom::Kestrel => c.kestrel,
            Atom::Ordered => c.ordered,
            Atom::Berliner => c.berliner,
            Atom::FromWeb => c.from_web,
            Atom::TwoOrders => c.ordered && c.vip,
            Atom::Unrated => !c.ordered,
            Atom::Loyal | Atom::AverageFive => c.ordered,
            Atom::Third => c.email == "c3@acme.example",
        }
    }
}

enum Tree {
    Leaf(Atom),
    And(Vec<Tree>),
    Or(Vec<Tree>),
    Not(Box<Tree>),
}

impl Tree {
    fn filter(&self) -> Value {
        match self {
            Tree::Leaf(atom) => atom.filter(),
            Tree::And(list) => json!({ "and": list.iter().map(Tree::filter).collect::<Vec<_>>() }),
            Tree::Or(list) => json!({ "or": list.iter().map(Tree::filter).collect::<Vec<_>>() }),
            Tree::Not(tree) => json!({ "not": tree.filter() }),
        }
    }

    /// The tree as a text query: groups in parentheses, `NOT` as `-` or
    /// the word.
    fn text(&self) -> String {
        let list = |l: &[Tree], join: &str| {
            let parts: Vec<String> = l.iter().map(|t| format!("({})", t.text())).collect();
            parts.join(join)
        };
        match self {
            Tree::Leaf(atom) => atom.text().to_owned(),
            Tree::And(l) => list(l, " "),
            Tree::Or(l) => list(l, " OR "),
            Tree::Not(t) if matches!(**t, Tree::Leaf(_)) => format!("-{}", t.text()),
            Tree::Not(t) => format!("NOT ({})", t.text()),
        }
    }

    fn holds(&self, c: &Known) -> bool {
        match self {
            Tree::Leaf(atom) => atom.holds(c),
            Tree::And(list) => list.iter().all(|t| t.holds(c)),
            Tree::Or(list) => list.iter().any(|t| t.holds(c)),
            Tree::Not(tree) => !tree.holds(c),
        }
    }
}

/// A small deterministic generator (a linear congruential one).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    fn tree(&mut self, depth: usize) -> Tree {
        let atoms = [
            Atom::Vip,
            Atom::German,
            Atom::Archived,
            Atom::Kestrel,
            Atom::Ordered,
            Atom::Berliner,
            Atom::FromWeb,
            Atom::TwoOrders,
            Atom::Unrated,
            Atom::Loyal,
            Atom::AverageFive,
            Atom::Third,
        ];
        let kind = if depth >= 3 { 0 } else { self.below(4) };
        match kind {
            0 => Tree::Leaf(atoms[self.below(atoms.len() as u64) as usize]),
            1 | 2 => {
                let list = (0..2 + self.below(2))
                    .map(|_| self.tree(depth + 1))
                    .collect();
                if kind == 1 {
                    Tree::And(list)
                } else {
                    Tree::Or(list)
                }
            }
            _ => Tree::Not(Box::new(self.tree(depth + 1))),
        }
    }
}

async fn seed(app: &TestApp) -> Vec<Known> {
    let mut known = Vec::new();
    for i in 0..16u32 {
        let c = Known {
            email: format!("c{i}@acme.example"),
            vip: i % 2 == 0,
            country: [Some("DE"), Some("FR"), None][(i % 3) as usize],
            archived: i % 5 == 0,
            kestrel: i % 4 < 2,
            ordered: i % 3 == 1,
            berliner: i % 3 == 0 && i % 2 == 1,
            from_web: i % 7 < 3,
        };
        let name = if c.kestrel {
            format!("Kestrel {i}")
        } else {
            format!("Plover {i}")
        };
        let mut input = json!({ "email": c.email, "name": name, "tags": if c.vip { json!(["vip"]) } else { json!([]) } });
        if let Some(country) = c.country {
            let city = if c.berliner { "Berlin" } else { "Hamburg" };
            input["address"] = json!({ "country": country, "city": city });
        }
        if c.from_web {
            input["source"] = json!("web");
        }
        let id = app.create_customer("acme", input).await;
        // VIPs who ordered order twice.
        let orders = if !c.ordered {
            0
        } else if c.vip {
            2
        } else {
            1
        };
        for n in 0..orders {
            record_order(
                app,
                "acme",
                &id,
                json!({ "externalId": format!("o-{i}-{n}"), "amount": "5.00", "currency": "EUR" }),
            )
            .await;
        }
        if c.archived {
            app.gql(
                "acme",
                "mutation($c: ID!) { updateCustomer(id: $c, input: { status: ARCHIVED }) { id } }",
                json!({ "c": id }),
            )
            .await
            .ok();
        }
        known.push(c);
    }
    // Another tenant's customer that matches everything stays out.
    app.create_customer("other", json!({ "email": "x@other.example", "name": "Kestrel", "tags": ["vip"], "address": { "country": "DE" } }))
        .await;
    known
}

async fn trees_match_what_their_conditions_say(backend: Backend) {
    let app = spawn_app(backend).await;
    let known = seed(&app).await;
    let mut rng = Rng(7);
    // A `not` keeps the customers its condition does not know about (no
    // country is not German); then generated trees.
    let fixed = [
        Tree::Not(Box::new(Tree::Leaf(Atom::German))),
        Tree::Not(Box::new(Tree::Leaf(Atom::Ordered))),
        Tree::And(vec![
            Tree::Not(Box::new(Tree::Leaf(Atom::Archived))),
            Tree::Or(vec![
                Tree::Leaf(Atom::German),
                Tree::Not(Box::new(Tree::Leaf(Atom::Vip))),
            ]),
        ]),
    ];
    let generated = (0..40).map(|_| rng.tree(0));
    for (round, tree) in fixed.into_iter().chain(generated).enumerate() {
        let filter = tree.filter();
        let expected: BTreeSet<&str> = known
            .iter()
            .filter(|c| tree.holds(c))
            .map(|c| c.email.as_str())
            .collect();
        let found = app
            .gql(
                "acme",
                "query($f: CustomerFilter, $q: String) { customers(first: 100, filter: $f) { totalCount nodes { email } } customerCount(filter: $f) customersCount(filter: $f) { count precision } queried: customers(first: 100, query: $q) { nodes { email } } queriedCount: customersCount(query: $q) { count } }",
                json!({ "f": filter, "q": tree.text() }),
            )
            .await
            .ok();
        let listed: BTreeSet<&str> = found["customers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["email"].as_str().unwrap())
            .collect();
        assert_eq!(listed, expected, "round {round}: {filter}");
        let queried: BTreeSet<&str> = found["queried"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["email"].as_str().unwrap())
            .collect();
        assert_eq!(queried, expected, "round {round}: {}", tree.text());
        assert_eq!(found["queriedCount"]["count"], expected.len());
        let n = expected.len();
        assert_eq!(
            found["customers"]["totalCount"], n,
            "round {round}: {filter}"
        );
        assert_eq!(found["customerCount"], n, "round {round}: {filter}");
        assert_eq!(
            found["customersCount"],
            json!({ "count": n, "precision": "EXACT" })
        );
    }
}

/// `updatedAfter` finds what changed since a moment, for an incremental
/// sync; `firstOrderAfter` the customers whose first order came later.
async fn changes_since_a_moment(backend: Backend) {
    let app = spawn_app(backend).await;
    let ana = app
        .create_customer("acme", json!({ "email": "ana@acme.example" }))
        .await;
    // Since the last write before the one looked for.
    let bo = app
        .create_customer("acme", json!({ "email": "bo@acme.example" }))
        .await;
    let read = app
        .gql(
            "acme",
            "query($c: ID!) { customer(id: $c) { updatedAt } }",
            json!({ "c": bo }),
        )
        .await
        .ok();
    let since = read["customer"]["updatedAt"].clone();
    app.gql(
        "acme",
        "mutation($c: ID!) { updateCustomer(id: $c, input: { firstName: \"Ana\" }) { id } }",
        json!({ "c": ana }),
    )
    .await
    .ok();
    record_order(&app, "acme", &ana, json!({ "externalId": "o-1", "amount": "5.00", "currency": "EUR", "placedAt": "2026-03-01T00:00:00Z" })).await;
    let changed = app
        .gql(
            "acme",
            "query($s: DateTime!) { since: customers(filter: { updatedAfter: $s }) { nodes { email } } first: customers(filter: { firstOrderAfter: \"2026-02-01T00:00:00Z\", firstOrderBefore: \"2026-04-01T00:00:00Z\" }) { nodes { email } } }",
            json!({ "s": since }),
        )
        .await
        .ok();
    assert_eq!(
        changed["since"]["nodes"],
        json!([{ "email": "ana@acme.example" }])
    );
    assert_eq!(
        changed["first"]["nodes"],
        json!([{ "email": "ana@acme.example" }])
    );
    let refused = app
        .gql(
            "acme",
            "{ customers(filter: { or: [{ minOrders: -1 }] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(refused.field(), "filter.or[0].minOrders");
}

async fn bad_trees_name_the_nested_filter(backend: Backend) {
    let app = spawn_app(backend).await;
    let deep = json!({ "not": { "not": { "not": { "not": { "not": { "tags": ["vip"] } } } } } });
    for (filter, field) in [
        (json!({ "or": [] }), "filter.or"),
        (
            json!({ "or": [{ "country": "XX1" }] }),
            "filter.or[0].country",
        ),
        (
            json!({ "and": [{ "tags": ["a"] }, { "not": { "segmentId": "seg_1" } }] }),
            "filter.and[1].not.segmentId",
        ),
        (deep, "filter.not.not.not.not"),
        // A typed condition that compares nothing would hold for everyone.
        (
            json!({ "fields": [{ "key": "seats" }] }),
            "filter.fields[0]",
        ),
        (
            json!({ "or": [{ "tags": ["a"] }, { "text": [{ "field": "CITY" }] }] }),
            "filter.or[1].text[0]",
        ),
        (
            json!({ "not": { "metadataPaths": [{ "path": "plan" }] } }),
            "filter.not.metadataPaths[0]",
        ),
    ] {
        let refused = app
            .gql(
                "acme",
                "query($f: CustomerFilter) { customers(filter: $f) { totalCount } }",
                json!({ "f": filter }),
            )
            .await;
        assert_eq!(refused.code(), "BAD_USER_INPUT", "{filter}");
        assert_eq!(refused.field(), field, "{filter}");
    }
}

backend_tests!(
    trees_match_what_their_conditions_say,
    changes_since_a_moment,
    bad_trees_name_the_nested_filter,
);
