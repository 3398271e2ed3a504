//! The token rules per trusted pool, table-driven: two pools (one
//! replicated to a second region), each with its own key and client, and
//! for each pool the ways a token could borrow the other pool's trust.

use authorizer::verify::TokenError;
use authorizer::{Authorizer, Config, KeySet, PoolIndex, Rejection};
use integration_tests::fixtures::{NOW, SEED_ROUTES, token_event};
use serde_json::json;
use shared::AccessTokenClaims;
use testkit::{Issuer, m2m_claims};

const SCOPE: &str = "API/book.get";

/// One trusted pool of the fixture.
struct Pool {
    id: &'static str,
    region: &'static str,
    client: &'static str,
    key: Issuer,
}

impl Pool {
    fn original(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.id
        )
    }

    fn updated(&self) -> String {
        format!(
            "https://issuer-cognito-idp.{}.amazonaws.com/{}",
            self.region, self.id
        )
    }

    fn claims(&self, iss: &str, client: &str) -> AccessTokenClaims {
        m2m_claims(iss, client, SCOPE, NOW - 60, 3_600)
    }
}

struct Fixture {
    pools: [Pool; 2],
    keys: Vec<KeySet>,
    authorizer: Authorizer,
}

impl Fixture {
    fn new() -> Self {
        let pools = [
            Pool {
                id: "us-east-1_TenantA1",
                region: "us-east-1",
                client: "clientaaaaaaaaaaaaaaaaaaaa",
                key: Issuer::generate("kid-a").unwrap(),
            },
            Pool {
                id: "eu-west-1_TenantB2",
                region: "eu-west-1",
                client: "clientbbbbbbbbbbbbbbbbbbbb",
                key: Issuer::generate("kid-b").unwrap(),
            },
        ];
        let trusted = json!([
            {"user_pool_id": pools[0].id, "client_ids": [pools[0].client],
             "regions": ["us-east-1", "us-west-2"]},
            {"user_pool_id": pools[1].id, "client_ids": [pools[1].client]},
        ])
        .to_string();
        let config = Config::from_lookup(|name| match name {
            "TRUSTED_POOLS" => Some(trusted.clone()),
            "ROUTE_SCOPES" => Some(SEED_ROUTES.to_string()),
            _ => None,
        })
        .unwrap();
        let keys = pools
            .iter()
            .map(|p| {
                KeySet::from_jwks(p.key.jwks().to_string().as_bytes())
                    .unwrap()
                    .0
            })
            .collect();
        Self {
            pools,
            keys,
            authorizer: Authorizer::new(&config),
        }
    }

    /// The decision on `token` for `GET /book`: the pool it was accepted from.
    fn decide(&self, token: &str) -> Result<String, Rejection> {
        let event = token_event(&format!("Bearer {token}"), "GET", "/book");
        let decision = self.authorizer.decide(&event, &self.keys, NOW)?;
        assert!(decision.allows_called_route());
        let response = authorizer::policy::response(decision, self.authorizer.routes());
        assert!(!response.context.iss.is_empty());
        Ok(response.context.user_pool_id)
    }

    fn pool_of(&self, token: &str) -> Option<PoolIndex> {
        self.authorizer
            .pool_of(&token_event(&format!("Bearer {token}"), "GET", "/book"))
    }
}

fn token_err(e: TokenError) -> Result<String, Rejection> {
    Err(Rejection::Token(e))
}

#[test]
fn each_pool_accepts_its_own_tokens_and_nothing_of_the_other() {
    let fx = Fixture::new();
    for (me, other) in [(0, 1), (1, 0)] {
        let (p, q) = (&fx.pools[me], &fx.pools[other]);
        let own = || Ok(p.id.to_string());
        let sign = |key: &Issuer, claims: &AccessTokenClaims| key.access_token(claims).unwrap();
        let mut q_kid_header = p.key.header();
        q_kid_header["kid"] = q.key.header()["kid"].clone();
        let p_key_as_q_kid = p
            .key
            .sign_raw(
                &q_kid_header,
                serde_json::to_string(&p.claims(&p.original(), p.client))
                    .unwrap()
                    .as_bytes(),
            )
            .unwrap();
        let mut id_token = p.claims(&p.original(), p.client);
        id_token.token_use = Some("id".into());
        let mut expired = p.claims(&p.updated(), p.client);
        expired.exp = Some(NOW - 10);
        let replica = "https://cognito-idp.us-west-2.amazonaws.com/us-east-1_TenantA1";
        let replica_expected = if me == 0 {
            own()
        } else {
            token_err(TokenError::Issuer)
        };
        let replica_token = sign(
            &p.key,
            &p.claims(&replica.replace("us-east-1_TenantA1", p.id), p.client),
        );

        let cases: Vec<(&str, String, Result<String, Rejection>)> = vec![
            (
                "own token, original issuer",
                sign(&p.key, &p.claims(&p.original(), p.client)),
                own(),
            ),
            (
                "own token, updated issuer",
                sign(&p.key, &p.claims(&p.updated(), p.client)),
                own(),
            ),
            (
                "own token from the replica region (configured for A only)",
                replica_token,
                replica_expected,
            ),
            (
                "the other pool's client",
                sign(&p.key, &p.claims(&p.original(), q.client)),
                token_err(TokenError::Client),
            ),
            (
                "signed by the other pool's key",
                sign(&q.key, &p.claims(&p.original(), p.client)),
                token_err(TokenError::UnknownKid(
                    q.key.header()["kid"].as_str().unwrap().into(),
                )),
            ),
            (
                "own key under the other pool's kid",
                p_key_as_q_kid,
                token_err(TokenError::UnknownKid(
                    q.key.header()["kid"].as_str().unwrap().into(),
                )),
            ),
            (
                "own key under the other pool's issuer",
                sign(&p.key, &q.claims(&q.original(), q.client)),
                token_err(TokenError::UnknownKid(
                    p.key.header()["kid"].as_str().unwrap().into(),
                )),
            ),
            (
                "own issuer with a trailing slash",
                sign(&p.key, &p.claims(&format!("{}/", p.original()), p.client)),
                token_err(TokenError::Issuer),
            ),
            (
                "own issuer over http",
                sign(
                    &p.key,
                    &p.claims(&p.original().replace("https:", "http:"), p.client),
                ),
                token_err(TokenError::Issuer),
            ),
            (
                "own pool id in an unconfigured region",
                sign(
                    &p.key,
                    &p.claims(&p.original().replace(p.region, "ap-south-1"), p.client),
                ),
                token_err(TokenError::Issuer),
            ),
            (
                "updated form of a replica region",
                sign(
                    &p.key,
                    &p.claims(&p.updated().replace(p.region, "us-west-2"), p.client),
                ),
                token_err(TokenError::Issuer),
            ),
            (
                "an unconfigured pool signed with own key",
                sign(
                    &p.key,
                    &p.claims(
                        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Stranger",
                        p.client,
                    ),
                ),
                token_err(TokenError::Issuer),
            ),
            (
                "ID token",
                sign(&p.key, &id_token),
                token_err(TokenError::NotAccessToken),
            ),
            (
                "expired",
                sign(&p.key, &expired),
                token_err(TokenError::Expired),
            ),
        ];
        for (name, token, expected) in cases {
            assert_eq!(fx.decide(&token), expected, "pool {}: {name}", p.id);
        }
    }
}

#[test]
fn the_pool_to_refetch_is_the_one_the_issuer_names() {
    let fx = Fixture::new();
    let [a, b] = &fx.pools;
    let cases = [
        (
            a.key.access_token(&a.claims(&a.updated(), a.client)),
            Some(0),
        ),
        // Signed by A, naming B: B's keys are the ones to look in.
        (
            a.key.access_token(&b.claims(&b.original(), b.client)),
            Some(1),
        ),
        (
            a.key.access_token(&a.claims(
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Stranger",
                a.client,
            )),
            None,
        ),
    ];
    for (token, pool) in cases {
        assert_eq!(fx.pool_of(&token.unwrap()), pool.map(PoolIndex));
    }
    assert_eq!(fx.pool_of("not a token"), None);
}
