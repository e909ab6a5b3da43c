//! What the sending peer may ask, checked before the request is: an I-CSCF
//! asks UAR and LIR, an S-CSCF MAR and SAR, and an S-CSCF's SAR names no
//! S-CSCF but itself, so that no peer can point other subscribers'
//! routing at itself (`docs/diameter-peers.md`). A refusal is answered
//! 5003 (authorisation rejected) and audited as access denied, about the
//! identity the request names.

use super::outcome::{Code, Outcome, Refusal};
use super::{name, Cx};
use crate::diameter::codec::Message;
use crate::diameter::dict::{avp, command, result};
use crate::diameter::peer::PeerInfo;
use crate::pseudonym::Kind;
use ims_primitives::audit::Activity;
use ims_primitives::Denial;
use ims_primitives::{ImpuId, RealmId, Subject};

/// The realm and subject a record is kept under.
type Recorded = (RealmId, Subject<[u8; 32]>);

impl Cx {
	/// The refusal of a request its sender may not make, if it is one.
	pub(super) fn guard(
		&self,
		peer: &PeerInfo,
		request: &Message,
	) -> Result<Option<Outcome>, Refusal> {
		let command = request.header.command;
		let denial = if !peer.role.may_send(command) {
			Denial::PeerRole
		} else if command == command::SERVER_ASSIGNMENT && !names_itself(peer, request) {
			Denial::ServerNameMismatch
		} else {
			return Ok(None);
		};
		tracing::debug!(origin_host = %peer.origin_host, role = peer.role.name(), command, ?denial, "request refused for the peer's role");
		let audit = self
			.subject_of(peer, request)?
			.map(|(realm, subject)| (realm, subject, Activity::AccessDenied(denial)));
		Ok(Some(Outcome::fail(Code::Base(result::AUTHORIZATION_REJECTED), audit)))
	}

	/// The realm and subject a refused request is recorded under: the
	/// public identity it names, else its private identity (each by its
	/// pseudonym, or the unlinkable one of an unknown identity), else the
	/// peer itself.
	fn subject_of(&self, peer: &PeerInfo, request: &Message) -> Result<Option<Recorded>, Refusal> {
		if let Some(impu) = request.optional_utf8(&avp::PUBLIC_IDENTITY)? {
			if let Some(known) = self.find_impu(impu)? {
				return Ok(Some((known.view.impu.realm, Subject::Impu(known.impu))));
			}
			let unknown = ImpuId::from(self.vault.unknown_pseudonym(Kind::Impu, impu));
			return Ok(self.realm_for(request).map(|realm| (realm, Subject::Unknown(unknown))));
		}
		let Some(realm) = self.realm_for(request) else { return Ok(None) };
		let Some(impi) = request.optional_utf8(&avp::USER_NAME)? else {
			return Ok(Some((realm, Subject::Peer(name(&peer.origin_host)))));
		};
		let directory = self.vault.directory_of(Kind::Impi, impi)?;
		let subject = match directory.and_then(|d| d.pseudonym(Kind::Impi, impi)) {
			Some(pseudonym) => Subject::Impi(ImpuId::from(pseudonym)),
			None => Subject::Unknown(ImpuId::from(self.vault.unknown_pseudonym(Kind::Impi, impi))),
		};
		Ok(Some((realm, subject)))
	}
}

/// Whether a SAR names its sender's own Server-Name (one that names none
/// is left to the SAR's handler, which refuses the missing AVP).
fn names_itself(peer: &PeerInfo, request: &Message) -> bool {
	let named = request.optional_utf8(&avp::SERVER_NAME).ok().flatten();
	match (named, peer.role.server_name()) {
		(None, _) => true,
		(Some(named), Some(own)) => named.eq_ignore_ascii_case(own),
		(Some(_), None) => false,
	}
}
