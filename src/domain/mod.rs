//! Domain types and pure rules. Nothing here knows about HTTP or SQL.

pub mod api_key;
pub mod auth;
pub mod card;
pub mod catalogue;
pub mod ceiling;
pub mod contact;
pub mod customer;
pub mod decline;
pub mod event;
pub mod history;
pub mod ids;
pub mod job;
pub mod mid;
pub mod money;
pub mod name;
pub mod notice;
pub mod order;
pub mod outbox;
pub mod page;
pub mod payment;
pub mod permission;
pub mod provider;
pub mod reason;
pub mod recycle;
pub mod refund_queue;
pub mod routing;
pub mod sale;
pub mod subscription;
pub mod test_gateway;
pub mod user;

/// A message about one input field, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Every field error found in one submission, so a form can show them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Keeps the value when `result` is ok, records its error against `field` otherwise.
    pub fn take<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.push(field, e.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds `later`'s messages for the fields that have none yet: a value that could not be read
    /// says so, rather than whatever a rule then thinks of its stand-in.
    pub fn and_later(mut self, later: FieldErrors) -> FieldErrors {
        for e in later.0 {
            if self.get(e.field).is_none() {
                self.0.push(e);
            }
        }
        self
    }

    /// The message for `field`, if any; templates call this beside each control.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}
