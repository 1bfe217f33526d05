#!/usr/bin/env bash
# `make install`: builds home-agent, site-agent and glmctl in release with the Swift
# runtime linked statically (a host needs no Swift toolchain to run them), and installs
# them with what an operator needs around them:
#
#   $PREFIX/bin/{home-agent,site-agent,glmctl}
#   $PREFIX/lib/systemd/system/glm-{home,site}-agent.service   (not enabled, not started)
#   /etc/glm/{home-agent,site-agent}.yaml                      (examples; an existing file is kept)
#   /etc/libvirt/hooks/qemu.d/glm                              (the site agent's libvirt hook;
#                                                               an existing /etc/libvirt/hooks/qemu is left alone)
#   /etc/default/glm-hook                                      (the hook's settings; an existing file is kept)
#   $PREFIX/share/man/man8/{home-agent,site-agent,glmctl}.8
#   $PREFIX/share/bash-completion/completions, zsh and fish completions
#   $PREFIX/share/doc/glm/*.md, and examples/ (the configurations, Prometheus alert rules)
#
# Everything goes under $DESTDIR when it is set (a staging root for packaging).
# Usage: [DESTDIR=/tmp/stage] [PREFIX=/usr/local] scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
# The static build has its own build folder: its link flags differ from `make release`'s.
scratch=${GLM_STATIC_BUILD:-.build/static}
products=(home-agent site-agent glmctl)

for product in "${products[@]}"; do
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product"
done
binaries=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)

bindir="$prefix/bin"
docdir="$prefix/share/doc/glm"
install -d "$destdir$bindir"
for product in "${products[@]}"; do
    install -m 0755 "$binaries/$product" "$destdir$bindir/$product"
done

# systemd units, pointing at the installed binaries.
install -d "$destdir$prefix/lib/systemd/system"
for unit in dist/systemd/*.service; do
    sed -e "s|@BINDIR@|$bindir|g" -e "s|@DOCDIR@|$docdir|g" "$unit" > "$destdir$prefix/lib/systemd/system/$(basename "$unit")"
    chmod 0644 "$destdir$prefix/lib/systemd/system/$(basename "$unit")"
done

# Example configurations: never over an operator's file.
install -d -m 0755 "$destdir/etc/glm"
for example in Docs/examples/home-agent.yaml Docs/examples/site-agent.yaml; do
    target="$destdir/etc/glm/$(basename "$example")"
    if [ -e "$target" ]; then
        echo "install: $target exists; kept (the example is in $docdir/examples)"
    else
        install -m 0640 "$example" "$target"
    fi
done

# The libvirt hook as a qemu.d drop-in (libvirt runs every executable file there).
install -d "$destdir/etc/libvirt/hooks/qemu.d"
sed -e "s|/usr/local/bin/site-agent|$bindir/site-agent|g" scripts/libvirt/qemu-hook.sh > "$destdir/etc/libvirt/hooks/qemu.d/glm"
chmod 0755 "$destdir/etc/libvirt/hooks/qemu.d/glm"
# Its settings, never over an operator's.
install -d "$destdir/etc/default"
if [ ! -e "$destdir/etc/default/glm-hook" ]; then
    sed -e "s|/usr/bin/site-agent|$bindir/site-agent|g" dist/default/glm-hook > "$destdir/etc/default/glm-hook"
    chmod 0644 "$destdir/etc/default/glm-hook"
fi

# Completions and manual pages, generated from the argument parser.
install -d "$destdir$prefix/share/bash-completion/completions" "$destdir$prefix/share/zsh/vendor-completions" \
    "$destdir$prefix/share/fish/vendor_completions.d"
for product in "${products[@]}"; do
    "$binaries/$product" --generate-completion-script bash > "$destdir$prefix/share/bash-completion/completions/$product"
    "$binaries/$product" --generate-completion-script zsh > "$destdir$prefix/share/zsh/vendor-completions/_$product"
    "$binaries/$product" --generate-completion-script fish > "$destdir$prefix/share/fish/vendor_completions.d/$product.fish"
done
# The argument parser's manual plugin builds the package (in debug: the pages are the
# same, and `make test` has built it already) and writes a page per executable.
swift package plugin --allow-writing-to-package-directory generate-manual --configuration debug \
    --section 8 --authors "the GLM authors" >/dev/null
manuals=.build/plugins/GenerateManual/outputs
install -d "$destdir$prefix/share/man/man8"
install -m 0644 "$manuals/HomeAgent/home-agent.8" "$manuals/SiteAgent/site-agent.8" "$manuals/glmctl/glmctl.8" \
    "$destdir$prefix/share/man/man8/"

# The documentation the units and pages point to.
install -d "$destdir$docdir/examples"
install -m 0644 Docs/home-agent.md Docs/site-agent.md Docs/deploy.md Docs/protocol.md "$destdir$docdir/"
install -m 0644 Docs/examples/home-agent.yaml Docs/examples/site-agent.yaml dist/prometheus/glm-alerts.yml \
    "$destdir$docdir/examples/"

echo "installed into ${destdir:-/}: $bindir/{${products[*]// /,}}, units, examples, hook, manual pages, completions"
