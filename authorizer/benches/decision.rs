//! The authorizer's performance budget, measured with criterion.
//!
//! Group `warm`: one RS256 token, three ways, in the same run:
//! - `raw_verify`: aws-lc-rs `ParsedPublicKey::verify_sig` over the token's
//!   signing input with the signature already decoded — the crypto floor;
//! - `full_decision`: what one invocation costs on a warm key cache — parse
//!   the event, decode the token, verify, deserialize and check the claims,
//!   match the route, build the whole-API policy and serialize it;
//! - `jsonwebtoken_decode`: jsonwebtoken 11 (aws_lc_rs) `decode` of the same
//!   token with issuer and expiry checks, as a reference point;
//! - `full_decision_http_simple` / `full_decision_http_iam`: the same token in
//!   an HTTP API payload 2.0 event (headers and request context as API
//!   Gateway sends them), answered simply or with the IAM policy. Budget:
//!   within 1.1x of `full_decision`; `warm/paired_http` measures the ratio
//!   in interleaved blocks.
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
use criterion::{Criterion, Throughput, criterion_group};
use shared::{AccessTokenClaims, RouteTable, Scopes};
use testkit::{Issuer, m2m_claims};

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
        self.authorizer_with(routes, "true")
    }

    fn authorizer_with(&self, routes: &str, simple_responses: &str) -> Authorizer {
        let vars = HashMap::from([
            ("USER_POOL_ID", POOL.to_string()),
            ("APP_CLIENT_IDS", format!("{CLIENT},webclient")),
            ("ROUTE_SCOPES", routes.to_string()),
            ("SIMPLE_RESPONSES", simple_responses.to_string()),
        ]);
        let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("config");
        Authorizer::new(&config)
    }
}

/// An HTTP API payload 2.0 REQUEST event for `GET /book` on stage `Prod`,
/// as API Gateway sends it (identity sources: the header and the route key).
fn http_event(token: &str) -> String {
    let authorization = format!("Bearer {token}");
    serde_json::json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": ARN,
        "identitySource": [authorization, "GET /book"],
        "routeKey": "GET /book",
        "rawPath": "/Prod/book",
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "accept-encoding": "gzip, deflate, br",
            "authorization": authorization,
            "content-length": "0",
            "host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "origin": "https://app.example.com",
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
            "x-amzn-trace-id": "Root=1-67a1b2c3-0123456789abcdef01234567",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {
                "method": "GET",
                "path": "/Prod/book",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "GET /book",
            "stage": "Prod",
            "time": "03/Dec/2026:14:00:00 +0000",
            "timeEpoch": 1_796_392_800_000_i64
        },
        "pathParameters": {},
        "stageVariables": {}
    })
    .to_string()
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
    let response = policy::answer(decision, authorizer.routes(), authorizer.http_answers());
    serde_json::to_vec(&response).ok()
}

/// The three ways of checking the same token, set up once.
struct Warm {
    fx: Fixture,
    authorizer: Authorizer,
    /// `SIMPLE_RESPONSES=false`.
    iam_authorizer: Authorizer,
    event: String,
    http_event: String,
    signing_input: String,
    signature: Vec<u8>,
    jwt_token: String,
    decoding_key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
}

impl Warm {
    fn new() -> Self {
        let fx = Fixture::new();
        let token = fx.token(&fx.claims(SEED_SCOPE));
        let event = event(&token);
        let http_event = http_event(&token);
        let authorizer = fx.authorizer(SEED_ROUTES);
        let iam_authorizer = fx.authorizer_with(SEED_ROUTES, "false");
        let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");

        let jwk = fx.issuer.jwk();
        let (n, e) = (jwk["n"].as_str().expect("n"), jwk["e"].as_str().expect("e"));
        let decoding_key =
            jsonwebtoken::DecodingKey::from_rsa_components(n, e).expect("components");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_issuer(&[ISSUER]);
        validation.validate_aud = false;
        validation.leeway = 5;
        // jsonwebtoken reads the clock itself, so its token is valid from the real time;
        // it has the same shape and length as the fixture's token.
        let real_now = jsonwebtoken::get_current_timestamp() as i64;
        let jwt_token = fx.token(&m2m_claims(ISSUER, CLIENT, SEED_SCOPE, real_now, 86_400));
        assert_eq!(jwt_token.len(), token.len(), "same-shaped token");

        let warm = Self {
            signing_input: signing_input.to_string(),
            fx,
            authorizer,
            iam_authorizer,
            event,
            http_event,
            signature,
            jwt_token,
            decoding_key,
            validation,
        };
        assert!(warm.raw(), "the raw signature verifies");
        assert!(
            warm.full().is_some_and(|a| a.len() > 300),
            "the bench token is accepted"
        );
        assert!(warm.jwt(), "jsonwebtoken accepts its token");
        let simple = warm.full_http().expect("the 2.0 event is accepted");
        assert!(
            simple.starts_with(br#"{"isAuthorized":true,"#),
            "{}",
            String::from_utf8_lossy(&simple)
        );
        assert!(
            warm.full_http_iam().is_some_and(|a| a.len() > 300),
            "the 2.0 event gets a policy"
        );
        warm
    }

    fn key(&self) -> &ParsedPublicKey {
        self.fx.keys.get(KID).expect("kid")
    }

    /// aws-lc-rs RSA-2048 PKCS#1 SHA-256 verification with the parsed key.
    fn raw(&self) -> bool {
        self.key()
            .verify_sig(
                black_box(self.signing_input.as_bytes()),
                black_box(&self.signature),
            )
            .is_ok()
    }

    /// The authorizer's whole answer, serialized.
    fn full(&self) -> Option<Vec<u8>> {
        answer(
            &self.authorizer,
            black_box(&self.event),
            &self.fx.keys,
            self.fx.now,
        )
    }

    /// The same token in a payload 2.0 event, answered simply.
    fn full_http(&self) -> Option<Vec<u8>> {
        answer(
            &self.authorizer,
            black_box(&self.http_event),
            &self.fx.keys,
            self.fx.now,
        )
    }

    /// The same token in a payload 2.0 event, answered with the IAM policy.
    fn full_http_iam(&self) -> Option<Vec<u8>> {
        answer(
            &self.iam_authorizer,
            black_box(&self.http_event),
            &self.fx.keys,
            self.fx.now,
        )
    }

    /// jsonwebtoken's decode with issuer and expiry checks.
    fn jwt(&self) -> bool {
        jsonwebtoken::decode::<AccessTokenClaims>(
            black_box(&self.jwt_token),
            &self.decoding_key,
            &self.validation,
        )
        .is_ok()
    }
}

fn warm(c: &mut Criterion) {
    let warm = Warm::new();
    let mut group = c.benchmark_group("warm");
    group.throughput(Throughput::Elements(1));
    group.bench_function("raw_verify", |b| b.iter(|| warm.raw()));
    group.bench_function("full_decision", |b| b.iter(|| warm.full()));
    group.bench_function("jsonwebtoken_decode", |b| b.iter(|| warm.jwt()));
    group.bench_function("full_decision_http_simple", |b| b.iter(|| warm.full_http()));
    group.bench_function("full_decision_http_iam", |b| {
        b.iter(|| warm.full_http_iam())
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
        table.permitted(Scopes::new(&wide_scopes), &[]),
        table.permitted(Scopes::new(&all.join(" ")), &[])
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
        b.iter(|| table.permitted(Scopes::new(black_box(&wide_scopes)), &[]))
    });
    group.bench_function("decide_200_routes_all_permitted", |b| {
        b.iter(|| answer(&wide, black_box(&wide_event), &fx.keys, fx.now))
    });
    group.finish();
}

/// Where the full decision's time goes beyond the signature check.
fn parts(c: &mut Criterion) {
    use authorizer::event;
    use authorizer::verify::Verifier;
    let fx = Fixture::new();
    let token = fx.token(&fx.claims(SEED_SCOPE));
    let event_json = event(&token);
    let authorizer = fx.authorizer(SEED_ROUTES);
    let verifier = Verifier::new(ISSUER.to_string(), vec![CLIENT.to_string()]);
    let payload = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).expect("payload"))
        .expect("base64url");
    let authorization = format!("Bearer {token}");
    let token_parts: Vec<&str> = token.split('.').collect();
    let routes = authorizer.routes();
    let response = {
        let decision = authorizer
            .decide(&event_json, &fx.keys, fx.now)
            .expect("accepted");
        policy::response(decision, routes)
    };

    let mut group = c.benchmark_group("parts");
    group.bench_function("event_parse", |b| {
        b.iter(|| event::parse(black_box(&event_json)).is_ok())
    });
    group.bench_function("bearer_token", |b| {
        b.iter(|| event::bearer_token(black_box(&authorization)).map(str::len))
    });
    group.bench_function("base64_decode_3_parts", |b| {
        b.iter(|| {
            token_parts
                .iter()
                .map(|p| URL_SAFE_NO_PAD.decode(black_box(p)).map_or(0, |v| v.len()))
                .sum::<usize>()
        })
    });
    group.bench_function("claims_deserialize", |b| {
        b.iter(|| serde_json::from_slice::<AccessTokenClaims>(black_box(&payload)).is_ok())
    });
    group.bench_function("verify_token", |b| {
        b.iter(|| verifier.verify(black_box(&token), &fx.keys, fx.now).is_ok())
    });
    group.bench_function("permitted_and_find", |b| {
        b.iter(|| {
            (
                routes.permitted(Scopes::new(black_box(SEED_SCOPE)), &[]),
                routes.find("GET", black_box("book")),
            )
        })
    });
    group.bench_function("decide", |b| {
        b.iter(|| {
            authorizer
                .decide(black_box(&event_json), &fx.keys, fx.now)
                .is_ok()
        })
    });
    group.bench_function("decide_and_build_response", |b| {
        b.iter(|| {
            let decision = authorizer
                .decide(black_box(&event_json), &fx.keys, fx.now)
                .ok()?;
            Some(policy::response(decision, routes))
        })
    });
    group.bench_function("serialize_response", |b| {
        b.iter(|| serde_json::to_vec(black_box(&response)).ok())
    });
    group.finish();
}

/// The three checks timed in alternating blocks, so that a noisy neighbour
/// slows all of them alike: each round times a block of each (in rotating
/// order) and the ratio is taken per round. Criterion measures each function
/// for seconds in turn, so on a shared machine its ratios drift with the
/// load; the median of the per-round ratios does not.
fn paired() {
    const ROUNDS: usize = 600;
    const BLOCK: u32 = 48;
    let warm = Warm::new();
    let block = |which: usize| {
        let start = std::time::Instant::now();
        for _ in 0..BLOCK {
            match which {
                0 => {
                    black_box(warm.raw());
                }
                1 => {
                    black_box(warm.full());
                }
                _ => {
                    black_box(warm.jwt());
                }
            }
        }
        start.elapsed().as_secs_f64() / f64::from(BLOCK)
    };
    for which in [0, 1, 2, 0, 1, 2] {
        for _ in 0..20 {
            block(which);
        }
    }
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        for k in 0..3 {
            let which = (round + k) % 3;
            times[which].push(block(which));
        }
    }
    let ratios = |of: usize| -> Vec<f64> {
        let mut r: Vec<f64> = times[0]
            .iter()
            .zip(&times[of])
            .map(|(raw, other)| raw / other)
            .collect();
        r.sort_by(f64::total_cmp);
        r
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (full, jwt) = (ratios(1), ratios(2));
    let q = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let per_sec = |which: usize| 1.0 / median(times[which].clone());
    let summary = serde_json::json!({
        "rounds": ROUNDS,
        "block": BLOCK,
        "raw_verify_per_sec": per_sec(0),
        "full_decision_per_sec": per_sec(1),
        "jsonwebtoken_decode_per_sec": per_sec(2),
        "full_over_raw": {"median": q(&full, 0.5), "p10": q(&full, 0.1), "p90": q(&full, 0.9)},
        "jsonwebtoken_over_raw": {"median": q(&jwt, 0.5), "p10": q(&jwt, 0.1), "p90": q(&jwt, 0.9)},
    });
    println!(
        "warm/paired: {ROUNDS} rounds of {BLOCK}-call blocks; per-round throughput ratio to raw_verify, median (p10-p90): \
         full_decision {:.3} ({:.3}-{:.3}), jsonwebtoken_decode {:.3} ({:.3}-{:.3}); \
         median rates {:.0}/s raw, {:.0}/s full, {:.0}/s jsonwebtoken",
        q(&full, 0.5),
        q(&full, 0.1),
        q(&full, 0.9),
        q(&jwt, 0.5),
        q(&jwt, 0.1),
        q(&jwt, 0.9),
        per_sec(0),
        per_sec(1),
        per_sec(2),
    );
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("criterion/warm");
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("paired.json"), summary.to_string()));
    if let Err(error) = written {
        eprintln!("warm/paired: could not write {}: {error}", dir.display());
    }
}

/// A TOKEN event's full decision against the same token's in a payload 2.0
/// event (simple and IAM answers), in interleaved blocks as [`paired`]
/// does: the median per-round ratio of 2.0 time to TOKEN time (budget 1.1).
fn paired_http() {
    const ROUNDS: usize = 400;
    const BLOCK: u32 = 48;
    let warm = Warm::new();
    let block = |which: usize| {
        let start = std::time::Instant::now();
        for _ in 0..BLOCK {
            match which {
                0 => {
                    black_box(warm.full());
                }
                1 => {
                    black_box(warm.full_http());
                }
                _ => {
                    black_box(warm.full_http_iam());
                }
            }
        }
        start.elapsed().as_secs_f64() / f64::from(BLOCK)
    };
    for which in [0, 1, 2, 0, 1, 2] {
        for _ in 0..20 {
            block(which);
        }
    }
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        for k in 0..3 {
            let which = (round + k) % 3;
            times[which].push(block(which));
        }
    }
    let ratios = |of: usize| -> Vec<f64> {
        let mut r: Vec<f64> = times[of]
            .iter()
            .zip(&times[0])
            .map(|(http, token)| http / token)
            .collect();
        r.sort_by(f64::total_cmp);
        r
    };
    let q = |v: &[f64], p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    let median_us = |which: usize| {
        let mut v = times[which].clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2] * 1e6
    };
    let (simple, iam) = (ratios(1), ratios(2));
    println!(
        "warm/paired_http: {ROUNDS} rounds of {BLOCK}-call blocks; per-round time ratio to the TOKEN event's full decision, median (p10-p90): \
         2.0 simple {:.3} ({:.3}-{:.3}), 2.0 IAM {:.3} ({:.3}-{:.3}); median times {:.2} us TOKEN, {:.2} us 2.0 simple, {:.2} us 2.0 IAM",
        q(&simple, 0.5),
        q(&simple, 0.1),
        q(&simple, 0.9),
        q(&iam, 0.5),
        q(&iam, 0.1),
        q(&iam, 0.9),
        median_us(0),
        median_us(1),
        median_us(2),
    );
}

/// Runs the paired measurement under `cargo bench` unless the command line
/// filters it out (`cargo bench -- pathological`).
fn wants_paired() -> bool {
    wants("warm/paired")
}

/// Runs the 2.0-against-TOKEN pairing for the same filters, and for the
/// full decisions' (`cargo bench -- warm/full_decision`).
fn wants_paired_http() -> bool {
    wants("warm/paired_http") || wants("warm/full_decision_http")
}

/// True under `cargo bench` unless the command line's filters leave `name` out.
fn wants(name: &str) -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo test --benches` runs this without `--bench`: criterion's test mode.
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--test" || a == "--list") {
        return false;
    }
    let takes_value = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--profile-time",
        "--color",
        "--output-format",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
    ];
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || !takes_value.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Start-up: building the route table (parsing, duplicate checks, and what
/// each route's pattern reaches) for tables of the template's shape
/// (`testkit::route_scopes`), 10 to 2,000 routes. Budget: 2,000 in under 5 ms.
fn route_table(c: &mut Criterion) {
    let mut group = c.benchmark_group("route_table");
    for n in [10, 100, 300, 1_000, 2_000] {
        let json = testkit::route_scopes(n);
        group.bench_function(format!("{n:04}_routes"), |b| {
            b.iter(|| RouteTable::from_json(black_box(&json)).expect("routes"))
        });
    }
    group.finish();
}

criterion_group!(benches, warm, pathological, parts, route_table);

fn main() {
    benches();
    if wants_paired() {
        paired();
    }
    if wants_paired_http() {
        paired_http();
    }
    Criterion::default().configure_from_args().final_summary();
}
