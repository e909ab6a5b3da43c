//! The Cx application: UAR, MAR, SAR and LIR answered like an HSS (3GPP TS
//! 29.228 section 6, TS 29.229), from the index of finalized chain state and
//! the vault, never from the network; RTR sent when the chain bars or
//! removes a registered identity.
//!
//! One module per command, as a Diameter server's handlers are usually laid
//! out: [`uar`], [`mar`], [`sar`], [`lir`] decide an [`Outcome`] from the
//! request, [`outcome`] records it and builds the answer, [`rtr`] sends
//! Registration-Termination-Requests and retries them. Every request leaves
//! an audit record in the journal before its answer is sent (records about
//! identities the vault does not know use an unlinkable pseudonym); SARs
//! that change registration state also leave a registration report for the
//! chain, and the new state stands in the index at once. See
//! `docs/rtr.md` for how a barring reaches the S-CSCF.

mod guard;
mod lir;
mod mar;
mod outcome;
mod rtr;
mod sar;
mod uar;
mod vectors;

pub use mar::sip_digest_item;
pub use outcome::{answer_code, experimental_result};
pub use rtr::{retry_terminations, Termination, ADMINISTRATIVE};
pub use sar::assignment;
pub use uar::authorization_type;

use crate::diameter::codec::Message;
use crate::diameter::dict::{avp, command, experimental, result};
use crate::diameter::peer::{error_answer, Application, LocalIdentity, PeerInfo};
use crate::index::Index;
use crate::journal::Journal;
use crate::metrics::Metrics;
use crate::pseudonym::Kind;
use crate::vault::{Directory, Subscriber, Vault};
use ims_primitives::audit::Activity;
use ims_primitives::{ImpuId, Name, RealmId, ServerAssignmentView, Subject};
use outcome::{Code, Outcome, Refusal};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// How the bridge answers, beyond what the chain says.
#[derive(Clone, Debug)]
pub struct CxConfig {
	/// The S-CSCF a UAA names for a first registration, and a LIA for an
	/// unregistered identity with services; without one the I-CSCF gets
	/// Server-Capabilities and selects an S-CSCF itself.
	pub scscf_name: Option<String>,
	/// Answer Digest-MD5 with the plaintext password (for S-CSCFs that need
	/// it); otherwise Digest-MD5 requests get SIP Digest (HA1) or 5006.
	pub digest_md5: bool,
	/// Most authentication vectors given in one MAA.
	pub max_auth_items: u32,
	/// S-CSCFs by SIP name (Server-Name) and Diameter Origin-Host, known
	/// before they send a SAR (`server_name` of `[[diameter.peers]]`).
	pub scscf_peers: Vec<(String, String)>,
	/// AKA vectors an IMPI may be given a minute, beyond its burst.
	pub aka_vectors_per_minute: u32,
	/// AKA vectors an IMPI may be given at once.
	pub aka_vector_burst: u32,
}

impl Default for CxConfig {
	fn default() -> Self {
		CxConfig {
			scscf_name: None,
			digest_md5: false,
			max_auth_items: 5,
			scscf_peers: Vec::new(),
			aka_vectors_per_minute: 6,
			aka_vector_burst: 32,
		}
	}
}

/// The Cx application.
pub struct Cx {
	local: LocalIdentity,
	config: CxConfig,
	index: Arc<Index>,
	vault: Arc<Vault>,
	journal: Journal,
	metrics: Arc<Metrics>,
	/// The RTR targets of subscribers removed through this bridge, kept
	/// until their RTR has an outcome: the vault no longer names them.
	/// Every other target comes from the index and the vault when it is
	/// needed (`docs/rtr.md`).
	kept: Mutex<HashMap<ImpuId, Arc<Served>>>,
	/// S-CSCF SIP names (Server-Name) and the Diameter peers that use them,
	/// from the configuration and from SARs: where an RTR goes for an
	/// identity the chain holds registered but no SAR of this process named
	/// (registered before a restart). The names are shared with every
	/// [`Served`] that uses them.
	scscf_peers: Mutex<HashMap<Arc<str>, Arc<str>>>,
	/// AKA vectors each IMPI may still be given.
	vectors: vectors::VectorBudget,
}

/// An implicit set registered at an S-CSCF: what its RTR needs. The
/// S-CSCF's names are shared from the table of S-CSCF peers.
#[derive(Debug, PartialEq, Eq)]
pub struct Served {
	/// The registered public identity, in clear.
	pub impu: Box<str>,
	/// The private identity, in clear.
	pub impi: Box<str>,
	/// The S-CSCF's Diameter Origin-Host.
	pub peer: Arc<str>,
	/// Its realm.
	pub realm: RealmId,
	/// Every member of the implicit set.
	pub members: SetMembers,
	/// The S-CSCF's SIP name (Server-Name).
	pub scscf: Arc<str>,
}

/// The members of an implicit set: usually a SIP and a TEL IMPU.
pub type SetMembers = smallvec::SmallVec<[ImpuId; 2]>;

/// A known subscriber's identities, resolved.
struct Known {
	directory: Arc<Directory>,
	impu: ImpuId,
	view: Arc<ServerAssignmentView>,
}

fn name(text: &str) -> Name {
	Name::truncate_from(text.as_bytes().to_vec())
}

/// The granularity of an audit record's time: the minute. Times to the
/// millisecond on a public trail would let an observer who sees a phone
/// register (or a call set up) at a known instant find its pseudonym by
/// the record's time (`docs/privacy.md`, "What the trail's times tell").
pub const RECORD_TIME_STEP_MS: u64 = 60_000;

/// Now, as an audit record's time: milliseconds since the Unix epoch,
/// rounded down to [`RECORD_TIME_STEP_MS`].
pub(crate) fn record_time_ms() -> u64 {
	coarse(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0))
}

/// `ms` rounded down to [`RECORD_TIME_STEP_MS`].
fn coarse(ms: u64) -> u64 {
	ms - ms % RECORD_TIME_STEP_MS
}

/// Every identity of the implicit set of a view (itself first).
fn members(view: &ServerAssignmentView) -> SetMembers {
	let mut out = SetMembers::new();
	out.push(view.impu.impu);
	for identity in view.profiles.iter().flat_map(|p| p.identities.iter()) {
		if !out.contains(&identity.impu) {
			out.push(identity.impu);
		}
	}
	out
}

/// A lock that a panicking holder left poisoned is still used: every map
/// behind one is consistent after each single insert or remove.
fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Cx {
	/// The application over an index, a vault and a journal.
	pub fn new(
		local: LocalIdentity,
		config: CxConfig,
		index: Arc<Index>,
		vault: Arc<Vault>,
		journal: Journal,
		metrics: Arc<Metrics>,
	) -> Self {
		let scscf_peers = config
			.scscf_peers
			.iter()
			.map(|(scscf, peer)| (Arc::from(scscf.as_str()), Arc::from(peer.as_str())))
			.collect();
		let vectors =
			vectors::VectorBudget::new(config.aka_vectors_per_minute, config.aka_vector_burst);
		Cx {
			local,
			config,
			index,
			vault,
			journal,
			metrics,
			kept: Default::default(),
			scscf_peers: Mutex::new(scscf_peers),
			vectors,
		}
	}

	/// The realm to record an unknown identity's request in: the one the
	/// request is for, or our own.
	fn realm_for(&self, request: &Message) -> Option<RealmId> {
		let destination = request.optional_utf8(&avp::DESTINATION_REALM).ok().flatten();
		destination
			.and_then(|d| self.index.realm(d))
			.or_else(|| self.index.realm(&self.local.origin_realm))
	}

	/// The outcome of a request about an identity the vault does not hold:
	/// 5001, audited under an unlinkable pseudonym.
	fn unknown(
		&self,
		request: &Message,
		kind: Kind,
		identity: &str,
		activity: Activity,
	) -> Outcome {
		let subject = Subject::Unknown(ImpuId::from(self.vault.unknown_pseudonym(kind, identity)));
		let audit = self.realm_for(request).map(|realm| (realm, subject, activity));
		Outcome::fail(Code::Experimental(experimental::ERROR_USER_UNKNOWN), audit)
	}

	/// Finds a public identity: in the vault (its pseudonym), then in the
	/// index.
	fn find_impu(&self, impu: &str) -> Result<Option<Known>, Refusal> {
		let directory = self.vault.directory_of(Kind::Impu, impu)?;
		Ok(directory.and_then(|directory| self.known(directory, impu)))
	}

	/// Finds a public identity as [`Cx::find_impu`] does, with its
	/// subscription's secrets read at the same time (a MAR's).
	fn find_impu_with_secrets(&self, impu: &str) -> Result<Option<(Known, Subscriber)>, Refusal> {
		let found = self.vault.find_with_directory(Kind::Impu, impu)?;
		Ok(found.and_then(|(directory, secrets)| Some((self.known(directory, impu)?, secrets))))
	}

	/// The identity `impu` of `directory` in the index.
	fn known(&self, directory: Arc<Directory>, impu: &str) -> Option<Known> {
		// None when the subscription changed between the look-up and the
		// read: the identity is no longer in it.
		let id = directory.pseudonym(Kind::Impu, impu).map(ImpuId::from)?;
		self.index.impu(&id).map(|view| Known { directory, impu: id, view })
	}

	/// Checks that `impi` belongs to the same subscription as a known IMPU
	/// and is linked to it: `Err(code)` with 5001 or 5002 otherwise.
	fn check_impi(&self, known: &Known, impi: &str) -> Result<ImpuId, u32> {
		let Some(id) = known.directory.pseudonym(Kind::Impi, impi).map(ImpuId::from) else {
			// Another subscription's IMPI: identities don't match.
			return match self.vault.handle_of(Kind::Impi, impi) {
				Ok(Some(_)) => Err(experimental::ERROR_IDENTITIES_DONT_MATCH),
				_ => Err(experimental::ERROR_USER_UNKNOWN),
			};
		};
		if self.index.impi(&id).is_none() {
			return Err(experimental::ERROR_USER_UNKNOWN);
		}
		if !known.view.associated_impis.contains(&id) {
			return Err(experimental::ERROR_IDENTITIES_DONT_MATCH);
		}
		Ok(id)
	}

	/// The 3004 answer to a request while the journal is at a high-water
	/// mark: every request leaves a record, and one that could not be
	/// recorded is not served (`docs/journal.md`, "Pressure").
	fn journal_full(&self, request: &Message) -> Option<Message> {
		let refused = self.journal.accepting().err();
		// A store on every request would bounce the gauge's cache line
		// between the workers; it changes rarely.
		let refusing = i64::from(refused.is_some());
		if self.metrics.journal_refusing.get() != refusing {
			self.metrics.journal_refusing.set(refusing);
		}
		refused.map(|_| self.too_busy(request))
	}

	/// 3004 (too busy, E bit): the request could not be recorded.
	fn too_busy(&self, request: &Message) -> Message {
		let session = request.find(&avp::SESSION_ID);
		let message = "the HSS cannot record more requests for now";
		error_answer(&self.local, &request.header, session, result::TOO_BUSY, None, message)
	}

	/// The outcome of one request, by its command, once its sender was
	/// found allowed to make it.
	async fn decide(&self, peer: &PeerInfo, request: &Message) -> Result<Outcome, Refusal> {
		request.required_utf8(&avp::SESSION_ID)?;
		if let Some(refused) = self.guard(peer, request)? {
			return Ok(refused);
		}
		match request.header.command {
			command::USER_AUTHORIZATION => self.uar(request),
			command::MULTIMEDIA_AUTH => self.mar(request).await,
			command::SERVER_ASSIGNMENT => self.sar(request),
			command::LOCATION_INFO => self.lir(request),
			other => Err(Refusal::NotCx(other)),
		}
	}
}

impl Application for Cx {
	async fn handle(&self, peer: &PeerInfo, request: Message) -> Message {
		let started = Instant::now();
		let command = request.header.command;
		if let Some(busy) = self.journal_full(&request) {
			self.metrics.observe(command, result::TOO_BUSY, started.elapsed());
			return busy;
		}
		let answer = match self.decide(peer, &request).await {
			Ok(outcome) => self.finish(peer, &request, outcome).await,
			Err(Refusal::Avp(e)) => error_answer(
				&self.local,
				&request.header,
				request.find(&avp::SESSION_ID),
				e.result_code(),
				Some(e.failed_avp()),
				&e.to_string(),
			),
			Err(e) => {
				tracing::error!(command, error = %e, "Cx request failed");
				self.internal_error(&request)
			},
		};
		self.metrics.observe(command, answer_code(&answer), started.elapsed());
		answer
	}
}

#[cfg(test)]
mod tests;
