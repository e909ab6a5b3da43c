//! Diameter framing (RFC 6733 sections 3 and 4): the 20-byte header, AVPs
//! with their 4-byte padding, grouped AVPs decoded through the dictionary.
//!
//! Decoding is in two steps, as a stream reader needs them:
//! [`frame_len`] looks at the first four bytes and says how long the
//! message is ("incomplete" until enough bytes are there, or a
//! [`FrameError`] when the stream cannot be trusted any more), then
//! [`Message::decode`] reads one whole frame. A frame whose AVPs are broken
//! gives a [`DecodeError`] that carries what an error answer needs (the
//! header, the Result-Code and the Failed-AVP) and leaves the connection
//! usable. Nothing read from the network is indexed without a bound check.

use super::dict::{self, AvpDef, Kind};
use std::net::IpAddr;

/// Length of the message header.
pub const HEADER_LEN: usize = 20;
/// Largest message accepted by default (Cx messages are a few kilobytes;
/// User-Data is the largest).
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;
/// Deepest nesting of grouped AVPs accepted (Cx needs three levels).
pub const MAX_DEPTH: usize = 8;
/// Largest length the 24-bit length fields can express.
const MAX_LENGTH_FIELD: usize = 0x00ff_ffff;

/// Header flags.
pub mod flags {
	/// Request (cleared in answers).
	pub const REQUEST: u8 = 0x80;
	/// Proxiable (kept in answers).
	pub const PROXIABLE: u8 = 0x40;
	/// Error answer.
	pub const ERROR: u8 = 0x20;
	/// Potentially retransmitted request.
	pub const RETRANSMITTED: u8 = 0x10;
}

/// AVP flags.
pub mod avp_flags {
	/// A Vendor-ID field follows the length.
	pub const VENDOR: u8 = 0x80;
	/// The receiver must understand the AVP or refuse the message.
	pub const MANDATORY: u8 = 0x40;
	/// End-to-end security (obsolete, never set by us).
	pub const PROTECTED: u8 = 0x20;
}

/// The fixed part of every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
	/// Flags (see [`flags`]).
	pub flags: u8,
	/// Command code (24 bits).
	pub command: u32,
	/// Application id.
	pub application: u32,
	/// Hop-by-hop identifier, echoed in the answer.
	pub hop_by_hop: u32,
	/// End-to-end identifier, echoed in the answer.
	pub end_to_end: u32,
}

impl Header {
	/// Whether this is a request.
	pub fn is_request(&self) -> bool {
		self.flags & flags::REQUEST != 0
	}

	/// The header of the answer to this request: same command, application
	/// and identifiers, R and T cleared, P kept.
	pub fn answer(&self) -> Header {
		Header { flags: self.flags & flags::PROXIABLE, ..*self }
	}
}

/// The data of an AVP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
	/// Bytes, read through the dictionary's [`Kind`] when asked.
	Raw(Vec<u8>),
	/// The AVPs of a grouped AVP.
	Grouped(Vec<Avp>),
}

/// One attribute-value pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Avp {
	/// AVP code.
	pub code: u32,
	/// Flags (see [`avp_flags`]); the V bit follows `vendor`.
	pub flags: u8,
	/// Vendor id, 0 when the V bit is clear.
	pub vendor: u32,
	/// The data.
	pub value: Value,
}

/// A whole message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
	/// The header.
	pub header: Header,
	/// The AVPs, in order.
	pub avps: Vec<Avp>,
}

/// The stream cannot be read on: the connection must be closed (after an
/// error answer where one can be built).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
	/// The version byte is not 1.
	#[error("unsupported Diameter version {0} (only version 1 is spoken)")]
	Version(u8),
	/// The length is shorter than a header.
	#[error("message length {0} is shorter than the 20-byte header")]
	TooShort(usize),
	/// The length is beyond what this peer accepts.
	#[error("message length {length} is beyond the limit of {limit} bytes")]
	TooLong {
		/// The announced length.
		length: usize,
		/// The configured limit.
		limit: usize,
	},
}

impl FrameError {
	/// The Result-Code of the error answer.
	pub fn result_code(&self) -> u32 {
		match self {
			FrameError::Version(_) => dict::result::UNSUPPORTED_VERSION,
			FrameError::TooShort(_) | FrameError::TooLong { .. } => {
				dict::result::INVALID_MESSAGE_LENGTH
			},
		}
	}
}

/// How long the message at the start of `buf` is: `Ok(None)` while fewer
/// than four bytes are there, the whole length (header included) otherwise.
pub fn frame_len(buf: &[u8], limit: usize) -> Result<Option<usize>, FrameError> {
	let Some(&[version, l0, l1, l2]) = buf.first_chunk::<4>() else { return Ok(None) };
	if version != 1 {
		return Err(FrameError::Version(version));
	}
	let length = u24(&[l0, l1, l2]);
	if length < HEADER_LEN {
		return Err(FrameError::TooShort(length));
	}
	if length > limit {
		return Err(FrameError::TooLong { length, limit });
	}
	Ok(Some(length))
}

/// The header at the start of `buf`, if 20 bytes are there (whatever the
/// rest holds): enough to answer a message that cannot be framed.
pub fn peek_header(buf: &[u8]) -> Option<Header> {
	let &[_, _, _, _, flags, c0, c1, c2, a0, a1, a2, a3, h0, h1, h2, h3, e0, e1, e2, e3] =
		buf.first_chunk::<HEADER_LEN>()?;
	Some(Header {
		flags,
		command: u24(&[c0, c1, c2]) as u32,
		application: u32::from_be_bytes([a0, a1, a2, a3]),
		hop_by_hop: u32::from_be_bytes([h0, h1, h2, h3]),
		end_to_end: u32::from_be_bytes([e0, e1, e2, e3]),
	})
}

/// A message that was framed but cannot be used: the header (when it could
/// be read) and what the error answer must say.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
	/// The header, to build the error answer.
	pub header: Header,
	/// The Result-Code of the error answer.
	pub result_code: u32,
	/// The offending AVP (as much of it as was read), for Failed-AVP.
	pub failed: Option<Avp>,
	/// What went wrong, for the Error-Message AVP and the log.
	pub reason: String,
}

/// An AVP that is missing or cannot be read as its definition says; turned
/// into the Result-Code and Failed-AVP of an answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AvpError {
	/// A required AVP is absent.
	#[error("missing AVP {}", .0.name)]
	Missing(&'static AvpDef),
	/// The data has the wrong length for its type.
	#[error("AVP {} has an invalid length", .0.name)]
	Length(&'static AvpDef, Avp),
	/// The data is not valid for its type (bad UTF-8, wrong kind).
	#[error("AVP {} has an invalid value", .0.name)]
	Value(&'static AvpDef, Avp),
}

impl AvpError {
	/// The Result-Code of the error answer.
	pub fn result_code(&self) -> u32 {
		match self {
			AvpError::Missing(_) => dict::result::MISSING_AVP,
			AvpError::Length(..) => dict::result::INVALID_AVP_LENGTH,
			AvpError::Value(..) => dict::result::INVALID_AVP_VALUE,
		}
	}

	/// The Failed-AVP content: the AVP as received, or for a missing one an
	/// AVP of that code with empty data (RFC 6733 section 7.5).
	pub fn failed_avp(&self) -> Avp {
		match self {
			AvpError::Missing(def) => Avp::new(def, Value::Raw(Vec::new())),
			AvpError::Length(_, avp) | AvpError::Value(_, avp) => avp.clone(),
		}
	}
}

/// A message that does not fit in Diameter's 24-bit length fields.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("message of {0} bytes does not fit a Diameter length field")]
pub struct EncodeError(pub usize);

fn u24(bytes: &[u8]) -> usize {
	bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
	bytes.get(at..)?.first_chunk::<4>().map(|b| u32::from_be_bytes(*b))
}

const fn padded(len: usize) -> usize {
	(len + 3) & !3
}

mod avp;
mod message;

#[cfg(test)]
mod tests;
