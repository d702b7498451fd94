//! Exit statuses of FORMATS §4, chosen from the kind of error.

use juki_domain::ErrorClass;

pub const DONE: u8 = 0;
pub const REFUSED: u8 = 1;
pub const USAGE: u8 = 2;
pub const SERVER: u8 = 3;

/// An error that carries its exit status.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

pub fn exit(code: u8, message: impl Into<String>) -> anyhow::Error {
    Exit {
        code,
        message: message.into(),
    }
    .into()
}

/// The exit status for an error: its own if it carries one, else by its catalogue class.
pub fn code_of(e: &anyhow::Error) -> u8 {
    if let Some(x) = e.downcast_ref::<Exit>() {
        return x.code;
    }
    if let Some(c) = e.downcast_ref::<juki_node::config::ConfigError>() {
        return class_code(c.def.class);
    }
    if let Some(f) = e.downcast_ref::<juki_gateway::FileError>() {
        return class_code(f.def.class);
    }
    if let Some(p) = e.downcast_ref::<juki_pki::PkiError>() {
        return class_code(p.def.class);
    }
    if let Some(a) = e.downcast_ref::<juki_audit::AuditError>() {
        return class_code(a.def.class);
    }
    if let Some(o) = e.downcast_ref::<juki_operators::OperatorError>() {
        return class_code(o.def.class);
    }
    SERVER
}

pub fn class_code(class: ErrorClass) -> u8 {
    match class {
        ErrorClass::Invalid
        | ErrorClass::Conflict
        | ErrorClass::NotFound
        | ErrorClass::Forbidden
        | ErrorClass::Unauthenticated => REFUSED,
        ErrorClass::BadRequest | ErrorClass::TooLarge => USAGE,
        _ => SERVER,
    }
}
