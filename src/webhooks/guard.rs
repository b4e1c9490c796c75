//! Where webhooks may go: only to public internet addresses, unless
//! `CRM_WEBHOOK_ALLOW_PRIVATE` is set. Checked when an endpoint is created
//! and again at every delivery, after DNS resolution (the resolver of the
//! delivery client drops every address that is not public, so a name that
//! later resolves to an internal address reaches nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};

/// The IANA IPv4 Special-Purpose Address Registry's blocks that are not
/// globally reachable (its "Globally Reachable" column false or N/A),
/// plus multicast and the limited broadcast address. `192.0.0.9/32` and
/// `192.0.0.10/32` are reachable, so `192.0.0.0/24` is listed in parts.
const SPECIAL_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network" (RFC 791)
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private use (RFC 1918)
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space (RFC 6598)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback (RFC 1122)
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link local (RFC 3927)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private use (RFC 1918)
    (Ipv4Addr::new(192, 0, 0, 0), 29),    // IETF protocol assignments, DS-Lite (RFC 6890, 6333)
    (Ipv4Addr::new(192, 0, 0, 8), 32),    // IPv4 dummy address (RFC 7600)
    (Ipv4Addr::new(192, 0, 0, 11), 32),   // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 0, 12), 30),   // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 0, 16), 28),   // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 0, 32), 27),   // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 0, 64), 26),   // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 0, 128), 25),  // IETF protocol assignments (RFC 6890)
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation, TEST-NET-1 (RFC 5737)
    (Ipv4Addr::new(192, 31, 196, 0), 24), // AS112-v4 (RFC 7535)
    (Ipv4Addr::new(192, 52, 193, 0), 24), // AMT (RFC 7450)
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast (RFC 7526)
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private use (RFC 1918)
    (Ipv4Addr::new(192, 175, 48, 0), 24), // direct delegation AS112 service (RFC 7534)
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking (RFC 2544)
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation, TEST-NET-2 (RFC 5737)
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation, TEST-NET-3 (RFC 5737)
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast (RFC 5771)
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and the limited broadcast (RFC 1112, 919)
];

/// The IANA IPv6 Special-Purpose Address Registry's blocks that are not
/// globally reachable, plus multicast and the blocks that carry an IPv4
/// address (their IPv4 address is checked instead, by [`embedded_v4`]).
const SPECIAL_V6: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 128), // unspecified (RFC 4291)
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 128), // loopback (RFC 4291)
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64), // discard-only (RFC 6666)
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments (RFC 2928)
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation (RFC 3849)
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
    (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16), // segment routing SIDs (RFC 9602)
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7), // unique local (RFC 4193)
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // link-local unicast (RFC 4291)
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // deprecated site-local (RFC 3879)
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8), // multicast (RFC 4291)
];

/// The blocks of `2001::/23` the IPv6 registry marks globally reachable.
const REACHABLE_IN_2001_23: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0x1, 0, 0, 0, 0, 0, 0x1), 128), // port control protocol anycast (RFC 7723)
    (Ipv6Addr::new(0x2001, 0x1, 0, 0, 0, 0, 0, 0x2), 128), // TURN anycast (RFC 8155)
    (Ipv6Addr::new(0x2001, 0x1, 0, 0, 0, 0, 0, 0x3), 128), // DNS-SD SRP anycast (RFC 9665)
    (Ipv6Addr::new(0x2001, 0x3, 0, 0, 0, 0, 0, 0), 32),    // AMT (RFC 7450)
    (Ipv6Addr::new(0x2001, 0x4, 0x112, 0, 0, 0, 0, 0), 48), // AS112-v6 (RFC 7535)
    (Ipv6Addr::new(0x2001, 0x20, 0, 0, 0, 0, 0, 0), 28),   // ORCHIDv2 (RFC 7343)
    (Ipv6Addr::new(0x2001, 0x30, 0, 0, 0, 0, 0, 0), 28),   // drone remote ID (RFC 9374)
];

fn in_v4(ip: Ipv4Addr, blocks: &[(Ipv4Addr, u8)]) -> bool {
    blocks
        .iter()
        .filter_map(|(net, len)| Ipv4Net::new(*net, *len).ok())
        .any(|net| net.contains(&ip))
}

fn in_v6(ip: Ipv6Addr, blocks: &[(Ipv6Addr, u8)]) -> bool {
    blocks
        .iter()
        .filter_map(|(net, len)| Ipv6Net::new(*net, *len).ok())
        .any(|net| net.contains(&ip))
}

/// The IPv4 address an IPv6 address stands for or carries: IPv4-mapped
/// (`::ffff:0:0/96`), IPv4-translated (`::ffff:0:0:0/96`), IPv4-compatible
/// (`::/96`), NAT64 (`64:ff9b::/96` and the local-use `64:ff9b:1::/48`,
/// whose last 32 bits hold it) and 6to4 (`2002::/16`, in the next 32).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let last = || Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
    let prefix = |net: Ipv6Addr, len: u8| in_v6(ip, &[(net, len)]);
    if prefix(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96)
        || prefix(Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96)
        || prefix(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)
        || prefix(Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48)
        || (prefix(Ipv6Addr::UNSPECIFIED, 96) && !ip.is_unspecified() && !ip.is_loopback())
    {
        return Some(last());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::from((u32::from(s[1]) << 16) | u32::from(s[2])));
    }
    None
}

/// Whether an address is globally reachable, as the IANA special-purpose
/// registries define it: no loopback, private, link-local (cloud metadata
/// at 169.254.169.254 included), shared, documentation, benchmarking,
/// reserved or multicast address, nor an IPv6 address that carries one.
/// (The standard library's `is_global` says the same, but is not stable;
/// no well-kept crate offers it, so the registries are listed here, each
/// block tested.)
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !in_v4(v4, SPECIAL_V4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => !in_v4(v4, SPECIAL_V4),
            None => !in_v6(v6, SPECIAL_V6) || in_v6(v6, REACHABLE_IN_2001_23),
        },
    }
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

    /// One address inside each block that is not globally reachable, and
    /// its first and last address.
    #[test]
    fn every_special_purpose_block_is_refused() {
        for (net, len) in SPECIAL_V4 {
            let block = Ipv4Net::new(*net, *len).expect("block");
            for a in [block.network(), block.broadcast()] {
                assert!(!is_public(IpAddr::V4(a)), "{a} in {block}");
                // The same address carried in each IPv6 form.
                let [x, y, z, w] = a.octets();
                let (hi, lo) = (u16::from_be_bytes([x, y]), u16::from_be_bytes([z, w]));
                for v6 in [
                    Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, hi, lo),
                    Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, hi, lo),
                    Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
                    Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, hi, lo),
                    Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1),
                ] {
                    assert!(!is_public(IpAddr::V6(v6)), "{v6} carries {a}");
                }
            }
        }
        for (net, len) in SPECIAL_V6 {
            let block = Ipv6Net::new(*net, *len).expect("block");
            for a in [block.network(), block.broadcast()] {
                let reachable = in_v6(a, REACHABLE_IN_2001_23);
                assert_eq!(is_public(IpAddr::V6(a)), reachable, "{a} in {block}");
            }
        }
        for s in [
            "127.0.0.1",
            "169.254.169.254",
            "::ffff:0:7f00:1",
            "64:ff9b:1::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "2001:db8::1",
            "2001:2::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "100::1",
            "192.0.0.170",
        ] {
            assert!(!is_public(ip(s)), "{s}");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "192.0.0.9",
            "192.0.0.10",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "::ffff:0:808:808",
            "64:ff9b::808:808",
            "64:ff9b:1::808:808",
            "2002:808:808::1",
            "2001:1::1",
            "2001:20::1",
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
