// Unit tests of web/logic.js, the web client's decisions, with node's own
// test runner (no npm packages): `node --test tests/web/` (scripts/test runs
// it). What only a browser can show (the CSP enforced, the address bar, a
// refresh racing a sign-out) is in tests/tests/browser.rs.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const WebLogic = require(path.join(__dirname, "../../web/logic.js"));

const CLIENT_ID = "6p7q8r9s0t1u2v3w4x5y6z7a8b";

function config(overrides = {}) {
  return {
    domain: "https://example.auth.us-east-1.amazoncognito.com",
    client_id: CLIENT_ID,
    redirect_uri: "https://app.example.com/",
    logout_uri: "https://app.example.com/",
    api_url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod/",
    scopes: ["openid", "awesomeapi-resource-server/awesomeapi.read"],
    ...overrides,
  };
}

/** A token shaped like a JWT; logic.js only reads its claims. */
function jwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ kid: "k", alg: "RS256" })}.${part(claims)}.c2ln`;
}

const SUB = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const access = (extra = {}) => jwt({ sub: SUB, username: SUB, scope: "openid", exp: 2_000_000_000, ...extra });
const idToken = (extra = {}) =>
  jwt({ sub: SUB, aud: CLIENT_ID, "cognito:username": SUB, email: "alice@example.com", email_verified: true, ...extra });

test("config URLs must be https, or http only on localhost and 127.0.0.1", () => {
  const cases = [
    ["https://example.auth.us-east-1.amazoncognito.com", true],
    ["http://localhost:9100", true],
    ["http://127.0.0.1:9100", true],
    ["http://example.com", false],
    ["http://localhost.example.com", false],
    ["http://192.168.1.10:9100", false],
    ["javascript:alert(1)", false],
    ["data:text/html,hi", false],
    ["ftp://example.com", false],
    ["//example.com", false],
    ["example.com", false],
    ["https://user:pw@example.com", false],
    ["https://example.com/#x", false],
  ];
  for (const key of ["domain", "redirect_uri", "logout_uri", "api_url"]) {
    for (const [url, ok] of cases) {
      const run = () => WebLogic.parseConfig(config({ [key]: url }));
      if (ok) {
        assert.doesNotThrow(run, `${key}=${url}`);
      } else {
        assert.throws(run, (e) => e.message.startsWith(`config.json: "${key}"`), `${key}=${url}`);
      }
    }
  }
});

test("a scheme error says what is allowed", () => {
  assert.throws(
    () => WebLogic.parseConfig(config({ domain: "http://evil.example" })),
    { message: 'config.json: "domain" must be an https URL (http only on localhost or 127.0.0.1), not "http://evil.example"' },
  );
});

test("missing or mistyped keys are named", () => {
  const cases = [
    [{ client_id: "" }, '"client_id" must be a non-empty string'],
    [{ api_url: 7 }, '"api_url" must be a non-empty string'],
    [{ scopes: "openid" }, '"scopes" must be a list of scope names'],
    [{ scopes: ["openid", ""] }, '"scopes" must be a list of scope names'],
    [{ domain: "https://example.com/?a=1" }, '"domain" must not have a ?query'],
  ];
  for (const [overrides, message] of cases) {
    assert.throws(() => WebLogic.parseConfig(config(overrides)), { message: `config.json: ${message}` });
  }
  assert.throws(() => WebLogic.parseConfig(null), { message: "config.json must be a JSON object" });
  assert.throws(() => WebLogic.parseConfig([]), { message: "config.json must be a JSON object" });
});

test("config is normalised: domain without, api_url with a trailing slash", () => {
  const parsed = WebLogic.parseConfig(
    config({ domain: "http://127.0.0.1:9100/", api_url: "http://127.0.0.1:3000/prod" }),
  );
  assert.equal(parsed.domain, "http://127.0.0.1:9100");
  assert.equal(parsed.api_url, "http://127.0.0.1:3000/prod/");
});

test("the connect policy names exactly the sign-in's and the API's origins", () => {
  assert.equal(
    WebLogic.connectPolicy(WebLogic.parseConfig(config())),
    "connect-src https://example.auth.us-east-1.amazoncognito.com https://abc123.execute-api.us-east-1.amazonaws.com",
  );
  // One origin for both: named once.
  const local = WebLogic.parseConfig(
    config({ domain: "http://127.0.0.1:9100", api_url: "http://127.0.0.1:9100/prod/" }),
  );
  assert.equal(WebLogic.connectPolicy(local), "connect-src http://127.0.0.1:9100");
  assert.ok(!WebLogic.connectPolicy(local).includes("https:"));
});

test("a sign-in callback is recognised by its code or error", () => {
  assert.equal(WebLogic.callbackFrom(""), null);
  assert.equal(WebLogic.callbackFrom("?state=s"), null);
  assert.deepEqual(WebLogic.callbackFrom("?code=c&state=s"), {
    code: "c",
    state: "s",
    error: null,
    errorDescription: null,
  });
  assert.deepEqual(WebLogic.callbackFrom("?error=access_denied&error_description=no&state=s"), {
    code: null,
    state: "s",
    error: "access_denied",
    errorDescription: "no",
  });
});

test("a refresh refused by the endpoint ends the session; only a lost answer or a 5xx is retried", () => {
  const error = (status, code) => new WebLogic.TokenError(status, code, "detail");
  const cases = [
    // (error, ms left, expected)
    [error(400, "invalid_grant"), 600_000, "end"],
    [error(400, "invalid_client"), 600_000, "end"],
    [error(400, "unauthorized_client"), 600_000, "end"],
    [error(401, null), 600_000, "end"],
    [error(403, null), 600_000, "end"],
    [error(0, null), 600_000, "retry"],
    [error(500, null), 600_000, "retry"],
    [error(503, "server_error"), 600_000, "retry"],
    [error(0, null), 5_000, "end"],
    [new Error("anything else"), 600_000, "retry"],
  ];
  for (const [e, left, expected] of cases) {
    assert.equal(WebLogic.afterRefreshFailure(e, left, 10_000), expected, `${e.message}, ${left} ms left`);
  }
});

test("token errors say what the endpoint answered", () => {
  assert.equal(
    new WebLogic.TokenError(400, "invalid_grant", "{}").message,
    "the token endpoint answered 400 invalid_grant",
  );
  assert.match(new WebLogic.TokenError(0, null, "Failed to fetch").message, /network error.*Failed to fetch/);
});

test("a sign-in makes a session; the nonce, audience and user are checked", () => {
  const answer = { access_token: access(), id_token: idToken({ nonce: "n1" }), refresh_token: "r1", expires_in: 900 };
  const session = WebLogic.sessionFrom(null, answer, { now: 1_000, clientId: CLIENT_ID, nonce: "n1" });
  assert.equal(session.refresh, "r1");
  assert.equal(session.expiresAt, 1_000 + 900_000);
  assert.equal(session.rotations, 0);
  assert.equal(session.idClaims.email, "alice@example.com");

  const refused = [
    [{ id_token: idToken({ nonce: "other" }) }, /nonce/],
    [{ id_token: idToken({ nonce: "n1", aud: "another-client" }) }, /another client/],
    [{ id_token: idToken({ nonce: "n1", sub: "someone-else" }) }, /different users/],
    [{ access_token: "not-a-jwt" }, /not a JWT/],
  ];
  for (const [overrides, message] of refused) {
    assert.throws(
      () => WebLogic.sessionFrom(null, { ...answer, ...overrides }, { now: 0, clientId: CLIENT_ID, nonce: "n1" }),
      message,
    );
  }
});

test("a rotated refresh token replaces the old one; without rotation the old one is kept", () => {
  const signIn = WebLogic.sessionFrom(
    null,
    { access_token: access(), id_token: idToken({ nonce: "n" }), refresh_token: "r1", expires_in: 900 },
    { now: 0, clientId: CLIENT_ID, nonce: "n" },
  );
  const kept = WebLogic.sessionFrom(signIn, { access_token: access(), expires_in: 900 }, { now: 1, clientId: CLIENT_ID });
  assert.equal(kept.refresh, "r1");
  assert.equal(kept.rotations, 0);
  assert.equal(kept.idClaims.email, "alice@example.com", "the ID token's claims outlive a refresh without one");

  const rotated = WebLogic.sessionFrom(
    signIn,
    { access_token: access(), id_token: idToken(), refresh_token: "r2", expires_in: 900 },
    { now: 2, clientId: CLIENT_ID },
  );
  assert.equal(rotated.refresh, "r2");
  assert.equal(rotated.rotations, 1);
  const again = WebLogic.sessionFrom(rotated, { access_token: access(), refresh_token: "r3", expires_in: 900 }, {
    now: 3,
    clientId: CLIENT_ID,
  });
  assert.equal(again.refresh, "r3");
  assert.equal(again.rotations, 2);
});

test("a refresh that names another user is refused", () => {
  const signIn = WebLogic.sessionFrom(null, { access_token: access(), refresh_token: "r1", expires_in: 900 }, {
    now: 0,
    clientId: CLIENT_ID,
  });
  assert.throws(
    () =>
      WebLogic.sessionFrom(signIn, { access_token: access({ sub: "other" }), expires_in: 900 }, {
        now: 1,
        clientId: CLIENT_ID,
      }),
    /another user/,
  );
});

test("the refresh is due a minute before expiry, or at four fifths of a short lifetime", () => {
  const cases = [
    [900_000, 840_000],
    [60_000, 48_000],
    [8_000, 6_400],
    [0, 0],
    [-5_000, 0],
  ];
  for (const [left, due] of cases) assert.equal(WebLogic.refreshDelay(left, 60_000), due, `${left} ms left`);
});

test("the user is shown by email, with the pool's username beside it", () => {
  const signedIn = (id) => ({ claims: { sub: SUB, username: SUB }, idClaims: id });
  assert.deepEqual(WebLogic.displayedUser(signedIn({ email: "alice@example.com", email_verified: true })), {
    email: "alice@example.com",
    username: SUB,
    emailVerified: true,
  });
  // userInfo's form of email_verified is a string.
  assert.equal(WebLogic.displayedUser(signedIn({ email: "a@example.com", email_verified: "true" })).emailVerified, true);
  assert.deepEqual(WebLogic.displayedUser(signedIn(null)), { email: null, username: SUB, emailVerified: false });
  assert.equal(WebLogic.displayedUser({ claims: { sub: "only-sub" }, idClaims: null }).username, "only-sub");
});
