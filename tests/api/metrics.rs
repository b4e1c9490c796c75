//! API.md §7: metrics against a hand-computed fixture, churn-risk
//! properties, and `customerStats`.

use serde_json::{Value, json};

use crate::helpers::segments::RFM_SEGMENTS;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::helpers::{days_ago, record_order};

const METRICS: &str = "query($id: ID!) { customer(id: $id) { metrics { rfm { recencyScore frequencyScore monetaryScore segment } lifetimeValue averageOrderValue totalOrders totalSpent purchaseFrequencyDays churnRisk firstOrderAt lastOrderAt computedAt } } }";

async fn metrics(app: &TestApp, id: &str) -> Value {
    app.gql("shop", METRICS, json!({ "id": id })).await.ok()["customer"]["metrics"].clone()
}

/// Customer `i` (1..=20) has `1 + i % 5` paid orders of `i`.00 each, ten
/// days apart, the last `i` days ago. By hand, with NTILE(5) groups of
/// four: recency breakpoints fall at customers 17, 13, 9 and 5; frequency
/// breakpoints are 1, 2, 3, 4 orders; monetary breakpoints (spend `i × n`)
/// are 10, 20, 32 and 51.
const EXPECTED: [(u8, u8, u8, &str); 20] = [
    (5, 2, 1, "POTENTIAL_LOYALIST"),
    (5, 3, 1, "POTENTIAL_LOYALIST"),
    (5, 4, 2, "POTENTIAL_LOYALIST"),
    (5, 5, 2, "CHAMPIONS"),
    (4, 1, 1, "PROMISING"),
    (4, 2, 2, "POTENTIAL_LOYALIST"),
    (4, 3, 3, "POTENTIAL_LOYALIST"),
    (4, 4, 3, "LOYAL"),
    (3, 5, 4, "LOYAL"),
    (3, 1, 1, "ABOUT_TO_SLEEP"),
    (3, 2, 3, "NEED_ATTENTION"),
    (3, 3, 4, "LOYAL"),
    (2, 4, 5, "CANNOT_LOSE"),
    (2, 5, 5, "CANNOT_LOSE"),
    (2, 1, 2, "HIBERNATING"),
    (2, 2, 3, "AT_RISK"),
    (1, 3, 4, "AT_RISK"),
    (1, 4, 5, "CANNOT_LOSE"),
    (1, 5, 5, "CANNOT_LOSE"),
    (1, 1, 2, "HIBERNATING"),
];

fn orders_of(i: usize) -> usize {
    1 + i % 5
}

async fn fixture(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=20 {
        let id = app
            .create_customer("shop", json!({ "email": format!("c{i}@shop.example") }))
            .await;
        for j in 0..orders_of(i) {
            let input = json!({
                "externalId": format!("{i}-{j}"),
                "amount": format!("{i}.00"),
                "currency": "USD",
                "placedAt": days_ago((i + 10 * j) as f64),
            });
            record_order(app, "shop", &id, input).await;
        }
        ids.push(id);
    }
    ids
}

async fn metrics_match_the_hand_computed_fixture(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = fixture(&app).await;
    let [none, pending] = app
        .customers_by_email("shop", ["never@shop.example", "pending@shop.example"])
        .await;
    record_order(
        &app,
        "shop",
        &pending,
        json!({ "externalId": "P", "amount": "9.00", "currency": "USD", "status": "PENDING" }),
    )
    .await;

    for (n, id) in ids.iter().enumerate() {
        let i = n + 1;
        let m = metrics(&app, id).await;
        let (r, f, mo, segment) = EXPECTED[n];
        assert_eq!(
            m["rfm"],
            json!({ "recencyScore": r, "frequencyScore": f, "monetaryScore": mo, "segment": segment }),
            "customer {i}"
        );
        let count = orders_of(i);
        assert_eq!(m["totalOrders"], count, "customer {i}");
        assert_eq!(m["totalSpent"], format!("{}.00", i * count));
        assert_eq!(m["lifetimeValue"], format!("{}.00", i * count));
        assert_eq!(m["averageOrderValue"], format!("{i}.00"));
        if count >= 2 {
            let days = m["purchaseFrequencyDays"].as_f64().unwrap();
            assert!((days - 10.0).abs() < 1e-3, "customer {i}: {days}");
        } else {
            assert_eq!(m["purchaseFrequencyDays"], Value::Null);
        }
        let risk = m["churnRisk"].as_f64().unwrap();
        assert!((0.0..1.0).contains(&risk), "customer {i}: {risk}");
    }
    for id in [&none, &pending] {
        let m = metrics(&app, id).await;
        assert_eq!(
            m["rfm"],
            json!({ "recencyScore": null, "frequencyScore": null, "monetaryScore": null, "segment": "NONE" })
        );
        assert_eq!(m["churnRisk"], Value::Null);
        assert_eq!(m["totalOrders"], 0);
        assert_eq!(m["averageOrderValue"], "0.00");
    }

    let stats = "query($from: DateTime, $to: DateTime) { customerStats(from: $from, to: $to) { totalCustomers newCustomers activeCustomers totalOrders revenue averageOrderValue averageLifetimeValue rfmDistribution { segment count } } }";
    let all = app
        .gql(
            "shop",
            stats,
            json!({ "from": days_ago(100.0), "to": days_ago(-0.01) }),
        )
        .await
        .ok()["customerStats"]
        .clone();
    assert_eq!(all["totalCustomers"], 22);
    assert_eq!(all["newCustomers"], 22);
    assert_eq!(all["activeCustomers"], 20);
    assert_eq!(all["totalOrders"], 60);
    assert_eq!(all["revenue"], "630.00");
    assert_eq!(all["averageOrderValue"], "10.50");
    assert_eq!(all["averageLifetimeValue"], "31.50");
    let distribution: Vec<(String, i64)> = all["rfmDistribution"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["segment"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("CHAMPIONS", 1),
        ("LOYAL", 3),
        ("POTENTIAL_LOYALIST", 5),
        ("NEW_CUSTOMERS", 0),
        ("PROMISING", 1),
        ("NEED_ATTENTION", 1),
        ("ABOUT_TO_SLEEP", 1),
        ("AT_RISK", 2),
        ("CANNOT_LOSE", 4),
        ("HIBERNATING", 2),
        ("LOST", 0),
        ("NONE", 2),
    ];
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(s, n)| ((*s).to_owned(), *n))
        .collect();
    assert_eq!(distribution, expected);
    // The last 14.5 days: the latest order of customers 1–14, and the
    // second-latest of customers 1–4.
    let recent = app
        .gql(
            "shop",
            stats,
            json!({ "from": days_ago(14.5), "to": days_ago(-0.01) }),
        )
        .await
        .ok()["customerStats"]
        .clone();
    assert_eq!(recent["totalOrders"], 18);
    assert_eq!(recent["revenue"], "115.00");
    assert_eq!(recent["activeCustomers"], 14);
    let r = app
        .gql(
            "shop",
            stats,
            json!({ "from": days_ago(1.0), "to": days_ago(2.0) }),
        )
        .await;
    assert_eq!((r.code(), r.field()), ("BAD_USER_INPUT", "from"));

    // Refunding customer 19's latest order: 4 orders, 76.00, and its
    // frequency score drops to 4 at once.
    let c19 = &ids[18];
    record_order(&app, "shop", c19, json!({ "externalId": "19-0", "amount": "19.00", "currency": "USD", "status": "REFUNDED", "placedAt": days_ago(19.0) })).await;
    let m = metrics(&app, c19).await;
    assert_eq!(m["totalOrders"], 4);
    assert_eq!(m["totalSpent"], "76.00");
    assert_eq!(m["averageOrderValue"], "19.00");
    assert_eq!(m["rfm"]["frequencyScore"], 4);
    let last = chrono::DateTime::parse_from_rfc3339(m["lastOrderAt"].as_str().unwrap()).unwrap();
    let age = chrono::Utc::now().signed_duration_since(last).num_hours();
    assert!((29 * 24 - 1..=29 * 24 + 1).contains(&age), "{age} hours");
    // Re-recording customer 1's first order at 3.00 corrects its totals.
    record_order(&app, "shop", &ids[0], json!({ "externalId": "1-0", "amount": "3.00", "currency": "USD", "placedAt": days_ago(1.0) })).await;
    let m = metrics(&app, &ids[0]).await;
    assert_eq!(m["totalSpent"], "4.00");
    assert_eq!(m["averageOrderValue"], "2.00");
}

async fn churn_risk_follows_the_documented_properties(backend: Backend) {
    let app = spawn_app(backend).await;
    let customer = |email: &'static str| {
        let app = &app;
        async move { app.create_customer("shop", json!({ "email": email })).await }
    };
    let orders = |id: String, days: Vec<f64>| {
        let app = &app;
        async move {
            for (j, d) in days.into_iter().enumerate() {
                record_order(app, "shop", &id, json!({ "externalId": format!("{id}-{j}"), "amount": "10.00", "currency": "USD", "placedAt": days_ago(d) })).await;
            }
            id
        }
    };
    let risk = |id: String| {
        let app = &app;
        async move { metrics(app, &id).await["churnRisk"].as_f64() }
    };

    let never = customer("never@shop.example").await;
    assert_eq!(risk(never).await, None);

    // Same rhythm (30 days), growing silence: growing risk.
    let mut previous = 0.0;
    for (n, silence) in [5.0, 30.0, 90.0, 365.0].into_iter().enumerate() {
        let email: &'static str = [
            "s1@x.example",
            "s2@x.example",
            "s3@x.example",
            "s4@x.example",
        ][n];
        let id = orders(
            customer(email).await,
            vec![silence + 60.0, silence + 30.0, silence],
        )
        .await;
        let r = risk(id).await.unwrap();
        assert!(r > previous, "{silence} days: {r} > {previous}");
        previous = r;
    }
    // Both last ordered 40 days ago at a 30-day rhythm: six orders put the
    // risk below a single order's.
    let loyal = orders(
        customer("loyal@x.example").await,
        vec![190.0, 160.0, 130.0, 100.0, 70.0, 40.0],
    )
    .await;
    let once = orders(customer("once@x.example").await, vec![40.0]).await;
    let (loyal, once) = (risk(loyal).await.unwrap(), risk(once).await.unwrap());
    assert!(loyal < once, "{loyal} < {once}");
}

/// The customers a filter and query find, by average order value.
async fn by_average(app: &TestApp, filter: Value, query: Option<&str>) -> Value {
    app.gql(
        "shop",
        "query($f: CustomerFilter, $q: String) { customers(filter: $f, query: $q, sort: { field: AVERAGE_ORDER_VALUE, direction: ASC }) { nodes { email } } }",
        json!({ "f": filter, "q": query }),
    )
    .await
    .ok()["customers"]["nodes"]
        .clone()
}

/// The average order value is one number wherever it shows: shown rounded
/// half up to the cent, filtered and sorted by that same cent.
async fn the_average_order_value_filters_and_sorts_as_shown(backend: Backend) {
    let app = spawn_app(backend).await;
    let half = app
        .create_customer("shop", json!({ "email": "half@shop.example" }))
        .await;
    let even = app
        .create_customer("shop", json!({ "email": "even@shop.example" }))
        .await;
    for (customer, amount, n) in [
        (&half, "74.20", 1),
        (&half, "74.21", 2),
        (&even, "74.20", 3),
    ] {
        record_order(
            &app,
            "shop",
            customer,
            json!({ "externalId": format!("o-{n}"), "amount": amount, "currency": "EUR" }),
        )
        .await;
    }
    // 148.41 over two orders is 74.205: shown as 74.21.
    assert_eq!(metrics(&app, &half).await["averageOrderValue"], "74.21");
    let half_only = json!([{ "email": "half@shop.example" }]);
    assert_eq!(
        by_average(&app, Value::Null, Some("aov:74.21")).await,
        half_only
    );
    let exact = json!({ "minAverageOrderValue": "74.21", "maxAverageOrderValue": "74.21" });
    assert_eq!(by_average(&app, exact, None).await, half_only);
    assert_eq!(
        by_average(&app, Value::Null, Some("aov:74.20..74.21")).await,
        json!([{ "email": "even@shop.example" }, { "email": "half@shop.example" }])
    );
}

/// What `customersCount` says of a filter with a limit.
async fn counted(app: &TestApp, filter: &Value, limit: usize) -> Value {
    app.gql(
        "shop",
        "query($f: CustomerFilter, $l: Int) { customersCount(filter: $f, limit: $l) { count precision } }",
        json!({ "f": filter, "l": limit }),
    )
    .await
    .ok()["customersCount"]
        .clone()
}

/// `filter` finds exactly the customers `expected` holds (emails, sorted),
/// and counts them exactly at a limit of as many and as at least one fewer
/// below it.
async fn finds_and_counts(app: &TestApp, filter: Value, expected: &[String]) {
    let found = app.emails_where("shop", filter.clone(), None).await;
    assert_eq!(found, expected, "{filter}");
    let n = expected.len();
    let mut limits = vec![(n.max(1), json!({ "count": n, "precision": "EXACT" }))];
    if n > 1 {
        limits.push((n - 1, json!({ "count": n - 1, "precision": "AT_LEAST" })));
    }
    for (limit, count) in limits {
        let said = counted(app, &filter, limit).await;
        assert_eq!(said, count, "{filter}, limit {limit}");
    }
}

/// A filter on churn risk or RFM segment finds exactly the customers whose
/// metrics show it, and counts them exactly up to a limit and as a lower
/// bound above it, at every threshold and for every segment.
async fn metric_filters_find_what_the_metrics_show(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = fixture(&app).await;
    app.create_customer("shop", json!({ "email": "never@shop.example" }))
        .await;
    let mut shown = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let m = metrics(&app, id).await;
        let risk = m["churnRisk"].as_f64().unwrap();
        let segment = m["rfm"]["segment"].as_str().unwrap().to_owned();
        shown.push((format!("c{}@shop.example", n + 1), risk, segment));
    }
    let expect = |keep: &dyn Fn(f64, &str) -> bool| {
        let mut kept: Vec<String> = shown
            .iter()
            .filter(|(_, risk, segment)| keep(*risk, segment))
            .map(|(email, _, _)| email.clone())
            .collect();
        kept.sort();
        kept
    };
    let mut risks: Vec<f64> = shown.iter().map(|(_, risk, _)| *risk).collect();
    risks.sort_by(f64::total_cmp);
    // Each threshold between two shown risks (apart by more than the clock
    // moves them during the test), and the ends.
    let mut thresholds = vec![0.0, 1.0];
    thresholds.extend(
        risks
            .windows(2)
            .filter(|w| w[1] - w[0] > 1e-6)
            .map(|w| (w[0] + w[1]) / 2.0),
    );
    for c in thresholds {
        let above = expect(&|risk, _| risk > c);
        finds_and_counts(&app, json!({ "churnRiskAbove": c }), &above).await;
        let below = expect(&|risk, _| risk < c);
        finds_and_counts(&app, json!({ "churnRiskBelow": c }), &below).await;
    }
    // NONE is the customer without an order, not among the fixture's.
    for segment in RFM_SEGMENTS.into_iter().filter(|s| *s != "NONE") {
        let members = expect(&|_, shown| shown == segment);
        finds_and_counts(&app, json!({ "rfmSegment": [segment] }), &members).await;
    }
    let recent = expect(&|_, shown| matches!(shown, "CHAMPIONS" | "PROMISING"));
    let either = json!({ "rfmSegment": ["CHAMPIONS", "PROMISING"] });
    finds_and_counts(&app, either, &recent).await;
}

backend_tests!(
    metric_filters_find_what_the_metrics_show,
    the_average_order_value_filters_and_sorts_as_shown,
    metrics_match_the_hand_computed_fixture,
    churn_risk_follows_the_documented_properties,
);
