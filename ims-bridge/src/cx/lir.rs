//! Location-Info-Request (TS 29.228 section 6.1.4, TS 29.229 section
//! 6.1.5): which S-CSCF serves an identity a request is addressed to.

use super::outcome::{Code, Outcome, Refusal};
use super::Cx;
use crate::diameter::codec::{Avp, Message};
use crate::diameter::dict::{avp, experimental, result};
use crate::pseudonym::Kind;
use ims_primitives::audit::Activity;
use ims_primitives::{ProfilePart, RegistrationState, ServerAssignmentView, Subject};

/// Whether any initial filter criterion of the identity's profiles applies
/// while it is unregistered (a terminating request then reaches an S-CSCF
/// for its unregistered services).
pub(super) fn has_unregistered_services(view: &ServerAssignmentView) -> bool {
	view.profiles
		.iter()
		.flat_map(|p| p.ifcs.iter())
		.any(|ifc| matches!(ifc.profile_part, None | Some(ProfilePart::Unregistered)))
}

impl Cx {
	/// Answers a LIR.
	pub(super) fn lir(&self, request: &Message) -> Result<Outcome, Refusal> {
		let impu = request.required_utf8(&avp::PUBLIC_IDENTITY)?;
		let activity = Activity::LocationQuery;
		let Some(known) = self.find_impu(impu)? else {
			return Ok(self.unknown(request, Kind::Impu, impu, activity));
		};
		let view = &known.view;
		let audit = Some((view.impu.realm, Subject::Impu(known.impu), activity));
		let registration = &view.impu.registration;
		if let (RegistrationState::Registered | RegistrationState::Unregistered, Some(scscf)) =
			(registration.state, &registration.scscf)
		{
			let avps = vec![Avp::octets_of(&avp::SERVER_NAME, scscf.to_vec())];
			return Ok(Outcome::answer(Code::Base(result::SUCCESS), avps, audit));
		}
		match (&self.config.scscf_name, has_unregistered_services(view)) {
			(Some(scscf), true) => Ok(Outcome::answer(
				Code::Experimental(experimental::UNREGISTERED_SERVICE),
				vec![Avp::utf8_of(&avp::SERVER_NAME, scscf)],
				audit,
			)),
			_ => Ok(Outcome::fail(
				Code::Experimental(experimental::ERROR_IDENTITY_NOT_REGISTERED),
				audit,
			)),
		}
	}
}
