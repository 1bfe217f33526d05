#!/usr/bin/env bash
# `make test`'s check of `make install` and `make deb`, as a fresh clone does them:
# installs into a temporary DESTDIR (PREFIX=/usr), then checks that
#   * the binaries link no Swift runtime library (ldd), and run — `--version` — in a mount
#     namespace where the Swift toolchain's folder is an empty tmpfs;
#   * systemd-analyze verify accepts the units (pointed at the staged binaries);
#   * the manual pages and completions are there, and an existing /etc/glm file is kept;
#   * the Debian package builds and dpkg-deb -I/-c show its control data and contents.
# Prints a line per check; exits 1 when one fails. Needs root (unshare, mount).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the checks need; without it they skip with the reason, and fail under CI=true.
for tool in systemd-analyze dpkg-deb readelf unshare; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        if [ "${CI:-}" = true ]; then
            echo "test-install: FAIL: $tool is not installed (scripts/install-deps.sh installs it)"
            exit 1
        fi
        echo "test-install: skipped: $tool is not installed (scripts/install-deps.sh installs it)"
        exit 0
    fi
done
if [ "$(id -u)" -ne 0 ]; then
    [ "${CI:-}" = true ] && { echo "test-install: FAIL: needs root (unshare, mount)"; exit 1; }
    echo "test-install: skipped: needs root (unshare, mount)"
    exit 0
fi

stage=$(mktemp -d /tmp/glm-install-XXXXXX)
trap 'rm -rf "$stage"' EXIT
failures=0
fail() { echo "test-install: FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "test-install: ok: $*"; }

expected=$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/GLMControl/GLMVersion.swift)
# An operator's file already there must survive the install.
mkdir -p "$stage/etc/glm"
echo "# the operator's own" > "$stage/etc/glm/site-agent.yaml"
DESTDIR="$stage" PREFIX=/usr scripts/install.sh

toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
for binary in home-agent site-agent glmctl; do
    path="$stage/usr/bin/$binary"
    if ldd "$path" | grep -Ei 'libswift|libFoundation|libdispatch|libBlocksRuntime|_FoundationICU'; then
        fail "$binary links a Swift runtime library"
    else
        pass "$binary: ldd shows no Swift runtime library"
    fi
    version=$(unshare --mount sh -c "mount -t tmpfs empty '$toolchain' && ls -A '$toolchain' | wc -l && '$path' --version" 2>&1 || true)
    if [ "$version" = "0
$expected" ]; then
        pass "$binary --version: $expected, with $toolchain out of reach"
    else
        fail "$binary --version with $toolchain hidden printed: $version"
    fi
done

units="$stage/verify"
mkdir -p "$units"
for unit in "$stage"/usr/lib/systemd/system/*.service; do
    sed "s|/usr/bin/|$stage/usr/bin/|g" "$unit" > "$units/$(basename "$unit")"
done
if output=$(systemd-analyze verify --man=no "$units"/*.service 2>&1); then
    pass "systemd-analyze verify accepts $(cd "$units" && echo *.service)"
else
    fail "systemd-analyze verify: $output"
fi
grep -q '^ExecReload=/usr/bin/home-agent check --config' "$stage/usr/lib/systemd/system/glm-home-agent.service" \
    && pass "the home agent's reload checks the file first" || fail "no checking ExecReload in glm-home-agent.service"

for page in man8/home-agent.8 man8/site-agent.8 man8/glmctl.8; do
    [ -s "$stage/usr/share/man/$page" ] && pass "manual page $page" || fail "no manual page $page"
done
for completion in bash-completion/completions/site-agent zsh/vendor-completions/_glmctl fish/vendor_completions.d/home-agent.fish; do
    [ -s "$stage/usr/share/$completion" ] && pass "completion $completion" || fail "no completion $completion"
done
[ "$(cat "$stage/etc/glm/site-agent.yaml")" = "# the operator's own" ] && pass "an existing /etc/glm/site-agent.yaml is kept" \
    || fail "the install overwrote /etc/glm/site-agent.yaml"
[ -s "$stage/etc/glm/home-agent.yaml" ] && pass "the example /etc/glm/home-agent.yaml is installed" || fail "no /etc/glm/home-agent.yaml"
grep -q '^#GLM_HOOK_TIMEOUT=5' "$stage/etc/default/glm-hook" && pass "the hook's settings in /etc/default/glm-hook" \
    || fail "no /etc/default/glm-hook"
[ -x "$stage/etc/libvirt/hooks/qemu.d/glm" ] && [ ! -e "$stage/etc/libvirt/hooks/qemu" ] \
    && pass "the libvirt hook is a qemu.d drop-in" || fail "the libvirt hook is not /etc/libvirt/hooks/qemu.d/glm alone"

package=$(scripts/deb.sh | tail -1)
info=$(dpkg-deb -I "$package")
contents=$(dpkg-deb -c "$package")
echo "$info" | grep -q "Package: glm" && echo "$info" | grep -q "Version: $expected" \
    && pass "dpkg-deb -I: glm $expected, depends on: $(echo "$info" | sed -n 's/^ Depends: //p')" || fail "dpkg-deb -I: $info"
for entry in ./usr/bin/home-agent ./usr/bin/site-agent ./usr/bin/glmctl ./usr/lib/systemd/system/glm-home-agent.service \
             ./etc/libvirt/hooks/qemu.d/glm ./etc/default/glm-hook ./usr/share/doc/glm/examples/home-agent.yaml ./usr/share/doc/glm/examples/glm-alerts.yml \
             ./usr/share/man/man8/home-agent.8; do
    echo "$contents" | grep -q " $entry\$" && pass "dpkg-deb -c lists $entry" || fail "dpkg-deb -c does not list $entry"
done
echo "$contents" | grep -q ' ./etc/glm/' && fail "the package ships files under /etc/glm (the postinst copies the examples)" \
    || pass "nothing under /etc/glm in the package itself"

if [ "$failures" -gt 0 ]; then
    echo "test-install: $failures checks failed"
    exit 1
fi
echo "test-install: every check passed"
