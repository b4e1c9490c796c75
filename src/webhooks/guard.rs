//! Where webhooks may go: only to public internet addresses, unless
//! `CRM_WEBHOOK_ALLOW_PRIVATE` is set. Checked when an endpoint is created
//! and again at every delivery, after DNS resolution (the resolver of the
//! delivery client drops every address that is not public, so a name that
//! later resolves to an internal address reaches nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Whether an address is on the public internet: not loopback, private,
/// link-local (cloud metadata at 169.254.169.254 included), shared
/// (carrier-grade NAT), multicast, documentation, benchmarking or
/// reserved space, nor an IPv6 address that embeds one of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and IPv4-compatible (::/96) addresses embed an
    // IPv4 address; 6to4 (2002::/16) carries one in its next 32 bits.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if segments[0] == 0x64 && segments[1] == 0xff9b && segments[2..6] == [0; 4] {
        return is_public_v4(embedded(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(embedded(segments[1], segments[2]));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || segments[0..6] == [0; 6]
        || (segments[0] & 0xffc0) == 0xfec0
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || (segments[0] == 0x2001 && segments[1] == 0))
}

/// Why a webhook URL is refused.
pub fn check_syntax(raw: &str) -> Result<url::Url, &'static str> {
    let url = url::Url::parse(raw).map_err(|_| "must be an absolute http or https URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an absolute http or https URL");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials");
    }
    if url.host().is_none() {
        return Err("must name a host");
    }
    Ok(url)
}

/// The addresses a URL's host stands for (resolved by DNS for a name).
pub async fn resolve(url: &url::Url) -> Result<Vec<IpAddr>, &'static str> {
    let port = url.port_or_known_default().unwrap_or(443);
    match url.host() {
        Some(url::Host::Ipv4(ip)) => Ok(vec![IpAddr::V4(ip)]),
        Some(url::Host::Ipv6(ip)) => Ok(vec![IpAddr::V6(ip)]),
        Some(url::Host::Domain(name)) => {
            let addrs: Vec<IpAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| "names a host that does not resolve")?
                .map(|addr: SocketAddr| addr.ip())
                .collect();
            if addrs.is_empty() {
                return Err("names a host that does not resolve");
            }
            Ok(addrs)
        }
        None => Err("must name a host"),
    }
}

/// Checks a URL for an endpoint: well formed, and (unless private
/// addresses are allowed) every address it resolves to is public.
pub async fn check(raw: &str, allow_private: bool) -> Result<url::Url, &'static str> {
    let url = check_syntax(raw)?;
    if allow_private {
        return Ok(url);
    }
    if resolve(&url).await?.into_iter().all(is_public) {
        Ok(url)
    } else {
        Err("resolves to a loopback, private or link-local address")
    }
}

/// The delivery client's DNS resolver: the system's, keeping public
/// addresses only.
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|addr| is_public(addr.ip()))
                .collect();
            if addrs.is_empty() {
                return Err("the host resolves to no public address".into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!("{s}"))
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fec0::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(s)), "{s}");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s}");
        }
    }

    #[tokio::test]
    async fn urls_are_checked_after_resolution() {
        for raw in [
            "http://127.0.0.1:9/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://localhost/hook",
        ] {
            assert!(check(raw, false).await.is_err(), "{raw}");
            assert!(check(raw, true).await.is_ok(), "{raw}");
        }
        for raw in [
            "ftp://example.com/",
            "not a url",
            "https://user:pw@example.com/",
        ] {
            assert!(check(raw, true).await.is_err(), "{raw}");
        }
    }
}
