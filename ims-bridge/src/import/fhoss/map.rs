//! One FHoSS subscription (an `imsu` row with its identities) as a line of
//! the import format, or why it cannot be one. What the ledger has no
//! place for is named in notes, one sentence each; the mapping is
//! `docs/import.md` "From FHoSS".

use super::rows::{Impi, Impu, Imsu};
use crate::import::database::{self, AkaOut, ImpiOut, ImpuOut, LineOut, Mapped};
use crate::import::LineError;
use std::collections::{BTreeMap, HashSet};
use zeroize::Zeroizing;

/// FHoSS's scheme bits (`CxConstants.Auth_Scheme_*`) and the format's name
/// for each; `None`: a scheme the ledger does not offer.
const SCHEMES: [(i64, &str, Option<&str>); 8] = [
	(1, "Digest-AKAv1-MD5", Some("aka1")),
	(2, "Digest-AKAv2-MD5", Some("aka2")),
	(4, "Digest-MD5", Some("digest-md5")),
	// FHoSS answers "Digest" as SIP Digest: HA1 of the same password.
	(8, "Digest", Some("sip-digest")),
	(16, "HTTP_Digest_MD5", None),
	(32, "Early-IMS-Security", None),
	(64, "NASS-Bundled", None),
	(128, "SIP Digest", Some("sip-digest")),
];

/// A subscription's rows.
pub struct Rows<'a> {
	pub imsu: &'a Imsu,
	/// The subscription's name when the imsu's own is shared with another.
	pub unique_name: Option<String>,
	pub impis: Vec<&'a Impi>,
	/// Each public identity with the ids of the IMPIs it is linked to.
	pub impus: Vec<(&'a Impu, Vec<i64>)>,
	/// Visited networks by `impu.id`.
	pub visited: &'a BTreeMap<i64, Vec<String>>,
}

/// The secrets of one IMPI, hex-encoded for the line and wiped after it.
struct Secrets {
	password: Option<Zeroizing<String>>,
	ha1: Option<Zeroizing<String>>,
	k: Zeroizing<String>,
	opc: Option<Zeroizing<String>>,
	op: Zeroizing<String>,
}

/// Maps a subscription, or says why it cannot be imported.
pub fn subscription(rows: &Rows) -> Result<Mapped, LineError> {
	let unmappable = |why: String| Err(LineError::Invalid(why));
	let Some(first) = rows.impis.first() else {
		return unmappable("the subscription has no private identity".into());
	};
	let realm = domain(&first.identity)?;
	if let Some(other) = rows.impis.iter().find(|i| domain(&i.identity).ok() != Some(realm)) {
		return unmappable(format!(
			"its private identities are in different realms ({realm} and impi {}'s)",
			other.id
		));
	}
	let mut notes = Vec::new();
	let subscription = match &rows.unique_name {
		Some(name) => {
			notes.push(format!(
				"its name is shared with another subscription: imported as {name:?}"
			));
			name.as_str()
		},
		None if rows.imsu.name.is_empty() => {
			return unmappable("the subscription has no name".into())
		},
		None => rows.imsu.name.as_str(),
	};
	let mut secrets = Vec::with_capacity(rows.impis.len());
	let mut impis = Vec::with_capacity(rows.impis.len());
	for impi in &rows.impis {
		let (schemes, default_scheme) = schemes(impi, &mut notes)?;
		secrets.push(Secrets::of(impi, realm, &schemes)?);
		impis.push((impi, schemes, default_scheme));
	}
	let impis: Vec<ImpiOut> = impis
		.into_iter()
		.zip(&secrets)
		.map(|((impi, schemes, default_scheme), secret)| {
			impi_out(impi, schemes, default_scheme, secret)
		})
		.collect();
	let impus = impus(rows, &mut notes)?;
	let line = database::line(&LineOut { realm, subscription, impis, impus })?;
	Ok(Mapped { line, notes })
}

/// The realm of a private identity `user@realm`.
fn domain(identity: &str) -> Result<&str, LineError> {
	match identity.rsplit_once('@') {
		Some((user, realm)) if !user.is_empty() && !realm.is_empty() => Ok(realm),
		_ => Err(LineError::Invalid(format!(
			"private identity {identity:?} is not user@realm, so its realm is unknown"
		))),
	}
}

/// The format's schemes of an IMPI and its default; schemes the ledger
/// does not offer are noted.
fn schemes(
	impi: &Impi,
	notes: &mut Vec<String>,
) -> Result<(Vec<&'static str>, &'static str), LineError> {
	let mut names = Vec::new();
	let mut dropped = Vec::new();
	for (bit, fhoss, ours) in SCHEMES {
		if impi.auth_scheme & bit == 0 {
			continue;
		}
		match ours {
			Some(ours) if !names.contains(&ours) => names.push(ours),
			Some(_) => {},
			None => dropped.push(fhoss),
		}
	}
	if !dropped.is_empty() {
		notes.push(format!(
			"impi {}: schemes {} dropped (not offered)",
			impi.id,
			dropped.join(", ")
		));
	}
	let Some(first) = names.first().copied() else {
		return Err(LineError::Invalid(format!(
			"impi {} has no scheme the ledger offers (auth_scheme {})",
			impi.id, impi.auth_scheme
		)));
	};
	let named = SCHEMES.iter().find(|(bit, ..)| *bit == impi.default_auth_scheme);
	let default = match named.and_then(|(_, _, ours)| *ours) {
		Some(ours) if names.contains(&ours) => ours,
		_ => {
			notes.push(format!(
				"impi {}: default scheme {} is not among its schemes here; {first} is",
				impi.id, impi.default_auth_scheme
			));
			first
		},
	};
	Ok((names, default))
}

impl Secrets {
	/// The IMPI's secrets as FHoSS uses them: `k` is the SIP Digest
	/// password and, zero-padded or cut to 16 bytes, AKA's K; OPc is the
	/// `opc` column when set, else derived from `op`.
	fn of(impi: &Impi, realm: &str, schemes: &[&str]) -> Result<Secrets, LineError> {
		let digest = schemes.iter().any(|s| s.contains("digest"));
		let (password, ha1) = match std::str::from_utf8(&impi.k) {
			_ if !digest => (None, None),
			Ok(text) => (Some(Zeroizing::new(text.to_string())), None),
			Err(_) if schemes.contains(&"digest-md5") => {
				return Err(LineError::Invalid(format!(
					"impi {}: Digest-MD5 needs a text password, and k is not UTF-8",
					impi.id
				)))
			},
			Err(_) => {
				let ha1 = crate::auth::digest_ha1_bytes(&impi.identity, realm, &impi.k);
				(None, Some(Zeroizing::new(ha1)))
			},
		};
		let k = padded::<16>(&impi.k);
		let opc = impi
			.opc
			.as_ref()
			.filter(|opc| opc.len() == 16 && opc.iter().any(|b| *b != 0))
			.map(|opc| Zeroizing::new(hex::encode(opc.as_slice())));
		let op = padded::<16>(&impi.op);
		Ok(Secrets {
			password,
			ha1,
			k: Zeroizing::new(hex::encode(k.as_slice())),
			opc,
			op: Zeroizing::new(hex::encode(op.as_slice())),
		})
	}
}

fn impi_out<'a>(
	impi: &'a Impi,
	schemes: Vec<&'static str>,
	default_scheme: &'static str,
	secrets: &'a Secrets,
) -> ImpiOut<'a> {
	let aka = schemes.iter().any(|s| s.starts_with("aka")).then(|| AkaOut {
		k: secrets.k.as_str(),
		opc: secrets.opc.as_deref().map(|s| s.as_str()),
		op: secrets.opc.is_none().then_some(secrets.op.as_str()),
		amf: amf(&impi.amf),
		sqn: sqn(&impi.sqn),
	});
	ImpiOut {
		identity: &impi.identity,
		schemes,
		default_scheme,
		password: secrets.password.as_deref().map(|s| s.as_str()),
		ha1: secrets.ha1.as_deref().map(|s| s.as_str()),
		aka,
	}
}

/// AMF as 4 hex digits (FHoSS keeps its 2 bytes; a shorter value is
/// zero-padded as FHoSS's Milenage would read it).
fn amf(bytes: &[u8]) -> String {
	hex::encode(padded::<2>(bytes).as_slice())
}

/// `bytes` zero-padded or cut to `N`, as FHoSS's `HexCodec.getBytes`
/// reads its key columns; wiped when dropped (keys pass through it).
fn padded<const N: usize>(bytes: &[u8]) -> Zeroizing<[u8; N]> {
	let mut out = Zeroizing::new([0u8; N]);
	for (to, from) in out.iter_mut().zip(bytes) {
		*to = *from;
	}
	out
}

/// The last SQN FHoSS used (12 hex digits); 0 when unreadable, which
/// only makes the first challenge resynchronise.
fn sqn(text: &str) -> u64 {
	u64::from_str_radix(text.trim(), 16).unwrap_or(0) & 0xffff_ffff_ffff
}

/// The public identities, ordered so that each implicit set's default (its
/// first member) is one that is not barred.
fn impus<'a>(rows: &'a Rows, notes: &mut Vec<String>) -> Result<Vec<ImpuOut<'a>>, LineError> {
	let mut impus: Vec<&(&Impu, Vec<i64>)> = rows.impus.iter().collect();
	impus.sort_by_key(|(impu, _)| (impu.barring != 0, impu.id));
	let open_sets: HashSet<i64> =
		impus.iter().filter(|(u, _)| u.barring == 0).map(|(u, _)| u.id_implicit_set).collect();
	let all_impis = rows.impis.len();
	let mut out = Vec::with_capacity(impus.len());
	for (impu, linked) in impus {
		let invalid = |why: &str| Err(LineError::Invalid(format!("impu {}: {why}", impu.id)));
		let kind = match impu.kind {
			0 => "public",
			1 => "distinct-psi",
			2 => "wildcard-psi",
			_ => {
				return invalid("its type is none of public identity, distinct PSI, wildcarded PSI")
			},
		};
		let Some(profile) = impu.id_sp.filter(|sp| *sp >= 0).and_then(|sp| u32::try_from(sp).ok())
		else {
			return invalid("it has no service profile");
		};
		let Ok(set) = u32::try_from(impu.id_implicit_set) else {
			return invalid("its implicit set is not a number from 0");
		};
		let implicit_set = if impu.barring != 0 && !open_sets.contains(&impu.id_implicit_set) {
			notes.push(format!(
				"impu {}: every member of its implicit set is barred, which the ledger refuses; imported barred, in no set",
				impu.id
			));
			None
		} else {
			Some(set)
		};
		if !impu.display_name.is_empty() {
			notes.push(format!("impu {}: its display name is not kept", impu.id));
		}
		// NULL (or a negative id some tools write for none) means none.
		let charging = match impu.id_charging_info.filter(|id| *id >= 0).map(u32::try_from) {
			None => None,
			Some(Ok(id)) => Some(id),
			Some(Err(_)) => {
				return invalid("its charging information is beyond the ledger's numbers")
			},
		};
		let impis = (linked.len() != all_impis).then(|| {
			let linked = rows.impis.iter().filter(|i| linked.contains(&i.id));
			linked.map(|i| i.identity.as_str()).collect()
		});
		out.push(ImpuOut {
			identity: &impu.identity,
			kind,
			barred: impu.barring != 0,
			can_register: impu.can_register != 0,
			implicit_set,
			profile,
			charging,
			roaming: rows.visited.get(&impu.id).map(Vec::as_slice).unwrap_or(&[]),
			impis,
		});
	}
	Ok(out)
}

#[cfg(test)]
mod tests;
