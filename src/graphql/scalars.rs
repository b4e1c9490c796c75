//! The contract's scalars: `DateTime` (RFC 3339, UTC) and `Decimal` (money
//! as a string with two decimals). `JSON` is async-graphql's `Json`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

/// An instant, written as RFC 3339 in UTC with microseconds
/// (`2026-11-21T09:30:00.000000Z`), so the text sorts like the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
/// An instant as RFC 3339 text, written in UTC with microseconds, e.g.
/// `"2026-11-21T09:30:00.000000Z"`. Input may carry any offset; digits
/// finer than microseconds are dropped.
impl ScalarType for DateTime {
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok())
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // Both databases keep microseconds; finer digits are dropped
            // so a value read back equals the value written.
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| {
                    let t = t.with_timezone(&Utc);
                    let extra = i64::from(t.timestamp_subsec_nanos() % 1_000);
                    DateTime(t - chrono::Duration::nanoseconds(extra))
                })
                .map_err(|_| InputValueError::custom("expected an RFC 3339 date-time")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Micros, true))
    }
}

/// An amount of money, exact to the cent: `"12840.00"`. Held as cents, in
/// 128 bits: an input has at most 15 digits before the point, so it fits
/// the 64-bit columns ([`Decimal::cents`]), while a tenant's sums may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decimal(pub i128);

impl From<i64> for Decimal {
    fn from(cents: i64) -> Self {
        Decimal(i128::from(cents))
    }
}

impl Decimal {
    /// The amount in cents, as a 64-bit column holds it (every parsed
    /// input fits; a larger sum is held at the bound).
    pub fn cents(self) -> i64 {
        i64::try_from(self.0).unwrap_or(if self.0 < 0 { i64::MIN } else { i64::MAX })
    }

    /// Parses `"12"`, `"12.5"`, `"-0.05"`; more than two decimals is refused.
    pub fn parse_str(s: &str) -> Option<Self> {
        let s = s.trim();
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !whole.is_empty()
            && whole.len() <= 15
            && frac.len() <= 2
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        let cents =
            whole.parse::<i128>().ok()? * 100 + format!("{frac:0<2}").parse::<i128>().ok()?;
        Some(Decimal(if negative { -cents } else { cents }))
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

#[Scalar(name = "Decimal")]
/// Money in the currency's major unit, as a string with two decimals, e.g.
/// `"12840.00"`; never a float. Input may also be a number; either has at
/// most two decimals and 15 digits before the point.
impl ScalarType for Decimal {
    fn is_valid(value: &Value) -> bool {
        match value {
            Value::String(s) => Decimal::parse_str(s).is_some(),
            Value::Number(n) => Decimal::parse_str(&n.to_string()).is_some(),
            _ => false,
        }
    }

    fn parse(value: Value) -> InputValueResult<Self> {
        let parsed = match &value {
            Value::String(s) => Decimal::parse_str(s),
            Value::Number(n) => Decimal::parse_str(&n.to_string()),
            _ => return Err(InputValueError::expected_type(value)),
        };
        parsed.ok_or_else(|| {
            InputValueError::custom("expected a decimal amount with at most two decimals")
        })
    }

    fn to_value(&self) -> Value {
        Value::String(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_and_print_exactly() {
        for (input, cents, shown) in [
            ("12840", 1_284_000, "12840.00"),
            ("12.5", 1250, "12.50"),
            ("0.05", 5, "0.05"),
            ("-3.10", -310, "-3.10"),
        ] {
            let d = Decimal::parse_str(input).unwrap_or(Decimal(i128::MIN));
            assert_eq!(d.0, cents, "{input}");
            assert_eq!(d.to_string(), shown);
        }
        for bad in ["", "1.234", "abc", "1e5", "--1", ".", "1234567890123456"] {
            assert!(Decimal::parse_str(bad).is_none(), "{bad}");
        }
        let largest = Decimal::parse_str("999999999999999.99").unwrap_or(Decimal(0));
        assert_eq!(largest.cents(), 99_999_999_999_999_999);
        let sum = Decimal(i128::from(i64::MAX) * 3);
        assert_eq!(sum.to_string(), "276701161105643274.21");
    }
}
