//! Creates that wait at the same moment share one `import_subscribers`
//! call. Every transaction of the bridge's account takes its turn until it
//! is in a block (`chain::submit_all` keeps the nonces gap-free), so one
//! call per create made the API one create per block, however many
//! clients asked (`docs/benchmarks.md`, "Provisioning API creates").
//!
//! One task takes the creates queued while the previous run was on its way
//! to finality, groups them by author and realm (an `act_for` names one
//! principal, an `import_subscribers` one realm), at most [`MOST`] a call,
//! and submits the groups together. A call the chain refuses is split in
//! halves and the halves sent again, until the refused creates are alone:
//! each create gets its own answer.

use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::ims_runtime::RuntimeCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::types::SubscriberImport;
use crate::chain::{ims, submit_all, ChainError, Client, Until};
use crate::provision::Author;
use std::sync::Arc;
use subxt_signer::sr25519::Keypair;
use tokio::sync::{mpsc, oneshot};

/// Subscribers a call carries at most: an API create is at most an import
/// line, so 64 of the largest weigh well under a block's normal share.
const MOST: usize = 64;
/// Creates waiting for the batcher at most; beyond, callers wait to queue.
const QUEUE: usize = 1024;

/// How a create ended on chain: shared by the creates of a refused call
/// when they cannot be told apart (the node unreachable, say).
pub type Outcome = Result<(), Arc<ChainError>>;

struct Pending {
	author: Author,
	realm: u32,
	entry: SubscriberImport,
	reply: oneshot::Sender<Outcome>,
}

/// The queue of creates and the task that submits them.
pub struct Creates {
	queue: mpsc::Sender<Pending>,
}

/// A create the batcher is gone for (the bridge is stopping).
fn stopped() -> Arc<ChainError> {
	Arc::new(ChainError::Refused("the bridge is stopping".into()))
}

impl Creates {
	/// Starts the batcher for `client` and `signer`; it ends once every
	/// `Creates` handle is dropped.
	pub fn start(client: Client, signer: Keypair) -> Creates {
		let (queue, receiver) = mpsc::channel(QUEUE);
		tokio::spawn(batcher(receiver, client, signer));
		Creates { queue }
	}

	/// Puts `entry` on chain in `realm` as `author`, with whatever else is
	/// waiting; returns once its call is finalized, or refused.
	pub async fn create(&self, author: Author, realm: u32, entry: SubscriberImport) -> Outcome {
		let (reply, answer) = oneshot::channel();
		let pending = Pending { author, realm, entry, reply };
		self.queue.send(pending).await.map_err(|_| stopped())?;
		answer.await.unwrap_or_else(|_| Err(stopped()))
	}
}

/// Creates of one author in one realm: one call.
struct Group {
	author: Author,
	realm: u32,
	pending: Vec<Pending>,
}

impl Group {
	fn entries(&self) -> BoundedVec<SubscriberImport> {
		BoundedVec(self.pending.iter().map(|p| p.entry.clone()).collect())
	}
}

async fn batcher(mut receiver: mpsc::Receiver<Pending>, client: Client, signer: Keypair) {
	while let Some(first) = receiver.recv().await {
		let mut waiting = vec![first];
		while let Ok(next) = receiver.try_recv() {
			waiting.push(next);
		}
		let mut groups: Vec<Group> = Vec::new();
		for pending in waiting {
			let group = groups.iter_mut().find(|g| {
				g.pending.len() < MOST && g.author == pending.author && g.realm == pending.realm
			});
			match group {
				Some(group) => group.pending.push(pending),
				None => groups.push(Group {
					author: pending.author.clone(),
					realm: pending.realm,
					pending: vec![pending],
				}),
			}
		}
		submit(&client, &signer, groups).await;
	}
}

/// Submits `groups` until every create has its outcome: the bridge's own
/// calls and the users' `act_for` calls as two runs side by side (their
/// payloads differ), refused groups split and sent again.
async fn submit(client: &Client, signer: &Keypair, mut groups: Vec<Group>) {
	while !groups.is_empty() {
		let (own, users): (Vec<_>, Vec<_>) =
			groups.into_iter().partition(|g| g.author == Author::Bridge);
		let own_calls: Vec<_> = own
			.iter()
			.map(|g| ims::transactions().identity().import_subscribers(g.realm, g.entries()))
			.collect();
		let user_calls: Vec<_> = users
			.iter()
			.filter_map(|g| match &g.author {
				Author::User(user) => Some(ims::transactions().access().act_for(
					*user,
					RuntimeCall::Identity(IdentityCall::import_subscribers {
						realm: g.realm,
						subscribers: g.entries(),
					}),
				)),
				Author::Bridge => None,
			})
			.collect();
		let (own_outcomes, user_outcomes) =
			tokio::join!(run(client, signer, &own_calls), run(client, signer, &user_calls));
		groups = Vec::new();
		let ended = own.into_iter().zip(own_outcomes).chain(users.into_iter().zip(user_outcomes));
		for (group, outcome) in ended {
			groups.extend(settle(group, outcome));
		}
	}
}

async fn run<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &Keypair,
	calls: &[Call],
) -> Vec<Result<subxt::utils::H256, ChainError>> {
	if calls.is_empty() {
		return Vec::new();
	}
	submit_all(client, signer, calls, Until::Finalized).await
}

/// Answers the creates of `group` with `outcome`, or, when the chain
/// refused a call of several, returns its halves to send again.
fn settle(mut group: Group, outcome: Result<subxt::utils::H256, ChainError>) -> Vec<Group> {
	match outcome {
		Err(e) if group.pending.len() > 1 && e.module_error().is_some() => {
			let second = group.pending.split_off(group.pending.len() / 2);
			let half = Group { author: group.author.clone(), realm: group.realm, pending: second };
			vec![group, half]
		},
		outcome => {
			let outcome = outcome.map(|_| ()).map_err(Arc::new);
			for pending in group.pending {
				let _ = pending.reply.send(outcome.clone());
			}
			Vec::new()
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn group(size: usize) -> (Group, Vec<oneshot::Receiver<Outcome>>) {
		let mut answers = Vec::new();
		let pending = (0..size)
			.map(|_| {
				let (reply, answer) = oneshot::channel();
				answers.push(answer);
				let entry = SubscriberImport {
					subscription: subxt::utils::H256::zero(),
					impis: BoundedVec(Vec::new()),
					impus: BoundedVec(Vec::new()),
					links: BoundedVec(Vec::new()),
				};
				Pending { author: Author::Bridge, realm: 0, entry, reply }
			})
			.collect();
		(Group { author: Author::Bridge, realm: 0, pending }, answers)
	}

	#[test]
	fn an_outcome_that_is_no_pallet_refusal_answers_every_create_of_the_call() {
		let (refused, mut answers) = group(3);
		let unreachable = ChainError::Refused("the pool is full".into());
		assert!(settle(refused, Err(unreachable)).is_empty());
		for answer in &mut answers {
			let outcome = answer.try_recv().unwrap();
			assert!(matches!(
				outcome.as_ref().map_err(|e| e.as_ref()),
				Err(ChainError::Refused(_))
			));
		}
		let (landed, mut answers) = group(2);
		assert!(settle(landed, Ok(subxt::utils::H256::zero())).is_empty());
		assert!(answers.iter_mut().all(|a| matches!(a.try_recv(), Ok(Ok(())))));
	}
}
