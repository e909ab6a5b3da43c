//! Diameter as the Cx interface needs it: our own codec (no published crate
//! decodes Cx), the dictionary, the connection (framing, the writer task)
//! and the responder peer (capabilities exchange, watchdog, disconnect).

pub mod codec;
pub mod connection;
pub mod dict;
pub mod peer;

#[cfg(test)]
mod captures;

pub use codec::{Avp, AvpError, DecodeError, FrameError, Header, Message, Value};
