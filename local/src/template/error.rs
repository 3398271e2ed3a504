//! Why the template could not be read or understood: one error for the
//! resolver and every reader, naming where in the template it went wrong.

use std::path::PathBuf;

use thiserror::Error;

/// Why the template could not be read or understood.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The template's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] yaml_serde::Error),
    /// Something the reader needs is absent.
    #[error("{0} is missing")]
    Missing(String),
    /// Something is present but has an unexpected shape.
    #[error("{at}: {problem}")]
    Invalid {
        /// Where in the template.
        at: String,
        /// What is wrong.
        problem: String,
    },
    /// A value depends on something only known after a deploy.
    #[error("{at}: cannot resolve {reference} without a deploy")]
    Unresolvable {
        /// Where in the template.
        at: String,
        /// The reference, e.g. `${MyClient}` or `!GetAtt X.Arn`.
        reference: String,
    },
    /// A parameter override names a parameter the template does not declare.
    #[error("parameter override {0}: the template declares no such parameter")]
    UnknownParameter(String),
}
