// The web client: signs a user in with the user pool's hosted page
// (authorization code + PKCE), shows who is signed in, and calls the API
// with the access token. Plain browser JavaScript, no build step.
//
// Where things are kept (docs/web-app.md explains the choice):
// - tokens, the refresh token included: this page's memory only, so a
//   reload signs the user out of this page (the hosted page's own session
//   cookie then makes signing in again a single click);
// - the PKCE verifier, state and nonce: sessionStorage, only while the
//   browser is away at the hosted page, and removed as soon as it is back;
// - nothing in localStorage or cookies.
"use strict";

/** sessionStorage key of the sign-in this tab started and has not finished. */
const PENDING_KEY = "awesomeapi.pending-sign-in";
/** Refresh this many seconds before the access token expires. */
const REFRESH_MARGIN_S = 60;
/** Retry a failed refresh after this many seconds while the token still works. */
const REFRESH_RETRY_S = 10;
/** The keys config.json must hold as non-empty strings. */
const CONFIG_STRINGS = ["domain", "client_id", "redirect_uri", "logout_uri", "api_url"];

const $ = (id) => document.getElementById(id);

/** config.json, checked; null until loaded. */
let config = null;
/** The signed-in session, or null: {access, refresh, claims, expiresAt (ms)}. */
let session = null;
let refreshTimer = null;

// ------------------------------------------------------------ encoding

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `bytes` random bytes as base64url (32 bytes: 43 characters). */
function randomString(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The PKCE S256 challenge: base64url(SHA-256(verifier)). */
async function challengeFor(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/**
 * A JWT's claims, for display only. The signature is not checked here: the
 * tokens come straight from the token endpoint, and the API's authorizer
 * verifies every access token it gets.
 */
function claimsOf(token) {
  const payload = String(token).split(".")[1];
  if (!payload) throw new Error("the token endpoint sent a token that is not a JWT");
  const base64 = payload.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((payload.length + 3) % 4);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

// ------------------------------------------------------------ configuration

async function loadConfig() {
  let response;
  try {
    response = await fetch("config.json", { cache: "no-store" });
  } catch (error) {
    throw new Error(`config.json could not be fetched (${error.message})`);
  }
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  let loaded;
  try {
    loaded = await response.json();
  } catch {
    throw new Error("config.json is not JSON");
  }
  for (const key of CONFIG_STRINGS) {
    if (typeof loaded[key] !== "string" || loaded[key] === "") {
      throw new Error(`config.json: "${key}" must be a non-empty string`);
    }
  }
  if (!Array.isArray(loaded.scopes) || !loaded.scopes.every((s) => typeof s === "string" && s !== "")) {
    throw new Error('config.json: "scopes" must be a list of scope names');
  }
  return {
    ...loaded,
    domain: loaded.domain.replace(/\/+$/, ""),
    api_url: loaded.api_url.endsWith("/") ? loaded.api_url : `${loaded.api_url}/`,
  };
}

// ------------------------------------------------------------ sign-in

async function signIn() {
  if (!window.crypto || !crypto.subtle) {
    throw new Error("WebCrypto is unavailable: serve this page over https or from http://localhost");
  }
  const pending = { state: randomString(), nonce: randomString(), verifier: randomString() };
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scopes.join(" "),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await challengeFor(pending.verifier),
    code_challenge_method: "S256",
  });
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(`${config.domain}/oauth2/authorize?${query}`);
}

/** The sign-in this tab started, removed from sessionStorage (read once). */
function takePending() {
  const text = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Back from the hosted page with `?code=…&state=…` or `?error=…`. */
async function completeSignIn(params) {
  const pending = takePending();
  // A code is single use: keep it out of the address bar, history and reloads.
  history.replaceState(null, "", location.pathname);
  if (params.has("error")) {
    const description = params.get("error_description");
    throw new Error(`sign-in failed: ${params.get("error")}${description ? ` (${description})` : ""}`);
  }
  if (!pending || params.get("state") !== pending.state) {
    throw new Error("sign-in refused: the answer's state does not match a sign-in this tab started");
  }
  const answer = await tokenRequest({
    grant_type: "authorization_code",
    client_id: config.client_id,
    code: params.get("code") ?? "",
    redirect_uri: config.redirect_uri,
    code_verifier: pending.verifier,
  });
  if (answer.id_token !== undefined && claimsOf(answer.id_token).nonce !== pending.nonce) {
    throw new Error("sign-in refused: the ID token's nonce does not match this sign-in");
  }
  startSession(answer);
}

/** POSTs a form to the token endpoint (public client: client_id in the body). */
async function tokenRequest(fields) {
  let response;
  try {
    response = await fetch(`${config.domain}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
      cache: "no-store",
    });
  } catch (error) {
    throw new Error(`the token endpoint gave no readable answer: network error (CORS?) – ${error.message}`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Reported below with the raw text.
  }
  if (!response.ok || !body || typeof body.access_token !== "string") {
    const reason = body && body.error ? body.error : text.slice(0, 200);
    throw new Error(`the token endpoint answered ${response.status} ${reason}`);
  }
  return body;
}

// ------------------------------------------------------------ session

function startSession(answer) {
  const claims = claimsOf(answer.access_token);
  // Scheduling uses expires_in against this machine's clock, so a skewed
  // clock cannot make the refresh late; the display uses the token's exp.
  const lifetime = Number(answer.expires_in) > 0 ? Number(answer.expires_in) : claims.exp - Date.now() / 1000;
  session = {
    access: answer.access_token,
    // A refresh answer carries no new refresh token unless rotation is on.
    refresh: answer.refresh_token ?? session?.refresh ?? null,
    claims,
    expiresAt: Date.now() + lifetime * 1000,
  };
  scheduleRefresh();
  render();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const left = session.expiresAt - Date.now();
  if (session.refresh) {
    const margin = Math.min(REFRESH_MARGIN_S * 1000, left / 5);
    refreshTimer = setTimeout(refresh, Math.max(0, left - margin));
  } else {
    refreshTimer = setTimeout(() => endSession("the session expired (no refresh token)"), Math.max(0, left));
  }
}

async function refresh() {
  if (!session?.refresh) return;
  try {
    const answer = await tokenRequest({
      grant_type: "refresh_token",
      client_id: config.client_id,
      refresh_token: session.refresh,
    });
    startSession(answer);
    setStatus(`Tokens refreshed at ${new Date().toLocaleTimeString()}.`);
  } catch (error) {
    if (session && session.expiresAt - Date.now() > REFRESH_RETRY_S * 1000) {
      setStatus(`Refresh failed, retrying: ${error.message}`, true);
      refreshTimer = setTimeout(refresh, REFRESH_RETRY_S * 1000);
    } else {
      endSession(`the refresh failed: ${error.message}`);
    }
  }
}

function endSession(reason) {
  clearTimeout(refreshTimer);
  session = null;
  render();
  if (reason) setStatus(`Signed out: ${reason}.`, true);
}

async function signOut() {
  const refreshToken = session?.refresh;
  endSession();
  if (refreshToken) {
    // Best effort: sign-out goes on even where revocation is not offered.
    try {
      await fetch(`${config.domain}/oauth2/revoke`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: refreshToken, client_id: config.client_id }),
        signal: AbortSignal.timeout(3000),
      });
    } catch {
      // Ignored, see above.
    }
  }
  const query = new URLSearchParams({ client_id: config.client_id, logout_uri: config.logout_uri });
  location.assign(`${config.domain}/logout?${query}`);
}

// ------------------------------------------------------------ the API

async function callApi(path) {
  const result = $("result");
  if (!config) {
    result.textContent = "no configuration: see the status above";
    return;
  }
  const headers = session ? { Authorization: `Bearer ${session.access}` } : {};
  result.textContent = `GET ${path} …`;
  let response;
  try {
    response = await fetch(`${config.api_url}${path}`, { headers, cache: "no-store" });
  } catch (error) {
    // The browser hides why; a missing CORS header is the usual cause.
    result.textContent = `network error (CORS?): GET ${path} – ${error.message}`;
    return;
  }
  const body = await response.text();
  result.textContent = `${response.status} ${body}`;
}

// ------------------------------------------------------------ page

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function field(list, id, label, value) {
  const term = document.createElement("dt");
  term.textContent = label;
  const detail = document.createElement("dd");
  detail.id = id;
  detail.textContent = value;
  list.append(term, detail);
}

function render() {
  $("login").hidden = session !== null;
  $("login").disabled = config === null;
  $("logout").hidden = session === null;
  const user = $("user");
  if (!session) {
    const line = document.createElement("p");
    line.textContent = "Not signed in.";
    user.replaceChildren(line);
    return;
  }
  const { claims } = session;
  const list = document.createElement("dl");
  field(list, "username", "Username", claims.username ?? claims.sub ?? "?");
  field(list, "scopes", "Scopes", String(claims.scope ?? "").split(" ").filter(Boolean).join(", ") || "none");
  const exp = new Date(claims.exp * 1000);
  field(list, "expires", "Access token expires", `${exp.toLocaleTimeString()} (${exp.toISOString()})`);
  field(list, "refresh", "Refresh", session.refresh ? "automatic, before expiry" : "none: sign in again");
  user.replaceChildren(list);
}

function guarded(action) {
  return () => action().catch((error) => setStatus(error.message, true));
}

async function main() {
  $("login").addEventListener("click", guarded(signIn));
  $("logout").addEventListener("click", guarded(signOut));
  $("call-awesomeapi").addEventListener("click", () => callApi("awesomeapi"));
  $("call-book").addEventListener("click", () => callApi("book"));
  try {
    config = await loadConfig();
  } catch (error) {
    render();
    setStatus(`Cannot start: ${error.message}.`, true);
    return;
  }
  const params = new URLSearchParams(location.search);
  if (params.has("code") || params.has("error")) {
    setStatus("Completing sign-in…");
    try {
      await completeSignIn(params);
      setStatus("Signed in.");
    } catch (error) {
      setStatus(error.message, true);
    }
  } else {
    setStatus("Ready. Not signed in.");
  }
  render();
}

main();
