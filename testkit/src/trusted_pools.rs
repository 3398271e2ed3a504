//! `TRUSTED_POOLS` documents of any size, for the benchmarks that compare
//! cold start and decisions with one pool and with many.

use serde_json::{Value, json};

/// `TRUSTED_POOLS` for `n` pools: `first` (its id, clients, issuer and
/// JWKS URL), then `us-east-1_PerfPool<i>` pools with their own issuer
/// (`first`'s with `-<i>` appended) and client, whose JWKS URLs are
/// `jwks_url` too (only a token of theirs would fetch it). `jwks_files`,
/// if not empty, holds each pool's `jwks_file`, in order.
pub fn trusted_pools(
    n: usize,
    first: (&str, &[&str], &str),
    jwks_url: &str,
    jwks_files: &[String],
) -> String {
    let (first_id, first_clients, issuer) = first;
    let pools: Vec<Value> = (0..n.max(1))
        .map(|i| {
            let mut pool = if i == 0 {
                json!({
                    "user_pool_id": first_id,
                    "client_ids": first_clients,
                    "issuers": [issuer],
                    "jwks_url": jwks_url,
                })
            } else {
                json!({
                    "user_pool_id": format!("us-east-1_PerfPool{i:04}"),
                    "client_ids": [format!("perfclient{i:04}")],
                    "issuers": [format!("{issuer}-{i:04}")],
                    "jwks_url": jwks_url,
                })
            };
            if let Some(file) = jwks_files.get(i) {
                pool["jwks_file"] = json!(file);
            }
            pool
        })
        .collect();
    Value::Array(pools).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_after_the_first_have_their_own_id_client_and_issuer() {
        let files = ["/k0", "/k1", "/k2"].map(String::from);
        let json = trusted_pools(3, ("p1", &["c1"], "http://i/p1"), "http://j", &files);
        let pools: Vec<Value> = serde_json::from_str(&json).unwrap();
        assert_eq!(pools.len(), 3);
        assert_eq!(pools[0]["user_pool_id"], "p1");
        assert_eq!(pools[0]["issuers"], json!(["http://i/p1"]));
        assert_eq!(pools[2]["user_pool_id"], "us-east-1_PerfPool0002");
        assert_eq!(pools[2]["issuers"], json!(["http://i/p1-0002"]));
        assert_eq!(pools[2]["jwks_file"], "/k2");
        let ids: std::collections::BTreeSet<String> = pools
            .iter()
            .map(|p| p["user_pool_id"].to_string())
            .collect();
        assert_eq!(ids.len(), 3);
    }
}
