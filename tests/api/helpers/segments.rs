//! Segments made and read through the API: [`CREATE`], [`create`], and
//! [`members`] (every member, checked against the segment's counts); the
//! RFM segments' names ([`RFM_SEGMENTS`]).

use serde_json::{Value, json};

use super::TestApp;

/// Every RFM segment's name, as `RfmSegment` spells it.
pub const RFM_SEGMENTS: [&str; 12] = [
    "CHAMPIONS",
    "LOYAL",
    "POTENTIAL_LOYALIST",
    "NEW_CUSTOMERS",
    "PROMISING",
    "NEED_ATTENTION",
    "ABOUT_TO_SLEEP",
    "AT_RISK",
    "CANNOT_LOSE",
    "HIBERNATING",
    "LOST",
    "NONE",
];

/// `createSegment`, returning every field of the segment.
pub const CREATE: &str = "mutation($i: SegmentInput!) { createSegment(input: $i) { id name description type match rules { field operator value } memberCount createdAt updatedAt } }";

const MEMBERS: &str = "query($id: ID!, $after: String) { segment(id: $id) { memberCount members(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } } }";

/// Creates a segment and returns its id.
pub async fn create(app: &TestApp, tenant: &str, input: Value) -> String {
    app.gql(tenant, CREATE, json!({ "i": input })).await.ok()["createSegment"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every member's id, sorted, with the segment's `memberCount` (checked
/// against the list and its `totalCount`).
pub async fn members(app: &TestApp, tenant: &str, id: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after = Value::Null;
    let mut count = None;
    loop {
        let data = app
            .gql(tenant, MEMBERS, json!({ "id": id, "after": after }))
            .await
            .ok();
        let segment = &data["segment"];
        count = count.or(segment["memberCount"].as_u64());
        assert_eq!(segment["members"]["totalCount"], segment["memberCount"]);
        for node in segment["members"]["nodes"].as_array().unwrap() {
            ids.push(node["id"].as_str().unwrap().to_owned());
        }
        if segment["members"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = segment["members"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(Some(ids.len() as u64), count, "memberCount of {id}");
    ids.sort();
    ids
}
