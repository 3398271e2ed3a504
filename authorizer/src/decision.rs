//! The decision core: event text, keys and time in, a decision out. No I/O.

use shared::stage::path_without_stage;
use shared::{AccessTokenClaims, RouteSet, RouteTable, Scopes};
use thiserror::Error;

use crate::arn::{ArnError, MethodArn};
use crate::config::HttpAnswers;
use crate::event::{self, BadEvent, CalledRoute, Payload};
use crate::verify::{TokenError, Verifier};
use crate::{Config, KeySet};

/// Why a request is answered `Unauthorized`.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Rejection {
    /// The event is unusable.
    #[error(transparent)]
    Event(#[from] BadEvent),
    /// The method ARN is unusable.
    #[error(transparent)]
    Arn(#[from] ArnError),
    /// The token is invalid.
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl Rejection {
    /// The `kid` to look for in a fresh JWKS, if that could change the answer.
    pub fn unknown_kid(&self) -> Option<&str> {
        match self {
            Rejection::Token(TokenError::UnknownKid(kid)) => Some(kid),
            _ => None,
        }
    }
}

/// A verified token and what it may call.
#[derive(Debug)]
pub struct Decision<'e> {
    /// The verified claims.
    pub claims: AccessTokenClaims,
    /// The called method's ARN (a 2.0 event's `routeArn`).
    pub method_arn: MethodArn<'e>,
    /// The kind of API that asked, hence the answer it expects.
    pub payload: Payload,
    /// The routes the token's scopes permit.
    pub permitted: RouteSet,
    /// The route serving the called method, if it is configured.
    pub called_route: Option<usize>,
}

impl Decision<'_> {
    /// True if the called route is configured and permitted.
    pub fn allows_called_route(&self) -> bool {
        self.called_route
            .is_some_and(|i| self.permitted.contains(i))
    }
}

/// The authorizer's configuration, ready to decide.
#[derive(Debug, Clone)]
pub struct Authorizer {
    verifier: Verifier,
    routes: RouteTable,
    http_answers: HttpAnswers,
}

impl Authorizer {
    /// An authorizer for `config`.
    pub fn new(config: &Config) -> Self {
        Self::from_config(config.clone())
    }

    /// An authorizer that takes `config` over (at start-up: no copy of the route table).
    pub fn from_config(config: Config) -> Self {
        Self {
            verifier: Verifier::new(config.issuer, config.client_ids),
            routes: config.routes,
            http_answers: config.http_answers,
        }
    }

    /// The route table.
    pub fn routes(&self) -> &RouteTable {
        &self.routes
    }

    /// How HTTP APIs (payload 2.0) are answered.
    pub fn http_answers(&self) -> HttpAnswers {
        self.http_answers
    }

    /// Decides on one authorizer event (its JSON text) at `now` (Unix seconds).
    pub fn decide<'e>(
        &self,
        event: &'e str,
        keys: &KeySet,
        now: i64,
    ) -> Result<Decision<'e>, Rejection> {
        let event = event::parse(event)?;
        let payload = event.payload();
        let token = event::bearer_token(&event.authorization).ok_or(TokenError::NotBearer)?;
        let claims = self.verifier.verify(token, keys, now)?;
        let method_arn = MethodArn::parse(event.method_arn)?;
        let permitted = self.routes.permitted(
            Scopes::new(claims.scope.as_deref().unwrap_or("")),
            claims.groups(),
        );
        // REST names the route by the method ARN; an HTTP API by its route
        // key (the route API Gateway matched), or for `$default` by the request.
        let called_route = match &event.route {
            CalledRoute::Arn => self
                .routes
                .find_path(method_arn.method(), method_arn.path()),
            CalledRoute::Key(key) => self.routes.find_key(key),
            CalledRoute::Request {
                method,
                raw_path,
                stage,
            } => self
                .routes
                .find(method, path_without_stage(raw_path, stage.as_deref())),
        };
        Ok(Decision {
            claims,
            method_arn,
            payload,
            permitted,
            called_route,
        })
    }
}
