//! Who acts in a call of the identity and access pallets: governance or a
//! signed account. Compiled with the `frame` feature, which the pallets turn
//! on and the bridge leaves off.

use frame_support::traits::EnsureOrigin;
use sp_runtime::DispatchError;

/// Who acts: `None` is governance (the pallet's admin origin), which may act
/// in any realm; `Some` is a signed account, whose permissions are checked in
/// the realm it acts in.
pub type Actor<'a, T> = Option<&'a <T as frame_system::Config>::AccountId>;

/// The origin rule of a pallet whose calls are made by governance or by
/// signed accounts.
pub trait Acting<T: frame_system::Config> {
	/// The origin that counts as governance.
	type Admin: EnsureOrigin<T::RuntimeOrigin>;

	/// Classifies `origin`: governance (`None`) if [`Self::Admin`] accepts it,
	/// else the signed account. Any other origin is `BadOrigin`.
	fn actor(origin: T::RuntimeOrigin) -> Result<Option<T::AccountId>, DispatchError> {
		match Self::Admin::try_origin(origin) {
			Ok(_) => Ok(None),
			Err(origin) => Ok(Some(frame_system::ensure_signed(origin)?)),
		}
	}
}
