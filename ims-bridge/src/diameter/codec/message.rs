//! A whole message: decoding one frame, encoding, typed reads of its AVPs.

use super::avp::decode_avps;
use super::*;

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

pub(super) fn find<'a>(avps: &'a [Avp], def: &AvpDef) -> Option<&'a Avp> {
	avps.iter().find(|a| a.is(def))
}

pub(super) fn unsupported_mandatory(avps: &[Avp]) -> Option<&Avp> {
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
