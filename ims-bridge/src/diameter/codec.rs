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

impl Message {
	/// A new request.
	pub fn request(command: u32, application: u32, hop_by_hop: u32, end_to_end: u32) -> Self {
		Message {
			header: Header {
				flags: flags::REQUEST | flags::PROXIABLE,
				command,
				application,
				hop_by_hop,
				end_to_end,
			},
			avps: Vec::new(),
		}
	}

	/// The (still empty) answer to a request with this header.
	pub fn answer_to(header: &Header) -> Self {
		Message { header: header.answer(), avps: Vec::new() }
	}

	/// Appends an AVP.
	pub fn push(&mut self, avp: Avp) -> &mut Self {
		self.avps.push(avp);
		self
	}

	/// Appends an AVP (builder style).
	pub fn with(mut self, avp: Avp) -> Self {
		self.avps.push(avp);
		self
	}

	/// Decodes one framed message (exactly [`frame_len`] bytes).
	pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
		let (Some(header), Some(&[_, l0, l1, l2])) = (peek_header(frame), frame.first_chunk::<4>())
		else {
			return Err(DecodeError {
				header: Header {
					flags: 0,
					command: 0,
					application: 0,
					hop_by_hop: 0,
					end_to_end: 0,
				},
				result_code: dict::result::INVALID_MESSAGE_LENGTH,
				failed: None,
				reason: format!("{} bytes are too few for a Diameter header", frame.len()),
			});
		};
		let fail = |result_code, failed, reason: String| DecodeError {
			header,
			result_code,
			failed,
			reason,
		};
		let announced = u24(&[l0, l1, l2]);
		if announced != frame.len() || !announced.is_multiple_of(4) {
			return Err(fail(
				dict::result::INVALID_MESSAGE_LENGTH,
				None,
				format!(
					"message length {announced} does not match the {} bytes framed or is not a multiple of 4",
					frame.len()
				),
			));
		}
		if header.is_request() && header.flags & flags::ERROR != 0 {
			return Err(fail(
				dict::result::INVALID_HDR_BITS,
				None,
				"a request must not carry the E bit".into(),
			));
		}
		match decode_avps(frame.get(HEADER_LEN..).unwrap_or_default(), 0) {
			Ok(avps) => Ok(Message { header, avps }),
			Err((result_code, failed, reason)) => Err(fail(result_code, failed, reason)),
		}
	}

	/// Encodes the message.
	pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
		let body: usize = self.avps.iter().map(Avp::encoded_len).sum();
		let length = HEADER_LEN + body;
		if length > MAX_LENGTH_FIELD {
			return Err(EncodeError(length));
		}
		let mut out = Vec::with_capacity(length);
		out.push(1);
		out.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
		out.push(self.header.flags);
		out.extend_from_slice(&(self.header.command & 0x00ff_ffff).to_be_bytes()[1..]);
		out.extend_from_slice(&self.header.application.to_be_bytes());
		out.extend_from_slice(&self.header.hop_by_hop.to_be_bytes());
		out.extend_from_slice(&self.header.end_to_end.to_be_bytes());
		for avp in &self.avps {
			avp.encode_into(&mut out)?;
		}
		Ok(out)
	}

	/// The first AVP with this definition's code and vendor.
	pub fn find(&self, def: &AvpDef) -> Option<&Avp> {
		find(&self.avps, def)
	}

	/// Every AVP with this definition's code and vendor.
	pub fn find_all<'a>(&'a self, def: &'a AvpDef) -> impl Iterator<Item = &'a Avp> + 'a {
		self.avps.iter().filter(move |a| a.is(def))
	}

	/// A UTF-8 AVP that must be present.
	pub fn required_utf8(&self, def: &'static AvpDef) -> Result<&str, AvpError> {
		self.find(def).ok_or(AvpError::Missing(def))?.utf8(def)
	}

	/// A UTF-8 AVP that may be absent.
	pub fn optional_utf8(&self, def: &'static AvpDef) -> Result<Option<&str>, AvpError> {
		self.find(def).map(|a| a.utf8(def)).transpose()
	}

	/// An Unsigned32 AVP that must be present.
	pub fn required_u32(&self, def: &'static AvpDef) -> Result<u32, AvpError> {
		self.find(def).ok_or(AvpError::Missing(def))?.u32(def)
	}

	/// An Unsigned32 AVP that may be absent.
	pub fn optional_u32(&self, def: &'static AvpDef) -> Result<Option<u32>, AvpError> {
		self.find(def).map(|a| a.u32(def)).transpose()
	}

	/// The first AVP (at any depth) that carries the M bit but is not in
	/// the dictionary: such a request must be refused with
	/// DIAMETER_AVP_UNSUPPORTED (RFC 6733 section 4.1).
	pub fn unsupported_mandatory(&self) -> Option<&Avp> {
		unsupported_mandatory(&self.avps)
	}
}

fn find<'a>(avps: &'a [Avp], def: &AvpDef) -> Option<&'a Avp> {
	avps.iter().find(|a| a.is(def))
}

fn unsupported_mandatory(avps: &[Avp]) -> Option<&Avp> {
	avps.iter().find_map(|avp| {
		if avp.flags & avp_flags::MANDATORY != 0 && dict::lookup(avp.code, avp.vendor).is_none() {
			return Some(avp);
		}
		match &avp.value {
			Value::Grouped(children) => unsupported_mandatory(children),
			Value::Raw(_) => None,
		}
	})
}

type AvpFailure = (u32, Option<Avp>, String);

fn decode_avps(mut bytes: &[u8], depth: usize) -> Result<Vec<Avp>, AvpFailure> {
	let mut avps = Vec::new();
	while !bytes.is_empty() {
		let (avp, used) = decode_avp(bytes, depth)?;
		avps.push(avp);
		bytes = bytes.get(used..).unwrap_or_default();
	}
	Ok(avps)
}

/// Decodes the AVP at the start of `bytes`; returns it and the bytes it
/// used with its padding.
fn decode_avp(bytes: &[u8], depth: usize) -> Result<(Avp, usize), AvpFailure> {
	let truncated = |code: u32, flags: u8, vendor: u32, data: &[u8], reason: String| {
		let failed = Avp { code, flags, vendor, value: Value::Raw(data.to_vec()) };
		(dict::result::INVALID_AVP_LENGTH, Some(failed), reason)
	};
	let (Some(code), Some(word)) = (read_u32(bytes, 0), read_u32(bytes, 4)) else {
		return Err((
			dict::result::INVALID_AVP_LENGTH,
			None,
			format!("{} trailing bytes are too few for an AVP header", bytes.len()),
		));
	};
	let flags = (word >> 24) as u8;
	let length = (word & 0x00ff_ffff) as usize;
	let has_vendor = flags & avp_flags::VENDOR != 0;
	let header_len = if has_vendor { 12 } else { 8 };
	let vendor = if has_vendor {
		read_u32(bytes, 8).ok_or_else(|| {
			truncated(code, flags, 0, &[], format!("AVP {code} is cut inside its vendor id"))
		})?
	} else {
		0
	};
	if length < header_len {
		return Err(truncated(
			code,
			flags,
			vendor,
			&[],
			format!("AVP {code} announces {length} bytes, less than its own header"),
		));
	}
	let Some(data) = bytes.get(header_len..length) else {
		let available = bytes.get(header_len..).unwrap_or_default();
		return Err(truncated(
			code,
			flags,
			vendor,
			available,
			format!(
				"AVP {code} announces {length} bytes but only {} remain in the message",
				bytes.len()
			),
		));
	};
	// The last AVP's padding may be missing only if the message ends there.
	let used = padded(length).min(bytes.len());
	let value = match dict::lookup(code, vendor) {
		Some(def) if def.kind == Kind::Grouped => {
			if depth + 1 >= MAX_DEPTH {
				let failed = Avp { code, flags, vendor, value: Value::Raw(data.to_vec()) };
				return Err((
					dict::result::INVALID_AVP_VALUE,
					Some(failed),
					format!("grouped AVPs nested deeper than {MAX_DEPTH} levels"),
				));
			}
			Value::Grouped(decode_avps(data, depth + 1)?)
		},
		_ => Value::Raw(data.to_vec()),
	};
	Ok((Avp { code, flags, vendor, value }, used))
}

impl Avp {
	/// An AVP as its definition says: V bit when it has a vendor, M bit
	/// when the dictionary marks it mandatory.
	pub fn new(def: &AvpDef, value: Value) -> Self {
		let mut flags = 0;
		if def.vendor != 0 {
			flags |= avp_flags::VENDOR;
		}
		if def.mandatory {
			flags |= avp_flags::MANDATORY;
		}
		Avp { code: def.code, flags, vendor: def.vendor, value }
	}

	/// A text AVP.
	pub fn utf8_of(def: &AvpDef, text: &str) -> Self {
		Avp::new(def, Value::Raw(text.as_bytes().to_vec()))
	}

	/// An Unsigned32 AVP.
	pub fn u32_of(def: &AvpDef, value: u32) -> Self {
		Avp::new(def, Value::Raw(value.to_be_bytes().to_vec()))
	}

	/// An OctetString AVP.
	pub fn octets_of(def: &AvpDef, bytes: impl Into<Vec<u8>>) -> Self {
		Avp::new(def, Value::Raw(bytes.into()))
	}

	/// An Address AVP.
	pub fn address_of(def: &AvpDef, address: IpAddr) -> Self {
		let mut data = Vec::with_capacity(18);
		match address {
			IpAddr::V4(v4) => {
				data.extend_from_slice(&1u16.to_be_bytes());
				data.extend_from_slice(&v4.octets());
			},
			IpAddr::V6(v6) => {
				data.extend_from_slice(&2u16.to_be_bytes());
				data.extend_from_slice(&v6.octets());
			},
		}
		Avp::new(def, Value::Raw(data))
	}

	/// A grouped AVP.
	pub fn grouped_of(def: &AvpDef, children: Vec<Avp>) -> Self {
		Avp::new(def, Value::Grouped(children))
	}

	/// Whether this AVP has the definition's code and vendor.
	pub fn is(&self, def: &AvpDef) -> bool {
		self.code == def.code && self.vendor == def.vendor
	}

	/// Whether the M bit is set.
	pub fn is_mandatory(&self) -> bool {
		self.flags & avp_flags::MANDATORY != 0
	}

	fn raw(&self, def: &'static AvpDef) -> Result<&[u8], AvpError> {
		match &self.value {
			Value::Raw(bytes) => Ok(bytes),
			Value::Grouped(_) => Err(AvpError::Value(def, self.clone())),
		}
	}

	/// The data as bytes.
	pub fn octets(&self, def: &'static AvpDef) -> Result<&[u8], AvpError> {
		self.raw(def)
	}

	/// The data as UTF-8 text.
	pub fn utf8(&self, def: &'static AvpDef) -> Result<&str, AvpError> {
		std::str::from_utf8(self.raw(def)?).map_err(|_| AvpError::Value(def, self.clone()))
	}

	/// The data as an Unsigned32.
	pub fn u32(&self, def: &'static AvpDef) -> Result<u32, AvpError> {
		let bytes = self.raw(def)?;
		let array: [u8; 4] = bytes.try_into().map_err(|_| AvpError::Length(def, self.clone()))?;
		Ok(u32::from_be_bytes(array))
	}

	/// The data as an address.
	pub fn address(&self, def: &'static AvpDef) -> Result<IpAddr, AvpError> {
		let bytes = self.raw(def)?;
		match bytes {
			[0, 1, a, b, c, d] => Ok(IpAddr::from([*a, *b, *c, *d])),
			[0, 2, rest @ ..] if rest.len() == 16 => {
				let mut octets = [0u8; 16];
				octets.copy_from_slice(rest);
				Ok(IpAddr::from(octets))
			},
			_ => Err(AvpError::Value(def, self.clone())),
		}
	}

	/// The AVPs of a grouped AVP.
	pub fn children(&self, def: &'static AvpDef) -> Result<&[Avp], AvpError> {
		match &self.value {
			Value::Grouped(children) => Ok(children),
			Value::Raw(_) => Err(AvpError::Value(def, self.clone())),
		}
	}

	/// The first child with this definition.
	pub fn child(&self, group: &'static AvpDef, def: &AvpDef) -> Result<Option<&Avp>, AvpError> {
		Ok(find(self.children(group)?, def))
	}

	fn data_len(&self) -> usize {
		match &self.value {
			Value::Raw(bytes) => bytes.len(),
			Value::Grouped(children) => children.iter().map(Avp::encoded_len).sum(),
		}
	}

	/// Whether the AVP carries a Vendor-ID field: a vendor, or the V bit as
	/// received (even with vendor 0, so that what was read encodes back).
	fn has_vendor(&self) -> bool {
		self.vendor != 0 || self.flags & avp_flags::VENDOR != 0
	}

	fn header_len(&self) -> usize {
		if self.has_vendor() {
			12
		} else {
			8
		}
	}

	/// Bytes this AVP takes on the wire, padding included.
	pub fn encoded_len(&self) -> usize {
		padded(self.header_len() + self.data_len())
	}

	fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
		let length = self.header_len() + self.data_len();
		if length > MAX_LENGTH_FIELD {
			return Err(EncodeError(length));
		}
		let flags = if self.has_vendor() {
			self.flags | avp_flags::VENDOR
		} else {
			self.flags & !avp_flags::VENDOR
		};
		out.extend_from_slice(&self.code.to_be_bytes());
		out.push(flags);
		out.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
		if self.has_vendor() {
			out.extend_from_slice(&self.vendor.to_be_bytes());
		}
		match &self.value {
			Value::Raw(bytes) => out.extend_from_slice(bytes),
			Value::Grouped(children) => {
				for child in children {
					child.encode_into(out)?;
				}
			},
		}
		out.resize(out.len() + (padded(length) - length), 0);
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::diameter::dict::{avp, command, APP_CX, VENDOR_3GPP};

	fn sample() -> Message {
		Message::request(command::MULTIMEDIA_AUTH, APP_CX, 0x1122_3344, 0x5566_7788)
			.with(Avp::utf8_of(&avp::SESSION_ID, "scscf.ims.test;1;2"))
			.with(Avp::grouped_of(
				&avp::VENDOR_SPECIFIC_APPLICATION_ID,
				vec![
					Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
					Avp::u32_of(&avp::AUTH_APPLICATION_ID, APP_CX),
				],
			))
			.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "sip:alice@ims.test"))
			.with(Avp::grouped_of(
				&avp::SIP_AUTH_DATA_ITEM,
				vec![Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-AKAv1-MD5")],
			))
			.with(Avp::address_of(&avp::HOST_IP_ADDRESS, "127.0.0.1".parse().unwrap()))
	}

	fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
		let len = frame_len(bytes, DEFAULT_MAX_MESSAGE).unwrap().unwrap();
		Message::decode(&bytes[..len])
	}

	#[test]
	fn a_message_round_trips() {
		let message = sample();
		let bytes = message.encode().unwrap();
		assert_eq!(bytes.len() % 4, 0);
		assert_eq!(u24(&bytes[1..4]), bytes.len());
		assert_eq!(decode(&bytes).unwrap(), message);
	}

	#[test]
	fn the_header_is_laid_out_as_rfc_6733_says() {
		let bytes = Message::request(command::USER_AUTHORIZATION, APP_CX, 7, 9).encode().unwrap();
		assert_eq!(
			bytes,
			[
				1, 0, 0, 20, // version, length
				0xc0, 0, 1, 44, // R+P, command 300
				1, 0, 0, 0, // application 16777216
				0, 0, 0, 7, // hop-by-hop
				0, 0, 0, 9, // end-to-end
			]
		);
	}

	#[test]
	fn avps_are_padded_and_flagged() {
		let message = Message::request(1, 0, 0, 0)
			.with(Avp::utf8_of(&avp::USER_NAME, "bob"))
			.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, "x"));
		let bytes = message.encode().unwrap();
		assert_eq!(
			&bytes[20..],
			&[
				0, 0, 0, 1, 0x40, 0, 0, 11, b'b', b'o', b'b', 0, // User-Name, M, padded
				0, 0, 2, 89, 0xc0, 0, 0, 13, 0, 0, 0x28, 0xaf, b'x', 0, 0, 0, // V+M, 10415
			]
		);
	}

	#[test]
	fn answers_echo_the_identifiers() {
		let request = sample();
		let answer = Message::answer_to(&request.header);
		assert_eq!(answer.header.hop_by_hop, 0x1122_3344);
		assert_eq!(answer.header.end_to_end, 0x5566_7788);
		assert_eq!(answer.header.command, command::MULTIMEDIA_AUTH);
		assert_eq!(answer.header.flags, flags::PROXIABLE);
		let retransmitted =
			Header { flags: flags::REQUEST | flags::RETRANSMITTED, ..request.header };
		assert_eq!(retransmitted.answer().flags, 0);
	}

	#[test]
	fn typed_reads() {
		let message = sample();
		assert_eq!(message.required_utf8(&avp::SESSION_ID).unwrap(), "scscf.ims.test;1;2");
		assert_eq!(
			message.find(&avp::HOST_IP_ADDRESS).unwrap().address(&avp::HOST_IP_ADDRESS).unwrap(),
			"127.0.0.1".parse::<IpAddr>().unwrap()
		);
		let item = message.find(&avp::SIP_AUTH_DATA_ITEM).unwrap();
		let scheme = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHENTICATION_SCHEME);
		assert_eq!(
			scheme.unwrap().unwrap().utf8(&avp::SIP_AUTHENTICATION_SCHEME).unwrap(),
			"Digest-AKAv1-MD5"
		);
		assert_eq!(message.optional_u32(&avp::SERVER_ASSIGNMENT_TYPE), Ok(None));
		assert!(matches!(
			message.required_u32(&avp::SERVER_ASSIGNMENT_TYPE),
			Err(AvpError::Missing(def)) if def == &avp::SERVER_ASSIGNMENT_TYPE
		));
		// Text read as an integer: wrong length, 5014.
		let err = message.required_u32(&avp::SESSION_ID).unwrap_err();
		assert_eq!(err.result_code(), dict::result::INVALID_AVP_LENGTH);
		assert!(err.failed_avp().is(&avp::SESSION_ID));
		// A grouped AVP read as text: invalid value, 5004.
		let err = message.required_utf8(&avp::SIP_AUTH_DATA_ITEM).unwrap_err();
		assert_eq!(err.result_code(), dict::result::INVALID_AVP_VALUE);
	}

	#[test]
	fn invalid_utf8_is_an_invalid_value() {
		let message =
			Message::request(1, 0, 0, 0).with(Avp::octets_of(&avp::USER_NAME, vec![0xff, 0xfe]));
		let decoded = decode(&message.encode().unwrap()).unwrap();
		let err = decoded.required_utf8(&avp::USER_NAME).unwrap_err();
		assert_eq!(err.result_code(), dict::result::INVALID_AVP_VALUE);
	}

	#[test]
	fn framing_waits_for_four_bytes_and_checks_version_and_length() {
		assert_eq!(frame_len(&[], 100), Ok(None));
		assert_eq!(frame_len(&[1, 0, 0], 100), Ok(None));
		assert_eq!(frame_len(&[1, 0, 0, 20], 100), Ok(Some(20)));
		assert_eq!(frame_len(&[2, 0, 0, 20], 100), Err(FrameError::Version(2)));
		assert_eq!(frame_len(&[1, 0, 0, 19], 100), Err(FrameError::TooShort(19)));
		assert_eq!(
			frame_len(&[1, 0xff, 0xff, 0xff], 100),
			Err(FrameError::TooLong { length: 0xff_ffff, limit: 100 })
		);
		assert_eq!(FrameError::Version(2).result_code(), dict::result::UNSUPPORTED_VERSION);
	}

	#[test]
	fn a_truncated_header_is_refused() {
		let err = Message::decode(&[1, 0, 0, 20, 0x80]).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_MESSAGE_LENGTH);
	}

	#[test]
	fn a_length_that_is_not_the_frame_is_refused() {
		let mut bytes = sample().encode().unwrap();
		bytes.truncate(bytes.len() - 4);
		let err = Message::decode(&bytes).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_MESSAGE_LENGTH);
		assert_eq!(err.header.hop_by_hop, 0x1122_3344, "the header still answers");
		// Not a multiple of four.
		let mut bytes = Message::request(1, 0, 0, 0).encode().unwrap();
		bytes.push(0);
		bytes[3] = 21;
		let err = Message::decode(&bytes).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_MESSAGE_LENGTH);
	}

	#[test]
	fn a_request_with_the_error_bit_is_refused() {
		let mut bytes = sample().encode().unwrap();
		bytes[4] |= flags::ERROR;
		assert_eq!(decode(&bytes).unwrap_err().result_code, dict::result::INVALID_HDR_BITS);
	}

	/// A message whose body is `body`, with a correct header.
	fn with_body(body: &[u8]) -> Vec<u8> {
		let mut bytes =
			Message::request(command::USER_AUTHORIZATION, APP_CX, 1, 2).encode().unwrap();
		bytes.extend_from_slice(body);
		let len = bytes.len() as u32;
		bytes[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
		bytes
	}

	#[test]
	fn an_avp_longer_than_the_message_is_refused_with_failed_avp() {
		// User-Name announcing 200 bytes with 8 present.
		let bytes = with_body(&[0, 0, 0, 1, 0x40, 0, 0, 200, b'a', b'b', b'c', b'd']);
		let err = decode(&bytes).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
		let failed = err.failed.unwrap();
		assert_eq!((failed.code, failed.vendor), (1, 0));
		assert_eq!(failed.value, Value::Raw(b"abcd".to_vec()));
		assert!(err.reason.contains("announces 200 bytes"), "{}", err.reason);
	}

	#[test]
	fn an_avp_shorter_than_its_header_is_refused() {
		let err = decode(&with_body(&[0, 0, 0, 1, 0x40, 0, 0, 4])).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
		// V bit set, length covers only the 8-byte header.
		let err = decode(&with_body(&[0, 0, 2, 89, 0xc0, 0, 0, 8, 0, 0, 0x28, 0xaf])).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
	}

	#[test]
	fn trailing_bytes_too_few_for_an_avp_are_refused() {
		let err = decode(&with_body(&[0, 0, 0, 1])).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
		assert_eq!(err.failed, None);
	}

	#[test]
	fn an_avp_length_that_overflows_the_group_is_refused() {
		// A SIP-Auth-Data-Item whose child announces more than the group holds.
		let child = [0u8, 0, 2, 96, 0xc0, 0, 0, 60, 0, 0, 0x28, 0xaf, b'x', 0, 0, 0];
		let mut group = vec![0u8, 0, 2, 100, 0xc0, 0, 0, 12 + child.len() as u8, 0, 0, 0x28, 0xaf];
		group.extend_from_slice(&child);
		let err = decode(&with_body(&group)).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_AVP_LENGTH);
		assert_eq!(err.failed.unwrap().code, 608);
	}

	#[test]
	fn nesting_too_deep_is_refused() {
		let mut inner = Avp::utf8_of(&avp::USER_NAME, "deep");
		for _ in 0..MAX_DEPTH {
			inner = Avp::grouped_of(&avp::PROXY_INFO, vec![inner]);
		}
		let bytes = Message::request(1, 0, 0, 0).with(inner).encode().unwrap();
		let err = decode(&bytes).unwrap_err();
		assert_eq!(err.result_code, dict::result::INVALID_AVP_VALUE);
		assert!(err.reason.contains("nested deeper"));
		// One level less is fine.
		let mut inner = Avp::utf8_of(&avp::USER_NAME, "deep");
		for _ in 0..MAX_DEPTH - 1 {
			inner = Avp::grouped_of(&avp::PROXY_INFO, vec![inner]);
		}
		let message = Message::request(1, 0, 0, 0).with(inner);
		assert_eq!(decode(&message.encode().unwrap()).unwrap(), message);
	}

	#[test]
	fn unknown_avps_are_kept_and_only_mandatory_ones_reported() {
		// The vendor-50 code-494 AVP Kamailio's S-CSCF puts in a SAR.
		let optional = Avp {
			code: 494,
			flags: avp_flags::VENDOR,
			vendor: 50,
			value: Value::Raw(b"x".to_vec()),
		};
		let message = sample().with(optional.clone());
		let decoded = decode(&message.encode().unwrap()).unwrap();
		assert_eq!(decoded.avps.last(), Some(&optional));
		assert_eq!(decoded.unsupported_mandatory(), None);

		let mandatory = Avp { flags: avp_flags::VENDOR | avp_flags::MANDATORY, ..optional };
		let inside = Avp::grouped_of(&avp::SIP_AUTH_DATA_ITEM, vec![mandatory.clone()]);
		let decoded = decode(&sample().with(inside).encode().unwrap()).unwrap();
		assert_eq!(decoded.unsupported_mandatory(), Some(&mandatory));
	}

	#[test]
	fn a_missing_final_padding_is_tolerated_only_at_the_end() {
		// Some peers omit the last AVP's padding in the length they announce;
		// the frame must still be a multiple of four, so this only arises in
		// grouped AVPs whose own length leaves the padding out.
		let child = [0u8, 0, 0, 1, 0x40, 0, 0, 9, b'z', 0, 0, 0];
		let mut group = vec![0u8, 0, 1, 28, 0x40, 0, 0, 8 + 9];
		group.extend_from_slice(&child[..9]);
		group.extend_from_slice(&[0, 0, 0]);
		let decoded = decode(&with_body(&group)).unwrap();
		let Value::Grouped(children) = &decoded.avps[0].value else { panic!("grouped") };
		assert_eq!(children[0].value, Value::Raw(b"z".to_vec()));
	}

	#[test]
	fn oversized_messages_are_not_encoded() {
		let huge = Message::request(1, 0, 0, 0)
			.with(Avp::octets_of(&avp::USER_DATA, vec![0; MAX_LENGTH_FIELD]));
		assert!(huge.encode().is_err());
	}

	#[test]
	fn random_bytes_never_panic() {
		// A small deterministic generator: every prefix of many random
		// frames decodes to a message or an error, never a panic.
		let mut state = 0x2545_f491_4f6c_dd1du64;
		let mut next = move || {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state as u8
		};
		let valid = sample().encode().unwrap();
		for round in 0..2000 {
			let mut bytes = valid.clone();
			for _ in 0..(round % 8 + 1) {
				let at = usize::from(next()) % bytes.len();
				bytes[at] = next();
			}
			let cut = usize::from(next()) % (bytes.len() + 1);
			let bytes = &bytes[..cut];
			if let Ok(Some(len)) = frame_len(bytes, DEFAULT_MAX_MESSAGE) {
				if let Some(frame) = bytes.get(..len) {
					// What decodes encodes back to the same message.
					if let Ok(message) = Message::decode(frame) {
						let encoded = message.encode().unwrap();
						assert_eq!(Message::decode(&encoded), Ok(message));
					}
				}
			}
			let _ = Message::decode(bytes);
		}
	}
}
