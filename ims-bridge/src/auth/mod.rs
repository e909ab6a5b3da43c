//! What a MAA carries: IMS AKA vectors (3GPP TS 33.102 section 6.3 with
//! MILENAGE), their sequence numbers and resynchronisation, and SIP Digest's
//! HA1 (RFC 2617, TS 29.228 SIP-Digest-Authenticate).

pub mod milenage;

use md5::{Digest, Md5};
use milenage::Milenage;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The largest sequence number (48 bits).
pub const SQN_MAX: u64 = (1 << 48) - 1;
/// How far SQN moves for each new vector: SEQ advances by one with a 5-bit
/// IND of zero (TS 33.102 annex C.3.2), so that a USIM's freshness window
/// accepts each new vector.
pub const SQN_STEP: u64 = 32;
/// The AMF MAC-S is computed with in a resynchronisation (TS 33.102
/// section 6.3.3: a dummy value of all zeros).
const RESYNC_AMF: [u8; 2] = [0, 0];

/// A subscriber's AKA secrets, as the vault keeps them.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AkaKeys {
	/// The subscriber key K.
	pub k: [u8; 16],
	/// The operator variant OPc.
	pub opc: [u8; 16],
	/// The authentication management field used in new vectors.
	pub amf: [u8; 2],
}

impl std::fmt::Debug for AkaKeys {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("AkaKeys(<secret>)")
	}
}

/// One authentication vector for Digest-AKAv1-MD5 / Digest-AKAv2-MD5
/// (RFC 3310, RFC 4169): SIP-Authenticate = RAND || AUTN,
/// SIP-Authorization = XRES, Confidentiality-Key = CK, Integrity-Key = IK.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct AkaVector {
	/// The challenge.
	pub rand: [u8; 16],
	/// AUTN = (SQN xor AK) || AMF || MAC-A.
	pub autn: [u8; 16],
	/// The expected response.
	pub xres: [u8; 8],
	/// Cipher key.
	pub ck: [u8; 16],
	/// Integrity key.
	pub ik: [u8; 16],
}

impl std::fmt::Debug for AkaVector {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("AkaVector(<secret>)")
	}
}

impl AkaVector {
	/// The SIP-Authenticate value: RAND || AUTN.
	pub fn sip_authenticate(&self) -> [u8; 32] {
		let mut out = [0u8; 32];
		out[..16].copy_from_slice(&self.rand);
		out[16..].copy_from_slice(&self.autn);
		out
	}
}

/// The 48-bit SQN as bytes.
pub fn sqn_bytes(sqn: u64) -> [u8; 6] {
	let b = (sqn & SQN_MAX).to_be_bytes();
	[b[2], b[3], b[4], b[5], b[6], b[7]]
}

fn sqn_from(bytes: &[u8; 6]) -> u64 {
	bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// The SQN of the vector after one that used `sqn`, or `None` when the
/// 48-bit space is exhausted (the subscriber needs a new K).
pub fn next_sqn(sqn: u64) -> Option<u64> {
	sqn.checked_add(SQN_STEP).filter(|next| *next <= SQN_MAX)
}

/// A vector for `rand` with sequence number `sqn`.
pub fn aka_vector(keys: &AkaKeys, sqn: u64, rand: [u8; 16]) -> AkaVector {
	let m = Milenage::new(&keys.k, &keys.opc);
	let sqn = sqn_bytes(sqn);
	let mac_a = m.f1(&rand, &sqn, &keys.amf);
	let out = m.f2345(&rand);
	let mut autn = [0u8; 16];
	for ((c, s), a) in autn.iter_mut().zip(sqn).zip(out.ak) {
		*c = s ^ a;
	}
	autn[6..8].copy_from_slice(&keys.amf);
	autn[8..].copy_from_slice(&mac_a);
	AkaVector { rand, autn, xres: out.res, ck: out.ck, ik: out.ik }
}

/// Why a resynchronisation request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResyncError {
	/// SIP-Authorization is not RAND (16 bytes) followed by AUTS (14).
	#[error("SIP-Authorization of {0} bytes is not RAND (16) + AUTS (14)")]
	Length(usize),
	/// MAC-S does not verify: the AUTS was not made with this K.
	#[error("AUTS does not verify (MAC-S mismatch)")]
	MacMismatch,
}

/// Verifies a resynchronisation (TS 33.102 section 6.3.5): the MAR's
/// SIP-Authorization holds the RAND the UE refused followed by
/// AUTS = (SQN_MS xor AK*) || MAC-S. Returns SQN_MS, the highest sequence
/// number the USIM has accepted; the next vector must use a later one.
pub fn resync(keys: &AkaKeys, authorization: &[u8]) -> Result<u64, ResyncError> {
	let (Some(rand), Some(auts)) = (
		authorization.first_chunk::<16>(),
		authorization.get(16..).and_then(|rest| rest.first_chunk::<14>()),
	) else {
		return Err(ResyncError::Length(authorization.len()));
	};
	if authorization.len() != 30 {
		return Err(ResyncError::Length(authorization.len()));
	}
	let m = Milenage::new(&keys.k, &keys.opc);
	let ak_star = m.f5_star(rand);
	let mut sqn_ms = [0u8; 6];
	for ((s, c), a) in sqn_ms.iter_mut().zip(auts).zip(ak_star) {
		*s = c ^ a;
	}
	let mac_s = m.f1_star(rand, &sqn_ms, &RESYNC_AMF);
	// Constant-time comparison: MAC-S is a secret-dependent value.
	let diff = mac_s.iter().zip(&auts[6..]).fold(0u8, |acc, (a, b)| acc | (a ^ b));
	if diff != 0 {
		return Err(ResyncError::MacMismatch);
	}
	Ok(sqn_from(&sqn_ms))
}

/// HA1 of RFC 2617 as lowercase hex: MD5(username ":" realm ":" password).
/// The S-CSCF gets it in Digest-HA1 and never sees the password.
pub fn digest_ha1(username: &str, realm: &str, password: &str) -> String {
	digest_ha1_bytes(username, realm, password.as_bytes())
}

/// [`digest_ha1`] of a password that is bytes, not text (FHoSS keeps it
/// in a blob).
pub fn digest_ha1_bytes(username: &str, realm: &str, password: &[u8]) -> String {
	let mut md5 = Md5::new();
	md5.update(username.as_bytes());
	md5.update(b":");
	md5.update(realm.as_bytes());
	md5.update(b":");
	md5.update(password);
	hex::encode(md5.finalize())
}

#[cfg(test)]
mod tests {
	use super::*;

	/// TS 35.208 test set 1.
	fn keys() -> AkaKeys {
		AkaKeys {
			k: hex::decode("465b5ce8b199b49faa5f0a2ee238a6bc").unwrap().try_into().unwrap(),
			opc: hex::decode("cd63cb71954a9f4e48a5994e37a02baf").unwrap().try_into().unwrap(),
			amf: [0xb9, 0xb9],
		}
	}

	const RAND: [u8; 16] = [
		0x23, 0x55, 0x3c, 0xbe, 0x96, 0x37, 0xa8, 0x9d, 0x21, 0x8a, 0xe6, 0x4d, 0xae, 0x47, 0xbf,
		0x35,
	];

	#[test]
	fn a_vector_is_built_from_the_test_set() {
		let v = aka_vector(&keys(), 0xff9b_b4d0_b607, RAND);
		// AUTN = SQN xor AK || AMF || MAC-A with test set 1's f1 and f5.
		let sqn = [0xffu8, 0x9b, 0xb4, 0xd0, 0xb6, 0x07];
		let ak = [0xaau8, 0x68, 0x9c, 0x64, 0x83, 0x70];
		let concealed: Vec<u8> = sqn.iter().zip(ak).map(|(s, a)| s ^ a).collect();
		assert_eq!(&v.autn[..6], &concealed[..]);
		assert_eq!(&v.autn[6..8], &[0xb9, 0xb9]);
		assert_eq!(hex::encode(&v.autn[8..]), "4a9ffac354dfafb3");
		assert_eq!(hex::encode(v.xres), "a54211d5e3ba50bf");
		assert_eq!(hex::encode(v.ck), "b40ba9a3c58b2a05bbf0d987b21bf8cb");
		assert_eq!(hex::encode(v.ik), "f769bcd751044604127672711c6d3441");
		assert_eq!(&v.sip_authenticate()[..16], &RAND);
		assert_eq!(&v.sip_authenticate()[16..], &v.autn);
	}

	/// The AUTS a USIM with `sqn_ms` makes when it refuses `rand`.
	fn auts(keys: &AkaKeys, rand: &[u8; 16], sqn_ms: u64) -> Vec<u8> {
		let m = Milenage::new(&keys.k, &keys.opc);
		let ak_star = m.f5_star(rand);
		let sqn = sqn_bytes(sqn_ms);
		let mut out: Vec<u8> = sqn.iter().zip(ak_star).map(|(s, a)| s ^ a).collect();
		out.extend_from_slice(&m.f1_star(rand, &sqn, &RESYNC_AMF));
		let mut authorization = rand.to_vec();
		authorization.extend_from_slice(&out);
		authorization
	}

	#[test]
	fn resync_recovers_the_usim_sequence_number() {
		let keys = keys();
		let authorization = auts(&keys, &RAND, 0x0000_0123_4560);
		assert_eq!(resync(&keys, &authorization), Ok(0x0000_0123_4560));
		// The next vector then uses a fresher SQN.
		assert_eq!(next_sqn(0x0000_0123_4560), Some(0x0000_0123_4580));
	}

	#[test]
	fn resync_refuses_a_forged_or_malformed_auts() {
		let keys = keys();
		let mut authorization = auts(&keys, &RAND, 77);
		authorization[29] ^= 1;
		assert_eq!(resync(&keys, &authorization), Err(ResyncError::MacMismatch));
		// Made with another K.
		let other = AkaKeys { k: [7; 16], ..keys.clone() };
		assert_eq!(resync(&keys, &auts(&other, &RAND, 77)), Err(ResyncError::MacMismatch));
		assert_eq!(resync(&keys, &[0; 29]), Err(ResyncError::Length(29)));
		assert_eq!(resync(&keys, &[0; 31]), Err(ResyncError::Length(31)));
		assert_eq!(resync(&keys, &[]), Err(ResyncError::Length(0)));
	}

	#[test]
	fn sequence_numbers_step_and_stop_at_48_bits() {
		assert_eq!(next_sqn(0), Some(32));
		assert_eq!(next_sqn(SQN_MAX - 32), Some(SQN_MAX));
		assert_eq!(next_sqn(SQN_MAX - 31), None);
		assert_eq!(next_sqn(u64::MAX), None);
		assert_eq!(sqn_bytes(0x0102_0304_0506), [1, 2, 3, 4, 5, 6]);
		assert_eq!(sqn_from(&sqn_bytes(0xffff_ffff_ffff)), SQN_MAX);
	}

	#[test]
	fn ha1_is_rfc_2617() {
		// RFC 2617 section 3.5: Mufasa / testrealm@host.com / Circle Of Life.
		assert_eq!(
			digest_ha1("Mufasa", "testrealm@host.com", "Circle Of Life"),
			"939e7578ed9e3c518a452acee763bce9"
		);
	}

	#[test]
	fn secrets_do_not_show_in_debug_output() {
		let keys = keys();
		assert_eq!(format!("{keys:?}"), "AkaKeys(<secret>)");
		assert_eq!(format!("{:?}", aka_vector(&keys, 1, RAND)), "AkaVector(<secret>)");
	}
}
