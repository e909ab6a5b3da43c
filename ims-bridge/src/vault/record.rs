//! What the vault holds for a subscription ([`Subscriber`], sealed in the
//! file) and what Cx requests without a secret read of it ([`Directory`]).

use super::VaultError;
use crate::auth::AkaKeys;
use crate::pseudonym::{pseudonym, Kind};
use codec::{Decode, Encode};
use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// SIP Digest secrets of a private identity.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Zeroize, ZeroizeOnDrop)]
pub struct DigestSecret {
	/// The digest realm HA1 was computed for.
	pub realm: String,
	/// HA1 = MD5(impi:realm:password), lowercase hex.
	pub ha1: String,
	/// The password itself, kept only where Digest-MD5 (which hands it to
	/// the S-CSCF) is enabled.
	pub password: Option<String>,
}

/// The secrets of one private identity.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Zeroize, ZeroizeOnDrop)]
pub struct PrivateIdentity {
	/// The IMPI, e.g. `alice@ims.test`.
	pub identity: String,
	/// K, OPc and AMF for IMS AKA.
	pub aka: Option<AkaSecret>,
	/// SIP Digest secrets.
	pub digest: Option<DigestSecret>,
}

/// AKA keys with the highest SQN that may have been used.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Zeroize, ZeroizeOnDrop)]
pub struct AkaSecret {
	/// Subscriber key K.
	pub k: [u8; 16],
	/// Operator variant OPc.
	pub opc: [u8; 16],
	/// AMF of new vectors.
	pub amf: [u8; 2],
	/// The highest SQN reserved so far (vectors use later ones).
	pub sqn: u64,
}

impl AkaSecret {
	/// AKA secrets from their hex forms: K, exactly one of OPc and OP (OPc
	/// is derived from OP and K), AMF, and the last SQN the USIM has seen.
	pub fn from_hex(
		k: &str,
		opc: Option<&str>,
		op: Option<&str>,
		amf: &str,
		sqn: u64,
	) -> Result<AkaSecret, String> {
		let k = hex16("K", k)?;
		let opc = match (opc, op) {
			(Some(opc), None) => hex16("OPc", opc)?,
			(None, Some(op)) => crate::auth::milenage::opc(&k, &hex16("OP", op)?),
			_ => return Err("give exactly one of OPc and OP".into()),
		};
		let amf = hex::decode(amf).map_err(|_| "AMF is not hex".to_string())?;
		let amf: [u8; 2] =
			amf.try_into().map_err(|_| "AMF must be 2 bytes (4 hex digits)".to_string())?;
		if sqn > crate::auth::SQN_MAX {
			return Err("SQN must fit in 48 bits".into());
		}
		Ok(AkaSecret { k, opc, amf, sqn })
	}

	/// The keys a vector is computed with.
	pub(super) fn keys(&self) -> AkaKeys {
		AkaKeys { k: self.k, opc: self.opc, amf: self.amf }
	}
}

/// 16 bytes from 32 hex digits, the decoded copy wiped.
fn hex16(what: &str, text: &str) -> Result<[u8; 16], String> {
	let bytes = zeroize::Zeroizing::new(
		hex::decode(text.trim()).map_err(|_| format!("{what} is not hex"))?,
	);
	bytes.as_slice().try_into().map_err(|_| format!("{what} must be 16 bytes (32 hex digits)"))
}

/// Everything the vault holds for one IMS subscription.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Zeroize, ZeroizeOnDrop)]
pub struct Subscriber {
	/// The operator's name for the subscription.
	pub subscription: String,
	/// The salt of every pseudonym of this subscription.
	pub salt: [u8; 32],
	/// Private identities and their secrets.
	pub impis: Vec<PrivateIdentity>,
	/// Public identities, in clear.
	pub impus: Vec<String>,
}

impl std::fmt::Debug for Subscriber {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("Subscriber(<personal data>)")
	}
}

impl Subscriber {
	/// A subscription with a fresh random salt.
	pub fn new(subscription: impl Into<String>) -> Self {
		let mut salt = [0u8; 32];
		rand::rngs::OsRng.fill_bytes(&mut salt);
		Subscriber { subscription: subscription.into(), salt, impis: Vec::new(), impus: Vec::new() }
	}

	/// The subscription's pseudonym, which is also its vault handle.
	pub fn handle(&self) -> [u8; 32] {
		pseudonym(&self.salt, Kind::Subscription, &self.subscription)
	}

	/// The on-chain pseudonym of one of its identities.
	pub fn pseudonym(&self, kind: Kind, identity: &str) -> [u8; 32] {
		pseudonym(&self.salt, kind, identity)
	}

	/// A private identity by name.
	pub fn impi(&self, identity: &str) -> Option<&PrivateIdentity> {
		self.impis.iter().find(|i| i.identity == identity)
	}

	/// Every identity the vault finds the subscription by.
	pub(super) fn lookup_names(&self) -> impl Iterator<Item = (Kind, &str)> {
		let impis = self.impis.iter().map(|i| (Kind::Impi, i.identity.as_str()));
		impis.chain(self.impus.iter().map(|u| (Kind::Impu, u.as_str())))
	}
}

/// A subscription's identities in clear with their pseudonyms: what a Cx
/// request that uses no secret needs of the vault. It holds no secret
/// (no K, OPc, SQN, HA1 or password), so the read cache keeps it opened.
pub struct Directory {
	/// The subscription's handle, to read its secrets with [`Vault::get`].
	pub handle: [u8; 32],
	/// Private identities and their pseudonyms, in the record's order.
	pub impis: Vec<(String, [u8; 32])>,
	/// Public identities and their pseudonyms, in the record's order.
	pub impus: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for Directory {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("Directory(<personal data>)")
	}
}

impl Directory {
	/// The directory of a subscription: every pseudonym computed once.
	pub fn of(subscriber: &Subscriber) -> Self {
		let named =
			|kind, identity: &String| (identity.clone(), subscriber.pseudonym(kind, identity));
		Directory {
			handle: subscriber.handle(),
			impis: subscriber.impis.iter().map(|i| named(Kind::Impi, &i.identity)).collect(),
			impus: subscriber.impus.iter().map(|u| named(Kind::Impu, u)).collect(),
		}
	}

	/// The pseudonym of one of its identities; `None` for another's.
	pub fn pseudonym(&self, kind: Kind, identity: &str) -> Option<[u8; 32]> {
		let list = match kind {
			Kind::Impi => &self.impis,
			Kind::Impu => &self.impus,
			Kind::Subscription => return None,
		};
		list.iter().find(|(name, _)| name == identity).map(|(_, id)| *id)
	}

	/// The public identity with this pseudonym, in clear.
	pub fn impu_named(&self, pseudonym: &[u8; 32]) -> Option<&str> {
		self.impus.iter().find(|(_, id)| id == pseudonym).map(|(name, _)| name.as_str())
	}
}

/// A subscriber from its opened record.
pub(super) fn decode_plain(plain: &[u8]) -> Result<Subscriber, VaultError> {
	Subscriber::decode(&mut &plain[..]).map_err(|_| VaultError::Corrupt)
}
