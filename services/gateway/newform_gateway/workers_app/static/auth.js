// Sign-in for the workers' app: OpenID Connect authorization code + PKCE (S256), in the browser.
// The state, nonce and code_verifier wait in sessionStorage across the redirect; the tokens live in
// sessionStorage (this tab only, gone when it closes) and are refreshed with the refresh token before
// they expire. Sign-out ends the provider's session too (end-session with id_token_hint).
// The app never asks for a token: without an identity provider it says sign-in is not configured.
"use strict";

const Auth = (() => {
  const TOKENS = "newform.app.tokens";
  const PENDING = "newform.app.pending";
  const REFRESH_MARGIN_S = 60;
  let config = null;
  let refreshTimer = null;
  let refreshing = null;

  const redirectUri = () => `${location.origin}/app/`;

  function base64url(bytes) {
    let s = "";
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(n = 32) {
    return base64url(crypto.getRandomValues(new Uint8Array(n)));
  }

  async function challengeOf(verifier) {
    return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  }

  function stored() {
    try { return JSON.parse(sessionStorage.getItem(TOKENS) || "null"); } catch (e) { return null; }
  }

  function store(response) {
    const previous = stored() || {};
    const tokens = {
      access_token: response.access_token,
      refresh_token: response.refresh_token || previous.refresh_token || null,
      id_token: response.id_token || previous.id_token || null,
      expires_at: Date.now() / 1000 + (response.expires_in || 300),
    };
    sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
    schedule(tokens);
    return tokens;
  }

  function schedule(tokens) {
    clearTimeout(refreshTimer);
    if (!tokens || !tokens.refresh_token || !config || !config.signin) return;
    const wait = Math.max(5, tokens.expires_at - Date.now() / 1000 - REFRESH_MARGIN_S);
    refreshTimer = setTimeout(() => refresh().catch(() => {}), wait * 1000);
  }

  async function tokenRequest(fields) {
    const body = new URLSearchParams({ client_id: config.signin.client_id, ...fields });
    let response;
    try {
      response = await fetch(config.signin.token_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
        body,
      });
    } catch (e) {
      throw new Error("无法连接统一身份认证服务，请检查网络后重试。");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(`登录未成功（${data.error_description || data.error || response.status}），请重新登录。`);
    return data;
  }

  // Back from the provider with ?code=…&state=…: exchange the code (once) for tokens.
  async function completeRedirect() {
    const params = new URLSearchParams(location.search);
    if (!params.has("code") && !params.has("error")) return false;
    history.replaceState(null, "", "/app/");
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
    sessionStorage.removeItem(PENDING);
    if (params.has("error")) throw new Error(`登录未完成（${params.get("error_description") || params.get("error")}）。`);
    if (!pending || pending.state !== params.get("state")) throw new Error("登录状态已失效，请重新登录。");
    const data = await tokenRequest({
      grant_type: "authorization_code",
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    });
    if (data.id_token && claims(data.id_token).nonce !== pending.nonce) throw new Error("登录校验未通过，请重新登录。");
    store(data);
    return true;
  }

  function claims(jwt) {
    try {
      const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const text = atob(part);
      const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) { return {}; }
  }

  async function signIn() {
    const verifier = randomString(48);
    const pending = { state: randomString(), nonce: randomString(), verifier };
    sessionStorage.setItem(PENDING, JSON.stringify(pending));
    const query = new URLSearchParams({
      response_type: "code",
      client_id: config.signin.client_id,
      redirect_uri: redirectUri(),
      scope: config.signin.scope || "openid",
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await challengeOf(verifier),
      code_challenge_method: "S256",
      ui_locales: "zh-CN",
    });
    location.assign(`${config.signin.authorization_endpoint}?${query}`);
  }

  async function refresh() {
    const tokens = stored();
    if (!tokens || !tokens.refresh_token || !config || !config.signin) return null;
    if (!refreshing) {
      refreshing = tokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token })
        .then(store)
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // The access token to send: a fresh one (refreshed first when it is about to expire), or null.
  async function accessToken() {
    let tokens = stored();
    if (!tokens) return null;
    if (tokens.expires_at - Date.now() / 1000 < 10 && tokens.refresh_token) {
      tokens = await refresh().catch(() => null);
    }
    return tokens ? tokens.access_token : null;
  }

  function signOut() {
    const tokens = stored();
    sessionStorage.removeItem(TOKENS);
    clearTimeout(refreshTimer);
    const end = config && config.signin && config.signin.end_session_endpoint;
    if (end && tokens) {
      const query = new URLSearchParams({ post_logout_redirect_uri: redirectUri(), client_id: config.signin.client_id });
      if (tokens.id_token) query.set("id_token_hint", tokens.id_token);
      location.assign(`${end}?${query}`);
    } else {
      location.assign("/app/");
    }
  }

  function start(appConfig) {
    config = appConfig;
    schedule(stored());
  }

  return {
    start, completeRedirect, signIn, signOut, accessToken, refresh,
    signedIn: () => stored() !== null,
    configured: () => Boolean(config && config.signin),
    forget: () => { sessionStorage.removeItem(TOKENS); clearTimeout(refreshTimer); },
  };
})();
