//! HTTPS for the loopback JWKS server: a throw-away certificate authority
//! shaped like the chain Cognito's JWKS endpoint presents (an RSA-2048
//! root, an RSA-2048 intermediate, an RSA-2048 leaf), so a TLS handshake
//! against it costs the client what the real one does.
//!
//! The authorizer trusts the root the way a Lambda function would trust a
//! CA bundle: through `SSL_CERT_FILE` naming a file that holds [`TestCa::root_pem`].

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    PKCS_RSA_SHA256,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use thiserror::Error;

/// Why the test certificates or the TLS server configuration could not be made.
#[derive(Debug, Error)]
#[error("test TLS: {0}")]
pub struct TlsError(String);

/// The names the leaf certificate is valid for.
pub const SERVER_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A root, an intermediate signed by it, and a server certificate for
/// [`SERVER_NAMES`] signed by the intermediate.
pub struct TestCa {
    root_pem: String,
    server: Arc<ServerConfig>,
}

impl TestCa {
    /// Generates the three keys and certificates (RSA key generation takes
    /// a few hundred milliseconds).
    pub fn generate(name: &str) -> Result<Self, TlsError> {
        let rsa = || KeyPair::generate_for(&PKCS_RSA_SHA256).map_err(tls_error);
        let ca_params = |common_name: String| {
            let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params
                .distinguished_name
                .push(DnType::CommonName, common_name);
            Ok::<_, TlsError>(params)
        };
        let root = CertifiedIssuer::self_signed(ca_params(format!("{name} root"))?, rsa()?)
            .map_err(tls_error)?;
        let intermediate =
            CertifiedIssuer::signed_by(ca_params(format!("{name} intermediate"))?, rsa()?, &root)
                .map_err(tls_error)?;

        let leaf_key = rsa()?;
        let mut leaf =
            CertificateParams::new(SERVER_NAMES.map(String::from).to_vec()).map_err(tls_error)?;
        leaf.distinguished_name
            .push(DnType::CommonName, SERVER_NAMES[0]);
        let leaf = leaf
            .signed_by(&leaf_key, &intermediate)
            .map_err(tls_error)?;

        let chain: Vec<CertificateDer<'static>> =
            vec![leaf.der().clone(), intermediate.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let server = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(tls_error)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(tls_error)?;
        Ok(Self {
            root_pem: root.pem(),
            server: Arc::new(server),
        })
    }

    /// The root certificate, PEM-encoded.
    pub fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// Accepts TLS connections with the leaf certificate and its intermediate.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(Arc::clone(&self.server))
    }
}

fn tls_error(error: impl std::fmt::Display) -> TlsError {
    TlsError(error.to_string())
}
