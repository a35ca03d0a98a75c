//! Paging of list responses.

use serde::{Deserialize, Serialize};

/// Where a page sits in a longer list: the seed's `{"has_more", "offset", "limit", "count"}`.
///
/// The seed's list responses put these keys beside the item list, whose key differs per
/// endpoint (`models`, `analyses`, ...), so page types flatten this struct in rather than
/// being one generic type with a fixed item key. To read everything, keep raising `offset`
/// by `limit` until `has_more` is `false`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    /// Whether more items follow this page.
    pub has_more: bool,
    /// How many items were skipped before this page.
    pub offset: u64,
    /// The most items a page holds.
    pub limit: u64,
    /// How many items this page holds.
    pub count: u64,
}
