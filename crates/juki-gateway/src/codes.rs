//! Every error code the gateway can put in a linkage report: those of its own areas (GW: the
//! gateway's formats, character set and 外字; IN: input files) and those of the domain's field
//! rules and the node's record rules that a refused record carries (CODE, DATE, NAME, REC). A
//! test (`tests/catalogue.rs`) checks the sources against the catalogue both ways.

use juki_domain::ErrorDef;
use juki_domain::catalogue;

/// The catalogue areas the gateway's own code raises.
pub const OWN_AREAS: &[&str] = &["GW", "IN"];

/// The catalogue areas whose rules judge a record's fields and its fit with the record held.
pub const RECORD_AREAS: &[&str] = &["CODE", "DATE", "NAME", "REC"];

/// The area of a code: `GW` of `JK-GW-0101`.
pub fn area(code: &str) -> &str {
    code.split('-').nth(1).unwrap_or("")
}

/// Every code a linkage report can show, in code order.
pub fn emitted() -> Vec<&'static ErrorDef> {
    catalogue::all()
        .into_iter()
        .filter(|d| {
            let a = area(d.code);
            OWN_AREAS.contains(&a) || RECORD_AREAS.contains(&a)
        })
        .collect()
}
