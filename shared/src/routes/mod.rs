//! The route table: which scopes (and groups) each API route needs.
//!
//! Parsed from a JSON object such as
//! `{"GET /book":["API/book.get"],"DELETE /book/{id}":{"scopes":["API/book.delete"],"groups":["admins"]}}`.
//! Every listed scope is required; with `groups`, the token's
//! `cognito:groups` must also hold one of them (M2M tokens hold none). `{name}` and `*` match exactly one path
//! segment, `{name+}` one or more (last segment only); `ANY` matches every
//! method; paths are case-sensitive. Routes that are not listed are denied.
//!
//! The table also plans the IAM policy for a token ([`RouteTable::policy`]):
//! what start-up can work out once (which routes' requests another route's
//! pattern reaches) is worked out in [`RouteTable::new`], with a prefix tree
//! of the paths, so building the table stays close to linear in its size.

//!
//! One concept per file: [`Method`] (`method.rs`), path segments
//! (`segment.rs`), a [`Route`] (`route.rs`), the [`RouteSet`] bit set,
//! [`RouteError`], a route's [`Rule`] (`rule.rs`), reading the JSON
//! (`entries.rs`), the scope (and group) index and its
//! hash, the IAM patterns of a route (`patterns.rs`), the prefix tree of the
//! paths (`trie.rs`), policy planning ([`PolicyPlan`], `policy.rs`) and the
//! [`RouteTable`] that ties them together.

mod entries;
mod error;
mod method;
mod patterns;
mod policy;
mod route;
mod route_set;
mod rule;
mod scope_hasher;
mod scope_index;
mod segment;
mod table;
#[cfg(test)]
mod tests;
mod trie;

pub use error::RouteError;
pub use method::Method;
pub use policy::PolicyPlan;
pub use route::Route;
pub use route_set::RouteSet;
pub use rule::Rule;
pub use table::RouteTable;
