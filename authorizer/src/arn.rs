//! Parsing the `methodArn` of an authorizer event:
//! `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path...>`.

use std::borrow::Cow;
use std::ops::Range;

use thiserror::Error;

/// API Gateway's limit on a method ARN.
pub const MAX_METHOD_ARN_BYTES: usize = 1600;

/// Why a method ARN is unusable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArnError {
    /// Longer than [`MAX_METHOD_ARN_BYTES`].
    #[error("methodArn is longer than {MAX_METHOD_ARN_BYTES} bytes")]
    TooLong,
    /// Not an execute-api method ARN.
    #[error("methodArn is not an execute-api method ARN")]
    Shape,
}

/// A parsed method ARN, borrowed from the event when it had no JSON escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodArn<'a> {
    full: Cow<'a, str>,
    prefix_len: usize,
    method: Range<usize>,
}

impl<'a> MethodArn<'a> {
    /// Parses and checks a method ARN.
    pub fn parse(arn: impl Into<Cow<'a, str>>) -> Result<Self, ArnError> {
        let full = arn.into();
        if full.len() > MAX_METHOD_ARN_BYTES {
            return Err(ArnError::TooLong);
        }
        let mut fields = full.splitn(6, ':');
        let (
            Some("arn"),
            Some(partition),
            Some("execute-api"),
            Some(region),
            Some(account),
            Some(rest),
        ) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        )
        else {
            return Err(ArnError::Shape);
        };
        let mut parts = rest.splitn(4, '/');
        let (Some(api), Some(stage), Some(method)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ArnError::Shape);
        };
        let nonempty = [partition, region, account, api, stage, method];
        if nonempty
            .iter()
            .any(|f| f.is_empty() || f.contains('*') || f.contains('?'))
        {
            return Err(ArnError::Shape);
        }
        let prefix_len = full.len() - rest.len() + api.len() + 1 + stage.len();
        let method = prefix_len + 1..prefix_len + 1 + method.len();
        Ok(Self {
            full,
            prefix_len,
            method,
        })
    }

    /// The whole ARN.
    pub fn full(&self) -> &str {
        &self.full
    }

    /// Everything up to and including the stage: the prefix of every route's ARN.
    pub fn stage_prefix(&self) -> &str {
        &self.full[..self.prefix_len]
    }

    /// The called method and path after the stage, e.g. `GET/book/42`:
    /// what a policy pattern relative to [`MethodArn::stage_prefix`] is matched against.
    pub fn request(&self) -> &str {
        self.full.get(self.prefix_len + 1..).unwrap_or("")
    }

    /// The called method, e.g. `GET`.
    pub fn method(&self) -> &str {
        &self.full[self.method.clone()]
    }

    /// The called path without the leading `/`, e.g. `book/42`.
    pub fn path(&self) -> &str {
        self.full.get(self.method.end + 1..).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partitions_stages_and_deep_paths() {
        let cases = [
            (
                "arn:aws:execute-api:us-east-1:123:abc/prod/GET/book",
                "arn:aws:execute-api:us-east-1:123:abc/prod",
                "GET",
                "book",
            ),
            (
                "arn:aws:execute-api:us-east-1:123:abc/prod/GET/",
                "arn:aws:execute-api:us-east-1:123:abc/prod",
                "GET",
                "",
            ),
            (
                "arn:aws:execute-api:us-east-1:123:abc/prod/GET",
                "arn:aws:execute-api:us-east-1:123:abc/prod",
                "GET",
                "",
            ),
            (
                "arn:aws-cn:execute-api:cn-north-1:1:a/s/DELETE/book/1/x",
                "arn:aws-cn:execute-api:cn-north-1:1:a/s",
                "DELETE",
                "book/1/x",
            ),
            (
                "arn:aws-us-gov:execute-api:us-gov-west-1:1:a/v1/POST/a:b",
                "arn:aws-us-gov:execute-api:us-gov-west-1:1:a/v1",
                "POST",
                "a:b",
            ),
        ];
        for (arn, prefix, method, path) in cases {
            let parsed = MethodArn::parse(arn).unwrap();
            assert_eq!(
                (
                    parsed.full(),
                    parsed.stage_prefix(),
                    parsed.method(),
                    parsed.path()
                ),
                (arn, prefix, method, path)
            );
            assert_eq!(format!("{prefix}/{}", parsed.request()), arn);
        }
    }

    #[test]
    fn rejects_what_is_not_a_method_arn() {
        let long = format!("arn:aws:execute-api:r:1:a/s/GET/{}", "x".repeat(1600));
        let cases = [
            ("", ArnError::Shape),
            ("arn:aws:s3:::bucket", ArnError::Shape),
            ("arn:aws:execute-api:us-east-1:123:abc", ArnError::Shape),
            (
                "arn:aws:execute-api:us-east-1:123:abc/prod",
                ArnError::Shape,
            ),
            ("arn:aws:execute-api::123:abc/prod/GET/x", ArnError::Shape),
            ("arn:aws:execute-api:r:1:*/prod/GET/x", ArnError::Shape),
            (long.as_str(), ArnError::TooLong),
        ];
        for (arn, error) in cases {
            assert_eq!(MethodArn::parse(arn).map(|_| ()), Err(error), "{arn}");
        }
    }
}
