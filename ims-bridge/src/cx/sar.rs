//! Server-Assignment-Request (TS 29.228 section 6.1.2, TS 29.229 section
//! 6.1.3): an S-CSCF takes, keeps or gives up an identity; the answer
//! carries the user profile, and a change of registration state is reported
//! to the chain.

use super::outcome::{Code, Outcome, Refusal};
use super::{members, name, Cx};
use crate::diameter::codec::{Avp, AvpError, Message};
use crate::diameter::dict::{avp, result};
use crate::index::Index;
use crate::journal::RegistrationReport;
use crate::pseudonym::Kind;
use crate::user_data;
use ims_primitives::audit::Activity;
use ims_primitives::{ChargingInformation, ImpuId, RegistrationState, RegistrationView, Subject};

/// Server-Assignment-Type values (TS 29.229 section 6.3.15).
pub mod assignment {
	/// NO_ASSIGNMENT.
	pub const NO_ASSIGNMENT: u32 = 0;
	/// REGISTRATION.
	pub const REGISTRATION: u32 = 1;
	/// RE_REGISTRATION.
	pub const RE_REGISTRATION: u32 = 2;
	/// UNREGISTERED_USER.
	pub const UNREGISTERED_USER: u32 = 3;
	/// TIMEOUT_DEREGISTRATION.
	pub const TIMEOUT_DEREGISTRATION: u32 = 4;
	/// USER_DEREGISTRATION.
	pub const USER_DEREGISTRATION: u32 = 5;
	/// TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME.
	pub const TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME: u32 = 6;
	/// USER_DEREGISTRATION_STORE_SERVER_NAME.
	pub const USER_DEREGISTRATION_STORE_SERVER_NAME: u32 = 7;
	/// ADMINISTRATIVE_DEREGISTRATION.
	pub const ADMINISTRATIVE_DEREGISTRATION: u32 = 8;
	/// AUTHENTICATION_FAILURE.
	pub const AUTHENTICATION_FAILURE: u32 = 9;
	/// AUTHENTICATION_TIMEOUT.
	pub const AUTHENTICATION_TIMEOUT: u32 = 10;
	/// DEREGISTRATION_TOO_MUCH_DATA.
	pub const DEREGISTRATION_TOO_MUCH_DATA: u32 = 11;
}

/// The activity a SAR of `kind` is audited as.
pub(super) fn activity(kind: u32) -> Activity {
	match kind {
		assignment::REGISTRATION => Activity::Registration,
		assignment::RE_REGISTRATION => Activity::ReRegistration,
		assignment::UNREGISTERED_USER => Activity::UnregisteredService,
		_ => Activity::Deregistration,
	}
}

/// The registration state a SAR of `kind` leaves an identity in, `None`
/// when it stays as it is (TS 29.228 table 6.1.2.1): a failed or timed-out
/// authentication of a registered identity leaves it registered; of
/// another, frees the S-CSCF.
pub(super) fn new_state(kind: u32, current: RegistrationState) -> Option<RegistrationState> {
	match kind {
		assignment::REGISTRATION | assignment::RE_REGISTRATION => {
			Some(RegistrationState::Registered)
		},
		assignment::UNREGISTERED_USER => Some(RegistrationState::Unregistered),
		assignment::NO_ASSIGNMENT => None,
		assignment::AUTHENTICATION_FAILURE | assignment::AUTHENTICATION_TIMEOUT
			if current == RegistrationState::Registered =>
		{
			None
		},
		_ => Some(RegistrationState::NotRegistered),
	}
}

/// Whether the SAA of `kind` carries the user profile (User-Data and
/// Charging-Information).
pub(super) fn with_profile(kind: u32) -> bool {
	matches!(
		kind,
		assignment::NO_ASSIGNMENT
			| assignment::REGISTRATION
			| assignment::RE_REGISTRATION
			| assignment::UNREGISTERED_USER
	)
}

/// The Charging-Information AVP of a realm's charging functions; `None`
/// when it names none.
fn charging_information(charging: &ChargingInformation) -> Option<Avp> {
	let functions = [
		(&avp::PRIMARY_EVENT_CHARGING_FUNCTION_NAME, &charging.primary_ecf),
		(&avp::SECONDARY_EVENT_CHARGING_FUNCTION_NAME, &charging.secondary_ecf),
		(&avp::PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME, &charging.primary_ccf),
		(&avp::SECONDARY_CHARGING_COLLECTION_FUNCTION_NAME, &charging.secondary_ccf),
	];
	let children: Vec<Avp> = functions
		.into_iter()
		.filter_map(|(def, value)| value.as_ref().map(|v| Avp::octets_of(def, v.to_vec())))
		.collect();
	(!children.is_empty()).then(|| Avp::grouped_of(&avp::CHARGING_INFORMATION, children))
}

impl Cx {
	/// Answers a SAR.
	pub(super) fn sar(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?;
		let server = request.required_utf8(&avp::SERVER_NAME)?;
		let kind = request.required_u32(&avp::SERVER_ASSIGNMENT_TYPE)?;
		let impi = request.optional_utf8(&avp::USER_NAME)?;
		if kind > assignment::DEREGISTRATION_TOO_MUCH_DATA {
			let failed = request.find(&avp::SERVER_ASSIGNMENT_TYPE).cloned();
			let failed = failed.unwrap_or_else(|| Avp::u32_of(&avp::SERVER_ASSIGNMENT_TYPE, kind));
			return Err(AvpError::Value(&avp::SERVER_ASSIGNMENT_TYPE, failed).into());
		}
		let activity = activity(kind);
		let Some(known) = self.find_impu(impu)? else {
			return Ok(self.unknown(request, Kind::Impu, impu, activity));
		};
		let view = known.view.clone();
		let audit = Some((view.impu.realm, Subject::Impu(known.impu), activity));
		let private_identity = match impi {
			Some(impi) => match self.check_impi(&known, impi) {
				Ok(_) => impi.to_string(),
				Err(code) => return Ok(Outcome::fail(Code::Experimental(code), audit)),
			},
			// The first IMPI of the subscription linked to this IMPU.
			None => known
				.directory
				.impis
				.iter()
				.find(|(_, id)| view.associated_impis.contains(&ImpuId::from(*id)))
				.map(|(impi, _)| impi.clone())
				.unwrap_or_default(),
		};
		let current = &view.impu.registration;
		let new_state = new_state(kind, current.state);
		let registration = new_state.and_then(|state| {
			let scscf = Index::holds_scscf(state).then(|| name(server));
			let next = RegistrationView { state, scscf: scscf.clone() };
			let report = RegistrationReport { impu: known.impu, state, scscf };
			(next != *current).then(|| (report, members(&view)))
		});
		let mut avps = vec![Avp::utf8_of(&avp::USER_NAME, &private_identity)];
		if with_profile(kind) {
			let xml = user_data::ims_subscription(&private_identity, &view, |id| {
				known.directory.impu_named(&id.0)
			});
			avps.push(Avp::octets_of(&avp::USER_DATA, xml.into_bytes()));
			avps.extend(view.charging.as_ref().and_then(charging_information));
		}
		// The peer that uses this Server-Name is learned, for the RTRs
		// the chain's registration state will call for (`docs/rtr.md`).
		let scscf =
			new_state.filter(|state| Index::holds_scscf(*state)).map(|_| server.to_string());
		Ok(Outcome { code: Code::Base(result::SUCCESS), avps, audit, registration, scscf })
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use assignment::*;

	#[test]
	fn registration_and_re_registration_register() {
		for kind in [REGISTRATION, RE_REGISTRATION] {
			for current in [RegistrationState::NotRegistered, RegistrationState::Registered] {
				assert_eq!(new_state(kind, current), Some(RegistrationState::Registered));
			}
		}
	}

	#[test]
	fn an_unregistered_user_is_held_for_its_services() {
		let state = new_state(UNREGISTERED_USER, RegistrationState::NotRegistered);
		assert_eq!(state, Some(RegistrationState::Unregistered));
	}

	#[test]
	fn no_assignment_changes_nothing() {
		assert_eq!(new_state(NO_ASSIGNMENT, RegistrationState::Registered), None);
		assert_eq!(new_state(NO_ASSIGNMENT, RegistrationState::NotRegistered), None);
	}

	#[test]
	fn a_failed_authentication_keeps_a_registered_identity_registered() {
		for kind in [AUTHENTICATION_FAILURE, AUTHENTICATION_TIMEOUT] {
			assert_eq!(new_state(kind, RegistrationState::Registered), None);
			let unregistered = new_state(kind, RegistrationState::Unregistered);
			assert_eq!(unregistered, Some(RegistrationState::NotRegistered));
		}
	}

	#[test]
	fn every_deregistration_frees_the_s_cscf() {
		let kinds = [
			TIMEOUT_DEREGISTRATION,
			USER_DEREGISTRATION,
			TIMEOUT_DEREGISTRATION_STORE_SERVER_NAME,
			USER_DEREGISTRATION_STORE_SERVER_NAME,
			ADMINISTRATIVE_DEREGISTRATION,
			DEREGISTRATION_TOO_MUCH_DATA,
		];
		for kind in kinds {
			let state = new_state(kind, RegistrationState::Registered);
			assert_eq!(state, Some(RegistrationState::NotRegistered));
			assert_eq!(activity(kind), Activity::Deregistration);
			assert!(!with_profile(kind));
		}
	}

	#[test]
	fn assignments_that_serve_the_user_carry_its_profile() {
		for kind in [NO_ASSIGNMENT, REGISTRATION, RE_REGISTRATION, UNREGISTERED_USER] {
			assert!(with_profile(kind));
		}
		assert_eq!(activity(REGISTRATION), Activity::Registration);
		assert_eq!(activity(RE_REGISTRATION), Activity::ReRegistration);
		assert_eq!(activity(UNREGISTERED_USER), Activity::UnregisteredService);
	}

	#[test]
	fn charging_information_holds_only_the_functions_named() {
		let mut charging = ChargingInformation {
			primary_ecf: None,
			secondary_ecf: None,
			primary_ccf: None,
			secondary_ccf: None,
		};
		assert_eq!(charging_information(&charging), None);
		charging.primary_ecf = Some(name("ecf.ims.test"));
		let expected = Avp::grouped_of(
			&avp::CHARGING_INFORMATION,
			vec![Avp::octets_of(
				&avp::PRIMARY_EVENT_CHARGING_FUNCTION_NAME,
				b"ecf.ims.test".to_vec(),
			)],
		);
		assert_eq!(charging_information(&charging), Some(expected));
	}
}
