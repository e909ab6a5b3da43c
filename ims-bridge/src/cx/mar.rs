//! Multimedia-Auth-Request (TS 29.228 section 6.3, TS 29.229 section
//! 6.1.7): authentication data for a registration, the one Cx request that
//! opens a subscriber's sealed secrets.

use super::outcome::{Code, Outcome, Refusal};
use super::Cx;
use crate::auth::{self, aka_vector};
use crate::diameter::codec::{Avp, Message};
use crate::diameter::dict::{avp, experimental, result};
use crate::pseudonym::Kind;
use crate::vault::DigestSecret;
use ims_primitives::audit::Activity;
use ims_primitives::{AuthScheme, AuthSchemes, ImpiId, Subject};
use rand::RngCore;

/// The AVPs of a MAR that the answer depends on.
struct Request {
	impi: String,
	impu: String,
	/// SIP-Number-Auth-Items (1 when absent).
	wanted_items: u32,
	/// The SIP-Authentication-Scheme of its SIP-Auth-Data-Item.
	scheme: Option<String>,
	/// The SIP-Authorization of its SIP-Auth-Data-Item: RAND and AUTS of a
	/// resynchronisation.
	authorization: Option<Vec<u8>>,
}

impl Request {
	fn read(request: &Message) -> Result<Self, Refusal> {
		let impi = request.required_utf8(&avp::USER_NAME)?.to_string();
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?.to_string();
		let wanted_items = request.optional_u32(&avp::SIP_NUMBER_AUTH_ITEMS)?.unwrap_or(1);
		let (mut scheme, mut authorization) = (None, None);
		if let Some(item) = request.find(&avp::SIP_AUTH_DATA_ITEM) {
			let named = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHENTICATION_SCHEME)?;
			let named = named.map(|s| s.utf8(&avp::SIP_AUTHENTICATION_SCHEME)).transpose()?;
			scheme = named.map(str::to_string);
			let authz = item.child(&avp::SIP_AUTH_DATA_ITEM, &avp::SIP_AUTHORIZATION)?;
			let authz = authz.map(|a| a.octets(&avp::SIP_AUTHORIZATION)).transpose()?;
			authorization = authz.map(<[u8]>::to_vec);
		}
		Ok(Request { impi, impu, wanted_items, scheme, authorization })
	}
}

/// The scheme a SIP-Authentication-Scheme names.
fn scheme_named(text: &str) -> Option<AuthScheme> {
	AuthScheme::ALL.into_iter().find(|s| s.diameter_name().eq_ignore_ascii_case(text))
}

/// The scheme a MAR asks for: the IMPI's default when it names none (or
/// "Unknown", as Kamailio's S-CSCF does before it knows); `None` for a name
/// no scheme has.
pub(super) fn requested_scheme(named: Option<&str>, default: AuthScheme) -> Option<AuthScheme> {
	match named {
		None | Some("") | Some("Unknown") => Some(default),
		Some(name) => scheme_named(name),
	}
}

/// Which secrets the vault holds for a private identity.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Held {
	/// K and OPc.
	pub(super) aka: bool,
	/// HA1.
	pub(super) digest: bool,
	/// The password itself (for Digest-MD5).
	pub(super) password: bool,
}

/// The scheme a MAA answers with, among those the chain `allowed` for the
/// IMPI and the secrets it has: SIP Digest wherever the request allows it,
/// so that the S-CSCF sees only HA1; the password (Digest-MD5) only where
/// the operator enabled it and SIP Digest is not allowed. `None`: 5006.
pub(super) fn answered_scheme(
	requested: Option<AuthScheme>,
	allowed: AuthSchemes,
	held: Held,
	digest_md5_enabled: bool,
) -> Option<AuthScheme> {
	let allowed = |s: AuthScheme| allowed.contains(s);
	match requested? {
		s @ (AuthScheme::AkaV1Md5 | AuthScheme::AkaV2Md5) if allowed(s) && held.aka => Some(s),
		AuthScheme::DigestMd5 if allowed(AuthScheme::SipDigest) && held.digest => {
			Some(AuthScheme::SipDigest)
		},
		AuthScheme::DigestMd5
			if allowed(AuthScheme::DigestMd5) && digest_md5_enabled && held.password =>
		{
			Some(AuthScheme::DigestMd5)
		},
		AuthScheme::SipDigest | AuthScheme::Digest
			if (allowed(AuthScheme::SipDigest) || allowed(AuthScheme::Digest)) && held.digest =>
		{
			Some(AuthScheme::SipDigest)
		},
		_ => None,
	}
}

/// The SIP-Auth-Data-Item of a SIP Digest MAA: realm, qop "auth" and the
/// HA1 (TS 29.229 6.3.13, RFC 4740's SIP-Digest-Authenticate).
pub fn sip_digest_item(realm: &str, ha1: &str) -> Avp {
	Avp::grouped_of(
		&avp::SIP_AUTH_DATA_ITEM,
		vec![
			Avp::u32_of(&avp::SIP_ITEM_NUMBER, 1),
			Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "SIP Digest"),
			Avp::grouped_of(
				&avp::SIP_DIGEST_AUTHENTICATE,
				vec![
					Avp::utf8_of(&avp::DIGEST_REALM, realm),
					Avp::utf8_of(&avp::DIGEST_QOP, "auth"),
					Avp::utf8_of(&avp::DIGEST_HA1, ha1),
				],
			),
		],
	)
}

/// The SIP-Auth-Data-Item of a Digest-MD5 MAA: a fresh nonce and the
/// password.
fn digest_md5_item(password: &str) -> Avp {
	let mut nonce = [0u8; 16];
	rand::rngs::OsRng.fill_bytes(&mut nonce);
	Avp::grouped_of(
		&avp::SIP_AUTH_DATA_ITEM,
		vec![
			Avp::u32_of(&avp::SIP_ITEM_NUMBER, 1),
			Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, "Digest-MD5"),
			Avp::octets_of(&avp::SIP_AUTHENTICATE, hex::encode(nonce).into_bytes()),
			Avp::octets_of(&avp::SIP_AUTHORIZATION, password.as_bytes().to_vec()),
		],
	)
}

impl Cx {
	/// Answers a MAR.
	pub(super) async fn mar(&self, request: &Message) -> Result<Outcome, Refusal> {
		let mar = Request::read(request)?;
		let Some((known, subscriber)) = self.find_impu_with_secrets(&mar.impu)? else {
			let activity = Activity::AuthenticationChallenge(AuthScheme::SipDigest);
			return Ok(self.unknown(request, Kind::Impi, &mar.impi, activity));
		};
		let realm = known.view.impu.realm;
		let impi_id = match self.check_impi(&known, &mar.impi) {
			Ok(id) => id,
			Err(code) => {
				let activity = Activity::AuthenticationChallenge(AuthScheme::SipDigest);
				let audit = Some((realm, Subject::Impu(known.impu), activity));
				return Ok(Outcome::fail(Code::Experimental(code), audit));
			},
		};
		let Some(entry) = self.index.impi(&impi_id) else {
			return Ok(Outcome::fail(Code::Experimental(experimental::ERROR_USER_UNKNOWN), None));
		};
		let requested = requested_scheme(mar.scheme.as_deref(), entry.default_scheme);
		let refused = |code: u32| {
			let scheme = requested.unwrap_or(entry.default_scheme);
			let audit = (realm, Subject::Impi(impi_id), Activity::AuthenticationChallenge(scheme));
			Ok(Outcome::fail(Code::Experimental(code), Some(audit)))
		};
		// The IMPI's secrets, borrowed from the record read with the
		// directory, not copied (fewer copies to wipe).
		let secrets = subscriber.impi(&mar.impi);
		let digest = secrets.and_then(|s| s.digest.as_ref());
		let held = Held {
			aka: secrets.is_some_and(|s| s.aka.is_some()),
			digest: digest.is_some(),
			password: digest.is_some_and(|d| d.password.is_some()),
		};
		let answered = answered_scheme(requested, entry.schemes, held, self.config.digest_md5);
		let Some(scheme) = answered else {
			return refused(experimental::ERROR_AUTH_SCHEME_NOT_SUPPORTED);
		};
		let mut mar = mar;
		if let Some(vectors) = self.aka_budget(&mar, scheme, impi_id) {
			if vectors == 0 {
				let activity = Activity::AuthenticationChallenge(scheme);
				let audit = (realm, Subject::Impi(impi_id), activity);
				return Ok(Outcome::fail(Code::Base(result::AUTHORIZATION_REJECTED), Some(audit)));
			}
			mar.wanted_items = vectors;
		}
		let (activity, items) = self.auth_items(&mar, scheme, digest).await?;
		let mut avps = vec![
			Avp::utf8_of(&avp::USER_NAME, &mar.impi),
			Avp::utf8_of(&avp::PUBLIC_IDENTITY, &mar.impu),
			Avp::u32_of(&avp::SIP_NUMBER_AUTH_ITEMS, items.len() as u32),
		];
		avps.extend(items);
		let audit = Some((realm, Subject::Impi(impi_id), activity));
		Ok(Outcome::answer(Code::Base(result::SUCCESS), avps, audit))
	}

	/// The AKA vectors `mar` may be given (`None`: not an AKA challenge,
	/// or a resynchronisation, which is never held back).
	fn aka_budget(&self, mar: &Request, scheme: AuthScheme, impi: ImpiId) -> Option<u32> {
		let aka = matches!(scheme, AuthScheme::AkaV1Md5 | AuthScheme::AkaV2Md5);
		let resync = mar.authorization.as_deref().is_some_and(|a| !a.is_empty());
		if !aka || resync {
			return None;
		}
		let wanted = mar.wanted_items.clamp(1, self.config.max_auth_items.max(1));
		Some(self.vectors.take(impi, wanted, std::time::Instant::now()))
	}

	/// The SIP-Auth-Data-Items of a MAA in `scheme`, and the activity to
	/// audit (a resynchronisation when the request carried AUTS).
	async fn auth_items(
		&self,
		mar: &Request,
		scheme: AuthScheme,
		digest: Option<&DigestSecret>,
	) -> Result<(Activity, Vec<Avp>), Refusal> {
		let challenge = Activity::AuthenticationChallenge(scheme);
		match scheme {
			AuthScheme::AkaV1Md5 | AuthScheme::AkaV2Md5 => {
				let mut activity = challenge;
				if let Some(authorization) = mar.authorization.as_deref().filter(|a| !a.is_empty())
				{
					activity = Activity::Resynchronisation;
					self.resync(&mar.impi, authorization).await?;
				}
				let count = mar.wanted_items.clamp(1, self.config.max_auth_items.max(1));
				Ok((activity, self.aka_items(&mar.impi, scheme, count).await?))
			},
			AuthScheme::DigestMd5 => {
				let password = digest.and_then(|d| d.password.as_deref());
				let password = password.ok_or(Refusal::SecretVanished("Digest-MD5 password"))?;
				Ok((challenge, vec![digest_md5_item(password)]))
			},
			_ => {
				let digest = digest.ok_or(Refusal::SecretVanished("SIP Digest secret"))?;
				Ok((challenge, vec![sip_digest_item(&digest.realm, &digest.ha1)]))
			},
		}
	}

	/// `count` AKA vectors of `impi`, each under an SQN the vault has
	/// reserved durably.
	async fn aka_items(
		&self,
		impi: &str,
		scheme: AuthScheme,
		count: u32,
	) -> Result<Vec<Avp>, Refusal> {
		let mut items = Vec::new();
		for number in 1..=count {
			let vault = self.vault.clone();
			let owner = impi.to_string();
			let taken = tokio::task::spawn_blocking(move || vault.next_aka(&owner)).await??;
			let (keys, sqn) = taken.ok_or(Refusal::SecretVanished("AKA keys"))?;
			let mut rand = [0u8; 16];
			rand::rngs::OsRng.fill_bytes(&mut rand);
			let vector = aka_vector(&keys, sqn, rand);
			items.push(Avp::grouped_of(
				&avp::SIP_AUTH_DATA_ITEM,
				vec![
					Avp::u32_of(&avp::SIP_ITEM_NUMBER, number),
					Avp::utf8_of(&avp::SIP_AUTHENTICATION_SCHEME, scheme.diameter_name()),
					Avp::octets_of(&avp::SIP_AUTHENTICATE, vector.sip_authenticate().to_vec()),
					Avp::octets_of(&avp::SIP_AUTHORIZATION, vector.xres.to_vec()),
					Avp::octets_of(&avp::CONFIDENTIALITY_KEY, vector.ck.to_vec()),
					Avp::octets_of(&avp::INTEGRITY_KEY, vector.ik.to_vec()),
				],
			));
		}
		Ok(items)
	}

	/// A resynchronisation: a valid AUTS moves the vault's SQN past the
	/// USIM's; an invalid one leaves it (new vectors are sent either way,
	/// TS 33.102 section 6.3.5).
	async fn resync(&self, impi: &str, authorization: &[u8]) -> Result<(), Refusal> {
		let vault = self.vault.clone();
		let owner = impi.to_string();
		let authorization = authorization.to_vec();
		let check = move || -> Result<(), crate::vault::VaultError> {
			let Some(keys) = vault.next_aka_keys(&owner)? else { return Ok(()) };
			match auth::resync(&keys, &authorization) {
				Ok(sqn_ms) => {
					vault.resync(&owner, sqn_ms)?;
				},
				Err(e) => tracing::warn!(error = %e, "AKA resynchronisation refused"),
			}
			Ok(())
		};
		Ok(tokio::task::spawn_blocking(check).await??)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const ALL: Held = Held { aka: true, digest: true, password: true };

	fn allowed(schemes: &[AuthScheme]) -> AuthSchemes {
		AuthSchemes::of(schemes)
	}

	#[test]
	fn a_mar_naming_no_scheme_asks_for_the_default() {
		for named in [None, Some(""), Some("Unknown")] {
			let requested = requested_scheme(named, AuthScheme::AkaV1Md5);
			assert_eq!(requested, Some(AuthScheme::AkaV1Md5));
		}
	}

	#[test]
	fn scheme_names_are_matched_without_case_and_unknown_ones_give_none() {
		let default = AuthScheme::AkaV1Md5;
		assert_eq!(requested_scheme(Some("sip digest"), default), Some(AuthScheme::SipDigest));
		assert_eq!(requested_scheme(Some("Digest-AKAv2-MD5"), default), Some(AuthScheme::AkaV2Md5));
		assert_eq!(requested_scheme(Some("Kerberos"), default), None);
	}

	#[test]
	fn aka_is_answered_when_allowed_and_keys_are_held() {
		let schemes = allowed(&[AuthScheme::AkaV1Md5, AuthScheme::AkaV2Md5]);
		for s in [AuthScheme::AkaV1Md5, AuthScheme::AkaV2Md5] {
			assert_eq!(answered_scheme(Some(s), schemes, ALL, false), Some(s));
		}
		let no_keys = Held { aka: false, ..ALL };
		assert_eq!(answered_scheme(Some(AuthScheme::AkaV1Md5), schemes, no_keys, false), None);
		let digest_only = allowed(&[AuthScheme::SipDigest]);
		assert_eq!(answered_scheme(Some(AuthScheme::AkaV1Md5), digest_only, ALL, false), None);
	}

	#[test]
	fn digest_md5_gets_sip_digest_wherever_sip_digest_is_allowed() {
		let schemes = allowed(&[AuthScheme::SipDigest, AuthScheme::DigestMd5]);
		let answered = answered_scheme(Some(AuthScheme::DigestMd5), schemes, ALL, true);
		assert_eq!(answered, Some(AuthScheme::SipDigest));
	}

	#[test]
	fn the_password_is_answered_only_when_enabled_and_held() {
		let schemes = allowed(&[AuthScheme::DigestMd5]);
		let asked = Some(AuthScheme::DigestMd5);
		assert_eq!(answered_scheme(asked, schemes, ALL, true), Some(AuthScheme::DigestMd5));
		assert_eq!(answered_scheme(asked, schemes, ALL, false), None);
		let no_password = Held { password: false, ..ALL };
		assert_eq!(answered_scheme(asked, schemes, no_password, true), None);
	}

	#[test]
	fn sip_digest_and_digest_are_answered_with_ha1() {
		for allowed_scheme in [AuthScheme::SipDigest, AuthScheme::Digest] {
			let schemes = allowed(&[allowed_scheme]);
			for asked in [AuthScheme::SipDigest, AuthScheme::Digest] {
				let answered = answered_scheme(Some(asked), schemes, ALL, false);
				assert_eq!(answered, Some(AuthScheme::SipDigest));
			}
		}
		let no_ha1 = Held { digest: false, ..ALL };
		let schemes = allowed(&[AuthScheme::SipDigest]);
		assert_eq!(answered_scheme(Some(AuthScheme::SipDigest), schemes, no_ha1, false), None);
	}

	#[test]
	fn schemes_the_bridge_does_not_serve_are_refused() {
		let everything = AuthSchemes::of(&AuthScheme::ALL);
		for s in [AuthScheme::HttpDigestMd5, AuthScheme::EarlyIms, AuthScheme::NassBundled] {
			assert_eq!(answered_scheme(Some(s), everything, ALL, true), None);
		}
		assert_eq!(answered_scheme(None, everything, ALL, true), None);
	}
}
