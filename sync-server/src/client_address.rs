//! Who is on the other end of a request. Behind a reverse proxy every request comes from the
//! proxy, so its `Forwarded` or `X-Forwarded-For` header says who the client is; but anyone can
//! send those headers, so they are believed only from the proxies the operator names.

use axum::http::HeaderMap;
use std::net::IpAddr;
use std::str::FromStr;

/// An address range such as `10.0.0.0/8`, `192.0.2.7` or `::1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not an address or a range like 10.0.0.0/8");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse().ok().filter(|p| *p <= bits).ok_or_else(bad)?,
            None => bits,
        };
        Ok(Self { network, prefix })
    }
}

impl Cidr {
    pub fn contains(&self, address: IpAddr) -> bool {
        let (network, address, bits) = match (self.network, canonical(address)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => (u32::from(n).into(), u32::from(a).into(), 32),
            (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix);
        shift >= 128 || (network >> shift) == (address >> shift)
    }
}

/// IPv4 clients of a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the connection's own, unless that is a trusted proxy; then, walking the
/// forwarded chain from its end (the entry our proxy added), the first address that is not one.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |a: IpAddr| trusted.iter().any(|c| c.contains(a));
    let mut client = canonical(peer);
    if !is_trusted(client) {
        return client;
    }
    for hop in forwarded_chain(headers).into_iter().rev() {
        let Some(hop) = hop else {
            // An entry we cannot read (`unknown`, a name): stop at the last proxy we believe.
            return client;
        };
        client = canonical(hop);
        if !is_trusted(client) {
            return client;
        }
    }
    client
}

/// The addresses a request passed through, first client first: RFC 7239 `Forwarded: for=…` if
/// present, else `X-Forwarded-For`. `None` for an entry that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    key.eq_ignore_ascii_case("for").then(|| node(value))
                })
            })
            .collect();
    }
    values("x-forwarded-for").iter().map(|v| node(v)).collect()
}

/// `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"` or `2001:db8::1`.
fn node(value: &str) -> Option<IpAddr> {
    let value = value.trim().trim_matches('"');
    if let Ok(address) = value.parse() {
        return Some(address);
    }
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    value.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let spoofed = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_address(ip("198.51.100.4"), &spoofed, &trusted),
            ip("198.51.100.4"),
            "a client that is not a proxy cannot name another address"
        );
        // The client put a false entry first; our proxy appended the real one.
        let chained = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &chained, &trusted),
            ip("203.0.113.9")
        );
        let rfc = headers(&[(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";proto=https, for=10.2.2.2",
        )]);
        assert_eq!(client_address(ip("::1"), &rfc, &trusted), ip("2001:db8::7"));
        assert_eq!(
            client_address(ip("::ffff:10.0.0.2"), &headers(&[]), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &headers(&[("x-forwarded-for", "unknown")]),
                &trusted
            ),
            ip("10.0.0.2")
        );
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
    }
}
