//! The fixture: a few hundred varied customers (names in several scripts
//! and cases, tags, metadata of every JSON type, orders over a year) in
//! one tenant and a decoy in another, read back as the API shows them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::model::Snap;
use crate::helpers::{TestApp, days_ago};

/// How many customers the fixture has.
pub(super) const FIXTURE: usize = 240;
/// The tags fixture customers may have.
pub(super) const TAGS: [&str; 6] = ["vip", "newsletter", "wholesale", "b2b", "churned", "beta"];
const NAMES: [&str; 10] = [
    "María García",
    "José Núñez",
    "JOSÉ ñúñez",
    "Anna Li",
    "Li Wei",
    "Seán O'Brien",
    "Nguyễn Văn An",
    "Zoë Smith",
    "100% Pure_Co",
    "Ana",
];

/// The fixture: varied profiles, tags, metadata, and orders over a year.
pub(super) async fn build_fixture(app: &TestApp) {
    let mut rng = ChaCha8Rng::seed_from_u64(20261121);
    let pick = |rng: &mut ChaCha8Rng, n: usize| rng.random_range(0..n);
    let mut rows = Vec::new();
    for i in 0..FIXTURE {
        let mut row = serde_json::Map::new();
        let users = ["ana", "bo", "maria", "jose", "li", "zoe"];
        let domains = ["acme.example", "mail.example", "shop.example"];
        if pick(&mut rng, 10) == 0 {
            row.insert("phone".into(), json!(format!("+1415555{:04}", i)));
        } else {
            let email = format!(
                "{}{}@{}",
                users[pick(&mut rng, 6)],
                i,
                domains[pick(&mut rng, 3)]
            );
            let email = if pick(&mut rng, 5) == 0 {
                email.to_uppercase()
            } else {
                email
            };
            row.insert("email".into(), json!(email));
        }
        match pick(&mut rng, 4) {
            0 => {}
            1 => {
                let full = NAMES[pick(&mut rng, NAMES.len())];
                let (first, last) = full.split_once(' ').unwrap_or((full, ""));
                row.insert("firstName".into(), json!(first));
                if !last.is_empty() {
                    row.insert("lastName".into(), json!(last));
                }
            }
            _ => {
                row.insert("name".into(), json!(NAMES[pick(&mut rng, NAMES.len())]));
            }
        }
        if pick(&mut rng, 5) == 0 {
            row.insert("status".into(), json!("ARCHIVED"));
        }
        let sources = [
            Some("shopify"),
            Some("Shopify"),
            Some("pos"),
            Some("import"),
            None,
        ];
        if let Some(source) = sources[pick(&mut rng, 5)] {
            row.insert("source".into(), json!(source));
        }
        let cities = [
            Some("Paris"),
            Some("paris"),
            Some("München"),
            Some("São Paulo"),
            Some("New York"),
            Some("Newark"),
            None,
        ];
        let countries = [
            Some("US"),
            Some("DE"),
            Some("FR"),
            Some("BR"),
            Some("JP"),
            None,
        ];
        let (city, country) = (cities[pick(&mut rng, 7)], countries[pick(&mut rng, 6)]);
        if city.is_some() || country.is_some() {
            row.insert(
                "address".into(),
                json!({ "city": city, "country": country }),
            );
        }
        let tags: Vec<&str> = TAGS
            .iter()
            .copied()
            .filter(|_| pick(&mut rng, 4) == 0)
            .collect();
        row.insert("tags".into(), json!(tags));
        let mut meta = serde_json::Map::new();
        let plans = [
            Some(json!("pro")),
            Some(json!("free")),
            Some(json!("enterprise")),
            None,
        ];
        let seats = [
            Some(json!(1)),
            Some(json!(5)),
            Some(json!(10)),
            Some(json!("10")),
            Some(json!(50)),
            None,
        ];
        let scores = [Some(json!(0.5)), Some(json!(2.25)), Some(json!(-1)), None];
        let betas = [
            Some(json!(true)),
            Some(json!(false)),
            Some(Value::Null),
            None,
        ];
        let nested = [
            Some(json!({ "tier": "gold" })),
            Some(json!({ "tier": "silver" })),
            Some(json!("gold")),
            None,
        ];
        for (key, options) in [
            ("plan", &plans[..]),
            ("seats", &seats[..]),
            ("score", &scores[..]),
            ("beta", &betas[..]),
            ("nested", &nested[..]),
        ] {
            if let Some(v) = options[pick(&mut rng, options.len())].clone() {
                meta.insert(key.into(), v);
            }
        }
        row.insert("metadata".into(), Value::Object(meta));
        rows.push(Value::Object(row));
    }
    let data = app
        .gql(
            "acme",
            "mutation($c: [CustomerInput!]!) { importCustomers(customers: $c) { created failed { index message } } }",
            json!({ "c": rows }),
        )
        .await
        .ok();
    assert_eq!(data["importCustomers"]["created"], FIXTURE, "{data}");
    // Another tenant's customers, which no segment of acme may count.
    app.create_customer(
        "other",
        json!({ "email": "ana0@acme.example", "tags": ["vip"] }),
    )
    .await;

    let ids = all_ids(app).await;
    let mut orders = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if pick(&mut rng, 5) < 2 {
            continue;
        }
        for j in 0..(1 + pick(&mut rng, 4)) {
            let amounts = ["25.00", "49.99", "100.00", "150.50", "320.00"];
            let status = [
                "PAID", "PAID", "PAID", "PAID", "PAID", "PAID", "PAID", "PAID", "REFUNDED",
                "PENDING",
            ][pick(&mut rng, 10)];
            let when = days_ago(pick(&mut rng, 400) as f64 + 0.37);
            orders.push(format!(
                "o{i}_{j}: recordOrder(customerId: \"{id}\", input: {{ externalId: \"F-{i}-{j}\", amount: \"{}\", currency: \"EUR\", status: {status}, placedAt: \"{when}\" }}) {{ id }}",
                amounts[pick(&mut rng, 5)]
            ));
        }
    }
    for chunk in orders.chunks(40) {
        app.gql(
            "acme",
            &format!("mutation {{ {} }}", chunk.join(" ")),
            json!({}),
        )
        .await
        .ok();
    }
}

async fn all_ids(app: &TestApp) -> Vec<String> {
    snapshot(app).await.into_iter().map(|s| s.id).collect()
}

/// Every customer of the fixture's tenant, as the API shows them.
pub(super) async fn snapshot(app: &TestApp) -> Vec<Snap> {
    let query = "query($after: String) { customers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name email status source tags address { city country } metadata createdAt totalOrders totalSpent lastOrderAt metrics { firstOrderAt churnRisk rfm { segment } } } } }";
    let mut snaps = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.gql("acme", query, json!({ "after": after })).await.ok();
        for node in data["customers"]["nodes"].as_array().unwrap() {
            snaps.push(Snap::of(node));
        }
        if data["customers"]["pageInfo"]["hasNextPage"] != true {
            return snaps;
        }
        after = data["customers"]["pageInfo"]["endCursor"].clone();
    }
}
