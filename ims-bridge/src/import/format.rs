//! The import file, version 1: one JSON object a line (NDJSON), after a
//! header line. The format is specified in `docs/import.md`; this module
//! reads one line into a [`Parsed`] subscriber or a [`LineError`].

use super::LineError;
use crate::auth;
use crate::vault::{AkaSecret, DigestSecret, PrivateIdentity, Subscriber};
use ims_primitives::{AuthScheme, AuthSchemes, ImpuKind};
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use zeroize::Zeroizing;

/// The header's `format`.
pub const FORMAT: &str = "ims-subscribers";
/// The header's `version` this bridge reads.
pub const VERSION: u32 = 1;
/// The longest line read (a subscriber with many identities and roaming
/// lists fits in far less).
pub const MAX_LINE: usize = 64 * 1024;
/// Identities a line may name of each kind: links are given to the chain
/// as one-byte indices.
const MAX_IDENTITIES: usize = 255;

/// The first line of a file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
	format: String,
	version: u32,
}

/// A secret read from the file, wiped from memory when dropped.
pub struct Secret(pub(crate) Zeroizing<String>);

impl<'de> Deserialize<'de> for Secret {
	fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		String::deserialize(d).map(|s| Secret(Zeroizing::new(s)))
	}
}

/// One subscriber, as a line of the import file (and the provisioning
/// API's body) gives it: `docs/import.md`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SubscriberLine)]
pub struct Line {
	/// The realm's domain, as on chain.
	realm: String,
	/// The operator's name for the subscription (kept in the vault only).
	subscription: String,
	/// Its private identities, at least one.
	impis: Vec<ImpiLine>,
	/// Its public identities, at least one.
	impus: Vec<ImpuLine>,
}

/// A private identity and its secrets (never returned).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ImpiLine {
	/// The private identity.
	identity: String,
	/// `sip-digest`, `digest-md5`, `aka1`, `aka2` (default `sip-digest`).
	#[serde(default = "default_schemes")]
	schemes: Vec<String>,
	/// The scheme used when a request names none (default: the first).
	default_scheme: Option<String>,
	/// The SIP Digest password.
	#[schema(value_type = Option<String>, format = Password)]
	password: Option<Secret>,
	/// HA1, 32 hex digits, instead of a password.
	#[schema(value_type = Option<String>, format = Password)]
	ha1: Option<Secret>,
	/// AKA keys.
	aka: Option<AkaLine>,
}

fn default_schemes() -> Vec<String> {
	vec!["sip-digest".into()]
}

/// AKA keys: K and OPc (or OP), 32 hex digits each.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AkaLine {
	/// K.
	#[schema(value_type = String, format = Password)]
	k: Secret,
	/// OPc (or give `op`).
	#[schema(value_type = Option<String>, format = Password)]
	opc: Option<Secret>,
	/// OP, from which OPc is derived.
	#[schema(value_type = Option<String>, format = Password)]
	op: Option<Secret>,
	/// AMF, 4 hex digits (default `8000`).
	#[serde(default = "default_amf")]
	amf: String,
	/// The last SQN the USIM has seen (default 0).
	#[serde(default)]
	sqn: u64,
}

fn default_amf() -> String {
	"8000".into()
}

/// A public identity and its attributes on chain.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpuLine {
	/// The public identity (`sip:`, `tel:`).
	pub(crate) identity: String,
	/// Its kind (default `public`).
	#[serde(default)]
	kind: KindName,
	/// Barred from the start.
	#[serde(default)]
	barred: bool,
	/// May register (default `true`).
	#[serde(default = "yes")]
	can_register: bool,
	/// Absent: set 1 unless barred; `null`: no set; a number: that set.
	#[serde(default = "unset", deserialize_with = "present")]
	#[schema(value_type = Option<u32>)]
	implicit_set: Option<Option<u32>>,
	/// The realm's service profile (default 0).
	#[serde(default)]
	profile: u32,
	/// The realm's charging information.
	charging: Option<u32>,
	/// Visited networks it may register from.
	#[serde(default)]
	roaming: Vec<String>,
	/// The IMPIs it is linked to; absent: every IMPI of the line.
	pub(crate) impis: Option<Vec<String>>,
}

fn yes() -> bool {
	true
}

fn unset() -> Option<Option<u32>> {
	None
}

/// A field that is present, `null` included.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
	Option::<u32>::deserialize(d).map(Some)
}

/// A public identity's kind.
#[derive(Deserialize, Default, Clone, Copy, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
enum KindName {
	#[default]
	Public,
	DistinctPsi,
	WildcardPsi,
}

/// The implicit set an IMPU joins when the line names none (as `subscriber
/// add` does).
pub const DEFAULT_SET: u32 = crate::provision::IMPLICIT_SET;

/// A private identity's chain attributes.
pub struct ImpiChain {
	/// Allowed schemes.
	pub schemes: AuthSchemes,
	/// The scheme used when a request names none.
	pub default_scheme: AuthScheme,
}

/// A public identity's chain attributes, in the pallet's terms.
pub struct ImpuChain {
	/// Identity kind.
	pub kind: ImpuKind,
	/// Barred.
	pub barred: bool,
	/// May register.
	pub can_register: bool,
	/// The implicit set it joins.
	pub implicit_set: Option<u32>,
	/// Service profile.
	pub profile: u32,
	/// Charging information.
	pub charging: Option<u32>,
	/// Visited networks it may roam to.
	pub roaming: Vec<Vec<u8>>,
}

/// A line read: the vault record (fresh salt) and what the chain gets.
pub struct Parsed {
	/// The realm's domain.
	pub realm: String,
	/// The vault record.
	pub subscriber: Subscriber,
	/// Chain attributes of each IMPI, in the record's order.
	pub impis: Vec<ImpiChain>,
	/// Chain attributes of each IMPU, in the record's order.
	pub impus: Vec<ImpuChain>,
	/// Links, as (IMPI index, IMPU index).
	pub links: Vec<(u8, u8)>,
}

/// Checks the header line.
pub fn header(text: &str) -> Result<(), LineError> {
	let header: Header = serde_json::from_str(text).map_err(|e| LineError::json(&e))?;
	if header.format != FORMAT {
		return Err(LineError::Header(format!("format {:?}, not {FORMAT:?}", header.format)));
	}
	if header.version != VERSION {
		return Err(LineError::Header(format!(
			"version {} (this bridge reads version {VERSION})",
			header.version
		)));
	}
	Ok(())
}

/// Reads one subscriber line.
pub fn parse(text: &str) -> Result<Parsed, LineError> {
	let line: Line = serde_json::from_str(text).map_err(|e| LineError::json(&e))?;
	let invalid = |why: String| Err(LineError::Invalid(why));
	if line.realm.is_empty() || line.subscription.is_empty() {
		return invalid("realm and subscription may not be empty".into());
	}
	if line.impis.is_empty() || line.impus.is_empty() {
		return invalid("a subscriber needs at least one IMPI and one IMPU".into());
	}
	if line.impis.len() > MAX_IDENTITIES || line.impus.len() > MAX_IDENTITIES {
		return invalid(format!("more than {MAX_IDENTITIES} identities of a kind"));
	}
	let mut seen = HashSet::new();
	for name in line.impis.iter().map(|i| &i.identity).chain(line.impus.iter().map(|u| &u.identity))
	{
		if name.is_empty() {
			return invalid("an identity may not be empty".into());
		}
		if !seen.insert(name.as_str()) {
			return invalid(format!("{name} appears twice"));
		}
	}
	let mut subscriber = Subscriber::new(line.subscription.clone());
	let mut impis = Vec::with_capacity(line.impis.len());
	for impi in &line.impis {
		let (secrets, chain) = private_identity(impi, &line.realm)?;
		subscriber.impis.push(secrets);
		impis.push(chain);
	}
	let mut impus = Vec::with_capacity(line.impus.len());
	let mut links = Vec::new();
	for (index, impu) in line.impus.iter().enumerate() {
		impus.push(public_identity(impu));
		for impi in linked(impu, &line.impis)? {
			// Both below MAX_IDENTITIES, checked above.
			links.push((impi as u8, index as u8));
		}
		subscriber.impus.push(impu.identity.clone());
	}
	Ok(Parsed { realm: line.realm, subscriber, impis, impus, links })
}

/// The indices of the IMPIs an IMPU is linked to.
fn linked(impu: &ImpuLine, impis: &[ImpiLine]) -> Result<Vec<usize>, LineError> {
	let Some(names) = &impu.impis else { return Ok((0..impis.len()).collect()) };
	let mut out = Vec::with_capacity(names.len());
	for name in names {
		match impis.iter().position(|i| &i.identity == name) {
			Some(index) if !out.contains(&index) => out.push(index),
			Some(_) => {
				return Err(LineError::Invalid(format!("{} links {name} twice", impu.identity)))
			},
			None => {
				return Err(LineError::Invalid(format!(
					"{} links {name}, which is not an IMPI of the line",
					impu.identity
				)))
			},
		}
	}
	Ok(out)
}

/// A public identity's attributes on chain.
pub(crate) fn public_identity(impu: &ImpuLine) -> ImpuChain {
	ImpuChain {
		kind: match impu.kind {
			KindName::Public => ImpuKind::PublicIdentity,
			KindName::DistinctPsi => ImpuKind::DistinctPsi,
			KindName::WildcardPsi => ImpuKind::WildcardPsi,
		},
		barred: impu.barred,
		can_register: impu.can_register,
		// A barred identity cannot be the default of a set, so by default it
		// stands alone.
		implicit_set: impu.implicit_set.unwrap_or((!impu.barred).then_some(DEFAULT_SET)),
		profile: impu.profile,
		charging: impu.charging,
		roaming: impu.roaming.iter().map(|n| n.as_bytes().to_vec()).collect(),
	}
}

/// A scheme by the names `subscriber add` takes.
pub fn scheme(name: &str) -> Result<AuthScheme, LineError> {
	match name.trim().to_ascii_lowercase().as_str() {
		"sip-digest" => Ok(AuthScheme::SipDigest),
		"digest-md5" => Ok(AuthScheme::DigestMd5),
		"aka1" | "akav1" => Ok(AuthScheme::AkaV1Md5),
		"aka2" | "akav2" => Ok(AuthScheme::AkaV2Md5),
		other => Err(LineError::Invalid(format!(
			"unknown scheme {other:?} (sip-digest, digest-md5, aka1, aka2)"
		))),
	}
}

fn private_identity(
	impi: &ImpiLine,
	realm: &str,
) -> Result<(PrivateIdentity, ImpiChain), LineError> {
	let invalid = |why: String| LineError::Invalid(format!("{}: {why}", impi.identity));
	let schemes = impi.schemes.iter().map(|s| scheme(s)).collect::<Result<Vec<_>, _>>()?;
	let default_scheme = match &impi.default_scheme {
		Some(name) => scheme(name)?,
		None => *schemes.first().ok_or_else(|| invalid("no scheme".into()))?,
	};
	if !schemes.contains(&default_scheme) {
		return Err(invalid("the default scheme must be one of its schemes".into()));
	}
	let wants = |wanted: &[AuthScheme]| schemes.iter().any(|s| wanted.contains(s));
	let md5 = wants(&[AuthScheme::DigestMd5]);
	let digest = wants(&[AuthScheme::SipDigest, AuthScheme::Digest, AuthScheme::DigestMd5]);
	if md5 && impi.password.is_none() {
		return Err(invalid("digest-md5 needs the password itself".into()));
	}
	if digest && impi.password.is_none() && impi.ha1.is_none() {
		return Err(invalid("digest schemes need a password or HA1".into()));
	}
	if wants(&[AuthScheme::AkaV1Md5, AuthScheme::AkaV2Md5]) && impi.aka.is_none() {
		return Err(invalid("AKA schemes need K and OPc (or OP)".into()));
	}
	let digest = digest_secret((&impi.identity, realm), md5, (&impi.password, &impi.ha1))
		.map_err(invalid)?;
	let aka = impi.aka.as_ref().map(aka_secret).transpose().map_err(invalid)?;
	let secrets = PrivateIdentity { identity: impi.identity.clone(), aka, digest };
	let chain = ImpiChain { schemes: AuthSchemes::of(&schemes), default_scheme };
	Ok((secrets, chain))
}

/// The SIP Digest secret of `identity` in `realm` from a password or HA1
/// (not both); the password itself is kept only for Digest-MD5 (`md5`),
/// which hands it to the S-CSCF.
pub(crate) fn digest_secret(
	(identity, realm): (&str, &str),
	md5: bool,
	(password, ha1): (&Option<Secret>, &Option<Secret>),
) -> Result<Option<DigestSecret>, String> {
	match (password, ha1) {
		(Some(_), Some(_)) => Err("give a password or HA1, not both".into()),
		(Some(password), None) => Ok(Some(DigestSecret {
			realm: realm.to_string(),
			ha1: auth::digest_ha1(identity, realm, &password.0),
			password: md5.then(|| password.0.to_string()),
		})),
		(None, Some(ha1)) => {
			let ok = ha1.0.len() == 32 && ha1.0.bytes().all(|b| b.is_ascii_hexdigit());
			if !ok {
				return Err("HA1 must be 32 hex digits".into());
			}
			Ok(Some(DigestSecret {
				realm: realm.to_string(),
				ha1: ha1.0.to_ascii_lowercase(),
				password: None,
			}))
		},
		(None, None) => Ok(None),
	}
}

/// The AKA secret of an `aka` object.
pub(crate) fn aka_secret(aka: &AkaLine) -> Result<AkaSecret, String> {
	fn text(secret: &Option<Secret>) -> Option<&str> {
		secret.as_ref().map(|s| s.0.as_str())
	}
	AkaSecret::from_hex(&aka.k.0, text(&aka.opc), text(&aka.op), &aka.amf, aka.sqn)
}

#[cfg(test)]
mod tests;
