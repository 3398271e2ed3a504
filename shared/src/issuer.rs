//! The two forms of a Cognito user pool's issuer, which both the authorizer
//! (which issuers to trust) and the local pool (which one to sign with) use.

/// A user pool's `IssuerConfiguration.Type` (`AWS::Cognito::UserPool`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IssuerForm {
    /// `ORIGINAL`, the default: `https://cognito-idp.<region>.amazonaws.com/<pool>`.
    #[default]
    Original,
    /// `UPDATED`, which AWS recommends, multi-Region replication included:
    /// `https://issuer-cognito-idp.<primary region>.amazonaws.com/<pool>`.
    Updated,
}

impl IssuerForm {
    /// Both forms.
    pub const ALL: [IssuerForm; 2] = [IssuerForm::Original, IssuerForm::Updated];

    /// The form named by an `IssuerConfiguration.Type` value.
    pub fn from_type(value: &str) -> Option<Self> {
        match value {
            "ORIGINAL" => Some(Self::Original),
            "UPDATED" => Some(Self::Updated),
            _ => None,
        }
    }

    /// The issuer Cognito writes for `pool` in `region` in this form.
    pub fn issuer(self, region: &str, pool: &str) -> String {
        match self {
            IssuerForm::Original => format!("https://cognito-idp.{region}.amazonaws.com/{pool}"),
            IssuerForm::Updated => {
                format!("https://issuer-cognito-idp.{region}.amazonaws.com/{pool}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_name_their_forms() {
        assert_eq!(
            IssuerForm::from_type("ORIGINAL"),
            Some(IssuerForm::Original)
        );
        assert_eq!(IssuerForm::from_type("UPDATED"), Some(IssuerForm::Updated));
        assert_eq!(IssuerForm::from_type("updated"), None);
        assert_eq!(
            IssuerForm::Updated.issuer("eu-west-1", "eu-west-1_X"),
            "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X"
        );
    }
}
