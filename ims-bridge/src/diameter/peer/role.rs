//! What each kind of peer may ask (3GPP TS 29.228 section 6.1): an I-CSCF
//! asks where a user registers and which S-CSCF serves it (UAR, LIR); an
//! S-CSCF authenticates and registers users (MAR, SAR) and answers our RTR
//! and PPR. A request outside the sender's role is refused by the Cx
//! application and audited.

use crate::diameter::dict::command;

/// A peer's role, from the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerRole {
	/// An I-CSCF.
	ICscf,
	/// An S-CSCF, with the SIP URI it names itself by in its SARs
	/// (Server-Name): the only one it may name.
	SCscf {
		/// Its Server-Name.
		server_name: String,
	},
}

impl PeerRole {
	/// Whether a peer in this role may send a request of `command`.
	pub fn may_send(&self, command: u32) -> bool {
		match self {
			PeerRole::ICscf => {
				matches!(command, command::USER_AUTHORIZATION | command::LOCATION_INFO)
			},
			PeerRole::SCscf { .. } => {
				matches!(command, command::MULTIMEDIA_AUTH | command::SERVER_ASSIGNMENT)
			},
		}
	}

	/// Its name in the configuration and the logs.
	pub fn name(&self) -> &'static str {
		match self {
			PeerRole::ICscf => "i-cscf",
			PeerRole::SCscf { .. } => "s-cscf",
		}
	}

	/// The Server-Name an S-CSCF may name; `None` for an I-CSCF.
	pub fn server_name(&self) -> Option<&str> {
		match self {
			PeerRole::ICscf => None,
			PeerRole::SCscf { server_name } => Some(server_name),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn each_role_sends_its_own_commands_only() {
		let scscf = PeerRole::SCscf { server_name: "sip:scscf.ims.test".into() };
		let all = [
			command::USER_AUTHORIZATION,
			command::SERVER_ASSIGNMENT,
			command::LOCATION_INFO,
			command::MULTIMEDIA_AUTH,
			command::REGISTRATION_TERMINATION,
		];
		let sent = |role: &PeerRole| all.iter().filter(|c| role.may_send(**c)).count();
		assert!(PeerRole::ICscf.may_send(command::USER_AUTHORIZATION));
		assert!(PeerRole::ICscf.may_send(command::LOCATION_INFO));
		assert_eq!(sent(&PeerRole::ICscf), 2);
		assert!(scscf.may_send(command::MULTIMEDIA_AUTH));
		assert!(scscf.may_send(command::SERVER_ASSIGNMENT));
		assert_eq!(sent(&scscf), 2);
		assert_eq!(scscf.server_name(), Some("sip:scscf.ims.test"));
		assert_eq!(PeerRole::ICscf.server_name(), None);
	}
}
