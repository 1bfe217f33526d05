#!/usr/bin/env bash
# `make deb`: the Debian package glm_VERSION_ARCH.deb of what `make install` installs
# (PREFIX=/usr), built with dpkg-deb into .build/deb/. The package's dependencies are the
# packages of the shared libraries the binaries link (the Swift runtime is inside them).
# Its postinst creates /etc/glm (the example files copied there only where no file is)
# and /var/lib/glm, reloads systemd, and neither enables nor starts anything: an agent
# runs once an operator has written its file and enabled its unit.
set -euo pipefail
cd "$(dirname "$0")/.."

out=.build/deb
root="$out/root"
rm -rf "$root"
mkdir -p "$root"
DESTDIR="$root" PREFIX=/usr scripts/install.sh
# The examples reach /etc/glm through the postinst, never over an operator's file.
rm -f "$root/etc/glm/home-agent.yaml" "$root/etc/glm/site-agent.yaml"
rmdir "$root/etc/glm"

version=$("$root/usr/bin/glmctl" --version)
architecture=$(dpkg --print-architecture)
# The package of every shared library the three binaries name (their NEEDED entries, not
# what those libraries pull in themselves), found where the loader finds it.
depends=$(for binary in "$root"/usr/bin/*; do
        ldd "$binary" | awk -v needed="$(readelf -d "$binary" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | paste -sd' ')" \
            'BEGIN { split(needed, names, " "); for (i in names) wanted[names[i]] = 1 } $2 == "=>" && ($1 in wanted) { print $3 }'
    done | sort -u |
    while read -r library; do dpkg -S "$(readlink -f "$library")" 2>/dev/null || dpkg -S "$library" 2>/dev/null || true; done |
    cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')

mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: glm
Version: $version
Architecture: $architecture
Maintainer: GLM <glm@example.org>
Section: net
Priority: optional
Depends: $depends
Recommends: nftables, iproute2
Suggests: etcd-client, libvirt-daemon-system
Installed-Size: $(du -sk "$root" --exclude=DEBIAN | cut -f1)
Description: Global Live Migration of virtual machines between sites
 A home agent on each site's LAN and a site agent on every hypervisor let a running
 VM move between data centres on different IP networks and keep its IPv4 address,
 gateway and connections (Proxy Mobile IPv6 signaling over IPv4, RFC 5213/5844).
 glmctl reads their state and decodes their signaling.
CONTROL
printf '%s\n' /etc/libvirt/hooks/qemu.d/glm /etc/default/glm-hook > "$root/DEBIAN/conffiles"
install -m 0755 dist/debian/postinst "$root/DEBIAN/postinst"

package="$out/glm_${version}_${architecture}.deb"
dpkg-deb --root-owner-group --build "$root" "$package" >/dev/null
echo "$package"
