#!/usr/bin/env bash
# Installs the Debian packages the expensive test tiers use: the Perl ldirectord (the reference
# for behaviour), MariaDB, the protocol servers of the negotiate checks, heartbeat and
# resource-agents (integration contracts), qemu with a Debian kernel (the IPVS tier), and the
# tools that build and test the .deb and .rpm.
# Runs as part of `npm test`; does nothing when everything is present; when not root it only
# says what is missing (the tiers that need it then skip with a printed reason).
set -euo pipefail

packages=(
  # reference implementation and the real ipvsadm (gcc builds the shim that runs it here)
  ldirectord ipvsadm gcc libc6-dev linux-libc-dev
  # DBD::Pg for the original's pgsql check (the ldirectord package does not pull it in)
  libdbd-pg-perl
  # checkers' real servers
  mariadb-server mariadb-client
  dnsmasq-base vsftpd exim4-daemon-light dovecot-pop3d dovecot-imapd slapd ldap-utils
  inn2 postgresql freeradius freeradius-utils sip-tester
  iputils-ping openssl python3 groff-base
  # integration contracts (ocf-tester checks the agent's meta-data with xmllint; the agent's
  # stop falls back to pgrep; the daemon tests rotate its log with Debian's logrotate)
  heartbeat resource-agents libxml2-utils procps logrotate
  # observability (issue 11): Prometheus and promtool scrape and lint /metrics, headless
  # Chromium renders the status page (driven by playwright-core, never a downloaded browser)
  prometheus chromium
  # systemd-notify for the Type=notify path (test/integration/observe-notify.test.ts)
  systemd
  # the two-director cluster tests (test/system/*cluster*): Pacemaker, corosync and crmsh run
  # inside the qemu guests, which use the host's binaries
  pacemaker corosync crmsh
  # the real-kernel IPVS tier (iproute2: `ip` for tests inside the guest, which runs the
  # host's binaries)
  qemu-system-x86 linux-image-amd64 busybox-static iproute2
  # the packages (scripts/package.ts: strip, dpkg-deb and dpkg-shlibdeps, rpmbuild) and their
  # tests (test/system/package.test.ts: a clean Debian root by mmdebstrap, lintian)
  binutils dpkg-dev rpm mmdebstrap lintian
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  [[ "$status" == "ii " ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} Debian packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: not root; missing Debian packages: ${missing[*]}"
  echo "setup: the test tiers that need them will skip and say so"
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own servers on private ports; keep the packages' system services
# (mariadb, postgresql, slapd, dovecot, exim, innd...) from starting on the standard ones.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
if ! apt-get install "${apt_opts[@]}" "${missing[@]}" >/tmp/ldirectord-ts-setup.log 2>&1; then
  # inn2's postinst refuses a host whose name does not resolve to a domain (containers):
  # give it one and finish configuring.
  if [[ -f /etc/news/inn.conf ]] && grep -q '^#domain:' /etc/news/inn.conf; then
    sed -i 's/^#domain:.*/domain:                      localdomain/' /etc/news/inn.conf
  fi
  dpkg --configure -a >>/tmp/ldirectord-ts-setup.log 2>&1 ||
    { tail -n 40 /tmp/ldirectord-ts-setup.log; exit 1; }
  apt-get install "${apt_opts[@]}" "${missing[@]}" >>/tmp/ldirectord-ts-setup.log 2>&1 ||
    { tail -n 40 /tmp/ldirectord-ts-setup.log; exit 1; }
fi
echo "setup: done"
