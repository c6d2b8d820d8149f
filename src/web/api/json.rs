//! [`ApiJson`]: the API's JSON request body, read with a size limit and parsed so that every
//! refusal names its reason (415, 413, 400) or the field at fault (422, `items[0].quantity`).

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::{ApiError, BODY_LIMIT};

/// A JSON request body, read up to [`BODY_LIMIT`] and parsed into `T`. Refusals: 415 when it is
/// not declared JSON, 413 when too large, 400 when it is not JSON at all, 422 naming the field
/// (`items[0].quantity`) when it does not fit `T` (a wrong type, an unknown or missing field).
/// The bytes are kept for [`super::idempotency::run`].
pub struct ApiJson<T> {
    value: T,
    raw: Bytes,
}

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The body as received.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    pub fn into_parts(self) -> (T, Bytes) {
        (self.value, self.raw)
    }
}

impl<T> Deref for ApiJson<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared_json = is_json(req);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !declared_json {
                return Err(ApiError::unsupported_media_type());
            }
            if declared_length.is_some_and(|n| n > BODY_LIMIT as u64) {
                return Err(ApiError::body_too_large());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        format!("The body could not be read: {e}."),
                    )
                })?;
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(ApiError::body_too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let raw = body.freeze();
            let value = parse_json(&raw)?;
            Ok(ApiJson { value, raw })
        })
    }
}

/// `application/json`, or a `+json` type, with or without parameters.
fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        }
        _ => false,
    }
}

/// Parses `body` into `T`: 400 when it is not JSON, 422 naming the field when it does not fit.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Broken JSON is a 400 wherever it breaks, even past the point where the shape is wrong.
    serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(ApiError::malformed_json)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(from_path_error)?;
    de.end().map_err(|e| ApiError::malformed_json(&e))?;
    Ok(value)
}

fn from_path_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().clone();
    let inner = e.into_inner();
    if !inner.is_data() {
        return ApiError::malformed_json(&inner);
    }
    let located = inner.to_string();
    let message = located
        .strip_suffix(&format!(
            " at line {} column {}",
            inner.line(),
            inner.column()
        ))
        .unwrap_or(&located);
    let parent = path.to_string();
    let parent = if parent == "." { "" } else { parent.as_str() };
    let field = match named_field(message) {
        // An unknown field is reported at itself, a missing one at the object that lacks it.
        Some(name) if parent == name || parent.ends_with(&format!(".{name}")) => parent.to_owned(),
        Some(name) if parent.is_empty() => name.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_owned(),
        None => parent.to_owned(),
    };
    ApiError::invalid(format!("Some fields are not valid: {field}."))
        .field(field, sentence(message))
}

/// The field a "missing field `x`" or "unknown field `x`, expected ..." error is about.
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split_once('`').map(|(name, _)| name)
}

/// serde's wording, as a sentence: "missing field `email`" reads "This field is required."
fn sentence(message: &str) -> String {
    if message.starts_with("missing field `") {
        return "This field is required.".to_owned();
    }
    if message.starts_with("unknown field `") {
        return "This field is not part of the request; remove it.".to_owned();
    }
    let mut text = message.to_owned();
    if let Some(first) = text.get(..1) {
        let upper = first.to_uppercase();
        text.replace_range(..1, &upper);
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        customer: Customer,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Customer {
        email: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        quantity: u32,
    }

    fn refusal(body: &str) -> (u16, Vec<(String, String)>) {
        let e = parse_json::<Order>(body.as_bytes()).unwrap_err();
        let fields = e.fields.into_iter().collect();
        (e.status.as_u16(), fields)
    }

    #[test]
    fn a_body_that_does_not_fit_names_the_field_by_its_path() {
        let (status, fields) =
            refusal(r#"{"customer": {"email": "a@b.co"}, "items": [{"quantity": "two"}]}"#);
        assert_eq!(status, 422);
        assert_eq!(fields[0].0, "items[0].quantity");
        assert!(fields[0].1.starts_with("Invalid type"), "{}", fields[0].1);

        let (_, fields) = refusal(r#"{"customer": {}, "items": []}"#);
        assert_eq!(
            fields,
            [(
                "customer.email".to_owned(),
                "This field is required.".to_owned()
            )]
        );

        let (_, fields) = refusal(r#"{"customer": {"email": "a@b.co", "age": 3}, "items": []}"#);
        assert_eq!(fields[0].0, "customer.age");

        let (_, fields) = refusal(r#"{"items": []}"#);
        assert_eq!(fields[0].0, "customer");

        let (_, fields) =
            refusal(r#"{"customer": {"email": "a@b.co"}, "items": [{"quantity": -1}]}"#);
        assert_eq!(fields[0].0, "items[0].quantity");
    }

    #[test]
    fn a_body_that_is_not_json_is_a_bad_request() {
        for body in ["", "{", "{\"customer\": }", "[1, 2", "{} {}", "nope"] {
            let e = parse_json::<Order>(body.as_bytes()).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{body}");
            assert_eq!(e.code, "malformed_json");
        }
        let e = parse_json::<Order>(b"\"an order\"").unwrap_err();
        assert_eq!(
            e.status.as_u16(),
            422,
            "JSON of the wrong shape is invalid input"
        );
        assert!(e.fields.contains_key("body"));
    }
}
