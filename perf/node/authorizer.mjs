// The comparison subject of perf's `invoke` benchmark: a TOKEN authorizer
// on aws-jwt-verify's CognitoJwtVerifier behind a minimal Lambda Runtime
// API loop (what a Node.js managed runtime does, without its extras). It
// takes the same variables as the Rust authorizer; routes are matched
// exactly ("METHOD /path"), which is all the benchmark's event needs.
import http from "node:http";
import { CognitoJwtVerifier } from "aws-jwt-verify";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const api = env("AWS_LAMBDA_RUNTIME_API");
const [host, port] = api.split(":");
const routes = JSON.parse(env("ROUTE_SCOPES"));
const verifier = CognitoJwtVerifier.create({
  userPoolId: env("USER_POOL_ID"),
  tokenUse: "access",
  clientId: env("APP_CLIENT_IDS").split(","),
});
// The benchmark's tokens carry the pool's Cognito issuer; the keys come
// from the loopback JWKS, loaded once as the Rust authorizer does.
verifier.cacheJwks(await (await fetch(env("JWKS_URL"))).json());

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const call = (method, path, body) =>
  new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });

const policy = (principalId, effect, resource, context) => ({
  principalId,
  policyDocument: {
    Version: "2012-10-17",
    Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
  },
  context,
});

async function decide(event) {
  const token = (event.authorizationToken ?? "").replace(/^Bearer /, "");
  const payload = await verifier.verify(token);
  // arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path...>
  const [, , method, ...path] = event.methodArn.split(":")[5].split("/");
  const needed = routes[`${method} /${path.join("/")}`];
  const held = new Set((payload.scope ?? "").split(" "));
  const allowed = needed !== undefined && needed.every((s) => held.has(s));
  return policy(payload.sub, allowed ? "Allow" : "Deny", event.methodArn, {
    sub: payload.sub,
    client_id: payload.client_id,
    scope: payload.scope ?? "",
  });
}

const base = "/2018-06-01/runtime/invocation";
for (;;) {
  const next = await call("GET", `${base}/next`);
  const id = next.headers["lambda-runtime-aws-request-id"];
  try {
    const answer = await decide(JSON.parse(next.body));
    await call("POST", `${base}/${id}/response`, JSON.stringify(answer));
  } catch (error) {
    console.warn(JSON.stringify({ level: "WARN", message: "token rejected", reason: String(error) }));
    await call("POST", `${base}/${id}/error`, JSON.stringify({ errorType: "Unauthorized", errorMessage: "Unauthorized" }));
  }
}
