// The web client's decisions, with no I/O: what config.json must hold, which
// origins the page may connect to, what a sign-in callback carries, how a
// token answer becomes a session (a rotated refresh token included), what a
// failed refresh means, and what the page shows of the user. app.js does the
// fetching, the timers and the page; this file only decides, so node's test
// runner checks it without a browser (tests/web/logic.test.js).
//
// Loaded by index.html before app.js as a classic script (the page has no
// build step and no modules): it defines one global, `WebLogic`, and under
// node it is also `module.exports`.
"use strict";

const WebLogic = (() => {
  /** The keys config.json must hold as non-empty strings. */
  const CONFIG_STRINGS = ["domain", "client_id", "redirect_uri", "logout_uri", "api_url"];
  /** The keys of config.json that are URLs the page sends the browser or its requests to. */
  const CONFIG_URLS = ["domain", "redirect_uri", "logout_uri", "api_url"];
  /**
   * Hosts plain http is accepted for: the machine itself, as Cognito accepts
   * http only for localhost callback URLs. Anything else must be https, or a
   * network attacker could read the code exchange and the tokens.
   */
  const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1"]);
  /**
   * Answers of the token endpoint that end the session at once: the grant
   * is gone (revoked, expired, rotated out) or the client is refused, and
   * asking again cannot change that (RFC 6749 §5.2).
   */
  const FINAL_ERRORS = new Set(["invalid_grant", "invalid_client", "unauthorized_client", "invalid_request", "unsupported_grant_type", "invalid_scope"]);

  /** config.json's `key` as a URL the page may use, or an Error naming the key. */
  function checkedUrl(key, text) {
    let url;
    try {
      url = new URL(text);
    } catch {
      throw new Error(`config.json: "${key}" is not an absolute URL: ${JSON.stringify(text)}`);
    }
    const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
    if (!secure) {
      throw new Error(
        `config.json: "${key}" must be an https URL (http only on localhost or 127.0.0.1), not ${JSON.stringify(text)}`,
      );
    }
    if (url.username !== "" || url.password !== "") {
      throw new Error(`config.json: "${key}" must not carry a user name or password`);
    }
    if (url.hash !== "") {
      throw new Error(`config.json: "${key}" must not have a #fragment`);
    }
    return url;
  }

  /**
   * config.json's parsed JSON, checked and normalised (`domain` without a
   * trailing slash, `api_url` with one); throws an Error naming the bad key.
   */
  function parseConfig(loaded) {
    if (loaded === null || typeof loaded !== "object" || Array.isArray(loaded)) {
      throw new Error("config.json must be a JSON object");
    }
    for (const key of CONFIG_STRINGS) {
      if (typeof loaded[key] !== "string" || loaded[key] === "") {
        throw new Error(`config.json: "${key}" must be a non-empty string`);
      }
    }
    if (!Array.isArray(loaded.scopes) || !loaded.scopes.every((s) => typeof s === "string" && s !== "")) {
      throw new Error('config.json: "scopes" must be a list of scope names');
    }
    for (const key of CONFIG_URLS) checkedUrl(key, loaded[key]);
    if (new URL(loaded.domain).search !== "") throw new Error('config.json: "domain" must not have a ?query');
    return {
      ...loaded,
      domain: loaded.domain.replace(/\/+$/, ""),
      api_url: loaded.api_url.endsWith("/") ? loaded.api_url : `${loaded.api_url}/`,
    };
  }

  /** The origins the page fetches from once configured: the hosted sign-in's and the API's. */
  function connectOrigins(config) {
    return [...new Set([new URL(config.domain).origin, new URL(config.api_url).origin])];
  }

  /**
   * The policy the page adds once config.json is loaded: requests only to
   * the configured origins. index.html's own policy must allow any https
   * origin, because it is written before the origins are known; a second
   * policy can only narrow the first, so after this one a script injected
   * into the page cannot send the tokens anywhere else.
   */
  function connectPolicy(config) {
    return `connect-src ${connectOrigins(config).join(" ")}`;
  }

  /**
   * What the address bar brought back from the hosted sign-in, or null when
   * it is not a sign-in callback.
   */
  function callbackFrom(search) {
    const params = new URLSearchParams(search);
    if (!params.has("code") && !params.has("error")) return null;
    return {
      code: params.get("code"),
      state: params.get("state"),
      error: params.get("error"),
      errorDescription: params.get("error_description"),
    };
  }

  /**
   * A JWT's claims, for display and the nonce check only. The signature is
   * not checked here: the tokens come straight from the token endpoint, and
   * the API's authorizer verifies every access token it gets.
   */
  function claimsOf(token) {
    const payload = String(token).split(".")[1];
    if (!payload) throw new Error("the token endpoint sent a token that is not a JWT");
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((payload.length + 3) % 4);
    let claims;
    try {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      claims = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new Error("the token endpoint sent a token whose claims are not JSON");
    }
    if (claims === null || typeof claims !== "object") {
      throw new Error("the token endpoint sent a token whose claims are not a JSON object");
    }
    return claims;
  }

  /** A failed token-endpoint request: the HTTP status (0: no answer) and the OAuth `error`, if any. */
  class TokenError extends Error {
    constructor(status, code, detail) {
      super(
        status === 0
          ? `the token endpoint gave no readable answer: network error (CORS?) – ${detail}`
          : `the token endpoint answered ${status} ${code ?? detail}`,
      );
      this.name = "TokenError";
      this.status = status;
      this.code = code;
    }
  }

  /**
   * What to do after a refresh failed with `error` while the access token
   * has `msLeft` ms left: "end" the session when the endpoint refused the
   * grant (invalid_grant: revoked, expired or rotated out; any other OAuth
   * error or 4xx), as asking again cannot help; "retry" after `retryMs` only
   * for an answer that never came or a server error, and only while the
   * token outlives the wait.
   */
  function afterRefreshFailure(error, msLeft, retryMs) {
    const refused =
      (typeof error?.code === "string" && FINAL_ERRORS.has(error.code)) ||
      (typeof error?.status === "number" && error.status >= 400 && error.status < 500);
    if (refused) return "end";
    return msLeft > retryMs ? "retry" : "end";
  }

  /** True if an ID token's `aud` (a string or a list) names `clientId`. */
  function audienceHas(aud, clientId) {
    return Array.isArray(aud) ? aud.includes(clientId) : aud === clientId;
  }

  /**
   * The session a token answer makes, `previous` being the session it
   * refreshes (null for a sign-in). `now` is this machine's clock in ms;
   * `nonce` the sign-in's nonce (sign-ins only). Throws when the ID token
   * is not this sign-in's: another audience, another nonce, another user.
   *
   * With rotation on, a refresh answer carries a new refresh token that
   * replaces the old one (which the pool refuses after its grace period);
   * without, the old one is kept.
   */
  function sessionFrom(previous, answer, { now, clientId, nonce = null }) {
    const claims = claimsOf(answer.access_token);
    let idClaims = previous?.idClaims ?? null;
    if (answer.id_token !== undefined) {
      const id = claimsOf(answer.id_token);
      if (!audienceHas(id.aud, clientId)) {
        throw new Error("sign-in refused: the ID token is for another client");
      }
      if (previous === null && id.nonce !== nonce) {
        throw new Error("sign-in refused: the ID token's nonce does not match this sign-in");
      }
      if (id.sub !== claims.sub) {
        throw new Error("sign-in refused: the ID token and the access token name different users");
      }
      idClaims = id;
    }
    if (previous !== null && claims.sub !== previous.claims.sub) {
      throw new Error("refresh refused: the new tokens name another user");
    }
    // Scheduling uses expires_in against this machine's clock, so a skewed
    // clock cannot make the refresh late; the display uses the token's exp.
    const lifetime = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : claims.exp - now / 1000;
    const rotated = previous !== null && typeof answer.refresh_token === "string" && answer.refresh_token !== previous.refresh;
    return {
      access: answer.access_token,
      refresh: typeof answer.refresh_token === "string" ? answer.refresh_token : (previous?.refresh ?? null),
      claims,
      idClaims,
      expiresAt: now + lifetime * 1000,
      rotations: (previous?.rotations ?? 0) + (rotated ? 1 : 0),
    };
  }

  /**
   * When to refresh, in ms from now: `marginMs` before expiry, or a fifth
   * of what is left if that is shorter.
   */
  function refreshDelay(msLeft, marginMs) {
    return Math.max(0, msLeft - Math.min(marginMs, msLeft / 5));
  }

  /**
   * Who is signed in, as a person reads it: the email they signed in with
   * (the ID token's `email`), and the pool's username beside it (for a pool
   * that signs in by email that is an opaque id, the same as `sub`).
   */
  function displayedUser(session) {
    const id = session.idClaims ?? {};
    const username = session.claims.username ?? id["cognito:username"] ?? session.claims.sub ?? "?";
    const email = typeof id.email === "string" && id.email !== "" ? id.email : null;
    return { email, username, emailVerified: id.email_verified === true || id.email_verified === "true" };
  }

  return {
    parseConfig,
    connectOrigins,
    connectPolicy,
    callbackFrom,
    claimsOf,
    TokenError,
    afterRefreshFailure,
    sessionFrom,
    refreshDelay,
    displayedUser,
  };
})();

if (typeof module === "object" && module.exports) module.exports = WebLogic;
