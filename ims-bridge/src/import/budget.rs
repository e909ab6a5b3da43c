//! How many subscribers a call carries, and how many calls make a round:
//! the fewest calls of the largest batch that fill a block's normal
//! weight, by the runtime's own weights.
//!
//! The runtime charges `import_subscribers` per call, per subscriber, per
//! *extra identity* and per implicit set (`docs/bulk-import.md`: an extra
//! identity is every IMPI and IMPU after a subscriber's first, and every
//! link beyond one per IMPU), and for the sealing of the call's audit
//! records, which it declares with its own weight (`docs/bulk-import.md`,
//! "Filling a block"). At start the bridge asks the runtime
//! (`TransactionPaymentCallApi::query_call_info`) for the weight of four
//! calls of known shape, not sent, and derives the four costs; the block's
//! limits come from `System.BlockWeights`.
//! A batch then closes when its next subscriber would pass the call's
//! share of a block. If the runtime's rule changes, a call that turns out
//! too heavy is refused by the node's pool and split (`submit`): the
//! sizing is an optimisation, never a condition of correctness.

use super::format::Parsed;
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::ims_primitives::ImpuKind;
use crate::chain::ims::runtime_types::ims_runtime::RuntimeCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::types::{
	ImpiImport, ImpuAttributes, ImpuImport, SubscriberImport,
};
use crate::chain::{ims, ChainError, Client};
use ims_primitives::{AuthScheme, AuthSchemes};
use std::collections::HashSet;
use subxt::utils::{Static, H256};

/// The share of a call's weight budget left unused: the block's own
/// weight and each extrinsic's base weight come out of the same class.
const MARGIN_PERCENT: u64 = 5;
/// A bound on the calls of a round, whatever the weights say.
const MOST_CALLS_PER_ROUND: usize = 16;

/// What a call may hold.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
	/// Subscribers per call (the runtime's `MaxImportSubscribers`, or
	/// fewer if asked).
	pub subscribers: usize,
	/// Reference time (picoseconds) a call may weigh.
	pub weight: u64,
	/// The runtime's charges.
	pub cost: Cost,
	/// Calls that share a block (a round).
	pub per_round: usize,
}

/// What the runtime charges an `import_subscribers` call, in reference
/// time (picoseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
	/// Per call.
	pub call: u64,
	/// Per subscriber.
	pub subscriber: u64,
	/// Per extra identity.
	pub identity: u64,
	/// Per implicit set.
	pub set: u64,
}

impl Cost {
	/// The weight of one more subscriber.
	pub fn of(&self, parsed: &Parsed) -> u64 {
		let identities = self.identity.saturating_mul(u64::from(extra_identities(parsed)));
		let sets = self.set.saturating_mul(u64::from(implicit_sets(parsed)));
		self.subscriber.saturating_add(identities).saturating_add(sets)
	}
}

/// A subscriber's extra identities, as the runtime counts them.
pub fn extra_identities(parsed: &Parsed) -> u32 {
	let beyond_one = |n: usize| (n as u32).saturating_sub(1);
	let impus = parsed.impus.len().max(1);
	beyond_one(parsed.impis.len())
		.saturating_add(beyond_one(parsed.impus.len()))
		.saturating_add(parsed.links.len().saturating_sub(impus) as u32)
}

/// The implicit sets a subscriber's IMPUs form.
pub fn implicit_sets(parsed: &Parsed) -> u32 {
	let sets: HashSet<u32> = parsed.impus.iter().filter_map(|u| u.implicit_set).collect();
	sets.len() as u32
}

/// The limit of a call on this chain: `asked` subscribers at most (the
/// runtime's `MaxImportSubscribers` when `None`), and the weight that
/// lets a round of calls share a block. Unless `per_round` is given, a
/// round is as many calls as it takes to fill the block's normal weight
/// with reference subscribers (the cheapest kind), so that a block is
/// filled by its weight rather than by a call's count: at a million,
/// three calls of 1,024 left a tenth of the weight unused
/// (`docs/bulk-import.md`).
pub async fn limit(
	client: &Client,
	asked: Option<usize>,
	per_round: Option<usize>,
) -> Result<Limit, ChainError> {
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	let constants = at.constants();
	let most = constants
		.entry(ims::constants().identity().max_import_subscribers())
		.map_err(ChainError::subxt)? as usize;
	let weights =
		constants.entry(ims::constants().system().block_weights()).map_err(ChainError::subxt)?;
	let normal = weights.per_class.normal;
	let block = Block {
		total: normal.max_total.map(|w| w.ref_time).unwrap_or(weights.max_block.ref_time),
		base_extrinsic: normal.base_extrinsic.ref_time,
		max_extrinsic: normal.max_extrinsic.map(|w| w.ref_time),
	};
	let cost = calibrate(client).await?;
	let subscribers = asked.unwrap_or(most).clamp(1, most.max(1));
	let per_round = per_round.unwrap_or_else(|| block.calls_to_fill(&cost, subscribers)).max(1);
	Ok(Limit { subscribers, weight: block.share(per_round), cost, per_round })
}

/// A block's normal class, in reference time (picoseconds).
#[derive(Clone, Copy, Debug)]
pub struct Block {
	/// What all normal extrinsics of a block may weigh together.
	pub total: u64,
	/// What each extrinsic weighs besides its call.
	pub base_extrinsic: u64,
	/// What one normal extrinsic may weigh, if less than `total`.
	pub max_extrinsic: Option<u64>,
}

impl Block {
	/// The weight each of `calls` calls may have for all of them to fit,
	/// less the margin.
	pub fn share(&self, calls: usize) -> u64 {
		let share = (self.total / calls.max(1) as u64).saturating_sub(self.base_extrinsic);
		let share = share - share * MARGIN_PERCENT / 100;
		self.max_extrinsic.map_or(share, |most| share.min(most))
	}

	/// The fewest calls of `subscribers` reference subscribers each that
	/// fill the block: one more call would no longer have room for them.
	pub fn calls_to_fill(&self, cost: &Cost, subscribers: usize) -> usize {
		let full = cost.call.saturating_add(cost.subscriber.saturating_mul(subscribers as u64));
		let mut calls = 1;
		while self.share(calls) > full && calls < MOST_CALLS_PER_ROUND {
			calls += 1;
		}
		calls
	}
}

/// The runtime's charges, from the weights of four calls it is asked
/// about: one reference subscriber (one IMPI linked to one IMPU, no
/// implicit set), two of them, one with a second linked IMPU, and one
/// with both IMPUs in an implicit set.
async fn calibrate(client: &Client) -> Result<Cost, ChainError> {
	let one = weigh(client, vec![shape(1, None)]).await?;
	let two = weigh(client, vec![shape(1, None), shape(1, None)]).await?;
	let second_impu = weigh(client, vec![shape(2, None)]).await?;
	let in_a_set = weigh(client, vec![shape(2, Some(1))]).await?;
	let subscriber = two.saturating_sub(one);
	Ok(Cost {
		call: one.saturating_sub(subscriber),
		subscriber,
		identity: second_impu.saturating_sub(one),
		set: in_a_set.saturating_sub(second_impu),
	})
}

/// A subscriber with one IMPI linked to `impus` IMPUs.
fn shape(impus: u8, implicit_set: Option<u32>) -> SubscriberImport {
	let id = || H256(rand::random());
	let impi = ImpiImport {
		impi: id(),
		schemes: Static(AuthSchemes::of(&[AuthScheme::SipDigest])),
		default_scheme: Static(AuthScheme::SipDigest),
	};
	let impu = |_| ImpuImport {
		impu: id(),
		attributes: ImpuAttributes {
			kind: ImpuKind::PublicIdentity,
			barred: false,
			can_register: true,
			implicit_set,
			service_profile: 0,
			charging: None,
			roaming: BoundedVec(Vec::new()),
		},
	};
	SubscriberImport {
		subscription: id(),
		impis: BoundedVec(vec![impi]),
		impus: BoundedVec((0..impus).map(impu).collect()),
		links: BoundedVec((0..impus).map(|u| (0, u)).collect()),
	}
}

/// The reference time the runtime charges a call of `subscribers`.
async fn weigh(client: &Client, subscribers: Vec<SubscriberImport>) -> Result<u64, ChainError> {
	let call = RuntimeCall::Identity(IdentityCall::import_subscribers {
		realm: 0,
		subscribers: BoundedVec(subscribers),
	});
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	let api = ims::runtime_apis().transaction_payment_call_api().query_call_info(call, 0);
	let info = at.runtime_apis().call(api).await.map_err(ChainError::subxt)?;
	Ok(info.weight.ref_time)
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Microseconds of reference time, in picoseconds.
	const US: u64 = 1_000_000;

	/// The development chain's normal class: 750 ms, 125 µs an extrinsic.
	fn block() -> Block {
		Block { total: 750_000 * US, base_extrinsic: 125 * US, max_extrinsic: Some(749_000 * US) }
	}

	fn cost(subscriber: u64) -> Cost {
		Cost { call: 90 * US, subscriber: subscriber * US, identity: 48 * US, set: 28 * US }
	}

	#[test]
	fn a_round_is_the_fewest_full_calls_that_fill_the_block() {
		let (block, cost) = (block(), cost(146));
		let full = cost.call + 1024 * cost.subscriber;
		// Four calls of 1,024 would leave room in each; five fill it.
		assert!(block.share(4) > full);
		assert!(block.share(5) <= full);
		assert_eq!(block.calls_to_fill(&cost, 1024), 5);
		// Smaller calls take more of them to fill the block.
		assert_eq!(block.calls_to_fill(&cost, 512), 10);
	}

	#[test]
	fn a_call_heavier_than_a_block_is_a_round_alone() {
		assert_eq!(block().calls_to_fill(&cost(1_000), 1024), 1);
	}

	#[test]
	fn weightless_calls_stop_at_the_bound() {
		let free = Cost::default();
		assert_eq!(block().calls_to_fill(&free, 1024), MOST_CALLS_PER_ROUND);
	}

	#[test]
	fn a_share_leaves_the_margin_and_the_extrinsic_base() {
		let block = block();
		let share = (750_000 * US / 3 - 125 * US) * (100 - MARGIN_PERCENT) / 100;
		assert_eq!(block.share(3), share);
		// Never more than one extrinsic may weigh.
		let small = Block { max_extrinsic: Some(100_000 * US), ..block };
		assert_eq!(small.share(1), 100_000 * US);
	}
}
