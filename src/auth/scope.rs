//! OAuth-style scopes: what a token may do (the guard that enforces them
//! per field is `graphql::ScopeGuard`).

/// A permission a token can carry in its space-separated `scope` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    ReadCustomers,
    WriteCustomers,
    ReadSegments,
    WriteSegments,
    ReadDataRequests,
    WriteDataRequests,
    ReadWebhooks,
    WriteWebhooks,
    ReadApiKeys,
    WriteApiKeys,
}

impl Scope {
    pub const ALL: [Scope; 10] = [
        Scope::ReadCustomers,
        Scope::WriteCustomers,
        Scope::ReadSegments,
        Scope::WriteSegments,
        Scope::ReadDataRequests,
        Scope::WriteDataRequests,
        Scope::ReadWebhooks,
        Scope::WriteWebhooks,
        Scope::ReadApiKeys,
        Scope::WriteApiKeys,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadCustomers => "read:customers",
            Scope::WriteCustomers => "write:customers",
            Scope::ReadSegments => "read:segments",
            Scope::WriteSegments => "write:segments",
            Scope::ReadDataRequests => "read:data_requests",
            Scope::WriteDataRequests => "write:data_requests",
            Scope::ReadWebhooks => "read:webhooks",
            Scope::WriteWebhooks => "write:webhooks",
            Scope::ReadApiKeys => "read:api_keys",
            Scope::WriteApiKeys => "write:api_keys",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// The space-separated list of every scope, as `crm token` grants by default.
    pub fn all_joined() -> String {
        Scope::ALL.map(Scope::as_str).join(" ")
    }
}

/// The set of scopes a token grants. Unknown scope names are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet(u16);

impl ScopeSet {
    pub fn parse(claim: &str) -> Self {
        let bits = claim
            .split_ascii_whitespace()
            .filter_map(|name| Scope::ALL.into_iter().find(|s| s.as_str() == name))
            .fold(0, |acc, s| acc | s.bit());
        ScopeSet(bits)
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// The scopes a viewer confined to a location keeps: those of
    /// customers, their data requests, and reading segments.
    pub fn within_location(self) -> Self {
        let kept = [
            Scope::ReadCustomers,
            Scope::WriteCustomers,
            Scope::ReadSegments,
            Scope::ReadDataRequests,
            Scope::WriteDataRequests,
        ]
        .into_iter()
        .fold(0, |acc, s| acc | s.bit());
        ScopeSet(self.0 & kept)
    }

    /// The set with `scope` added.
    pub fn with(self, scope: Scope) -> Self {
        ScopeSet(self.0 | scope.bit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_scopes_and_ignores_others() {
        let set = ScopeSet::parse("read:customers  admin write:webhooks");
        assert!(set.contains(Scope::ReadCustomers));
        assert!(set.contains(Scope::WriteWebhooks));
        assert!(!set.contains(Scope::WriteCustomers));
    }

    #[test]
    fn all_joined_grants_everything() {
        let set = ScopeSet::parse(&Scope::all_joined());
        assert!(Scope::ALL.iter().all(|s| set.contains(*s)));
    }
}
