//! The authorizer's performance budget, measured with criterion.
//!
//! Group `warm`: one RS256 token, three ways, in the same run:
//! - `raw_verify`: aws-lc-rs `ParsedPublicKey::verify_sig` over the token's
//!   signing input with the signature already decoded — the crypto floor;
//! - `full_decision`: what one invocation costs on a warm key cache — parse
//!   the event, decode the token, verify, deserialize and check the claims,
//!   match the route, build the whole-API policy and serialize it;
//! - `jsonwebtoken_decode`: jsonwebtoken 11 (aws_lc_rs) `decode` of the same
//!   token with issuer and expiry checks, as a reference point.
//!
//! Group `pathological`: inputs that must stay cheap — tokens refused by the
//! size cap (10,000 scopes, 100 KB), the largest token API Gateway can pass,
//! route matching on 10,000 scopes, and a valid decision against 200 routes.
//!
//! `scripts/bench` runs this and prints throughputs and the ratios.

use std::collections::HashMap;
use std::hint::black_box;

use authorizer::verify::MAX_TOKEN_BYTES;
use authorizer::{Authorizer, Config, KeySet, policy};
use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use local::issuer::{Issuer, m2m_claims};
use shared::{AccessTokenClaims, RouteTable, Scopes};

const POOL: &str = "us-east-1_Bench1234";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench1234";
const CLIENT: &str = "3abcdefghij4klmnopqrstuv5w";
const KID: &str = "bench-kid";
const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/GET/book";
/// The template's routes with its resource-server identifiers.
const SEED_ROUTES: &str = r#"{"GET /awesomeapi":["awesomeapi-resource-server/awesomeapi.read"],
    "GET /book":["API/book.get"],"POST /book":["API/book.post"],
    "GET /user":["API/user.get"],"POST /user":["API/user.post"]}"#;
/// A client-credentials token as the walkthrough requests it.
const SEED_SCOPE: &str = "API/book.get API/book.post API/user.get";
/// API Gateway's limit on a request header, hence on a TOKEN authorizer's token.
const MAX_HEADER_BYTES: usize = 10_240;

struct Fixture {
    issuer: Issuer,
    keys: KeySet,
    now: i64,
}

impl Fixture {
    fn new() -> Self {
        let issuer = Issuer::generate(KID).expect("key generation");
        let (keys, _) = KeySet::from_jwks(issuer.jwks().to_string().as_bytes()).expect("JWKS");
        let now = 1_700_000_000;
        Self { issuer, keys, now }
    }

    fn claims(&self, scope: &str) -> AccessTokenClaims {
        m2m_claims(ISSUER, CLIENT, scope, self.now, 3_600)
    }

    fn token(&self, claims: &AccessTokenClaims) -> String {
        self.issuer.access_token(claims).expect("signing")
    }

    fn authorizer(&self, routes: &str) -> Authorizer {
        let vars = HashMap::from([
            ("USER_POOL_ID", POOL.to_string()),
            ("APP_CLIENT_IDS", format!("{CLIENT},webclient")),
            ("ROUTE_SCOPES", routes.to_string()),
        ]);
        let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("config");
        Authorizer::new(&config)
    }
}

fn event(token: &str) -> String {
    serde_json::json!({
        "type": "TOKEN",
        "authorizationToken": format!("Bearer {token}"),
        "methodArn": ARN,
    })
    .to_string()
}

/// The whole invocation minus the runtime: decision, policy, JSON bytes.
/// A refusal costs what producing the `Unauthorized` answer costs.
fn answer(authorizer: &Authorizer, event: &str, keys: &KeySet, now: i64) -> Option<Vec<u8>> {
    let decision = authorizer.decide(event, keys, now).ok()?;
    let response = policy::response(decision, authorizer.routes());
    serde_json::to_vec(&response).ok()
}

fn warm(c: &mut Criterion) {
    let fx = Fixture::new();
    let token = fx.token(&fx.claims(SEED_SCOPE));
    let event = event(&token);
    let authorizer = fx.authorizer(SEED_ROUTES);
    assert!(
        answer(&authorizer, &event, &fx.keys, fx.now).is_some(),
        "the bench token must be accepted"
    );

    let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    let key: &ParsedPublicKey = fx.keys.get(KID).expect("kid");
    assert!(key.verify_sig(signing_input.as_bytes(), &signature).is_ok());

    let jwk = fx.issuer.jwk();
    let (n, e) = (jwk["n"].as_str().expect("n"), jwk["e"].as_str().expect("e"));
    let decoding_key = jsonwebtoken::DecodingKey::from_rsa_components(n, e).expect("components");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.validate_aud = false;
    validation.leeway = 5;
    // jsonwebtoken reads the clock itself; the fixture's token is valid for an hour from `now`,
    // so the jsonwebtoken case gets its own token valid from the real time.
    let real_now = jsonwebtoken::get_current_timestamp() as i64;
    let jwt_token = fx.token(&m2m_claims(ISSUER, CLIENT, SEED_SCOPE, real_now, 86_400));
    assert_eq!(jwt_token.len(), token.len(), "same-shaped token");
    assert!(
        jsonwebtoken::decode::<AccessTokenClaims>(&jwt_token, &decoding_key, &validation).is_ok()
    );

    let mut group = c.benchmark_group("warm");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_verify", |b| {
        b.iter(|| {
            key.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature))
                .is_ok()
        })
    });
    group.bench_function("full_decision", |b| {
        b.iter(|| answer(&authorizer, black_box(&event), &fx.keys, fx.now))
    });
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<AccessTokenClaims>(
                black_box(&jwt_token),
                &decoding_key,
                &validation,
            )
            .is_ok()
        })
    });
    group.finish();
}

/// 200 routes: half literal, half with a parameter, each needing its own scope.
fn two_hundred_routes() -> String {
    let mut map = serde_json::Map::new();
    for i in 0..100 {
        map.insert(
            format!("GET /api/r{i}"),
            serde_json::json!([format!("API/r{i}.read")]),
        );
        map.insert(
            format!("POST /api/r{i}/{{id}}"),
            serde_json::json!([format!("API/r{i}.write"), "API/admin"]),
        );
    }
    serde_json::Value::Object(map).to_string()
}

fn pathological(c: &mut Criterion) {
    let fx = Fixture::new();
    let seeds = fx.authorizer(SEED_ROUTES);
    let routes_json = two_hundred_routes();
    let wide = fx.authorizer(&routes_json);

    // 10,000 scopes: refused by the size cap before any decoding.
    let many: Vec<String> = (0..10_000).map(|i| format!("API/s{i}")).collect();
    let many_scopes = many.join(" ");
    let ten_thousand = event(&fx.token(&fx.claims(&many_scopes)));
    // A 100 KB token: padded claims, refused by the size cap as well.
    let mut padded = fx.claims(SEED_SCOPE);
    padded.username = Some("x".repeat(75_000));
    let hundred_kb_token = fx.token(&padded);
    assert!(hundred_kb_token.len() >= 100_000 && hundred_kb_token.len() > MAX_TOKEN_BYTES);
    let hundred_kb = event(&hundred_kb_token);
    // The largest token API Gateway passes: scopes up to the header limit, accepted.
    let mut scopes = vec!["API/book.get".to_string()];
    let mut i = 0;
    let largest = loop {
        let token = fx.token(&fx.claims(&scopes.join(" ")));
        if "Bearer ".len() + token.len() + 32 > MAX_HEADER_BYTES {
            scopes.pop();
            break fx.token(&fx.claims(&scopes.join(" ")));
        }
        scopes.push(format!("API/extra.{i}"));
        i += 1;
    };
    let largest_event = event(&largest);
    // Every one of the 200 routes permitted: the largest policy.
    let all: Vec<String> = (0..100)
        .flat_map(|i| [format!("API/r{i}.read"), format!("API/r{i}.write")])
        .chain(["API/admin".to_string()])
        .collect();
    let wide_event = event(&fx.token(&fx.claims(&all.join(" "))));

    assert!(answer(&seeds, &ten_thousand, &fx.keys, fx.now).is_none());
    assert!(answer(&seeds, &hundred_kb, &fx.keys, fx.now).is_none());
    assert!(answer(&seeds, &largest_event, &fx.keys, fx.now).is_some());
    let wide_answer =
        answer(&wide, &wide_event, &fx.keys, fx.now).expect("the 200-route token is accepted");
    assert!(wide_answer.len() > 200 * 60, "every route is in the policy");

    let table = RouteTable::from_json(&routes_json).expect("routes");
    let mut wide_scopes = many.clone();
    wide_scopes.extend(all.iter().cloned());
    let wide_scopes = wide_scopes.join(" ");
    assert_eq!(
        table.permitted(Scopes::new(&wide_scopes)),
        table.permitted(Scopes::new(&all.join(" ")))
    );

    let mut group = c.benchmark_group("pathological");
    group.throughput(Throughput::Elements(1));
    group.bench_function("decide_10000_scope_token", |b| {
        b.iter(|| answer(&seeds, black_box(&ten_thousand), &fx.keys, fx.now))
    });
    group.bench_function("decide_100kb_token", |b| {
        b.iter(|| answer(&seeds, black_box(&hundred_kb), &fx.keys, fx.now))
    });
    group.bench_function("decide_largest_gateway_token", |b| {
        b.iter(|| answer(&seeds, black_box(&largest_event), &fx.keys, fx.now))
    });
    group.bench_function("permitted_10000_scopes_200_routes", |b| {
        b.iter(|| table.permitted(Scopes::new(black_box(&wide_scopes))))
    });
    group.bench_function("decide_200_routes_all_permitted", |b| {
        b.iter(|| answer(&wide, black_box(&wide_event), &fx.keys, fx.now))
    });
    group.finish();
}

criterion_group!(benches, warm, pathological);
criterion_main!(benches, parts_group);

fn parts(c: &mut Criterion) {
    use authorizer::event;
    use authorizer::verify::Verifier;
    let fx = Fixture::new();
    let token = fx.token(&fx.claims(SEED_SCOPE));
    let event_json = event(&token);
    let authorizer = fx.authorizer(SEED_ROUTES);
    let verifier = Verifier::new(ISSUER.to_string(), vec![CLIENT.to_string()]);
    let mut group = c.benchmark_group("parts");
    group.bench_function("event_parse_bearer", |b| {
        b.iter(|| {
            let e = event::parse(black_box(&event_json)).ok()?;
            event::bearer_token(&e.authorization).map(str::len)
        })
    });
    group.bench_function("verify", |b| {
        b.iter(|| verifier.verify(black_box(&token), &fx.keys, fx.now).is_ok())
    });
    group.bench_function("decide", |b| {
        b.iter(|| {
            authorizer
                .decide(black_box(&event_json), &fx.keys, fx.now)
                .is_ok()
        })
    });
    group.bench_function("decide_response", |b| {
        b.iter(|| {
            let d = authorizer
                .decide(black_box(&event_json), &fx.keys, fx.now)
                .ok()?;
            Some(policy::response(d, authorizer.routes()))
        })
    });
    let d = authorizer.decide(&event_json, &fx.keys, fx.now).unwrap();
    let response = policy::response(d, authorizer.routes());
    group.bench_function("serialize", |b| {
        b.iter(|| serde_json::to_vec(black_box(&response)).ok())
    });
    let payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap())
        .unwrap();
    group.bench_function("claims_deser", |b| {
        b.iter(|| serde_json::from_slice::<AccessTokenClaims>(black_box(&payload)).is_ok())
    });
    group.bench_function("event_parse", |b| {
        b.iter(|| event::parse(black_box(&event_json)).is_ok())
    });
    let auth = format!("Bearer {token}");
    group.bench_function("bearer", |b| {
        b.iter(|| event::bearer_token(black_box(&auth)).map(str::len))
    });
    let parts3: Vec<&str> = token.split('.').collect();
    group.bench_function("b64_all", |b| {
        b.iter(|| {
            parts3
                .iter()
                .map(|p| {
                    URL_SAFE_NO_PAD
                        .decode(black_box(p))
                        .map(|v| v.len())
                        .unwrap_or(0)
                })
                .sum::<usize>()
        })
    });
    let routes = authorizer.routes();
    group.bench_function("permitted_find", |b| {
        b.iter(|| {
            (
                routes.permitted(Scopes::new(black_box(SEED_SCOPE))),
                routes.find("GET", black_box("book")),
            )
        })
    });
    group.finish();
}
criterion_group!(parts_group, parts);
