//! User-Authorization-Request (TS 29.228 section 6.1.1, TS 29.229 section
//! 6.1.1): may this identity register here, and which S-CSCF serves it.

use super::outcome::{Code, Outcome, Refusal};
use super::Cx;
use crate::diameter::codec::{Avp, AvpError, Message};
use crate::diameter::dict::{avp, experimental, result};
use crate::pseudonym::Kind;
use ims_primitives::audit::Activity;
use ims_primitives::{Name, RegistrationState, Subject};

/// User-Authorization-Type values (TS 29.229 section 6.3.24).
pub mod authorization_type {
	/// REGISTRATION (the default).
	pub const REGISTRATION: u32 = 0;
	/// DE_REGISTRATION.
	pub const DE_REGISTRATION: u32 = 1;
	/// REGISTRATION_AND_CAPABILITIES.
	pub const REGISTRATION_AND_CAPABILITIES: u32 = 2;
}

/// The answer to a registration's UAR (TS 29.228 6.1.1.1): the S-CSCF the
/// identity is assigned to (2002), else the configured S-CSCF unless the
/// I-CSCF asked for capabilities, else empty Server-Capabilities so that
/// the I-CSCF selects one (2001 both).
pub(super) fn select_scscf(
	state: RegistrationState,
	assigned: Option<String>,
	configured: Option<&str>,
	kind: u32,
) -> (Code, Avp) {
	let server_name = |name: &str| Avp::utf8_of(&avp::SERVER_NAME, name);
	match (state, assigned) {
		(RegistrationState::Registered | RegistrationState::Unregistered, Some(scscf)) => {
			(Code::Experimental(experimental::SUBSEQUENT_REGISTRATION), server_name(&scscf))
		},
		_ => {
			let named = configured
				.filter(|_| kind != authorization_type::REGISTRATION_AND_CAPABILITIES)
				.map(server_name);
			let avp =
				named.unwrap_or_else(|| Avp::grouped_of(&avp::SERVER_CAPABILITIES, Vec::new()));
			(Code::Experimental(experimental::FIRST_REGISTRATION), avp)
		},
	}
}

/// Whether an identity of `home` may register from `visited` (the
/// Visited-Network-Identifier as the P-CSCF put it in the header: quotes
/// around it are not part of it): its home network, one of its roaming
/// networks, or none named.
pub(super) fn roaming_allowed(visited: &[u8], home: &[u8], roaming: &[Name]) -> bool {
	let visited = String::from_utf8_lossy(visited);
	let visited = visited.trim().trim_matches('"');
	let named = |network: &[u8]| String::from_utf8_lossy(network).eq_ignore_ascii_case(visited);
	visited.is_empty() || named(home) || roaming.iter().any(|n| named(n))
}

impl Cx {
	/// Answers a UAR.
	pub(super) fn uar(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impi = request.required_utf8(&avp::USER_NAME)?;
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?;
		let visited = request.find(&avp::VISITED_NETWORK_IDENTIFIER);
		let visited = visited.map(|v| v.octets(&avp::VISITED_NETWORK_IDENTIFIER)).transpose()?;
		let kind = request
			.optional_u32(&avp::USER_AUTHORIZATION_TYPE)?
			.unwrap_or(authorization_type::REGISTRATION);
		if kind > authorization_type::REGISTRATION_AND_CAPABILITIES {
			let failed = request.find(&avp::USER_AUTHORIZATION_TYPE).cloned();
			let failed = failed.unwrap_or_else(|| Avp::u32_of(&avp::USER_AUTHORIZATION_TYPE, kind));
			return Err(AvpError::Value(&avp::USER_AUTHORIZATION_TYPE, failed).into());
		}
		let activity = Activity::UserAuthorization;
		let Some(known) = self.find_impu(impu)? else {
			return Ok(self.unknown(request, Kind::Impu, impu, activity));
		};
		let view = &known.view.impu;
		let audit = Some((view.realm, Subject::Impu(known.impu), activity));
		if let Err(code) = self.check_impi(&known, impi) {
			return Ok(Outcome::fail(Code::Experimental(code), audit));
		}
		let registration = &view.registration;
		let scscf = registration.scscf.as_ref().map(|s| String::from_utf8_lossy(s).into_owned());
		if kind == authorization_type::DE_REGISTRATION {
			return Ok(match (registration.state, scscf) {
				(RegistrationState::NotRegistered, _) | (_, None) => Outcome::fail(
					Code::Experimental(experimental::ERROR_IDENTITY_NOT_REGISTERED),
					audit,
				),
				(_, Some(scscf)) => Outcome::answer(
					Code::Base(result::SUCCESS),
					vec![Avp::utf8_of(&avp::SERVER_NAME, &scscf)],
					audit,
				),
			});
		}
		if view.all_barred || !view.can_register {
			return Ok(Outcome::fail(Code::Base(result::AUTHORIZATION_REJECTED), audit));
		}
		if !roaming_allowed(visited.unwrap_or_default(), &view.realm_name, &view.roaming) {
			let code = Code::Experimental(experimental::ERROR_ROAMING_NOT_ALLOWED);
			return Ok(Outcome::fail(code, audit));
		}
		let configured = self.config.scscf_name.as_deref();
		let (code, avp) = select_scscf(registration.state, scscf, configured, kind);
		Ok(Outcome::answer(code, vec![avp], audit))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn name(text: &str) -> Name {
		Name::truncate_from(text.as_bytes().to_vec())
	}

	fn capabilities() -> Avp {
		Avp::grouped_of(&avp::SERVER_CAPABILITIES, Vec::new())
	}

	#[test]
	fn an_assigned_identity_gets_its_s_cscf_as_a_subsequent_registration() {
		for state in [RegistrationState::Registered, RegistrationState::Unregistered] {
			let (code, avp) = select_scscf(
				state,
				Some("sip:scscf.a".into()),
				Some("sip:scscf.b"),
				authorization_type::REGISTRATION,
			);
			assert_eq!(code, Code::Experimental(experimental::SUBSEQUENT_REGISTRATION));
			assert_eq!(avp, Avp::utf8_of(&avp::SERVER_NAME, "sip:scscf.a"));
		}
	}

	#[test]
	fn a_first_registration_gets_the_configured_s_cscf() {
		let (code, avp) = select_scscf(
			RegistrationState::NotRegistered,
			None,
			Some("sip:scscf.b"),
			authorization_type::REGISTRATION,
		);
		assert_eq!(code, Code::Experimental(experimental::FIRST_REGISTRATION));
		assert_eq!(avp, Avp::utf8_of(&avp::SERVER_NAME, "sip:scscf.b"));
	}

	#[test]
	fn a_first_registration_without_a_configured_s_cscf_gets_capabilities() {
		let kind = authorization_type::REGISTRATION;
		let (code, avp) = select_scscf(RegistrationState::NotRegistered, None, None, kind);
		assert_eq!(code, Code::Experimental(experimental::FIRST_REGISTRATION));
		assert_eq!(avp, capabilities());
	}

	#[test]
	fn asking_for_capabilities_gets_them_though_an_s_cscf_is_configured() {
		let kind = authorization_type::REGISTRATION_AND_CAPABILITIES;
		let configured = Some("sip:scscf.b");
		let (code, avp) = select_scscf(RegistrationState::NotRegistered, None, configured, kind);
		assert_eq!(code, Code::Experimental(experimental::FIRST_REGISTRATION));
		assert_eq!(avp, capabilities());
	}

	#[test]
	fn a_not_registered_identity_with_a_stored_s_cscf_is_a_first_registration() {
		let kind = authorization_type::REGISTRATION;
		let stored = Some("sip:scscf.a".to_string());
		let (code, _) = select_scscf(RegistrationState::NotRegistered, stored, None, kind);
		assert_eq!(code, Code::Experimental(experimental::FIRST_REGISTRATION));
	}

	#[test]
	fn roaming_is_allowed_from_home_listed_networks_or_none_named() {
		let roaming = [name("visited.test")];
		assert!(roaming_allowed(b"", b"ims.test", &roaming));
		assert!(roaming_allowed(b"\"\"", b"ims.test", &roaming));
		assert!(roaming_allowed(b"IMS.test", b"ims.test", &roaming));
		assert!(roaming_allowed(b" \"visited.test\" ", b"ims.test", &roaming));
	}

	#[test]
	fn roaming_from_an_unlisted_network_is_refused() {
		assert!(!roaming_allowed(b"elsewhere.test", b"ims.test", &[name("visited.test")]));
		assert!(!roaming_allowed(b"visited.test", b"ims.test", &[]));
	}
}
