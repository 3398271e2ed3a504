//! `local-stack`: the token endpoint, the functions under `cargo lambda
//! watch`, the API front and the web app, started together, warmed up, and
//! stopped together on Ctrl-C or SIGTERM.
//!
//! [`run`] reads as the start-up order: the state folder, the listeners
//! (bound first, so a busy port fails before any build), the `Wiring`
//! every part is made from, the user pool, the web app, the functions,
//! the warm-up, the API fronts, then `stack.json` and the banner.

pub mod cli;
pub mod event;
pub mod http_api;
pub mod info;
pub mod trigger;
pub mod urls;
pub mod walkthrough;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use hyper::HeaderMap;
use serde_json::{Map, Value};
use shared::{Method, RouteError, RouteTable};
use thiserror::Error;
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Child;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::apigateway::api_front::{ApiFront, FrontConfig, UNAUTHORIZED, token_event};
use crate::apigateway::authorizer_answer::AuthorizerAnswer;
use crate::apigateway::http_front::HttpFrontConfig;
use crate::apigateway::proxy_event::{ProxyContext, ProxyRequest, build_event};
use crate::clock::{SystemClock, unix_millis, unix_secs};
use crate::cognito::clients::Clients;
use crate::cognito::passwords::Password;
use crate::cognito::pool::{ID_KEY_FILE, SigningKeys, UserPool};
use crate::cognito::pool_server::PoolServer;
use crate::cognito::pre_token::PreToken;
use crate::cognito::users::{UserStore, UsersError};
use crate::http_server::serve;
use crate::lambda::invoke::{Invocation, InvokeError, Invoker, WatchInvoker};
use crate::lambda::watch::{FunctionExit, Watch, WatchCommand, WatchError, env_file};
use crate::stack::cli::{Options, WebApi};
use crate::stack::info::{StackInfo, StackInfoError};
use crate::stack::urls::StackUrls;
use crate::stack::walkthrough::Banner;
use crate::state::{LocalState, REGION, StateDir, StateError};
use crate::template::app_client::{AppClient, OAuthFlow};
use crate::template::pre_token::PreTokenSpec;
use crate::template::route::{ApiRoute, route_table};
use crate::template::sam::Template;
use crate::template::spec::{SpecError, StackSpec};
use crate::web_app::{self, CspError, WebApp, WebConfig};
use testkit::process_tree::stop_tree;
use testkit::{Issuer, IssuerError, m2m_claims};

/// The line printed on stdout once everything answers; tests wait for it.
pub const READY_LINE: &str = "local-stack ready";
/// The account id in local ARNs and events.
pub const ACCOUNT_ID: &str = "000000000000";
/// How long one API request may wait for a function (a rebuild after an
/// edit happens inside this wait).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// How long watch and the functions get to exit before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Why the stack could not start or stopped abnormally.
#[derive(Debug, Error)]
pub enum StackError {
    /// The template does not describe a runnable stack.
    #[error("{path}: {source}")]
    Spec {
        /// The template's path.
        path: String,
        /// The cause.
        source: SpecError,
    },
    /// The state folder.
    #[error(transparent)]
    State(#[from] StateError),
    /// The users given at start or kept in the state folder.
    #[error(transparent)]
    Users(#[from] UsersError),
    /// The template's routes do not form a valid route table.
    #[error("template routes: {0}")]
    Routes(#[from] RouteError),
    /// A port is taken or cannot be bound.
    #[error("127.0.0.1:{port}: {source} (choose another with the flags, see --help)")]
    Bind {
        /// The port.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// Signal handlers could not be installed.
    #[error("installing signal handlers: {0}")]
    Signals(std::io::Error),
    /// Watch could not be prepared or started.
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// A function (or the functions' build) ended during start-up.
    #[error("{0}")]
    FunctionExited(FunctionExit),
    /// `stack.json` could not be written.
    #[error(transparent)]
    StackInfo(#[from] StackInfoError),
    /// Watch exited by itself.
    #[error(
        "cargo lambda watch exited ({0}); is cargo-lambda installed? (scripts/tools puts it in .venv)"
    )]
    WatchExited(String),
    /// A function could not be invoked during warm-up.
    #[error("warm-up: {0}")]
    Invoke(#[from] InvokeError),
    /// The warm-up token could not be signed.
    #[error("signing the warm-up token: {0}")]
    Token(#[from] IssuerError),
    /// Nothing answered in time.
    #[error("cargo lambda watch did not answer on port {0} in time")]
    NotReady(u16),
    /// The template's web-app policy cannot be served locally.
    #[error(transparent)]
    WebApp(#[from] CspError),
    /// No random id could be made for the HTTP API.
    #[error("making the HTTP API's id: {0}")]
    Random(#[from] crate::ids::RandomError),
    /// `--web-api http` without an HTTP API in the template.
    #[error("--web-api http: the template declares no AWS::Serverless::HttpApi")]
    NoHttpApi,
    /// Stopped by a signal before the stack was ready.
    #[error("interrupted before the stack was ready")]
    Interrupted,
}

/// Reads the template named in `options`, then runs the stack.
pub async fn run_from_template(options: Options) -> Result<(), StackError> {
    let spec = read_spec(&options)?;
    run(options, spec).await
}

/// What the stack takes from the template named in `options`, deployed as
/// for a web app at the web port's origin: its web-app parameters are
/// overridden (a template without some of them keeps what it has), so the
/// web client's callback URLs and the API's CORS origin follow `--web-port`.
pub fn read_spec(options: &Options) -> Result<StackSpec, StackError> {
    let spec_error = |source| StackError::Spec {
        path: options.template.display().to_string(),
        source,
    };
    let template = Template::load(&options.template).map_err(|e| spec_error(SpecError::from(e)))?;
    // `--parameter` values come last: they win over the web app's.
    let parameters: Vec<_> = web_app::template_parameters(&web_app::origin(options.web_port))
        .into_iter()
        .filter(|(name, _)| template.declares_parameter(name))
        .map(|(name, value)| (name.to_string(), value))
        .chain(options.parameters.iter().cloned())
        .collect();
    let template = template
        .with_parameters(parameters)
        .map_err(|e| spec_error(SpecError::from(e)))?;
    StackSpec::from_template(&template).map_err(spec_error)
}

/// Runs the stack until a signal, then stops everything it started.
pub async fn run(options: Options, spec: StackSpec) -> Result<(), StackError> {
    let state_dir = StateDir::new(&options.state_dir);
    let _lock = state_dir.lock()?;
    let (state, issuer) = state_dir.load_or_init(&spec.clients)?;
    let id_issuer = state_dir.load_or_generate_key(ID_KEY_FILE)?;
    let users = UserStore::load(state_dir.path(), &options.users, &spec.password_policy)?;
    let clients = Clients::from_state(&spec.clients, &state);
    let routes = route_table(&spec.routes)?;
    let listeners = Listeners::bind(&options, spec.http_api.is_some()).await?;
    let wiring = Wiring::new(&options, &spec, state, clients)?;
    let http_config = wiring.http_front_config()?;
    let warm_token = wiring
        .m2m()
        .map(|client| warm_up_token(&issuer, &wiring.urls.issuer, client))
        .transpose()?;
    let env = functions_env(&spec, &wiring.state.pool_id, &wiring.clients, &wiring.urls)?;
    let env_path = state_dir.write_file("functions.env", env.as_bytes())?;

    let (stop, stopped) = watch::channel(false);
    let sign_in_user = sign_in_user(&users);
    let keys = SigningKeys {
        access: issuer,
        id: id_issuer,
    };
    let pool = Pool::build(&wiring, keys, users)?;
    let trigger_warm_up = pool.trigger_warm_up(wiring.m2m());
    let mut tasks = vec![tokio::spawn(serve(
        listeners.token,
        pool.router,
        stopped.clone(),
    ))];
    tracing::info!(url = %wiring.urls.pool, "token endpoint listening");
    let web = wiring.web_app_router()?;
    tasks.push(tokio::spawn(serve(listeners.web, web, stopped.clone())));
    tracing::info!(url = %wiring.urls.web, "web app listening");

    let mut interrupted = shutdown_signal().map_err(StackError::Signals)?;
    let Watch {
        mut child,
        mut exits,
    } = start_functions(&options, env_path)?;
    let front_config = wiring.rest_front_config(routes);
    let outcome = async {
        let warm = WarmUp {
            invoker: WatchInvoker::new(wiring.watch_url.clone(), options.ready_timeout)?,
            config: &front_config,
            port: options.watch_port,
            timeout: options.ready_timeout,
            trigger: trigger_warm_up,
        };
        tokio::select! {
            ready = warm.run(spec.tutorial_route(), warm_token.as_deref()) => ready?,
            status = child.wait() => return Err(exited(status)),
            Some(exit) = exits.recv() => return Err(StackError::FunctionExited(exit)),
            _ = &mut interrupted => return Err(StackError::Interrupted),
        }
        let fronts = Fronts {
            rest: (listeners.api, front_config.clone()),
            http: listeners.http.zip(http_config),
        };
        tasks.extend(fronts.serve(&wiring.watch_url, &stopped)?);
        wiring.announce(&state_dir, sign_in_user.as_ref())?;
        Ok(tokio::select! {
            status = child.wait() => Err(exited(status)),
            _ = &mut interrupted => Ok(()),
        })
    }
    .await;
    stop_all(&stop, &mut child, tasks).await;
    outcome?
}

/// The stack's listeners, bound before anything starts so that a busy port
/// fails before any build does.
struct Listeners {
    token: TcpListener,
    api: TcpListener,
    /// Bound only when the template has an HTTP API.
    http: Option<TcpListener>,
    web: TcpListener,
}

impl Listeners {
    /// Binds every port of `options` (watch's only to check it is free: watch binds it).
    async fn bind(options: &Options, http_api: bool) -> Result<Self, StackError> {
        let token = bind(options.token_port).await?;
        let api = bind(options.api_port).await?;
        let http = if http_api {
            Some(bind(options.http_api_port).await?)
        } else {
            None
        };
        let web = bind(options.web_port).await?;
        drop(bind(options.watch_port).await?);
        Ok(Self {
            token,
            api,
            http,
            web,
        })
    }
}

/// What the stack's parts are wired from: the options, the template's spec,
/// the state folder's ids and clients, and the URLs everything answers on.
struct Wiring<'a> {
    options: &'a Options,
    spec: &'a StackSpec,
    state: LocalState,
    clients: Clients,
    urls: StackUrls,
    /// The HTTP API's id, new each run.
    http_api_id: String,
    /// watch's Lambda Invoke API.
    watch_url: String,
}

impl<'a> Wiring<'a> {
    fn new(
        options: &'a Options,
        spec: &'a StackSpec,
        state: LocalState,
        clients: Clients,
    ) -> Result<Self, StackError> {
        let http_stage = spec.http_api.as_ref().map(|api| api.stage.as_str());
        let urls = StackUrls::new(
            options,
            &state.pool_id,
            spec.issuer_form,
            &spec.stage,
            http_stage,
        );
        Ok(Self {
            options,
            spec,
            state,
            clients,
            urls,
            http_api_id: crate::ids::api_id()?,
            watch_url: format!("http://127.0.0.1:{}", options.watch_port),
        })
    }

    /// The client of the walkthrough, with its local credentials.
    fn m2m(&self) -> Option<&AppClient> {
        let m2m = self.spec.m2m_client()?;
        self.clients.all().iter().find(|a| a.name == m2m.name)
    }

    /// The client of the sign-in walkthrough and the web app.
    fn web_client(&self) -> Option<&AppClient> {
        self.clients
            .all()
            .iter()
            .find(|c| c.allows(OAuthFlow::Code))
    }

    /// The HTTP API front's settings, when the template has an HTTP API.
    fn http_front_config(&self) -> Result<Option<HttpFrontConfig>, RouteError> {
        self.spec
            .http_api
            .as_ref()
            .map(|api| http_api::front_config(api, &self.http_api_id, REGION, ACCOUNT_ID))
            .transpose()
    }

    /// The REST API front's settings, serving `routes`.
    fn rest_front_config(&self, routes: RouteTable) -> FrontConfig {
        let spec = self.spec;
        FrontConfig {
            routes,
            api_id: self.state.api_id.clone(),
            stage: spec.stage.clone(),
            region: REGION.to_string(),
            account_id: ACCOUNT_ID.to_string(),
            cache_ttl: Duration::from_secs(spec.reauthorize_every),
            authorizer_function: "authorizer".to_string(),
            handler_function: "handler".to_string(),
            cors: spec.cors.clone(),
            gateway_responses: spec.gateway_responses.clone(),
        }
    }

    /// The web app's router, configured for the web client against the API
    /// that `--web-api` names.
    fn web_app_router(&self) -> Result<Router, StackError> {
        let urls = &self.urls;
        let api_base = match self.options.web_api {
            WebApi::Rest => urls.api_base(),
            WebApi::Http => urls.http_api_base().ok_or(StackError::NoHttpApi)?,
        };
        let web_config = self
            .web_client()
            .and_then(|client| WebConfig::for_client(client, &urls.pool, &api_base));
        let csp = self.spec.web_app_csp.as_deref();
        let web = self.options.workspace.join("web");
        Ok(WebApp::new(web, web_config.as_ref(), csp)?.router())
    }

    /// Writes `stack.json`, then prints the banner (signing in as `user`)
    /// and the ready line tests wait for.
    fn announce(
        &self,
        state_dir: &StateDir,
        user: Option<&(String, Option<Password>)>,
    ) -> Result<(), StackError> {
        let (spec, urls) = (self.spec, &self.urls);
        let http_api_id = spec.http_api.as_ref().map(|_| self.http_api_id.as_str());
        let (pool_id, api_id) = (&self.state.pool_id, &self.state.api_id);
        let info = StackInfo::new(
            urls,
            pool_id,
            api_id,
            &spec.stage,
            http_api_id,
            self.clients.all(),
        );
        let banner = Banner {
            api_url: &urls.api,
            http_api_url: urls.http_api.as_deref(),
            pool_url: &urls.pool,
            issuer: &urls.issuer,
            watch_url: &self.watch_url,
            stage: &spec.stage,
            clients: self.clients.all(),
            routes: &spec.routes,
            tutorial: spec.tutorial_route(),
            m2m: self.m2m(),
            web: self.web_client(),
            web_url: &urls.web,
            user: user.map(|(email, password)| (email.as_str(), password.as_ref())),
        };
        info.write(state_dir.path())?;
        println!("{}", banner.render());
        println!(
            "{READY_LINE}: API {}, web app {} (Ctrl-C stops everything)",
            urls.api, urls.web
        );
        Ok(())
    }
}

/// Who the sign-in walkthrough signs in: the demo user with its password,
/// else the first user given (whose password is never printed).
fn sign_in_user(users: &UserStore) -> Option<(String, Option<Password>)> {
    users
        .demo_user()
        .map(|demo| (demo.email.clone(), Some(demo.password.clone())))
        .or_else(|| users.users().first().map(|u| (u.email.clone(), None)))
}

/// The user pool's server, with the pre-token-generation trigger when the
/// template attaches one.
struct Pool<'a> {
    router: Router,
    /// The template's trigger and how the pool calls it, when it runs one.
    trigger: Option<(&'a PreTokenSpec, PreToken)>,
}

impl<'a> Pool<'a> {
    /// The pool of `wiring`'s spec and clients signing with `keys`, its
    /// trigger called through watch.
    fn build(wiring: &Wiring<'a>, keys: SigningKeys, users: UserStore) -> Result<Self, StackError> {
        let pool_id = &wiring.state.pool_id;
        let trigger = wiring
            .spec
            .pre_token
            .as_ref()
            .map(|t| -> Result<_, StackError> {
                let invoker = WatchInvoker::new(wiring.watch_url.clone(), REQUEST_TIMEOUT)?;
                Ok((t, trigger::pre_token(t, invoker, pool_id)))
            })
            .transpose()?;
        let issuer = wiring.urls.issuer.to_string();
        let mut user_pool = UserPool::new(keys, issuer, wiring.clients.clone(), users);
        if let Some((_, pre_token)) = &trigger {
            tracing::info!(version = ?pre_token.version, "the pool runs the pre-token-generation trigger");
            user_pool = user_pool.with_pre_token(pre_token.clone());
        }
        let router = PoolServer::new(user_pool, pool_id.clone(), wiring.urls.pool.clone()).router();
        Ok(Self { router, trigger })
    }

    /// The trigger's function and an event to warm it up with, from the
    /// M2M client (or a placeholder client id).
    fn trigger_warm_up(&self, m2m: Option<&AppClient>) -> Option<(String, Value)> {
        self.trigger.as_ref().map(|(spec, trigger)| {
            let client = m2m.map_or("warm-up", |c| c.client_id.as_str());
            (spec.binary.clone(), trigger::warm_up_event(trigger, client))
        })
    }
}

/// Starts `cargo lambda watch` with the functions' env file.
fn start_functions(options: &Options, env_file: PathBuf) -> Result<Watch, StackError> {
    let watch_command = WatchCommand {
        workspace: options.workspace.clone(),
        port: options.watch_port,
        env_file,
    };
    tracing::info!(command = %watch_command.display(), "starting the functions");
    Ok(watch_command.spawn()?)
}

/// The API fronts, served once the functions are warm.
struct Fronts {
    rest: (TcpListener, FrontConfig),
    /// The HTTP API's, when the template has one.
    http: Option<(TcpListener, HttpFrontConfig)>,
}

impl Fronts {
    /// Serves each front until `stopped`, calling the functions through
    /// watch at `watch_url`.
    fn serve(
        self,
        watch_url: &str,
        stopped: &watch::Receiver<bool>,
    ) -> Result<Vec<JoinHandle<()>>, StackError> {
        let (listener, config) = self.rest;
        let invoker = WatchInvoker::new(watch_url.to_owned(), REQUEST_TIMEOUT)?;
        let front = ApiFront::new(config, invoker, SystemClock).router();
        let mut tasks = vec![tokio::spawn(serve(listener, front, stopped.clone()))];
        if let Some((listener, config)) = self.http {
            let front = http_api::router(config, watch_url, REQUEST_TIMEOUT)?;
            tasks.push(tokio::spawn(serve(listener, front, stopped.clone())));
        }
        Ok(tasks)
    }
}

/// Tells the servers to stop, stops watch and the functions, then gives
/// each server's task 5 seconds to finish.
async fn stop_all(stop: &watch::Sender<bool>, child: &mut Child, tasks: Vec<JoinHandle<()>>) {
    tracing::info!("stopping");
    let _ = stop.send(true);
    stop_watch(child).await;
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
}

/// A token for the M2M client with all its scopes, so that the warm-up
/// call exercises the authorizer's whole path (JWKS fetch included).
fn warm_up_token(
    issuer: &Issuer,
    issuer_url: &str,
    client: &AppClient,
) -> Result<String, IssuerError> {
    let scope = client.custom_scopes().collect::<Vec<_>>().join(" ");
    let claims = m2m_claims(
        issuer_url,
        &client.client_id,
        &scope,
        unix_secs(),
        client.validity.access_secs,
    );
    issuer.access_token(&claims)
}

/// The functions' variables (watch gives them one env file): the
/// authorizer's as the template sets them but naming the local pool, clients
/// and issuer, then the handler's and, when the pool runs it, the
/// pre-token-generation trigger's, exactly as the template sets them.
fn functions_env(
    spec: &StackSpec,
    pool_id: &str,
    clients: &Clients,
    urls: &StackUrls,
) -> Result<String, WatchError> {
    // The clients the template's APP_CLIENT_IDS names, with their local ids.
    let accepted: Vec<&str> = clients
        .all()
        .iter()
        .filter(|c| spec.authorizer_clients.contains(&c.name))
        .map(|c| c.client_id.as_str())
        .collect();
    let mut vars = vec![
        ("USER_POOL_ID", pool_id.to_string()),
        ("APP_CLIENT_IDS", accepted.join(",")),
        // Raw line breaks can only sit between JSON tokens, where a space
        // means the same; an env file line cannot hold them.
        ("ROUTE_SCOPES", spec.route_scopes.replace(['\n', '\r'], " ")),
        // Both forms, whatever IssuerType says: like the deployed
        // authorizer, which accepts both Cognito forms, it needs no change
        // when IssuerType changes.
        ("JWKS_URL", urls.functions_jwks()),
        ("TOKEN_ISSUER", urls.issuers.join(",")),
    ];
    // The authorizer answers the HTTP API in the format its
    // EnableSimpleResponses asks for.
    if let Some(authorizer) = spec.http_api.as_ref().and_then(|a| a.authorizer.as_ref()) {
        vars.push(("SIMPLE_RESPONSES", authorizer.simple_responses.to_string()));
    }
    // The trigger's only when the pool runs it: it refuses to start without them.
    let trigger = spec.pre_token.iter().flat_map(|t| &t.environment);
    for (name, value) in spec.handler_environment.iter().chain(trigger) {
        if vars.iter().any(|(taken, _)| taken == name) {
            return Err(WatchError::SharedVariable(name.clone()));
        }
        vars.push((name.as_str(), value.clone()));
    }
    env_file(&vars)
}

/// Stops watch and every process under it, then reaps watch.
async fn stop_watch(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let left = tokio::task::spawn_blocking(move || stop_tree(pid, STOP_GRACE))
            .await
            .unwrap_or_default();
        if !left.is_empty() {
            tracing::warn!(?left, "processes survived SIGKILL");
        }
    }
    // Reaping keeps watch from lingering as a zombie.
    let _ = child.wait().await;
}

fn exited(status: std::io::Result<std::process::ExitStatus>) -> StackError {
    StackError::WatchExited(match status {
        Ok(status) => status.to_string(),
        Err(error) => error.to_string(),
    })
}

async fn bind(port: u16) -> Result<TcpListener, StackError> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|source| StackError::Bind { port, source })
}

/// Resolves on the first SIGINT or SIGTERM.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Unpin> {
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(Box::pin(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    }))
}

/// First invocations: watch builds each function on its first call, so the
/// stack is only ready once both have answered.
struct WarmUp<'a> {
    invoker: WatchInvoker,
    config: &'a FrontConfig,
    port: u16,
    timeout: Duration,
    /// The pre-token-generation function and an event for it, when the pool runs it.
    trigger: Option<(String, Value)>,
}

impl WarmUp<'_> {
    async fn run(&self, route: Option<&ApiRoute>, token: Option<&str>) -> Result<(), StackError> {
        self.wait_for_port().await?;
        let Some(route) = route else {
            return Ok(());
        };
        let method = match route.method {
            Method::Any => "GET",
            method => method.as_str(),
        };
        let path = sample_path(&route.path);
        let arn = self.config.method_arn(method, &path);
        tracing::info!("building and warming up the authorizer (the first build takes minutes)");
        let started = Instant::now();
        let bearer = format!("Bearer {}", token.unwrap_or("warm-up"));
        let authorizer = match self
            .invoker
            .invoke(
                &self.config.authorizer_function,
                &token_event(&bearer, &arn),
            )
            .await?
        {
            Invocation::Returned(value) => match AuthorizerAnswer::parse(&value) {
                Ok(answer) => Some(answer),
                Err(error) => {
                    tracing::warn!(%error, "the authorizer's answer is not one API Gateway accepts");
                    None
                }
            },
            Invocation::Failed { error_message, .. }
                if error_message == UNAUTHORIZED && token.is_some() =>
            {
                tracing::warn!(
                    "the authorizer refused a locally issued token: check its log above"
                );
                None
            }
            Invocation::Failed { error_type, .. } => {
                tracing::warn!(error_type, "the authorizer failed on the warm-up call");
                None
            }
        };
        tracing::info!(
            secs = started.elapsed().as_secs(),
            "authorizer answered; warming up the handler"
        );
        let headers = HeaderMap::new();
        let mut context = authorizer
            .map(|a| a.request_context())
            .unwrap_or_else(Map::new);
        context
            .entry("principalId")
            .or_insert_with(|| Value::String("warm-up".into()));
        let request_id = crate::ids::request_id();
        let event = build_event(
            &ProxyRequest {
                method,
                path: &path,
                query: None,
                headers: &headers,
                body: b"",
            },
            &ProxyContext {
                account_id: &self.config.account_id,
                api_id: &self.config.api_id,
                stage: &self.config.stage,
                resource: &route.path,
                request_id: &request_id,
                source_ip: "127.0.0.1",
                authorizer: context,
                now_ms: unix_millis(),
            },
        );
        if let Invocation::Failed { error_type, .. } = self
            .invoker
            .invoke(&self.config.handler_function, &event)
            .await?
        {
            tracing::warn!(error_type, "the handler failed on the warm-up call");
        }
        if let Some((function, event)) = &self.trigger {
            // Built now: the pool gives it only Cognito's 5 seconds later.
            tracing::info!("warming up the pre-token-generation trigger");
            if let Invocation::Failed { error_type, .. } =
                self.invoker.invoke(function, event).await?
            {
                tracing::warn!(error_type, "the trigger failed on the warm-up call");
            }
        }
        tracing::info!(secs = started.elapsed().as_secs(), "functions ready");
        Ok(())
    }

    async fn wait_for_port(&self) -> Result<(), StackError> {
        let deadline = Instant::now() + self.timeout;
        while TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                return Err(StackError::NotReady(self.port));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    }
}

/// A request path for a route: parameters filled with `1`.
fn sample_path(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// The issuers of a pool on port 9100 signing in `form` (the only URLs
    /// the functions' environment names).
    fn test_urls(pool_id: &str, form: shared::IssuerForm) -> StackUrls {
        let issuer = |form| crate::cognito::issuers::local_issuer(form, 9100, pool_id);
        StackUrls {
            pool: String::new(),
            issuer: issuer(form),
            issuers: shared::IssuerForm::ALL.map(issuer),
            api: String::new(),
            http_api: None,
            web: String::new(),
        }
    }

    use super::*;
    use crate::template::pre_token::{LambdaVersion, PreTokenSpec};

    #[test]
    fn the_authorizer_env_names_the_local_pool_and_the_templates_clients() {
        let client = |name: &str, id: &str| AppClient {
            name: name.into(),
            client_id: id.into(),
            client_secret: None,
            flows: vec![],
            scopes: vec![],
            ..AppClient::example()
        };
        let clients = Clients::new(vec![
            client("M2M", "m2m-id"),
            client("Other", "other-id"),
            client("Web", "web-id"),
        ]);
        let spec = StackSpec {
            routes: vec![],
            clients: vec![],
            route_scopes: "{\"GET /a\":\n[\"s/a\"]}".into(),
            authorizer_clients: vec!["M2M".into(), "Web".into()],
            reauthorize_every: 300,
            stage: "prod".into(),
            password_policy: Default::default(),
            issuer_form: shared::IssuerForm::Updated,
            cors: None,
            gateway_responses: Default::default(),
            handler_environment: vec![(
                "CORS_ALLOWED_ORIGINS".into(),
                "http://localhost:8080".into(),
            )],
            pre_token: None,
            web_app_csp: None,
            http_api: None,
        };
        let env = functions_env(
            &spec,
            "us-east-1_abc",
            &clients,
            &test_urls("us-east-1_abc", spec.issuer_form),
        )
        .unwrap();
        assert_eq!(
            env,
            "USER_POOL_ID='us-east-1_abc'\n\
             APP_CLIENT_IDS='m2m-id,web-id'\n\
             ROUTE_SCOPES='{\"GET /a\": [\"s/a\"]}'\n\
             JWKS_URL='http://127.0.0.1:9100/us-east-1_abc/.well-known/jwks.json'\n\
             TOKEN_ISSUER='http://127.0.0.1:9100/us-east-1_abc,http://localhost:9100/us-east-1_abc'\n\
             CORS_ALLOWED_ORIGINS='http://localhost:8080'\n"
        );
        let with_trigger = StackSpec {
            pre_token: Some(PreTokenSpec {
                function_id: "PreTokenFunction".into(),
                binary: "pretoken".into(),
                version: LambdaVersion::V2_0,
                environment: vec![("EDITOR_GROUP".into(), "editors".into())],
            }),
            ..spec.clone()
        };
        let env = functions_env(
            &with_trigger,
            "p",
            &clients,
            &test_urls("us-east-1_abc", with_trigger.issuer_form),
        )
        .unwrap();
        assert!(
            env.ends_with("CORS_ALLOWED_ORIGINS='http://localhost:8080'\nEDITOR_GROUP='editors'\n"),
            "{env}"
        );
        let clash = StackSpec {
            handler_environment: vec![("USER_POOL_ID".into(), "x".into())],
            ..spec
        };
        let error = functions_env(
            &clash,
            "us-east-1_abc",
            &clients,
            &test_urls("us-east-1_abc", clash.issuer_form),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("USER_POOL_ID"), "{error}");
    }

    /// A workspace whose `.venv/bin/cargo` plays `cargo lambda watch`:
    /// it runs the shell commands `output`, then runs on as watch does, and
    /// leaves `spawned` behind when started.
    fn fake_watch_workspace(tag: &str, output: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!(
            "stack-test-{tag}-{}-{}",
            std::process::id(),
            crate::ids::request_id()
        ));
        let bin = dir.join(".venv/bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = format!(
            "#!/bin/sh\ntouch '{}'\n{output}\nexec sleep 600\n",
            dir.join("spawned").display(),
        );
        std::fs::write(bin.join("cargo"), script).unwrap();
        std::fs::set_permissions(bin.join("cargo"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        dir
    }

    fn options_for(workspace: &Path) -> (Options, StackSpec) {
        let ports: Vec<u16> = (0..5)
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
            .collect::<Vec<_>>()
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let spec = StackSpec::from_template(&Template::load(&template).unwrap()).unwrap();
        let options = Options {
            token_port: ports[0],
            watch_port: ports[1],
            api_port: ports[2],
            web_port: ports[3],
            http_api_port: ports[4],
            web_api: WebApi::Rest,
            workspace: workspace.to_path_buf(),
            template,
            state_dir: workspace.join("state"),
            // Far longer than the test may take: only the exit can end it.
            ready_timeout: Duration::from_secs(900),
            users: Vec::new(),
            parameters: Vec::new(),
        };
        (options, spec)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_function_exiting_during_start_up_stops_the_stack_with_its_message() {
        // cargo and watch write on stderr, the function's log on stdout.
        let output = "echo '     Running `target/debug/authorizer`' >&2\n\
            echo 'ERROR invalid configuration error=USER_POOL_ID is invalid: mypool'\n\
            echo 'ERROR command exited code=1' >&2";
        let workspace = fake_watch_workspace("exit", output);
        let (options, spec) = options_for(&workspace);
        let result = run(options, spec).await;
        let Err(StackError::FunctionExited(exit)) = result else {
            panic!("expected the function's exit, got {result:?}");
        };
        assert_eq!(exit.function.as_deref(), Some("authorizer"));
        let message = StackError::FunctionExited(exit).to_string();
        assert!(
            message.contains("the authorizer function exited (code=1):")
                && message.contains("USER_POOL_ID is invalid: mypool"),
            "{message}"
        );
        std::fs::remove_dir_all(&workspace).unwrap();
    }

    fn edit_state(dir: &Path, field: &str, value: &str) {
        let path = dir.join("state.json");
        let mut json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json[field] = value.into();
        std::fs::write(&path, json.to_string()).unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bad_state_stops_the_stack_before_any_function_starts() {
        type Edit = fn(&Path);
        let cases: [(&str, Edit, &str); 3] = [
            (
                "pool id",
                |d| edit_state(d, "pool_id", "mypool"),
                "state.json: pool_id is \"mypool\"",
            ),
            (
                "api id",
                |d| edit_state(d, "api_id", "my/api"),
                "state.json: api_id is \"my/api\"",
            ),
            (
                "signing key",
                |d| std::fs::write(d.join("signing-key.pk8"), b"garbage").unwrap(),
                "signing-key.pk8: the key is not the RSA PKCS#8 key",
            ),
        ];
        for (case, edit, expected) in cases {
            let workspace = fake_watch_workspace("state", "true");
            let (options, spec) = options_for(&workspace);
            StateDir::new(&options.state_dir)
                .load_or_init(&spec.clients)
                .unwrap();
            edit(&options.state_dir);
            let message = run(options.clone(), spec).await.unwrap_err().to_string();
            assert!(message.contains(expected), "{case}: {message}");
            assert!(
                message.contains(&format!(
                    "delete {}/ to start afresh",
                    options.state_dir.display()
                )),
                "{case}: {message}"
            );
            assert!(
                !workspace.join("spawned").exists(),
                "{case}: watch was started"
            );
            std::fs::remove_dir_all(&workspace).unwrap();
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_hosted_sign_in_accepts_the_web_apps_origin_on_any_web_port() {
        use crate::cognito::users::UserStore;
        use axum::body::Body;
        use axum::http::Request;
        use tower::ServiceExt;

        let scratch = testkit::temp_dir("stack-web-port-").unwrap();
        let workspace = scratch.path().to_path_buf();
        let (mut options, _) = options_for(&workspace);
        // (web port, redirect_uri / logout_uri, accepted)
        let cases = [
            (18_080, "http://localhost:18080/", true),
            (18_080, "http://localhost:8080/", false),
            (18_080, "http://127.0.0.1:18080/", false),
            (8080, "http://localhost:8080/", true),
            (8080, "http://localhost:18080/", false),
        ];
        for (web_port, uri, accepted) in cases {
            options.web_port = web_port;
            let spec = read_spec(&options).unwrap();
            let state_dir = StateDir::new(workspace.join(format!("state-{web_port}")));
            let (state, issuer) = state_dir.load_or_init(&spec.clients).unwrap();
            let clients = Clients::from_state(&spec.clients, &state);
            let web = clients
                .all()
                .iter()
                .find(|c| c.allows(OAuthFlow::Code))
                .unwrap();
            let query = |key: &str| {
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("client_id", &web.client_id)
                    .append_pair("response_type", "code")
                    .append_pair(key, uri)
                    .finish()
            };
            let authorize = format!("/oauth2/authorize?{}", query("redirect_uri"));
            let logout = format!("/logout?{}", query("logout_uri"));
            let users = UserStore::load(state_dir.path(), &[], &spec.password_policy).unwrap();
            let keys = SigningKeys {
                access: issuer,
                id: Issuer::generate("id-kid").unwrap(),
            };
            let pool = UserPool::new(keys, "http://127.0.0.1:1/p".into(), clients.clone(), users);
            let router =
                PoolServer::new(pool, state.pool_id.clone(), "http://127.0.0.1:1".into()).router();
            for (uri_of, path, accepted_at) in [
                ("redirect_uri", authorize, "/login?"),
                ("logout_uri", logout, uri),
            ] {
                let request = Request::get(&path).body(Body::empty()).unwrap();
                let answer = router.clone().oneshot(request).await.unwrap();
                let location = answer.headers()["location"].to_str().unwrap().to_string();
                assert_eq!(
                    location.contains(accepted_at),
                    accepted,
                    "web port {web_port}, {uri_of} {uri}: {location}"
                );
                if !accepted {
                    assert!(location.contains("error"), "{uri_of} {uri}: {location}");
                }
            }
        }
    }

    #[test]
    fn parameters_from_the_command_line_reach_the_template() {
        let scratch = testkit::temp_dir("stack-parameters-").unwrap();
        let (mut options, _) = options_for(scratch.path());
        // (--parameter values, the trigger's version, or the error's start)
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            Result<Option<LambdaVersion>, &'a str>,
        );
        let cases: [Case; 5] = [
            (&[], Ok(None)),
            (
                &[("PreTokenGenerationVersion", "V2_0")],
                Ok(Some(LambdaVersion::V2_0)),
            ),
            (
                &[
                    ("PreTokenGenerationVersion", "V2_0"),
                    ("PreTokenGenerationVersion", "V3_0"),
                ],
                Ok(Some(LambdaVersion::V3_0)),
            ),
            (
                &[("PreTokenGenerationVersion", "V9")],
                Err("parameter override PreTokenGenerationVersion: \"V9\" is not one of"),
            ),
            (
                &[("Nope", "x")],
                Err("parameter override Nope: the template declares no such"),
            ),
        ];
        for (parameters, want) in cases {
            options.parameters = parameters
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let got = read_spec(&options).map(|s| s.pre_token.map(|t| t.version));
            match (got, want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{parameters:?}"),
                (Err(error), Err(start)) => {
                    let message = error.to_string();
                    assert!(message.contains(start), "{parameters:?}: {message}");
                }
                (got, want) => panic!("{parameters:?}: {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn sample_paths_fill_parameters() {
        for (template, path) in [
            ("/book", "/book"),
            ("/book/{id}", "/book/1"),
            ("/f/{p+}", "/f/1"),
            ("/", "/"),
        ] {
            assert_eq!(sample_path(template), path);
        }
    }
}
