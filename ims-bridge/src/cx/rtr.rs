//! Registration-Termination-Request (TS 29.228 section 6.1.3, TS 29.229
//! section 6.1.9): when the chain bars or removes a registered identity, the
//! S-CSCF serving it is told to drop the registration, and the
//! deregistration is recorded once it agrees. See `docs/rtr.md`.

use super::{locked, members, record_time_ms, Cx, Served};
use crate::chain::Terminated;
use crate::diameter::codec::{flags, Avp, Message};
use crate::diameter::dict::{avp, command, result, APP_CX, NO_STATE_MAINTAINED};
use crate::diameter::peer::{vsai, Context, Peers};
use crate::index::Index;
use crate::journal::{Entry, RegistrationReport};
use crate::vault::{Directory, Subscriber};
use ims_primitives::audit::{Activity, FrontRecord, Peer};
use ims_primitives::{
	ImpuId, RegistrationState, RegistrationView, ServerAssignmentView, Subject, Token,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How many times an unanswered RTR is sent, and how far apart: Kamailio's
/// S-CSCF reconnects after a multiple of its Tc, 30 s by default (68 s
/// seen in the tests), so three minutes cover a reconnection or two.
pub const RTR_ATTEMPTS: u32 = 36;
/// The pause between two attempts.
pub const RTR_RETRY: Duration = Duration::from_secs(5);

/// What became of one RTR.
#[derive(Debug, PartialEq, Eq)]
pub struct Termination {
	/// The implicit set it terminated.
	pub members: Vec<ImpuId>,
	/// The RTA's Result-Code; 0 when no answer came (not connected, timeout).
	pub code: u32,
}

/// Sends an RTR for every batch of identities the chain follower reports
/// barred or removed, each batch in a task of its own (on `tasks`) that
/// tries again while RTRs go unanswered, [`RTR_ATTEMPTS`] times
/// [`RTR_RETRY`] apart, until `shutdown`. Returns when the follower drops
/// The Reason-Info of an RTR for an identity the chain barred or removed.
pub const REMOVED: &str = "barred or removed by the operator";
/// The Reason-Info of an RTR an operator asked for through the API: the
/// user may register again at once.
pub const ADMINISTRATIVE: &str = "deregistered by the operator";

/// its sender or at shutdown.
pub async fn retry_terminations(
	ctx: Arc<Context<Cx>>,
	mut terminated: mpsc::UnboundedReceiver<Vec<Terminated>>,
	timeout: Duration,
	tasks: TaskTracker,
	shutdown: CancellationToken,
) {
	loop {
		let gone = tokio::select! {
			gone = terminated.recv() => gone,
			_ = shutdown.cancelled() => return,
		};
		let Some(gone) = gone else { return };
		tasks.spawn(terminate_until_answered(ctx.clone(), gone, timeout, shutdown.clone()));
	}
}

/// One batch of terminations, retried until each set's S-CSCF answers (or
/// shutdown: what is left is owed again by the next start's load).
async fn terminate_until_answered(
	ctx: Arc<Context<Cx>>,
	gone: Vec<Terminated>,
	timeout: Duration,
	shutdown: CancellationToken,
) {
	let mut pending = gone;
	for attempt in 1..=RTR_ATTEMPTS {
		let last = attempt == RTR_ATTEMPTS;
		let outcomes = ctx.app.terminate(&ctx.peers, &pending, (timeout, REMOVED), last).await;
		for outcome in outcomes.iter().filter(|o| o.code != 0) {
			tracing::info!(
				code = outcome.code,
				identities = outcome.members.len(),
				"registration terminated at the S-CSCF"
			);
		}
		pending
			.retain(|(impu, _)| outcomes.iter().any(|o| o.code == 0 && o.members.contains(impu)));
		if pending.is_empty() {
			return;
		}
		tokio::select! {
			_ = tokio::time::sleep(RTR_RETRY) => {},
			_ = shutdown.cancelled() => return,
		}
	}
	tracing::warn!(
		identities = pending.len(),
		"RTR unanswered after {RTR_ATTEMPTS} attempts; given up"
	);
}

impl Cx {
	/// Who serves `impu` according to the index (its view from before it
	/// was barred or removed: the chain's registration, or a SAR's to this
	/// process that the chain does not show yet), when that S-CSCF's
	/// Diameter peer is known and the vault still holds the identities in
	/// clear.
	pub(super) fn served_by_chain(
		&self,
		impu: &ImpuId,
		before: &ServerAssignmentView,
	) -> Option<Arc<Served>> {
		let (scscf, peer) = self.serving_peer(before)?;
		let directory = match self.vault.directory(&before.impu.subscription.0) {
			Ok(Some(directory)) => directory,
			Ok(None) => {
				tracing::warn!(
					"a terminated registration's subscriber is no longer in the vault; no RTR"
				);
				return None;
			},
			Err(e) => {
				tracing::error!(error = %e, "vault read failed; no RTR");
				return None;
			},
		};
		served_from(&directory, impu, before, scscf, peer)
	}

	/// The S-CSCF the chain holds `view`'s identity registered at, and the
	/// Diameter peer that uses its name.
	fn serving_peer(&self, view: &ServerAssignmentView) -> Option<(Arc<str>, Arc<str>)> {
		let registration = &view.impu.registration;
		if !Index::holds_scscf(registration.state) {
			return None;
		}
		let scscf = String::from_utf8_lossy(registration.scscf.as_ref()?);
		let known =
			locked(&self.scscf_peers).get_key_value(&*scscf).map(|(s, p)| (s.clone(), p.clone()));
		let Some((scscf, peer)) = known else {
			tracing::warn!(%scscf, "no Diameter peer known for the S-CSCF of a terminated registration; no RTR (set server_name in [[diameter.peers]])");
			return None;
		};
		Some((scscf, peer))
	}

	/// Called before `subscriber` leaves the vault (the admin socket's
	/// `subscriber remove`): each of its implicit sets the index holds
	/// registered at an S-CSCF is kept with its names in clear, so that the
	/// RTR that follows the chain's removal finds its target although the
	/// vault no longer has the names. Returns how many sets were kept.
	pub fn keep_for_termination(&self, subscriber: &Subscriber) -> usize {
		let mut kept = 0;
		let directory = Directory::of(subscriber);
		for (_, id) in &directory.impus {
			let id = ImpuId::from(*id);
			if locked(&self.kept).contains_key(&id) {
				continue;
			}
			let Some(view) = self.index.impu(&id) else { continue };
			let Some((scscf, peer)) = self.serving_peer(&view) else { continue };
			let Some(served) = served_from(&directory, &id, &view, scscf, peer) else {
				continue;
			};
			let mut map = locked(&self.kept);
			for member in &served.members {
				map.entry(*member).or_insert_with(|| served.clone());
			}
			kept += 1;
		}
		kept
	}

	/// The implicit sets to terminate for `gone`, each once: a removed
	/// subscriber's kept target, else the S-CSCF the index holds the
	/// identity registered at (a SAR to this process sets it there at
	/// once), with its names from the vault.
	pub(super) fn termination_targets(&self, gone: &[Terminated]) -> Vec<Arc<Served>> {
		let mut targets: Vec<Arc<Served>> = Vec::new();
		for (impu, before) in gone {
			if targets.iter().any(|t| t.members.contains(impu)) {
				continue;
			}
			let kept = locked(&self.kept).get(impu).cloned();
			if let Some(served) = kept.or_else(|| self.served_by_chain(impu, before)) {
				targets.push(served);
			}
		}
		targets
	}

	/// Sends a Registration-Termination-Request (reason: permanent
	/// termination) to the S-CSCF serving each of `gone` (identities the
	/// chain has just barred or removed, with their views from before), and
	/// records the deregistration (report and audit record) when the S-CSCF
	/// agrees. The S-CSCF is the one a SAR to this process named, else the
	/// one the chain holds the identity registered at (after a restart),
	/// reached through the peer that uses that Server-Name. An RTR nobody
	/// answers is recorded only on the `last_attempt` (the caller retries).
	/// `reason` is the RTR's Reason-Info, for the S-CSCF's logs.
	pub async fn terminate(
		&self,
		peers: &Peers,
		gone: &[Terminated],
		(timeout, reason): (Duration, &str),
		last_attempt: bool,
	) -> Vec<Termination> {
		let mut results = Vec::new();
		for served in self.termination_targets(gone) {
			let rtr = self.rtr_for(peers.next_id(), &served, reason);
			let code = match peers.request(&served.peer, rtr, timeout).await {
				Ok(rta) => rta.optional_u32(&avp::RESULT_CODE).ok().flatten().unwrap_or(0),
				Err(e) => {
					tracing::warn!(error = %e, peer = %served.peer, "RTR not answered");
					0
				},
			};
			self.metrics.observe(command::REGISTRATION_TERMINATION, code, Duration::ZERO);
			if served.members.is_empty() {
				continue;
			}
			results.push(Termination { members: served.members.to_vec(), code });
			if code != 0 || last_attempt {
				self.record_termination(&served, code).await;
			}
		}
		results
	}

	/// The RTR of an implicit set, with end-to-end and hop-by-hop `id`.
	fn rtr_for(&self, id: u32, served: &Served, reason: &str) -> Message {
		let session = format!("{};{};rtr", self.local.origin_host, id);
		let mut rtr = Message::request(command::REGISTRATION_TERMINATION, APP_CX, id, id)
			.with(Avp::utf8_of(&avp::SESSION_ID, &session))
			.with(vsai())
			.with(Avp::u32_of(&avp::AUTH_SESSION_STATE, NO_STATE_MAINTAINED))
			.with(Avp::utf8_of(&avp::ORIGIN_HOST, &self.local.origin_host))
			.with(Avp::utf8_of(&avp::ORIGIN_REALM, &self.local.origin_realm))
			.with(Avp::utf8_of(&avp::DESTINATION_HOST, &served.peer))
			.with(Avp::utf8_of(&avp::DESTINATION_REALM, &self.local.origin_realm))
			.with(Avp::utf8_of(&avp::USER_NAME, &served.impi))
			.with(Avp::utf8_of(&avp::PUBLIC_IDENTITY, &served.impu))
			.with(Avp::grouped_of(
				&avp::DEREGISTRATION_REASON,
				vec![Avp::u32_of(&avp::REASON_CODE, 0), Avp::utf8_of(&avp::REASON_INFO, reason)],
			));
		// RTR is not proxiable.
		rtr.header.flags = flags::REQUEST;
		rtr
	}

	/// Journals the RTR's final outcome: its audit record and, when the
	/// S-CSCF agreed, the deregistration of the set, which the index holds
	/// at once. A kept target is dropped: it is not retried after this.
	async fn record_termination(&self, served: &Served, code: u32) {
		let Some(first) = served.members.first().copied() else { return };
		let mut entries = Vec::with_capacity(2);
		if code == result::SUCCESS {
			entries.push(Entry::Registration(RegistrationReport {
				impu: first,
				state: RegistrationState::NotRegistered,
				scscf: None,
			}));
			self.index.set_registration(&served.members, RegistrationView::default());
		}
		{
			let mut kept = locked(&self.kept);
			for member in &served.members {
				kept.remove(member);
			}
		}
		entries.push(Entry::Audit(
			served.realm,
			FrontRecord {
				subject: Subject::Impu(first),
				peer: Peer::Diameter(Token::truncate_from(served.peer.as_bytes().to_vec())),
				activity: Activity::Deregistration,
				result: code,
				at_ms: record_time_ms(),
			},
		));
		if let Err(e) = self.journal.append(entries).await {
			tracing::error!(error = %e, "RTR audit record or deregistration report not journaled");
		}
	}
}

/// The RTR target of `impu` from a subscription's directory: its names in
/// clear, the realm and implicit set of its view, and where it is served.
fn served_from(
	directory: &Directory,
	impu: &ImpuId,
	view: &ServerAssignmentView,
	scscf: Arc<str>,
	peer: Arc<str>,
) -> Option<Arc<Served>> {
	// The IMPI linked to the identity, as a SAR without User-Name picks it.
	let linked =
		directory.impis.iter().find(|(_, id)| view.associated_impis.contains(&ImpuId::from(*id)));
	Some(Arc::new(Served {
		impu: directory.impu_named(&impu.0)?.into(),
		impi: linked.or(directory.impis.first())?.0.as_str().into(),
		peer,
		realm: view.impu.realm,
		members: members(view),
		scscf,
	}))
}
