//! AVPs: decoding them (grouped ones through the dictionary, nested at
//! most [`MAX_DEPTH`] deep), building and reading them, encoding them.

use super::message::find;
use super::*;

pub(super) type AvpFailure = (u32, Option<Avp>, String);

pub(super) fn decode_avps(mut bytes: &[u8], depth: usize) -> Result<Vec<Avp>, AvpFailure> {
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

	pub(super) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
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
