//! What a memory run sends a long-lived function, one invocation after
//! another, and the peak and current resident set it reads on the way: the
//! authorizer's flat-memory test and perf's `rss` share it.

use crate::rig::Rig;
use crate::rig::{RigError, Running, expect_allow, expect_unauthorized, token_event};

/// Scope sets of the memory runs' valid tokens: one route, several, all,
/// and with OIDC scopes mixed in.
pub const MEMORY_SCOPES: [&str; 6] = [
    "API/book.get",
    "API/book.get API/book.post",
    "API/book.get API/book.post API/user.get API/user.post awesomeapi-resource-server/awesomeapi.read",
    "openid email API/user.get",
    "API/user.post",
    "awesomeapi-resource-server/awesomeapi.read API/book.get",
];

/// What a memory run sends, one invocation after another.
pub enum Workload {
    /// The authorizer: valid tokens with [`MEMORY_SCOPES`], every tenth a forged one.
    Authorizer {
        /// TOKEN events with valid tokens.
        valid: Vec<String>,
        /// A TOKEN event whose token has another token's signature.
        forged: String,
    },
    /// Another function (the handler): this event every time; any answer
    /// but an error will do.
    Fixed(String),
}

impl Workload {
    /// The authorizer's workload, with tokens from `rig`.
    pub fn authorizer(rig: &Rig) -> Result<Self, RigError> {
        let mut valid = Vec::new();
        for scope in MEMORY_SCOPES {
            valid.push(token_event(&rig.token(scope)?).to_string());
        }
        let (a, b) = (rig.token(MEMORY_SCOPES[0])?, rig.token(MEMORY_SCOPES[1])?);
        let forged = match (a.rsplit_once('.'), b.rsplit_once('.')) {
            (Some((signed, _)), Some((_, signature))) => format!("{signed}.{signature}"),
            _ => return Err(RigError::WrongAnswer("tokens are not three parts".into())),
        };
        Ok(Self::Authorizer {
            valid,
            forged: token_event(&forged).to_string(),
        })
    }

    /// Sends invocation number `i` and checks its answer.
    pub async fn invoke(&self, running: &mut Running, i: usize) -> Result<(), RigError> {
        match self {
            Workload::Authorizer { valid, forged } => {
                let forge = i % 10 == 9;
                let event = if forge {
                    forged
                } else {
                    &valid[i % valid.len()]
                };
                let invocation = running.api.push(event.clone());
                let outcome = running.answer(invocation).await?;
                if forge {
                    expect_unauthorized(&outcome)
                } else {
                    expect_allow(&outcome)
                }
            }
            Workload::Fixed(event) => {
                let invocation = running.api.push(event.clone());
                let outcome = running.answer(invocation).await?;
                match outcome.result {
                    Ok(_) => Ok(()),
                    Err(e) => Err(RigError::WrongAnswer(format!(
                        "{}: {}",
                        e.error_type, e.error_message
                    ))),
                }
            }
        }
    }
}

/// Runs `events` invocations of `workload` and returns `(invocations, VmHWM
/// KiB, VmRSS KiB)` after each of `checkpoints` (and after the last one).
pub async fn memory_run(
    running: &mut Running,
    workload: &Workload,
    events: usize,
    checkpoints: &[usize],
) -> Result<Vec<(usize, u64, u64)>, RigError> {
    let mut out = Vec::new();
    for i in 0..events {
        workload.invoke(running, i).await?;
        let done = i + 1;
        if checkpoints.contains(&done) || done == events {
            let (peak, current) = running.memory_kib()?;
            out.push((done, peak, current));
        }
    }
    Ok(out)
}
