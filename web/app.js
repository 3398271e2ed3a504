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
//
// The decisions (config checks, the session a token answer makes, what a
// failed refresh means, what is shown) are in logic.js, loaded first.
"use strict";

/** sessionStorage key of the sign-in this tab started and has not finished. */
const PENDING_KEY = "awesomeapi.pending-sign-in";
/** Refresh this many seconds before the access token expires. */
const REFRESH_MARGIN_S = 60;
/** Retry a refresh that got no answer (or a 5xx) after this many seconds, while the token still works. */
const REFRESH_RETRY_S = 10;
/** How long sign-out waits for a revocation before it goes on. */
const REVOKE_TIMEOUT_MS = 3000;

const $ = (id) => document.getElementById(id);

/** config.json, checked; null until loaded. */
let config = null;
/**
 * The signed-in session (WebLogic.sessionFrom), or null. Each sign-in and
 * refresh makes a new object: a refresh that comes back to find another
 * object here (or none: signed out meanwhile) throws its answer away.
 */
let session = null;
let refreshTimer = null;
/** The refresh under way (a promise), or null. */
let refreshing = null;

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
  return WebLogic.parseConfig(loaded);
}

/**
 * Narrows what the page may connect to down to the configured origins (a
 * second policy; index.html's first one cannot name them).
 */
function restrictConnections() {
  const meta = document.createElement("meta");
  meta.httpEquiv = "Content-Security-Policy";
  meta.content = WebLogic.connectPolicy(config);
  document.head.append(meta);
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

/** Back from the hosted page with `?code=…&state=…` or `?error=…` (already out of the address bar). */
async function completeSignIn(callback, pending) {
  if (callback.error !== null) {
    const description = callback.errorDescription;
    throw new Error(`sign-in failed: ${callback.error}${description ? ` (${description})` : ""}`);
  }
  if (!pending || callback.state !== pending.state) {
    throw new Error("sign-in refused: the answer's state does not match a sign-in this tab started");
  }
  const answer = await tokenRequest({
    grant_type: "authorization_code",
    client_id: config.client_id,
    code: callback.code ?? "",
    redirect_uri: config.redirect_uri,
    code_verifier: pending.verifier,
  });
  const started = WebLogic.sessionFrom(null, answer, {
    now: Date.now(),
    clientId: config.client_id,
    nonce: pending.nonce,
  });
  startSession(started);
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
    throw new WebLogic.TokenError(0, null, error.message);
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Reported below with the raw text.
  }
  if (!response.ok || !body || typeof body.access_token !== "string") {
    const code = body && typeof body.error === "string" ? body.error : null;
    throw new WebLogic.TokenError(response.status, code, text.slice(0, 200));
  }
  return body;
}

/** Revokes a refresh token (and what was issued from it); best effort, never throws. */
async function revoke(refreshToken) {
  try {
    await fetch(`${config.domain}/oauth2/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: refreshToken, client_id: config.client_id }),
      signal: AbortSignal.timeout(REVOKE_TIMEOUT_MS),
    });
  } catch {
    // Sign-out goes on even where revocation is not offered or not reachable.
  }
}

// ------------------------------------------------------------ session

function startSession(next) {
  session = next;
  scheduleRefresh();
  render();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const left = session.expiresAt - Date.now();
  if (session.refresh) {
    refreshTimer = setTimeout(refresh, WebLogic.refreshDelay(left, REFRESH_MARGIN_S * 1000));
  } else {
    refreshTimer = setTimeout(() => endSession("the session expired (no refresh token)"), Math.max(0, left));
  }
}

function refresh() {
  refreshing = refreshOnce().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function refreshOnce() {
  const current = session;
  if (!current?.refresh) return;
  let answer;
  try {
    answer = await tokenRequest({
      grant_type: "refresh_token",
      client_id: config.client_id,
      refresh_token: current.refresh,
    });
  } catch (error) {
    if (session !== current) return;
    if (WebLogic.afterRefreshFailure(error, current.expiresAt - Date.now(), REFRESH_RETRY_S * 1000) === "retry") {
      setStatus(`Refresh failed, retrying: ${error.message}`, true);
      refreshTimer = setTimeout(refresh, REFRESH_RETRY_S * 1000);
    } else {
      endSession(`the refresh was refused: ${error.message}`);
    }
    return;
  }
  if (session !== current) {
    // Signed out while this was in flight: the answer must not bring the
    // session back, and a rotated refresh token it carries is revoked too.
    if (typeof answer.refresh_token === "string") await revoke(answer.refresh_token);
    return;
  }
  let next;
  try {
    next = WebLogic.sessionFrom(current, answer, { now: Date.now(), clientId: config.client_id });
  } catch (error) {
    endSession(error.message);
    return;
  }
  startSession(next);
  setStatus(`Tokens refreshed at ${new Date().toLocaleTimeString()}.`);
}

function endSession(reason) {
  clearTimeout(refreshTimer);
  session = null;
  render();
  if (reason) setStatus(`Signed out: ${reason}.`, true);
}

async function signOut() {
  const ending = session;
  const inFlight = refreshing;
  // First, so that a refresh answering from now on finds no session to extend.
  endSession();
  if (ending?.refresh) await revoke(ending.refresh);
  // A refresh already sent may still answer, with a rotated refresh token:
  // wait for it (it revokes that token) before leaving the page.
  if (inFlight) await Promise.race([inFlight, new Promise((done) => setTimeout(done, REVOKE_TIMEOUT_MS))]);
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
  const shown = WebLogic.displayedUser(session);
  const list = document.createElement("dl");
  field(list, "email", "Email", shown.email ?? "not in the ID token (sign in with the openid scope)");
  field(list, "username", "Username", shown.username);
  field(list, "scopes", "Scopes", String(claims.scope ?? "").split(" ").filter(Boolean).join(", ") || "none");
  const exp = new Date(claims.exp * 1000);
  field(list, "expires", "Access token expires", `${exp.toLocaleTimeString()} (${exp.toISOString()})`);
  const rotated = session.rotations > 0 ? `, refresh token rotated ${session.rotations}×` : "";
  field(list, "refresh", "Refresh", session.refresh ? `automatic, before expiry${rotated}` : "none: sign in again");
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
  // Before anything can fail: a code is single use, so it leaves the
  // address bar, history and reloads at once, and this tab's pending
  // sign-in leaves sessionStorage, whatever happens next.
  const callback = WebLogic.callbackFrom(location.search);
  const pending = takePending();
  if (callback) history.replaceState(null, "", location.pathname);
  try {
    config = await loadConfig();
  } catch (error) {
    render();
    setStatus(`Cannot start: ${error.message}.`, true);
    return;
  }
  restrictConnections();
  if (callback) {
    setStatus("Completing sign-in…");
    try {
      await completeSignIn(callback, pending);
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
