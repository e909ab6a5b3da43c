//! The glue traits through which the pallets meet: [`Authorizer`] (who may
//! do what in a realm) and [`AuditSink`] (every change leaves a record).
//! The types they carry stay in the crate root, where their paths in the
//! runtime's metadata have always been.

use super::*;

/// Who may do what, per realm: asked by the pallets before a change,
/// answered by the access-policy pallet (or, until it is wired, a simple
/// rule such as "the realm's owner").
pub trait Authorizer<AccountId> {
	/// Whether `who` holds `permission` in `realm` now.
	fn is_authorized(who: &AccountId, realm: RealmId, permission: Permission) -> bool;
}

/// Denies every signed account: only governance (root) can act.
impl<AccountId> Authorizer<AccountId> for () {
	fn is_authorized(_: &AccountId, _: RealmId, _: Permission) -> bool {
		false
	}
}

/// Receives a record of every change, for the audit trail: implemented by
/// the audit pallet; `()` drops them.
pub trait AuditSink<AccountId> {
	/// `actor` (`None`: governance) made `change` to `subject` in `realm`.
	fn record(
		actor: Option<&AccountId>,
		realm: RealmId,
		subject: Subject<AccountId>,
		change: Change,
	);

	/// `actor` made each of `changes` in `realm`, in one go: a sink may
	/// account for them together (the audit pallet seals them in one batch
	/// and charges one seal).
	fn record_all(
		actor: Option<&AccountId>,
		realm: RealmId,
		changes: Vec<(Subject<AccountId>, Change)>,
	) {
		for (subject, change) in changes {
			Self::record(actor, realm, subject, change);
		}
	}

	/// The weight `record_all` registers with the block for `changes`
	/// changes, beyond what buffering them costs the caller. A call whose
	/// caller sizes it by its declared weight (a bulk import) declares this
	/// too and leaves it out of its actual weight, so the block is charged
	/// it once.
	fn record_all_weight(changes: u32) -> sp_runtime::Weight {
		let _ = changes;
		sp_runtime::Weight::zero()
	}
}

impl<AccountId> AuditSink<AccountId> for () {
	fn record(_: Option<&AccountId>, _: RealmId, _: Subject<AccountId>, _: Change) {}
}
