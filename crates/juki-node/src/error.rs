//! One place where errors become HTTP responses: the status comes from the error's class,
//! the body is FORMATS §5.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use juki_api::ErrorBody;
use juki_domain::{ErrorClass, ErrorDef};

/// Seconds a client is told to wait before retrying a shed or rate-limited request (a client
/// refills at least one request a second, so one second is always enough for the next).
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// An error answer: a catalogue entry and details (never personal data).
#[derive(Debug)]
pub struct ApiError {
    pub def: &'static ErrorDef,
    pub detail: serde_json::Value,
}

impl ApiError {
    pub fn new(def: &'static ErrorDef) -> ApiError {
        ApiError {
            def,
            detail: serde_json::Value::Null,
        }
    }

    pub fn with(def: &'static ErrorDef, detail: serde_json::Value) -> ApiError {
        ApiError { def, detail }
    }
}

impl From<juki_store::StoreError> for ApiError {
    fn from(e: juki_store::StoreError) -> ApiError {
        tracing::error!(error = %e, "store error");
        ApiError::new(e.def())
    }
}

/// The HTTP status of each class of error.
pub fn status_of(class: ErrorClass) -> StatusCode {
    match class {
        ErrorClass::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorClass::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorClass::Forbidden => StatusCode::FORBIDDEN,
        ErrorClass::BadRequest => StatusCode::BAD_REQUEST,
        ErrorClass::NotFound => StatusCode::NOT_FOUND,
        ErrorClass::Conflict => StatusCode::CONFLICT,
        ErrorClass::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorClass::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorClass::Overloaded | ErrorClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorClass::Timeout => StatusCode::GATEWAY_TIMEOUT,
        ErrorClass::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.def.class);
        let body = axum::Json(ErrorBody::new(self.def, self.detail));
        let mut resp = (status, body).into_response();
        if matches!(
            self.def.class,
            ErrorClass::Overloaded | ErrorClass::RateLimited
        ) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        resp
    }
}
