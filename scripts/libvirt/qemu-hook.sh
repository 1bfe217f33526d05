#!/bin/sh
# libvirt's qemu hook for the GLM site agent: install as /etc/libvirt/hooks/qemu
# (executable), or call it from an existing hook with the same arguments and stdin.
#
# libvirt calls it as `qemu GUEST OPERATION SUB-OPERATION EXTRA` with the domain XML on
# standard input. The hook must not call back into libvirt (virsh) or it deadlocks.
#
#   migrate   an incoming migration begins, before any memory moves:
#             `--event incoming` for each MAC. The agent prepares (make-before-break):
#             the home agent bicasts the VM's traffic here too and this host serves it
#             before it arrives. QEMU's own announce (RARP) completes the handoff when
#             the guest resumes.
#   started   the guest runs here: `site-agent notify --event arrived` for each of its
#             MACs (a first attach, handoff indicator 1). Not after an incoming
#             migration: the announce did that.
#   release   the guest has left this host (shut down, or migrated away):
#             `--event departed` for each MAC. After a migration the home agent has
#             already moved the binding and ignores this late de-registration. An
#             incoming migration that never started the guest failed:
#             `--event aborted` undoes the preparation.
#
# Settings: /etc/default/glm-hook (another file with GLM_HOOK_DEFAULTS), a shell file of
# SITE_AGENT (default /usr/local/bin/site-agent), SITE_AGENT_SOCKET (default
# /run/glm/site-agent.sock), GLM_HOOK_STATE (default /run/glm/hook) and GLM_HOOK_TIMEOUT
# (seconds, default 5). The environment overrides the file.
#
# The hook cannot hurt libvirt: every call it makes has GLM_HOOK_TIMEOUT (the MACs of a
# domain are notified at once, so `migrate begin` waits at most that long whatever the
# agent does); nothing it prints reaches libvirt's standard output (libvirt would take
# it as a new domain XML); each answer or failure goes to the system log with the tag
# glm-hook, a failure also to standard error; and it exits 0, with one exception: a
# host that drains (`glmctl drain`) refuses an incoming migration, and `migrate` then
# exits 1, which makes libvirt abort the migration before any memory moves.
set -u
exec >/dev/null

guest=${1:-}
operation=${2:-}
defaults=${GLM_HOOK_DEFAULTS:-/etc/default/glm-hook}
agent=${SITE_AGENT:-}
socket=${SITE_AGENT_SOCKET:-}
state=${GLM_HOOK_STATE:-}
limit=${GLM_HOOK_TIMEOUT:-}
if [ -r "$defaults" ]; then
    # shellcheck disable=SC1090
    . "$defaults"
fi
agent=${agent:-${SITE_AGENT:-/usr/local/bin/site-agent}}
socket=${socket:-${SITE_AGENT_SOCKET:-/run/glm/site-agent.sock}}
state=${state:-${GLM_HOOK_STATE:-/run/glm/hook}}
limit=${limit:-${GLM_HOOK_TIMEOUT:-5}}

# The system log, which must not hold the hook up either.
log() {
    timeout 2 logger -p "daemon.$1" -t glm-hook -- "$2" 2>/dev/null || true
}

# The interfaces' MACs in the domain XML: <mac address='52:54:00:12:34:56'/>, one
# element a line or several on one.
macs() {
    tr '<' '\n' | sed -n "s/^mac address=['\"]\([0-9A-Fa-f:]\{17\}\)['\"].*/\1/p"
}

# Each call's answer goes to the system log, never to libvirt's standard output; a
# refusal (no home agent accepts the VM, a key mismatch) or a call that outlived its
# timeout is logged as a warning with the reason, and the hook still exits 0 so that
# libvirt goes on (a draining host's refusal is marked for `migrate`, below). The
# domain's MACs are notified side by side.
notify() {
    for mac in $(macs); do
        (
            if answer=$(timeout -k 1 "$limit" "$agent" notify --vm "$mac" --event "$1" --socket "$socket" 2>&1 </dev/null); then
                log info "notify $1 $mac for $guest: ${answer:-ok}"
            else
                status=$?
                [ "$status" -eq 124 ] || [ "$status" -eq 137 ] && answer="no answer within ${limit} s${answer:+: $answer}"
                # 3: the host drains and refuses the VM.
                [ "$status" -eq 3 ] && : > "$state/$guest.draining"
                log warning "notify $1 $mac for $guest failed: $answer"
                echo "glm-hook: notify $1 $mac for $guest failed: $answer" >&2
            fi
        ) &
    done
    wait
}

case "$operation" in
    migrate)
        # An incoming migration begins: prepare; the announce tells the agent when it ends.
        mkdir -p "$state" && : > "$state/$guest.incoming"
        rm -f "$state/$guest.draining"
        notify incoming
        if [ -e "$state/$guest.draining" ]; then
            rm -f "$state/$guest.draining" "$state/$guest.incoming"
            log warning "migration of $guest refused: this host drains"
            echo "glm-hook: this host drains (glmctl drain): migration of $guest refused" >&2
            exit 1
        fi
        ;;
    started)
        if [ -e "$state/$guest.incoming" ]; then
            rm -f "$state/$guest.incoming"
            cat > /dev/null
        else
            notify arrived
        fi
        ;;
    release)
        if [ -e "$state/$guest.incoming" ]; then
            rm -f "$state/$guest.incoming"
            notify aborted
        else
            notify departed
        fi
        ;;
    *)
        cat > /dev/null
        ;;
esac
exit 0
