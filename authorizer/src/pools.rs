//! The user pools the authorizer trusts, and how a token's `iss` selects one.
//!
//! Trust is chosen among configured issuers, never taken from the token: a
//! token's `iss` is looked up exactly in the issuers the configuration
//! lists (aws-jwt-verify #36), and only the pool it names supplies the
//! keys and the app clients that token is checked against.

use std::collections::HashMap;
use std::path::PathBuf;

use reqwest::Url;
pub use shared::IssuerForm;
use thiserror::Error;

/// The issuers Cognito writes for `pool` whose primary region is
/// `regions[0]` and whose replicas are in `regions[1..]`: both forms of the
/// primary region, and the original form of each replica region.
///
/// With the updated form every region writes the primary's issuer
/// (aws-jwt-verify #282, reproduced with the AWS CLI against a replica).
/// With the original form a replica was first seen writing its own region
/// and later the primary's (same thread); both are accepted, since
/// `cognito-idp.<replica>.amazonaws.com/<pool>` is served only for that pool.
pub fn cognito_issuers(pool: &str, regions: &[String]) -> Vec<String> {
    let mut issuers = Vec::new();
    if let Some(primary) = regions.first() {
        issuers.extend(IssuerForm::ALL.map(|form| form.issuer(primary, pool)));
    }
    for replica in regions.iter().skip(1) {
        let issuer = IssuerForm::Original.issuer(replica, pool);
        if !issuers.contains(&issuer) {
            issuers.push(issuer);
        }
    }
    issuers
}

/// The pool's Cognito JWKS URL; both issuer forms serve the same keys.
pub fn cognito_jwks_url(region: &str, pool: &str) -> String {
    format!(
        "{}/.well-known/jwks.json",
        IssuerForm::Original.issuer(region, pool)
    )
}

/// A JWKS snapshot file shipped with the function, and the variable that named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The file.
    pub path: PathBuf,
    /// `JWKS_FILE`, `TRUSTED_POOLS` or `TRUSTED_POOLS_FILE`: named in errors.
    pub variable: &'static str,
}

/// One trusted user pool: the issuers that select it, its app clients and
/// where its keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedPool {
    /// The pool id, e.g. `us-east-1_AbCdEf123` (replicas share it).
    pub user_pool_id: String,
    /// Every exact `iss` this pool's tokens may carry.
    pub issuers: Vec<String>,
    /// The app clients whose tokens are accepted from this pool.
    pub client_ids: Vec<String>,
    /// Where this pool's JWKS is fetched.
    pub jwks_url: Url,
    /// A snapshot of this pool's JWKS, read at start instead of a fetch.
    pub jwks_file: Option<Snapshot>,
}

/// A pool's position in [`TrustedPools`]: how key sets are found for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoolIndex(pub usize);

/// Why a list of pools cannot be trusted as a whole.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PoolsError {
    /// No pool at all.
    #[error("no user pool is configured")]
    Empty,
    /// The same pool id twice.
    #[error("user pool {0} is listed twice")]
    DuplicatePool(String),
    /// One issuer in two pools: it could not select exactly one.
    #[error("issuer {0:?} is configured for more than one pool")]
    SharedIssuer(String),
    /// A pool without issuers or clients would never accept a token.
    #[error("user pool {pool} has no {what}")]
    Incomplete {
        /// The pool id.
        pool: String,
        /// `issuers` or `client_ids`.
        what: &'static str,
    },
}

/// Every trusted pool, indexed by exact issuer: selecting the pool costs
/// one hash lookup however many pools there are.
#[derive(Debug, Clone)]
pub struct TrustedPools {
    pools: Vec<TrustedPool>,
    by_issuer: HashMap<String, PoolIndex>,
}

impl TrustedPools {
    /// Checks that every issuer selects exactly one pool.
    pub fn new(pools: Vec<TrustedPool>) -> Result<Self, PoolsError> {
        if pools.is_empty() {
            return Err(PoolsError::Empty);
        }
        let mut by_issuer = HashMap::new();
        for (i, pool) in pools.iter().enumerate() {
            if pools[..i]
                .iter()
                .any(|p| p.user_pool_id == pool.user_pool_id)
            {
                return Err(PoolsError::DuplicatePool(pool.user_pool_id.clone()));
            }
            let incomplete = |what| PoolsError::Incomplete {
                pool: pool.user_pool_id.clone(),
                what,
            };
            if pool.issuers.is_empty() {
                return Err(incomplete("issuers"));
            }
            if pool.client_ids.is_empty() {
                return Err(incomplete("client_ids"));
            }
            for issuer in &pool.issuers {
                match by_issuer.insert(issuer.clone(), PoolIndex(i)) {
                    Some(PoolIndex(j)) if j != i => {
                        return Err(PoolsError::SharedIssuer(issuer.clone()));
                    }
                    _ => {}
                }
            }
        }
        Ok(Self { pools, by_issuer })
    }

    /// The pool a token's `iss` selects, if it is exactly a configured issuer.
    pub fn select(&self, iss: &str) -> Option<(PoolIndex, &TrustedPool)> {
        let index = *self.by_issuer.get(iss)?;
        Some((index, &self.pools[index.0]))
    }

    /// The pool at `index`.
    pub fn get(&self, index: PoolIndex) -> Option<&TrustedPool> {
        self.pools.get(index.0)
    }

    /// Every pool, in configuration order.
    pub fn pools(&self) -> &[TrustedPool] {
        &self.pools
    }

    /// How many pools there are.
    pub fn len(&self) -> usize {
        self.pools.len()
    }

    /// Never true: [`TrustedPools::new`] refuses an empty list.
    pub fn is_empty(&self) -> bool {
        self.pools.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(id: &str, issuers: &[&str], clients: &[&str]) -> TrustedPool {
        TrustedPool {
            user_pool_id: id.to_string(),
            issuers: issuers.iter().map(|s| s.to_string()).collect(),
            client_ids: clients.iter().map(|s| s.to_string()).collect(),
            jwks_url: Url::parse("https://example.com/jwks.json").unwrap(),
            jwks_file: None,
        }
    }

    const A: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A";
    const A2: &str = "https://issuer-cognito-idp.us-east-1.amazonaws.com/us-east-1_A";
    const B: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_B";

    #[test]
    fn an_issuer_selects_exactly_its_pool() {
        let pools = TrustedPools::new(vec![
            pool("us-east-1_A", &[A, A2], &["ca"]),
            pool("eu-west-1_B", &[B], &["cb"]),
        ])
        .unwrap();
        let cases: [(&str, &str, Option<usize>); 10] = [
            ("original form", A, Some(0)),
            ("updated form", A2, Some(0)),
            ("other pool", B, Some(1)),
            (
                "trailing slash",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_A/",
                None,
            ),
            (
                "upper case host",
                "https://COGNITO-IDP.us-east-1.amazonaws.com/us-east-1_A",
                None,
            ),
            (
                "http scheme",
                "http://cognito-idp.us-east-1.amazonaws.com/us-east-1_A",
                None,
            ),
            (
                "other region, same pool id",
                "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_A",
                None,
            ),
            (
                "unconfigured pool",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_C",
                None,
            ),
            (
                "prefix of an issuer",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_",
                None,
            ),
            ("empty", "", None),
        ];
        for (name, iss, expected) in cases {
            let got = pools
                .select(iss)
                .map(|(i, p)| (i.0, p.user_pool_id.clone()));
            let want = expected.map(|i| (i, pools.pools()[i].user_pool_id.clone()));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn lists_that_cannot_select_one_pool_are_refused() {
        let cases: [(&str, Vec<TrustedPool>, PoolsError); 5] = [
            ("empty", vec![], PoolsError::Empty),
            (
                "same pool twice",
                vec![pool("p", &[A], &["c"]), pool("p", &[B], &["c"])],
                PoolsError::DuplicatePool("p".into()),
            ),
            (
                "shared issuer",
                vec![pool("p", &[A], &["c"]), pool("q", &[B, A], &["c"])],
                PoolsError::SharedIssuer(A.into()),
            ),
            (
                "no issuers",
                vec![pool("p", &[], &["c"])],
                PoolsError::Incomplete {
                    pool: "p".into(),
                    what: "issuers",
                },
            ),
            (
                "no clients",
                vec![pool("p", &[A], &[])],
                PoolsError::Incomplete {
                    pool: "p".into(),
                    what: "client_ids",
                },
            ),
        ];
        for (name, list, error) in cases {
            assert_eq!(TrustedPools::new(list).unwrap_err(), error, "{name}");
        }
    }

    #[test]
    fn cognito_issuers_cover_both_forms_and_replica_regions() {
        let regions = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            cognito_issuers("us-east-1_A", &regions(&["us-east-1"])),
            [A, A2]
        );
        assert_eq!(
            cognito_issuers("us-east-1_A", &regions(&["us-east-1", "us-west-2"])),
            [
                A,
                A2,
                "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_A"
            ]
        );
        assert_eq!(
            cognito_jwks_url("us-east-1", "us-east-1_A"),
            format!("{A}/.well-known/jwks.json")
        );
    }
}
