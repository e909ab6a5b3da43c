//! The Diameter vocabulary the bridge speaks: command codes, application
//! ids, AVP definitions and result codes of the base protocol (RFC 6733),
//! the SIP application's digest AVPs (RFC 4740) and the 3GPP Cx interface
//! (TS 29.228 / TS 29.229).

/// 3GPP's vendor id.
pub const VENDOR_3GPP: u32 = 10415;
/// The common application (capabilities exchange, watchdog, disconnect).
pub const APP_COMMON: u32 = 0;
/// The Cx/Dx application.
pub const APP_CX: u32 = 16777216;
/// The Sh application (not served; named for clear refusals).
pub const APP_SH: u32 = 16777217;

/// Command codes.
pub mod command {
	/// Capabilities-Exchange-Request/Answer.
	pub const CAPABILITIES_EXCHANGE: u32 = 257;
	/// Device-Watchdog-Request/Answer.
	pub const DEVICE_WATCHDOG: u32 = 280;
	/// Disconnect-Peer-Request/Answer.
	pub const DISCONNECT_PEER: u32 = 282;
	/// User-Authorization-Request/Answer (UAR/UAA).
	pub const USER_AUTHORIZATION: u32 = 300;
	/// Server-Assignment-Request/Answer (SAR/SAA).
	pub const SERVER_ASSIGNMENT: u32 = 301;
	/// Location-Info-Request/Answer (LIR/LIA).
	pub const LOCATION_INFO: u32 = 302;
	/// Multimedia-Auth-Request/Answer (MAR/MAA).
	pub const MULTIMEDIA_AUTH: u32 = 303;
	/// Registration-Termination-Request/Answer (RTR/RTA), sent by the HSS.
	pub const REGISTRATION_TERMINATION: u32 = 304;
	/// Push-Profile-Request/Answer (PPR/PPA), sent by the HSS.
	pub const PUSH_PROFILE: u32 = 305;
}

/// How an AVP's data is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
	/// Arbitrary bytes.
	OctetString,
	/// UTF-8 text (also DiameterIdentity and DiameterURI).
	Utf8,
	/// A 32-bit unsigned integer (also Enumerated, read as its bits).
	Unsigned32,
	/// An address family (2 bytes) followed by the address.
	Address,
	/// A sequence of AVPs.
	Grouped,
}

/// One AVP of the dictionary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvpDef {
	/// AVP code.
	pub code: u32,
	/// Vendor id (0 for IETF AVPs, sent without the V bit).
	pub vendor: u32,
	/// How its data is read.
	pub kind: Kind,
	/// Whether we send it with the M bit.
	pub mandatory: bool,
	/// Its name, for logs and errors.
	pub name: &'static str,
}

macro_rules! avps {
	($($(#[$doc:meta])* $ident:ident = $code:literal, $vendor:expr, $kind:ident, $m:literal, $name:literal;)*) => {
		/// AVP definitions, one constant each.
		pub mod avp {
			use super::*;
			$(
				$(#[$doc])*
				pub const $ident: AvpDef =
					AvpDef { code: $code, vendor: $vendor, kind: Kind::$kind, mandatory: $m, name: $name };
			)*
		}

		/// The definition of a known AVP.
		pub fn lookup(code: u32, vendor: u32) -> Option<&'static AvpDef> {
			match (code, vendor) {
				$(($code, v) if v == $vendor => Some(&avp::$ident),)*
				_ => None,
			}
		}
	};
}

avps! {
	/// User-Name (the IMPI in Cx).
	USER_NAME = 1, 0, Utf8, true, "User-Name";
	/// Digest-Realm (RFC 4740).
	DIGEST_REALM = 104, 0, Utf8, true, "Digest-Realm";
	/// Digest-QoP (RFC 4740).
	DIGEST_QOP = 110, 0, Utf8, true, "Digest-QoP";
	/// Digest-Algorithm (RFC 4740).
	DIGEST_ALGORITHM = 111, 0, Utf8, true, "Digest-Algorithm";
	/// Digest-HA1 (RFC 4740): hex MD5 of user:realm:password.
	DIGEST_HA1 = 121, 0, Utf8, true, "Digest-HA1";
	/// Host-IP-Address.
	HOST_IP_ADDRESS = 257, 0, Address, true, "Host-IP-Address";
	/// Auth-Application-Id.
	AUTH_APPLICATION_ID = 258, 0, Unsigned32, true, "Auth-Application-Id";
	/// Acct-Application-Id.
	ACCT_APPLICATION_ID = 259, 0, Unsigned32, true, "Acct-Application-Id";
	/// Vendor-Specific-Application-Id.
	VENDOR_SPECIFIC_APPLICATION_ID = 260, 0, Grouped, true, "Vendor-Specific-Application-Id";
	/// Session-Id.
	SESSION_ID = 263, 0, Utf8, true, "Session-Id";
	/// Origin-Host.
	ORIGIN_HOST = 264, 0, Utf8, true, "Origin-Host";
	/// Supported-Vendor-Id.
	SUPPORTED_VENDOR_ID = 265, 0, Unsigned32, true, "Supported-Vendor-Id";
	/// Vendor-Id.
	VENDOR_ID = 266, 0, Unsigned32, true, "Vendor-Id";
	/// Firmware-Revision (never mandatory).
	FIRMWARE_REVISION = 267, 0, Unsigned32, false, "Firmware-Revision";
	/// Result-Code.
	RESULT_CODE = 268, 0, Unsigned32, true, "Result-Code";
	/// Product-Name (never mandatory).
	PRODUCT_NAME = 269, 0, Utf8, false, "Product-Name";
	/// Disconnect-Cause.
	DISCONNECT_CAUSE = 273, 0, Unsigned32, true, "Disconnect-Cause";
	/// Auth-Session-State.
	AUTH_SESSION_STATE = 277, 0, Unsigned32, true, "Auth-Session-State";
	/// Origin-State-Id.
	ORIGIN_STATE_ID = 278, 0, Unsigned32, true, "Origin-State-Id";
	/// Failed-AVP.
	FAILED_AVP = 279, 0, Grouped, true, "Failed-AVP";
	/// Proxy-Host.
	PROXY_HOST = 280, 0, Utf8, true, "Proxy-Host";
	/// Error-Message (never mandatory).
	ERROR_MESSAGE = 281, 0, Utf8, false, "Error-Message";
	/// Route-Record.
	ROUTE_RECORD = 282, 0, Utf8, true, "Route-Record";
	/// Destination-Realm.
	DESTINATION_REALM = 283, 0, Utf8, true, "Destination-Realm";
	/// Proxy-Info.
	PROXY_INFO = 284, 0, Grouped, true, "Proxy-Info";
	/// Inband-Security-Id.
	INBAND_SECURITY_ID = 299, 0, Unsigned32, true, "Inband-Security-Id";
	/// Proxy-State.
	PROXY_STATE = 33, 0, OctetString, true, "Proxy-State";
	/// Destination-Host.
	DESTINATION_HOST = 293, 0, Utf8, true, "Destination-Host";
	/// Error-Reporting-Host (never mandatory).
	ERROR_REPORTING_HOST = 294, 0, Utf8, false, "Error-Reporting-Host";
	/// Origin-Realm.
	ORIGIN_REALM = 296, 0, Utf8, true, "Origin-Realm";
	/// Experimental-Result.
	EXPERIMENTAL_RESULT = 297, 0, Grouped, true, "Experimental-Result";
	/// Experimental-Result-Code.
	EXPERIMENTAL_RESULT_CODE = 298, 0, Unsigned32, true, "Experimental-Result-Code";
	/// Visited-Network-Identifier.
	VISITED_NETWORK_IDENTIFIER = 600, VENDOR_3GPP, OctetString, true, "Visited-Network-Identifier";
	/// Public-Identity (an IMPU).
	PUBLIC_IDENTITY = 601, VENDOR_3GPP, Utf8, true, "Public-Identity";
	/// Server-Name (the S-CSCF's SIP URI).
	SERVER_NAME = 602, VENDOR_3GPP, Utf8, true, "Server-Name";
	/// Server-Capabilities.
	SERVER_CAPABILITIES = 603, VENDOR_3GPP, Grouped, true, "Server-Capabilities";
	/// Mandatory-Capability.
	MANDATORY_CAPABILITY = 604, VENDOR_3GPP, Unsigned32, true, "Mandatory-Capability";
	/// Optional-Capability.
	OPTIONAL_CAPABILITY = 605, VENDOR_3GPP, Unsigned32, true, "Optional-Capability";
	/// User-Data (the IMS subscription XML).
	USER_DATA = 606, VENDOR_3GPP, OctetString, true, "User-Data";
	/// SIP-Number-Auth-Items.
	SIP_NUMBER_AUTH_ITEMS = 607, VENDOR_3GPP, Unsigned32, true, "SIP-Number-Auth-Items";
	/// SIP-Authentication-Scheme.
	SIP_AUTHENTICATION_SCHEME = 608, VENDOR_3GPP, Utf8, true, "SIP-Authentication-Scheme";
	/// SIP-Authenticate.
	SIP_AUTHENTICATE = 609, VENDOR_3GPP, OctetString, true, "SIP-Authenticate";
	/// SIP-Authorization.
	SIP_AUTHORIZATION = 610, VENDOR_3GPP, OctetString, true, "SIP-Authorization";
	/// SIP-Authentication-Context.
	SIP_AUTHENTICATION_CONTEXT = 611, VENDOR_3GPP, OctetString, true, "SIP-Authentication-Context";
	/// SIP-Auth-Data-Item.
	SIP_AUTH_DATA_ITEM = 612, VENDOR_3GPP, Grouped, true, "SIP-Auth-Data-Item";
	/// SIP-Item-Number.
	SIP_ITEM_NUMBER = 613, VENDOR_3GPP, Unsigned32, true, "SIP-Item-Number";
	/// Server-Assignment-Type.
	SERVER_ASSIGNMENT_TYPE = 614, VENDOR_3GPP, Unsigned32, true, "Server-Assignment-Type";
	/// Deregistration-Reason.
	DEREGISTRATION_REASON = 615, VENDOR_3GPP, Grouped, true, "Deregistration-Reason";
	/// Reason-Code.
	REASON_CODE = 616, VENDOR_3GPP, Unsigned32, true, "Reason-Code";
	/// Reason-Info.
	REASON_INFO = 617, VENDOR_3GPP, Utf8, true, "Reason-Info";
	/// Charging-Information.
	CHARGING_INFORMATION = 618, VENDOR_3GPP, Grouped, true, "Charging-Information";
	/// Primary-Event-Charging-Function-Name.
	PRIMARY_EVENT_CHARGING_FUNCTION_NAME = 619, VENDOR_3GPP, Utf8, true, "Primary-Event-Charging-Function-Name";
	/// Secondary-Event-Charging-Function-Name.
	SECONDARY_EVENT_CHARGING_FUNCTION_NAME = 620, VENDOR_3GPP, Utf8, true, "Secondary-Event-Charging-Function-Name";
	/// Primary-Charging-Collection-Function-Name.
	PRIMARY_CHARGING_COLLECTION_FUNCTION_NAME = 621, VENDOR_3GPP, Utf8, true, "Primary-Charging-Collection-Function-Name";
	/// Secondary-Charging-Collection-Function-Name.
	SECONDARY_CHARGING_COLLECTION_FUNCTION_NAME = 622, VENDOR_3GPP, Utf8, true, "Secondary-Charging-Collection-Function-Name";
	/// User-Authorization-Type.
	USER_AUTHORIZATION_TYPE = 623, VENDOR_3GPP, Unsigned32, true, "User-Authorization-Type";
	/// User-Data-Already-Available.
	USER_DATA_ALREADY_AVAILABLE = 624, VENDOR_3GPP, Unsigned32, true, "User-Data-Already-Available";
	/// Confidentiality-Key (CK).
	CONFIDENTIALITY_KEY = 625, VENDOR_3GPP, OctetString, true, "Confidentiality-Key";
	/// Integrity-Key (IK).
	INTEGRITY_KEY = 626, VENDOR_3GPP, OctetString, true, "Integrity-Key";
	/// Supported-Features (V only).
	SUPPORTED_FEATURES = 628, VENDOR_3GPP, Grouped, false, "Supported-Features";
	/// Feature-List-ID (V only).
	FEATURE_LIST_ID = 629, VENDOR_3GPP, Unsigned32, false, "Feature-List-ID";
	/// Feature-List (V only).
	FEATURE_LIST = 630, VENDOR_3GPP, Unsigned32, false, "Feature-List";
	/// Supported-Applications.
	SUPPORTED_APPLICATIONS = 631, VENDOR_3GPP, Grouped, false, "Supported-Applications";
	/// Associated-Identities.
	ASSOCIATED_IDENTITIES = 632, VENDOR_3GPP, Grouped, false, "Associated-Identities";
	/// Originating-Request.
	ORIGINATING_REQUEST = 633, VENDOR_3GPP, Unsigned32, true, "Originating-Request";
	/// Wildcarded-Public-Identity (V only).
	WILDCARDED_PUBLIC_IDENTITY = 634, VENDOR_3GPP, Utf8, false, "Wildcarded-Public-Identity";
	/// SIP-Digest-Authenticate.
	SIP_DIGEST_AUTHENTICATE = 635, VENDOR_3GPP, Grouped, false, "SIP-Digest-Authenticate";
	/// UAR-Flags (V only).
	UAR_FLAGS = 637, VENDOR_3GPP, Unsigned32, false, "UAR-Flags";
	/// Loose-Route-Indication (V only).
	LOOSE_ROUTE_INDICATION = 638, VENDOR_3GPP, Unsigned32, false, "Loose-Route-Indication";
	/// SCSCF-Restoration-Info (V only).
	SCSCF_RESTORATION_INFO = 639, VENDOR_3GPP, Grouped, false, "SCSCF-Restoration-Info";
	/// Associated-Registered-Identities (V only).
	ASSOCIATED_REGISTERED_IDENTITIES = 647, VENDOR_3GPP, Grouped, false, "Associated-Registered-Identities";
	/// Multiple-Registration-Indication (V only).
	MULTIPLE_REGISTRATION_INDICATION = 648, VENDOR_3GPP, Unsigned32, false, "Multiple-Registration-Indication";
	/// Session-Priority (V only).
	SESSION_PRIORITY = 650, VENDOR_3GPP, Unsigned32, false, "Session-Priority";
}

/// Base protocol result codes (Result-Code).
pub mod result {
	/// The request was processed.
	pub const SUCCESS: u32 = 2001;
	/// The command code is not supported.
	pub const COMMAND_UNSUPPORTED: u32 = 3001;
	/// The request could not be delivered (no such realm or host here).
	pub const UNABLE_TO_DELIVER: u32 = 3002;
	/// The request is not meant for this realm.
	pub const REALM_NOT_SERVED: u32 = 3003;
	/// The server is too busy to answer now.
	pub const TOO_BUSY: u32 = 3004;
	/// The application is not supported by this peer.
	pub const APPLICATION_UNSUPPORTED: u32 = 3007;
	/// The header's flag bits are invalid.
	pub const INVALID_HDR_BITS: u32 = 3008;
	/// An AVP's flag bits are invalid.
	pub const INVALID_AVP_BITS: u32 = 3009;
	/// The peer is not known (capabilities exchange refused).
	pub const UNKNOWN_PEER: u32 = 3010;
	/// A mandatory AVP is not supported.
	pub const AVP_UNSUPPORTED: u32 = 5001;
	/// An AVP's value is invalid.
	pub const INVALID_AVP_VALUE: u32 = 5004;
	/// A required AVP is missing.
	pub const MISSING_AVP: u32 = 5005;
	/// The request was refused by the server's policy.
	pub const AUTHORIZATION_REJECTED: u32 = 5003;
	/// No common application with the peer.
	pub const NO_COMMON_APPLICATION: u32 = 5010;
	/// The protocol version is not supported.
	pub const UNSUPPORTED_VERSION: u32 = 5011;
	/// The request could not be processed.
	pub const UNABLE_TO_COMPLY: u32 = 5012;
	/// No security mechanism in common with the peer (RFC 6733 7.1.5): here,
	/// plain TCP from a peer that must use TLS.
	pub const NO_COMMON_SECURITY: u32 = 5017;
	/// An AVP's length is invalid.
	pub const INVALID_AVP_LENGTH: u32 = 5014;
	/// The message length is invalid.
	pub const INVALID_MESSAGE_LENGTH: u32 = 5015;
}

/// Cx experimental result codes (Experimental-Result-Code, vendor 10415).
pub mod experimental {
	/// UAA: the user has not been registered yet.
	pub const FIRST_REGISTRATION: u32 = 2001;
	/// UAA: the user is registered, with this S-CSCF.
	pub const SUBSEQUENT_REGISTRATION: u32 = 2002;
	/// LIA: the identity is unregistered but has services.
	pub const UNREGISTERED_SERVICE: u32 = 2003;
	/// SAA: the server name was not stored.
	pub const SERVER_NAME_NOT_STORED: u32 = 2004;
	/// UAA: the I-CSCF must select an S-CSCF (capabilities given).
	pub const SERVER_SELECTION: u32 = 2005;
	/// The user is unknown.
	pub const ERROR_USER_UNKNOWN: u32 = 5001;
	/// The private and public identities do not belong together.
	pub const ERROR_IDENTITIES_DONT_MATCH: u32 = 5002;
	/// The identity is not registered.
	pub const ERROR_IDENTITY_NOT_REGISTERED: u32 = 5003;
	/// Roaming from the visited network is not allowed.
	pub const ERROR_ROAMING_NOT_ALLOWED: u32 = 5004;
	/// The identity is already registered with another S-CSCF.
	pub const ERROR_IDENTITY_ALREADY_REGISTERED: u32 = 5005;
	/// The authentication scheme is not supported.
	pub const ERROR_AUTH_SCHEME_NOT_SUPPORTED: u32 = 5006;
	/// The assignment type is not allowed in this state.
	pub const ERROR_IN_ASSIGNMENT_TYPE: u32 = 5007;
	/// The user data is too large for the S-CSCF.
	pub const ERROR_TOO_MUCH_DATA: u32 = 5008;
	/// The S-CSCF does not support the user data.
	pub const ERROR_NOT_SUPPORTED_USER_DATA: u32 = 5009;
	/// A feature the request depends on is not supported.
	pub const ERROR_FEATURE_UNSUPPORTED: u32 = 5011;
}

/// Auth-Session-State: no state maintained (what Cx uses).
pub const NO_STATE_MAINTAINED: u32 = 1;

/// Disconnect-Cause values of a DPR.
pub mod disconnect_cause {
	/// The peer is going down.
	pub const REBOOTING: u32 = 0;
	/// The peer is busy.
	pub const BUSY: u32 = 1;
	/// The peer does not want to talk to us.
	pub const DO_NOT_WANT_TO_TALK_TO_YOU: u32 = 2;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn lookup_distinguishes_vendors() {
		assert_eq!(lookup(601, VENDOR_3GPP), Some(&avp::PUBLIC_IDENTITY));
		assert_eq!(lookup(601, 0), None);
		assert_eq!(lookup(263, 0), Some(&avp::SESSION_ID));
		assert_eq!(lookup(263, VENDOR_3GPP), None);
		assert_eq!(lookup(494, 50), None);
	}

	#[test]
	fn product_name_and_firmware_are_never_mandatory() {
		// RFC 6733 section 5.3: these AVPs MUST NOT carry the M bit.
		for def in [avp::PRODUCT_NAME, avp::FIRMWARE_REVISION, avp::ERROR_MESSAGE] {
			assert!(!def.mandatory, "{}", def.name);
		}
	}
}
