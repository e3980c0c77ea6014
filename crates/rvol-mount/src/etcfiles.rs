//! The three files docker writes per container and bind-mounts over
//! /etc/hostname, /etc/hosts and /etc/resolv.conf (docs/docker-behaviour.md §9).

use std::path::Path;

use rvol_state::{Result, ResultExt};

pub const FILES: [&str; 3] = ["hostname", "hosts", "resolv.conf"];

const DEFAULT_HOSTS: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

/// Write `hostname`, `hosts`, `resolv.conf` into `dir`. With the host's
/// network the container sees the host's files, as with docker.
pub fn write(dir: &Path, hostname: &str, host_network: bool) -> Result<()> {
    let hosts = if host_network {
        std::fs::read_to_string("/etc/hosts").unwrap_or_else(|_| DEFAULT_HOSTS.to_string())
    } else {
        DEFAULT_HOSTS.to_string()
    };
    let resolv = resolv_conf(
        &std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
        host_network,
    );
    for (name, body) in [
        ("hostname", format!("{hostname}\n")),
        ("hosts", hosts),
        ("resolv.conf", resolv),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, body).with_ctx(|| format!("write {}", p.display()))?;
    }
    Ok(())
}

/// The host's resolv.conf; outside the host's network, loopback
/// nameservers cannot be reached and are dropped (docker falls back to
/// public resolvers when none is left).
fn resolv_conf(host: &str, host_network: bool) -> String {
    if host_network {
        return host.to_string();
    }
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("nameserver") {
            let ip = words.next().unwrap_or("");
            if ip.starts_with("127.") || ip == "::1" {
                continue;
            }
            servers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if servers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

/// The host's hostname, for `--network host`.
pub fn host_hostname() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_dropped() {
        let r = super::resolv_conf(
            "search x\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n",
            false,
        );
        assert_eq!(r, "search x\nnameserver 10.0.0.1\n");
        let r = super::resolv_conf("nameserver 127.0.0.53\n", false);
        assert!(r.contains("8.8.8.8"));
    }
}
