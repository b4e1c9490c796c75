//! The filter tree: `and`, `or` and `not` nested, checked against an
//! oracle over generated trees (the rows each should match, computed here
//! from the customers' known fields), on lists and counts alike.

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
}

impl Atom {
    fn filter(self) -> Value {
        match self {
            Atom::Vip => json!({ "tags": ["vip"] }),
            Atom::German => json!({ "country": "DE" }),
            Atom::Archived => json!({ "status": "ARCHIVED" }),
            Atom::Kestrel => json!({ "search": "kestrel" }),
            Atom::Ordered => json!({ "lastOrderAfter": "2000-01-01T00:00:00Z" }),
        }
    }

    fn holds(self, c: &Known) -> bool {
        match self {
            Atom::Vip => c.vip,
            Atom::German => c.country == Some("DE"),
            Atom::Archived => c.archived,
            Atom::Kestrel => c.kestrel,
            Atom::Ordered => c.ordered,
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
        ];
        let kind = if depth >= 3 { 0 } else { self.below(4) };
        match kind {
            0 => Tree::Leaf(atoms[self.below(5) as usize]),
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
        };
        let name = if c.kestrel {
            format!("Kestrel {i}")
        } else {
            format!("Plover {i}")
        };
        let mut input = json!({ "email": c.email, "name": name, "tags": if c.vip { json!(["vip"]) } else { json!([]) } });
        if let Some(country) = c.country {
            input["address"] = json!({ "country": country });
        }
        let id = app.create_customer("acme", input).await;
        if c.ordered {
            record_order(
                app,
                "acme",
                &id,
                json!({ "externalId": format!("o-{i}"), "amount": "5.00", "currency": "EUR" }),
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
                "query($f: CustomerFilter) { customers(first: 100, filter: $f) { totalCount nodes { email } } customerCount(filter: $f) customersCount(filter: $f) { count precision } }",
                json!({ "f": filter }),
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
    bad_trees_name_the_nested_filter
);
