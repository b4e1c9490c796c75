//! `GET /exports/{id}`: a completed export archive, to a bearer token of
//! the archive's tenant with `read:data_requests` (otherwise 401, 403 or
//! 404, exactly as for an archive that does not exist), or to a signed,
//! unexpired link (otherwise 403, whatever is wrong with it).
//!
//! `GET /bulk-exports/{id}`: a completed bulk export's file, to a signed,
//! unexpired link only (its `resultUrl`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::bearer::Bearer;
use super::state::AppState;
use crate::auth::Scope;
use crate::data_requests::{download, repo};
use crate::error::{AppError, code};
use crate::ids::{BulkOperationId, DataRequestId, Key, Kind};
use crate::tenancy::{self, TenantId};
use entity::bulk_operation::BulkStatus;

#[derive(Deserialize)]
pub struct Link {
    tenant: Option<String>,
    expires: Option<i64>,
    sig: Option<String>,
}

pub async fn get(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(link): Query<Link>,
    Bearer(viewer): Bearer,
) -> Response {
    let key = DataRequestId::decode(&id).map(Key::into_string);
    if link.sig.is_some() {
        return signed(&app, key, link, &id).await;
    }
    let viewer = match viewer {
        Ok(viewer) => viewer,
        Err(err) => return refuse(StatusCode::UNAUTHORIZED, err.code(), &err.message()),
    };
    if !viewer.scopes.contains(Scope::ReadDataRequests) {
        let err = AppError::Forbidden {
            scope: Scope::ReadDataRequests.as_str(),
        };
        return refuse(StatusCode::FORBIDDEN, err.code(), &err.message());
    }
    let Some(key) = key else {
        return not_found();
    };
    match repo::find_export(&app.db, &viewer.tenant, &key).await {
        Ok(Some(export)) => archive(&id, export.archive),
        Ok(None) => not_found(),
        Err(err) => internal(err),
    }
}

/// A link's parts, when it has them all and has not expired: the row
/// key, the tenant, the expiry and the signature.
fn unexpired(key: Option<String>, link: Link) -> Option<(String, TenantId, i64, String)> {
    let (Some(key), Some(tenant), Some(expires), Some(sig)) = (
        key,
        link.tenant.as_deref().and_then(TenantId::parse),
        link.expires,
        link.sig,
    ) else {
        return None;
    };
    (expires >= chrono::Utc::now().timestamp()).then_some((key, tenant, expires, sig))
}

async fn signed(app: &AppState, key: Option<String>, link: Link, id: &str) -> Response {
    let Some((key, tenant, expires, sig)) = unexpired(key, link) else {
        return bad_link();
    };
    match repo::find_export(&app.db, &tenant, &key).await {
        Ok(Some(export))
            if download::verify(
                &export.link_key,
                Kind::DataRequest,
                &tenant,
                &key,
                expires,
                &sig,
            ) =>
        {
            archive(id, export.archive)
        }
        Ok(_) => bad_link(),
        Err(err) => internal(err),
    }
}

pub async fn get_bulk(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(link): Query<Link>,
) -> Response {
    let key = BulkOperationId::decode(&id).map(Key::into_string);
    let Some((key, tenant, expires, sig)) = unexpired(key, link) else {
        return bad_link();
    };
    let found = tenancy::find::<entity::bulk_operation::Entity>(&app.db, &tenant, &key).await;
    let op = match found {
        Ok(Some(op)) => op,
        Ok(None) => return bad_link(),
        Err(err) => return internal(err),
    };
    let signed = op.status == BulkStatus::Completed
        && op.link_key.as_deref().is_some_and(|link_key| {
            download::verify(link_key, Kind::BulkOperation, &tenant, &key, expires, &sig)
        });
    if !signed {
        return bad_link();
    }
    let jsonl = op.params["format"] == "JSONL";
    match crate::bulk::export_body(&app.db, &tenant, &key).await {
        Ok(body) if jsonl => file(&id, "jsonl", "application/x-ndjson", body),
        Ok(body) => file(&id, "csv", "text/csv; charset=utf-8", body),
        Err(err) => internal(err),
    }
}

fn archive(id: &str, body: String) -> Response {
    file(id, "json", "application/json", body)
}

/// A file to download, named `{id}.{extension}`, never cached.
fn file(id: &str, extension: &str, content_type: &'static str, body: String) -> Response {
    let mut response =
        (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{id}.{extension}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

fn not_found() -> Response {
    refuse(StatusCode::NOT_FOUND, code::NOT_FOUND, "export not found")
}

fn bad_link() -> Response {
    refuse(
        StatusCode::FORBIDDEN,
        code::FORBIDDEN,
        "this download link is invalid or has expired",
    )
}

fn internal(err: AppError) -> Response {
    if let AppError::Internal(inner) = &err {
        tracing::error!(error = ?inner, "reading an export failed");
    }
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        code::INTERNAL_SERVER_ERROR,
        "internal server error",
    )
}
