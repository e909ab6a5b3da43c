//! What a Cx handler decides ([`Outcome`]) and how it becomes an answer:
//! the registration report and audit record appended to the journal
//! together, the index updated and the S-CSCF's Diameter peer learned,
//! then the answer built.

use super::{locked, record_time_ms, Cx, SetMembers};
use crate::diameter::codec::{Avp, AvpError, Message};
use crate::diameter::dict::{avp, result, VENDOR_3GPP};
use crate::diameter::peer::{answer_for, error_answer, PeerInfo};
use crate::journal::{Entry, JournalError, RegistrationReport};
use crate::vault::VaultError;
use ims_primitives::audit::{Activity, FrontRecord, Peer};
use ims_primitives::{RealmId, RegistrationView, Subject, Token};
use std::sync::Arc;

/// How a request ended: the code recorded in the audit trail.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Code {
	/// A base Result-Code.
	Base(u32),
	/// An Experimental-Result-Code (vendor 10415).
	Experimental(u32),
}

impl Code {
	/// The code's value, whichever AVP carries it.
	pub(super) fn value(&self) -> u32 {
		match self {
			Code::Base(c) | Code::Experimental(c) => *c,
		}
	}

	/// The Result-Code or Experimental-Result AVP that carries it.
	pub(super) fn avp(&self) -> Avp {
		match self {
			Code::Base(code) => Avp::u32_of(&avp::RESULT_CODE, *code),
			Code::Experimental(code) => experimental_result(*code),
		}
	}
}

/// An Experimental-Result of 3GPP (vendor 10415) with `code`.
pub fn experimental_result(code: u32) -> Avp {
	Avp::grouped_of(
		&avp::EXPERIMENTAL_RESULT,
		vec![
			Avp::u32_of(&avp::VENDOR_ID, VENDOR_3GPP),
			Avp::u32_of(&avp::EXPERIMENTAL_RESULT_CODE, code),
		],
	)
}

/// The audit record's realm, subject and activity.
pub(super) type Audit = (RealmId, Subject<[u8; 32]>, Activity);

/// What a handler decided: the answer's result, its AVPs, and what to
/// record.
pub(super) struct Outcome {
	pub(super) code: Code,
	pub(super) avps: Vec<Avp>,
	/// The audit record's realm, subject and activity.
	pub(super) audit: Option<Audit>,
	/// A registration state change.
	pub(super) registration: Option<(RegistrationReport, SetMembers)>,
	/// The S-CSCF (Server-Name) a SAR has the identity registered at, to
	/// learn which Diameter peer uses that name.
	pub(super) scscf: Option<String>,
}

impl Outcome {
	/// An answer with `code` and `avps` that changes nothing.
	pub(super) fn answer(code: Code, avps: Vec<Avp>, audit: Option<Audit>) -> Self {
		Outcome { code, avps, audit, registration: None, scscf: None }
	}

	/// A refusal with `code` and no AVP of its own.
	pub(super) fn fail(code: Code, audit: Option<Audit>) -> Self {
		Outcome::answer(code, Vec::new(), audit)
	}
}

/// A request that cannot be answered with a Cx result: a malformed or
/// missing AVP (answered with its base Result-Code and Failed-AVP), or an
/// internal failure (answered with 5012 and logged).
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
	/// An AVP is missing or malformed.
	#[error(transparent)]
	Avp(#[from] AvpError),
	/// The vault failed.
	#[error("vault: {0}")]
	Vault(#[from] VaultError),
	/// A blocking vault task did not finish.
	#[error("vault task: {0}")]
	Task(#[from] tokio::task::JoinError),
	/// The record held a secret a moment ago and not on the next read.
	#[error("the {0} of the private identity vanished from the vault")]
	SecretVanished(&'static str),
	/// A command that is not Cx was routed to the Cx application.
	#[error("command {0} reached the Cx handler")]
	NotCx(u32),
}

/// The Result-Code of an answer, or its Experimental-Result-Code; 0 when it
/// has neither.
pub fn answer_code(answer: &Message) -> u32 {
	answer
		.optional_u32(&avp::RESULT_CODE)
		.ok()
		.flatten()
		.or_else(|| {
			let er = answer.find(&avp::EXPERIMENTAL_RESULT)?;
			er.child(&avp::EXPERIMENTAL_RESULT, &avp::EXPERIMENTAL_RESULT_CODE)
				.ok()
				.flatten()?
				.u32(&avp::EXPERIMENTAL_RESULT_CODE)
				.ok()
		})
		.unwrap_or(0)
}

impl Cx {
	/// Records what the outcome requires (its registration report and audit
	/// record, appended together), then builds the answer. A record that
	/// cannot be made durable turns the answer into 5012.
	pub(super) async fn finish(
		&self,
		peer: &PeerInfo,
		request: &Message,
		outcome: Outcome,
	) -> Message {
		let Outcome { code, avps, audit, registration, scscf } = outcome;
		let mut entries = Vec::with_capacity(2);
		let mut pending = None;
		if let Some((report, members)) = registration {
			let view = RegistrationView { state: report.state, scscf: report.scscf.clone() };
			pending = Some((members, view));
			entries.push(Entry::Registration(report));
		}
		match audit {
			Some((realm, subject, activity)) => {
				let from = Token::truncate_from(peer.origin_host.as_bytes().to_vec());
				let record = FrontRecord {
					subject,
					peer: Peer::Diameter(from),
					activity,
					result: code.value(),
					at_ms: record_time_ms(),
				};
				entries.push(Entry::Audit(realm, record));
			},
			None => self.metrics.unrecorded.inc(),
		}
		if !entries.is_empty() {
			match self.journal.append(entries).await {
				Ok(_) => {},
				// At a high-water mark since the check on arrival.
				Err(JournalError::Busy(_)) => return self.too_busy(request),
				Err(e) => {
					tracing::error!(error = %e, "audit record or registration report not journaled");
					return self.internal_error(request);
				},
			}
		}
		if let Some((members, view)) = pending {
			self.index.set_registration(&members, view);
		}
		if let Some(scscf) = scscf {
			self.learn_scscf_peer(&scscf, &peer.origin_host);
		}
		let mut answer = answer_for(&self.local, request);
		answer.avps.extend(avps);
		answer.push(code.avp());
		answer
	}

	/// Notes that the S-CSCF `scscf` is reached through the Diameter peer
	/// `peer`: where the RTRs of identities registered there go.
	fn learn_scscf_peer(&self, scscf: &str, peer: &str) {
		let mut known = locked(&self.scscf_peers);
		if known.get(scscf).is_none_or(|held| &**held != peer) {
			known.insert(Arc::from(scscf), Arc::from(peer));
		}
	}

	/// 5012 for a request whose outcome could not be recorded or decided.
	pub(super) fn internal_error(&self, request: &Message) -> Message {
		error_answer(
			&self.local,
			&request.header,
			request.find(&avp::SESSION_ID),
			result::UNABLE_TO_COMPLY,
			None,
			"the request could not be recorded",
		)
	}
}
