//! Parsing the `methodArn` of an authorizer event:
//! `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path...>`.

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

/// A parsed method ARN, borrowing from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodArn<'a> {
    /// The whole ARN.
    pub full: &'a str,
    /// Everything up to and including the stage: the prefix of every route's ARN.
    pub stage_prefix: &'a str,
    /// The called method, e.g. `GET`.
    pub method: &'a str,
    /// The called path without the leading `/`, e.g. `book/42`.
    pub path: &'a str,
}

impl<'a> MethodArn<'a> {
    /// Parses and checks a method ARN.
    pub fn parse(arn: &'a str) -> Result<Self, ArnError> {
        if arn.len() > MAX_METHOD_ARN_BYTES {
            return Err(ArnError::TooLong);
        }
        let mut fields = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("execute-api"), Some(region), Some(account), Some(rest)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(ArnError::Shape);
        };
        let mut parts = rest.splitn(4, '/');
        let (Some(api), Some(stage), Some(method)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ArnError::Shape);
        };
        let path = parts.next().unwrap_or("");
        let nonempty = [partition, region, account, api, stage, method];
        if nonempty.iter().any(|f| f.is_empty() || f.contains('*') || f.contains('?')) {
            return Err(ArnError::Shape);
        }
        let prefix_len = arn.len() - rest.len() + api.len() + 1 + stage.len();
        Ok(Self {
            full: arn,
            stage_prefix: &arn[..prefix_len],
            method,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_partitions_stages_and_deep_paths() {
        let cases = [
            ("arn:aws:execute-api:us-east-1:123:abc/prod/GET/book", "arn:aws:execute-api:us-east-1:123:abc/prod", "GET", "book"),
            ("arn:aws:execute-api:us-east-1:123:abc/prod/GET/", "arn:aws:execute-api:us-east-1:123:abc/prod", "GET", ""),
            ("arn:aws:execute-api:us-east-1:123:abc/prod/GET", "arn:aws:execute-api:us-east-1:123:abc/prod", "GET", ""),
            ("arn:aws-cn:execute-api:cn-north-1:1:a/s/DELETE/book/1/x", "arn:aws-cn:execute-api:cn-north-1:1:a/s", "DELETE", "book/1/x"),
            ("arn:aws-us-gov:execute-api:us-gov-west-1:1:a/v1/POST/a:b", "arn:aws-us-gov:execute-api:us-gov-west-1:1:a/v1", "POST", "a:b"),
        ];
        for (arn, prefix, method, path) in cases {
            let parsed = MethodArn { full: arn, stage_prefix: prefix, method, path };
            assert_eq!(MethodArn::parse(arn), Ok(parsed), "{arn}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_method_arn() {
        let long = format!("arn:aws:execute-api:r:1:a/s/GET/{}", "x".repeat(1600));
        let cases = [
            ("", ArnError::Shape),
            ("arn:aws:s3:::bucket", ArnError::Shape),
            ("arn:aws:execute-api:us-east-1:123:abc", ArnError::Shape),
            ("arn:aws:execute-api:us-east-1:123:abc/prod", ArnError::Shape),
            ("arn:aws:execute-api::123:abc/prod/GET/x", ArnError::Shape),
            ("arn:aws:execute-api:r:1:*/prod/GET/x", ArnError::Shape),
            (long.as_str(), ArnError::TooLong),
        ];
        for (arn, error) in cases {
            assert_eq!(MethodArn::parse(arn), Err(error), "{arn}");
        }
    }
}
