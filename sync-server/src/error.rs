//! The one error type of the relay's HTTP handlers, and how each answers.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in token is missing, wrong or revoked")]
    SignIn,
    #[error("too many failed sign-ins from this address; wait a minute")]
    TooManyFailures,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("this sign-in link no longer works: ask an administrator for a new one")]
    Spent(innerdesk_core::sync::SpentLink),
    #[error("the relay could not read its data: {0}")]
    Io(std::io::Error),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::SignIn => StatusCode::UNAUTHORIZED,
            AppError::TooManyFailures => StatusCode::TOO_MANY_REQUESTS,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Spent(_) => StatusCode::GONE,
            AppError::Io(e) => {
                tracing::error!(error = %e, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut body = match &self {
            // Says why (used when, on which device; expired; replaced; revoked) for the page.
            AppError::Spent(spent) => serde_json::to_value(spent).expect("spent links serialise"),
            _ => serde_json::json!({}),
        };
        body["error"] = self.to_string().into();
        (status, axum::Json(body)).into_response()
    }
}
