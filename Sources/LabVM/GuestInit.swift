/// What the guest runs: the initramfs's `/init`, and the kernel modules it loads.
///
/// One initramfs serves every VM: the init reads the VM's address and gateway from the
/// kernel command line (`glm.ip=10.10.0.50/24 glm.gw=10.10.0.1`), so a VM's addressing
/// is a QEMU argument, not a rebuild.
enum GuestInit {
    /// The Debian cloud kernel's virtio-net stack, in the order `insmod` needs it (each
    /// module's dependencies first; the initramfs has no `modprobe` and no `modules.dep`).
    static let modules = [
        "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci",
        "failover", "net_failover", "virtio_net",
    ]

    /// The line the init prints on the console once `eth0` is configured.
    static let readyMarker = "GLM-GUEST-READY"

    /// The line the init prints when something in it failed (a module, an address).
    static let errorMarker = "GLM-GUEST-ERROR"

    /// The shell prompt on the serial console.
    static let prompt = "glm-guest# "

    /// The `/init` script, busybox `sh`.
    static let script = """
        #!/bin/busybox sh
        # GLM lab guest: busybox, the virtio-net modules, eth0 from the kernel command line,
        # then a shell on the serial console. Built by LabVM's GuestImage.
        /bin/busybox --install -s /bin
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        # Keep kernel messages off the console: it is the test's conversation with the shell.
        dmesg -n 1
        for module in \(modules.joined(separator: " ")); do
            insmod /modules/$module.ko || echo "\(errorMarker) insmod $module"
        done
        address=""
        gateway=""
        for word in $(cat /proc/cmdline); do
            case "$word" in
                glm.ip=*) address="${word#glm.ip=}" ;;
                glm.gw=*) gateway="${word#glm.gw=}" ;;
            esac
        done
        # No IPv6 chatter on the lab's bridges (ipv6.disable=1 usually does this already).
        echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
        echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
        ip link set lo up
        ip link set eth0 up || echo "\(errorMarker) no eth0"
        if [ -n "$address" ]; then
            ip address add "$address" dev eth0 || echo "\(errorMarker) address $address"
        fi
        if [ -n "$gateway" ]; then
            ip route add default via "$gateway" || echo "\(errorMarker) gateway $gateway"
        fi
        echo "\(readyMarker) eth0 ${address:-none} gateway ${gateway:-none}"
        export PS1='\(prompt)'
        while true; do
            setsid cttyhack sh
        done

        """
}
