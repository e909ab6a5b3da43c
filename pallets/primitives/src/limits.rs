//! Bounds of the operator data, fixed by the data model rather than by the
//! runtime: they size storage items and the runtime API answers.

/// Longest name: realm (a home network domain), SIP URI, Diameter identity.
pub const MAX_NAME_LEN: u32 = 255;
/// Longest short token: a SIP method, header name or SDP line type.
pub const MAX_TOKEN_LEN: u32 = 64;
/// Longest free text: a trigger's regular expression, service information.
pub const MAX_TEXT_LEN: u32 = 255;
/// Visited networks in one roaming allow-list.
pub const MAX_VISITED_NETWORKS: u32 = 16;
/// Initial filter criteria in one service profile or shared iFC set.
pub const MAX_IFCS: u32 = 16;
/// Service point triggers in one trigger point (and groups per trigger).
pub const MAX_SPTS: u32 = 8;
/// Shared iFC sets one service profile refers to.
pub const MAX_SHARED_IFC_SETS: u32 = 8;
/// The most views one call of `IdentityApi::server_assignment_page` or
/// `IdentityApi::server_assignments` answers with.
pub const MAX_VIEWS_PER_CALL: u32 = 256;
/// Such a call adds no view once those it holds encode to this many bytes
/// (2 MiB): hex-encoded, a whole answer stays well inside the node's
/// default 10 MB RPC response limit. See "Limits" in `docs/index.md`.
pub const MAX_VIEW_BYTES_PER_CALL: u32 = 2 * 1024 * 1024;
