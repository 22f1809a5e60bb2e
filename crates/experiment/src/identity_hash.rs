//! The hash that ties stored results to what they were computed from.

use serde::Serialize;

/// Hex SHA-256 of `value` as JSON: the identity of a config part, plan or record key. A
/// stored result is reused only under the same identity.
pub(crate) fn identity_hash<T: Serialize>(value: &T) -> String {
    let text = serde_json::to_string(value).expect("identities serialize");
    goldilocks_store::sha256_hex(text.as_bytes())
}
