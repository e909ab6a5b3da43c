//! GRANDPA voter weights from bonded stake, capped per operator.
//!
//! GRANDPA finalises a block once voters holding more than two thirds of the
//! total weight agree, so it stays safe while less than a third of the
//! weight is faulty. Weighting voters by stake makes that third a third of
//! the stake; capping each operator below a third means no single operator
//! (however many validators it runs and however much it bonds) can block or
//! fork finality on its own.
//!
//! Method:
//! 1. Stakes are scaled to a total of 2^80 (every validator keeps at least
//!    1), which keeps the arithmetic below in `u128` and precise.
//! 2. Each operator's stake is the sum of its validators'. The cap is applied
//!    by water-filling: the largest operators are lowered to a common level
//!    `C` chosen so that `C / total = cap` exactly, where `total` counts the
//!    capped operators at `C`. With `k` operators capped and `R` the stake of
//!    the others, `C = cap * R / (1 - cap * k)`; `k` grows from 0 until the
//!    largest uncapped operator is at most `C`. Rounding `C` down keeps every
//!    share at or below the cap. The operator weights are then brought to a
//!    total of one billion, so that a weight reads as a share in parts per
//!    billion, and capped once more, which settles the rounding of that step
//!    exactly.
//! 3. If no level works (fewer operators than `1 / cap`), every operator gets
//!    an equal weight (a billion divided by their number): the smallest
//!    largest share there is, but above the cap. The result says so.
//! 4. An operator's weight is split among its validators in proportion to
//!    their stakes, each at least 1; the rounding difference goes to its
//!    largest part, so the operator's total is exactly its weight.

use alloc::{collections::BTreeMap, vec, vec::Vec};
use sp_runtime::{helpers_128bit::multiply_by_rational_with_rounding, PerThing, Perbill, Rounding};

/// Stakes are scaled to a total of about `2^WORK_BITS` for the capping.
const WORK_BITS: u32 = 80;
/// Operator weights are then brought to a total of one billion: a weight
/// reads as the voter's share in parts per billion (up to rounding).
pub const TOTAL_WEIGHT: u128 = Perbill::ACCURACY as u128;

/// Voter weights of a set.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct VoterWeights {
	/// One weight per seat, in the order given; each at least 1.
	pub weights: Vec<u64>,
	/// Distinct operators in the set.
	pub operators: u32,
	/// Whether every operator's share is within the cap.
	pub cap_met: bool,
}

/// The GRANDPA weights of `seats`, given as `(operator, stake)`, with no
/// operator above `cap` of the total when the set has enough operators.
pub fn voter_weights<O: Ord>(seats: &[(O, u128)], cap: Perbill) -> VoterWeights {
	if seats.is_empty() {
		return VoterWeights { weights: Vec::new(), operators: 0, cap_met: true };
	}
	let total = seats.iter().fold(0u128, |sum, (_, stake)| sum.saturating_add(*stake));
	let scaled: Vec<u128> = seats
		.iter()
		.map(|(_, stake)| {
			multiply_by_rational_with_rounding(*stake, 1 << WORK_BITS, total, Rounding::Down)
				.unwrap_or(0)
				.max(1)
		})
		.collect();

	// Operators with their scaled stake and seats, largest first (ties in
	// operator order: `BTreeMap` iterates by key, and the sort is stable).
	let mut by_operator: BTreeMap<&O, (u128, Vec<usize>)> = BTreeMap::new();
	for (index, ((operator, _), stake)) in seats.iter().zip(&scaled).enumerate() {
		let entry = by_operator.entry(operator).or_insert_with(|| (0, Vec::new()));
		entry.0 = entry.0.saturating_add(*stake);
		entry.1.push(index);
	}
	let mut operators: Vec<(u128, Vec<usize>)> = by_operator.into_values().collect();
	operators.sort_by_key(|operator| core::cmp::Reverse(operator.0));

	let share = u128::from(cap.deconstruct());
	let accuracy = u128::from(Perbill::ACCURACY);
	let stakes: Vec<u128> = operators.iter().map(|o| o.0).collect();
	let operator_weights = match capped(&stakes, share) {
		None => vec![(TOTAL_WEIGHT / operators.len() as u128).max(1); operators.len()],
		Some(levels) => {
			// Bring the levels to the final range (the map is monotone, so
			// they stay largest first), then cap again: rounding may have
			// moved a share by a unit, and capping integers is exact.
			let sum = levels.iter().fold(0u128, |sum, l| sum.saturating_add(*l)).max(1);
			let reduced: Vec<u128> = levels
				.iter()
				.map(|level| (level.saturating_mul(TOTAL_WEIGHT) / sum).max(1))
				.collect();
			capped(&reduced, share).unwrap_or(reduced)
		},
	};

	let mut weights = vec![0u64; seats.len()];
	let mut finals = Vec::with_capacity(operators.len());
	for ((stake, indices), weight) in operators.iter().zip(&operator_weights) {
		// Each validator's part, at least 1; what rounding leaves over (or
		// the floor of 1 took) is settled on the largest part.
		let mut parts: Vec<u128> = indices
			.iter()
			.map(|index| {
				let own = scaled.get(*index).copied().unwrap_or(1);
				(weight.saturating_mul(own) / (*stake).max(1)).max(1)
			})
			.collect();
		let given = parts.iter().fold(0u128, |sum, part| sum.saturating_add(*part));
		if let Some(largest) = parts.iter_mut().max_by_key(|part| **part) {
			*largest = if given <= *weight {
				largest.saturating_add(weight - given)
			} else {
				largest.saturating_sub(given - weight).max(1)
			};
		}
		let mut sum = 0u128;
		for (index, part) in indices.iter().zip(parts) {
			let part = u64::try_from(part).unwrap_or(u64::MAX);
			sum = sum.saturating_add(u128::from(part));
			if let Some(slot) = weights.get_mut(*index) {
				*slot = part;
			}
		}
		finals.push(sum);
	}
	let grand_total = finals.iter().fold(0u128, |sum, w| sum.saturating_add(*w));
	let cap_met =
		finals.iter().all(|w| w.saturating_mul(accuracy) <= share.saturating_mul(grand_total));
	VoterWeights { weights, operators: u32::try_from(operators.len()).unwrap_or(u32::MAX), cap_met }
}

/// Water-filling of `stakes` (largest first) to a share of at most
/// `share / 10^9` each, or `None` if no level satisfies it.
fn capped(stakes: &[u128], share: u128) -> Option<Vec<u128>> {
	let accuracy = u128::from(Perbill::ACCURACY);
	let mut rest: u128 = stakes.iter().fold(0u128, |sum, s| sum.saturating_add(*s));
	for (k, largest) in stakes.iter().enumerate() {
		let capped_share = share.saturating_mul(k as u128);
		let denominator = accuracy.checked_sub(capped_share).filter(|d| *d > 0)?;
		let level = share.saturating_mul(rest) / denominator;
		if *largest <= level {
			if k > 0 && level == 0 {
				return None;
			}
			return Some(
				stakes.iter().enumerate().map(|(i, s)| if i < k { level } else { *s }).collect(),
			);
		}
		rest = rest.saturating_sub(*largest);
	}
	None
}

#[cfg(test)]
mod tests {
	use super::*;

	fn shares_below_third(seats: &[(u32, u128)], result: &VoterWeights) -> bool {
		let total: u128 = result.weights.iter().map(|w| u128::from(*w)).sum();
		let mut per_operator: BTreeMap<u32, u128> = BTreeMap::new();
		for ((operator, _), weight) in seats.iter().zip(&result.weights) {
			*per_operator.entry(*operator).or_default() += u128::from(*weight);
		}
		per_operator.values().all(|w| w * 3 < total)
	}

	/// Asserts that each weight is the given share (in parts per billion)
	/// within a rounding of 2.
	fn assert_shares(result: &VoterWeights, expected: &[u64]) {
		assert_eq!(result.weights.len(), expected.len(), "{result:?}");
		for (weight, share) in result.weights.iter().zip(expected) {
			assert!(weight.abs_diff(*share) <= 2, "{result:?} vs {expected:?}");
		}
	}

	#[test]
	fn uncapped_weights_are_proportional_to_stake() {
		let seats = [(1u32, 2_500u128), (2, 2_500), (3, 2_000), (4, 3_000)];
		let result = voter_weights(&seats, Perbill::from_percent(30));
		assert_shares(&result, &[250_000_000, 250_000_000, 200_000_000, 300_000_000]);
		assert!(result.cap_met);
		assert_eq!(result.operators, 4);
	}

	#[test]
	fn the_largest_operator_is_lowered_to_the_cap() {
		// 4000 of 10000 is 40 %: lowered to C with C / (C + 6000) = 30 %,
		// C = 2571.43; the others share 70 % by stake.
		let seats = [(1u32, 4_000u128), (2, 2_000), (3, 2_000), (4, 2_000)];
		let result = voter_weights(&seats, Perbill::from_percent(30));
		assert_shares(&result, &[300_000_000, 233_333_333, 233_333_333, 233_333_333]);
		assert!(result.cap_met);
	}

	#[test]
	fn every_operator_above_the_cap_is_lowered_to_one_level() {
		// 4000 is capped first (C = 2571), which leaves 3000 at 35 %: both
		// are lowered to C = 0.3 * 3000 / 0.4 = 2250, and 2250 / 7500 = 30 %;
		// 2000 and 1000 keep 4/15 and 2/15.
		let seats = [(1u32, 4_000u128), (2, 3_000), (3, 2_000), (4, 1_000)];
		let result = voter_weights(&seats, Perbill::from_percent(30));
		assert!(result.cap_met);
		assert_shares(&result, &[300_000_000, 300_000_000, 266_666_667, 133_333_333]);
		let total: u64 = result.weights.iter().sum();
		for weight in &result.weights {
			assert!(u128::from(*weight) * 1_000_000_000 <= 300_000_000 * u128::from(total));
		}
	}

	#[test]
	fn an_operator_weight_is_split_among_its_validators_by_stake() {
		// Operator 1 runs two validators (3000 + 1000), capped as one at
		// 30 %, split 3:1; the other three share 70 %.
		let seats = [(1u32, 3_000u128), (1, 1_000), (2, 2_000), (3, 2_000), (4, 2_000)];
		let result = voter_weights(&seats, Perbill::from_percent(30));
		assert!(result.cap_met);
		assert_eq!(result.operators, 4);
		assert_shares(&result, &[225_000_000, 75_000_000, 233_333_333, 233_333_333, 233_333_333]);
		assert!(shares_below_third(&seats, &result));
	}

	#[test]
	fn too_few_operators_get_equal_weights_and_say_so() {
		for seats in [
			vec![(1u32, 10u128)],
			vec![(1, 10), (2, 1_000)],
			vec![(1, 5), (2, 7), (3, 9_000)],
			vec![(1, 5), (1, 15), (2, 7), (3, 9_000)],
		] {
			let result = voter_weights(&seats, Perbill::from_percent(30));
			assert!(!result.cap_met, "{seats:?}");
			let mut per_operator: BTreeMap<u32, u64> = BTreeMap::new();
			for ((operator, _), weight) in seats.iter().zip(&result.weights) {
				*per_operator.entry(*operator).or_default() += weight;
			}
			let first = per_operator.values().next().copied();
			assert!(per_operator.values().all(|w| Some(*w) == first), "{seats:?}");
		}
	}

	#[test]
	fn four_or_more_operators_never_reach_a_third() {
		// Deterministic pseudo-random sets: 4..40 operators, 1..3 validators
		// each, stakes from 1 to 2^100.
		let mut state = 0x2545_f491_4f6c_dd1du64;
		let mut next = move || {
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			state
		};
		for _ in 0..500 {
			let operators = 4 + (next() % 37) as u32;
			let mut seats = Vec::new();
			for operator in 0..operators {
				for _ in 0..1 + next() % 3 {
					let magnitude = next() % 100;
					let stake =
						(u128::from(next()) << 64 | u128::from(next())) >> (128 - magnitude - 1);
					seats.push((operator, stake.max(1)));
				}
			}
			let cap = Perbill::from_parts(1 + (next() % 333_333_332) as u32);
			let result = voter_weights(&seats, cap);
			assert_eq!(result.weights.len(), seats.len());
			assert!(result.weights.iter().all(|w| *w >= 1));
			assert!(shares_below_third(&seats, &result), "{seats:?} {cap:?} {result:?}");
			if u64::from(operators) * u64::from(cap.deconstruct()) >= 1_000_000_000 {
				assert!(result.cap_met, "{seats:?} {cap:?} {result:?}");
			}
		}
	}

	#[test]
	fn huge_stakes_do_not_overflow() {
		let seats = [(1u32, u128::MAX), (2, u128::MAX), (3, u128::MAX / 2), (4, 1)];
		let result = voter_weights(&seats, Perbill::from_percent(30));
		assert!(result.cap_met);
		assert!(shares_below_third(&seats, &result));
		assert!(result.weights.iter().all(|w| *w >= 1 && *w <= 1_000_000_000));
	}

	#[test]
	fn an_empty_set_has_no_weights() {
		let result = voter_weights::<u32>(&[], Perbill::from_percent(30));
		assert!(result.weights.is_empty());
	}
}
