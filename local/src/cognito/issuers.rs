//! The local pool's issuer in each of Cognito's two forms
//! (`IssuerConfiguration.Type`), so the pool can sign with the one the
//! template sets while the functions are told both, as the deployed
//! authorizer accepts both.

use shared::IssuerForm;

/// The local pool's issuer in `form`. Cognito's two forms differ by host
/// (`cognito-idp.…` and `issuer-cognito-idp.…`) with the same path, so here
/// the original is on `127.0.0.1` and the updated on `localhost`: one
/// server, the same discovery and JWKS paths under either.
pub fn local_issuer(form: IssuerForm, token_port: u16, pool_id: &str) -> String {
    let host = match form {
        IssuerForm::Original => "127.0.0.1",
        IssuerForm::Updated => "localhost",
    };
    format!("http://{host}:{token_port}/{pool_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_issuer_differs_by_host_as_cognitos_forms_do() {
        use IssuerForm::{Original, Updated};
        assert_eq!(local_issuer(Original, 9100, "p"), "http://127.0.0.1:9100/p");
        assert_eq!(local_issuer(Updated, 9100, "p"), "http://localhost:9100/p");
    }
}
