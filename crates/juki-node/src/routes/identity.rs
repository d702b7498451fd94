//! Identity verification by the four facts (本人確認情報の検索): an agency describes a person by
//! reading, birth date, sex and optionally name and address; the node answers the residents who
//! may be that person, ranked by the matching rules of docs/domain.md.

use super::security::{identity_fields, purpose_of};
use super::{AppState, blocking};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::policy;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use juki_api::{
    IDENTITY_CANDIDATES_DEFAULT, IDENTITY_CANDIDATES_MAX, IdentityCandidate, IdentitySearchResponse,
};
use juki_audit::Action as AuditAction;
use juki_domain::catalogue::NODE_TOO_MANY;
use juki_domain::matching::{MatchQuery, MatchScore, rank};
use juki_domain::{RecordStatus, StoredResident};
use juki_store::{SEARCH_LIMIT_MAX, SearchHit, SearchQuery};
use serde::Deserialize;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/v1/identity/search", get(identity_search))
}

/// `GET /v1/identity/search` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentitySearchParams {
    purpose: Option<String>,
    kana: String,
    birth_date: String,
    sex: String,
    name: Option<String>,
    address_code: Option<String>,
    address: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/identity/search?purpose=P&kana=…&birth_date=…&sex=…`: at a prefecture or the
/// national node, for a purpose from the node's configured list. The candidates are the
/// residents the 4-fact search finds (reading key, birth date, sex, and the address code when
/// given), ranked by [`juki_domain::matching::score`]; every one answered is audited with the
/// purpose before the answer is sent.
async fn identity_search(
    State(node): State<AppState>,
    caller: Caller,
    params: Result<Query<IdentitySearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<IdentitySearchResponse>, ApiError> {
    let action = policy::Action::IdentityLookup;
    node.authorize(
        &caller,
        action,
        node.jurisdiction(),
        AuditAction::IdentityLookup,
        &[],
    )?;
    let p = super::query_params(params)?;
    let (purpose, purpose_name) = purpose_of(&node, &caller, p.purpose.clone(), &[])?;
    let facts = Facts {
        kana: p.kana,
        birth_date: p.birth_date,
        sex: p.sex,
        name: p.name,
        address_code: p.address_code,
        address: p.address,
    };
    let (query, store_query) = parse(facts)?;
    let limit = limit_of(p.limit, IDENTITY_CANDIDATES_DEFAULT)?;
    let hits = blocking(&node, move |s| s.search(&store_query)).await?;
    let ranked = best(&query, hits, limit);
    let targets: Vec<String> = ranked
        .iter()
        .map(|(r, _)| r.record.resident_code.to_string())
        .collect();
    node.audit(
        node.audit_entry(&caller, AuditAction::IdentityLookup)
            .targets(targets)
            .purpose(purpose.as_str()),
    )?;
    Ok(axum::Json(IdentitySearchResponse {
        purpose,
        purpose_name,
        node: node.node_uri.clone(),
        candidates: ranked.iter().map(|(r, s)| candidate(r, s)).collect(),
    }))
}

/// The four facts of a query by them, as given.
pub(super) struct Facts {
    pub kana: String,
    pub birth_date: String,
    pub sex: String,
    pub name: Option<String>,
    pub address_code: Option<String>,
    pub address: Option<String>,
}

/// The number of candidates asked for: `default` when not given, at most
/// [`IDENTITY_CANDIDATES_MAX`].
pub(super) fn limit_of(limit: Option<usize>, default: usize) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(default);
    if limit == 0 || limit > IDENTITY_CANDIDATES_MAX {
        return Err(ApiError::with(
            &NODE_TOO_MANY,
            serde_json::json!({ "limit_max": IDENTITY_CANDIDATES_MAX }),
        ));
    }
    Ok(limit)
}

/// The `limit` best of the residents a 4-fact search found, by [`rank`]; equal scores put a
/// record in force before a closed one.
pub(super) fn best(
    query: &MatchQuery,
    hits: Vec<SearchHit>,
    limit: usize,
) -> Vec<(StoredResident, MatchScore)> {
    let ranked = rank(query, hits.iter().map(|h| &h.resident.record.facts));
    let mut hits: Vec<Option<SearchHit>> = hits.into_iter().map(Some).collect();
    let mut ranked: Vec<(StoredResident, MatchScore)> = ranked
        .into_iter()
        .filter_map(|(i, s)| hits[i].take().map(|h| (h.resident, s)))
        .collect();
    ranked.sort_by_key(|(r, s)| {
        (
            std::cmp::Reverse((s.score, s.quality)),
            r.status != RecordStatus::Current,
        )
    });
    ranked.truncate(limit);
    ranked
}

/// A candidate as an agency sees it: identity facts only.
pub(super) fn candidate(r: &StoredResident, s: &MatchScore) -> IdentityCandidate {
    IdentityCandidate {
        resident_code: r.record.resident_code.to_string(),
        status: r.status.as_str().into(),
        quality: s.quality.as_str().into(),
        score: s.score,
        current: (r.status == RecordStatus::Current).then(|| identity_fields(r)),
    }
}

/// The matching query and the store's 4-fact search that finds its candidates.
pub(super) fn parse(p: Facts) -> Result<(MatchQuery, SearchQuery), ApiError> {
    let address_code = p.address_code.as_deref().filter(|c| !c.is_empty());
    let (search_key, birth_date, sex, address_code) =
        super::four_facts(&p.kana, &p.birth_date, &p.sex, address_code)?;
    let store_query = SearchQuery {
        search_key,
        birth_date,
        sex,
        address_code,
        address_prefix: None,
        include_closed: true,
        after: None,
        limit: SEARCH_LIMIT_MAX,
    };
    let query = MatchQuery {
        kana: p.kana,
        birth_date,
        sex,
        name: p.name.filter(|n| !n.trim().is_empty()),
        address_code,
        address: p.address.filter(|a| !a.trim().is_empty()),
    };
    Ok((query, store_query))
}
