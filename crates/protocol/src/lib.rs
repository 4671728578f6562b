//! The NBWSS message format as typed Rust, with strict parsing and exact
//! serialisation.
//!
//! This crate does no I/O. It turns one WebSocket text message into a
//! [`Message`] or a [`DecodeError`] that says whether the sender can be
//! answered, and back. It also holds the rules shared by both sides of a
//! connection: the checks on a relayed `uri` and its headers ([`policy`]),
//! the notification payload ([`notification`]) and the endpoint details
//! document an administrator registers ([`details`]). Transport, timeouts and
//! size limits belong to the service and the endpoint library.

#![warn(missing_docs)]

pub mod command;
pub mod details;
mod encode;
pub mod error_code;
pub mod message;
pub mod notification;
pub mod policy;
mod value;

pub use command::{CommandRequest, CommandResponse, Method};
pub use error_code::ErrorCode;
pub use message::{
    Body, ConnectRequest, ConnectResponse, DecodeError, Message, MessageType, PROTOCOL_VERSION,
    SubType,
};
pub use notification::{ImageRecord, JobRecord, NotificationItem, ObjectKind, Records};
