#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The two clocks the lab's programs read: the monotonic one paces and holds packets,
/// the wall clock stamps what the report compares with QMP events and pcap files.
enum LabClock {
    /// CLOCK_MONOTONIC, in nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// CLOCK_REALTIME, in nanoseconds since the Unix epoch.
    static func wallNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Sleeps until the monotonic clock reads `deadline` (an absolute deadline, so a
    /// late wake-up does not push later deadlines back).
    static func sleep(untilMonotonic deadline: Int64) {
        var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }

    /// Asks the kernel to wake timed sleeps on time rather than up to 50 µs late (the
    /// default timer slack). Threads inherit the slack of the thread that creates them:
    /// call this on the main thread before starting the threads whose timing matters.
    /// (`prctl` is variadic, so Swift cannot call it: this writes procfs instead.)
    static func makeProcessPunctual() {
        let descriptor = open("/proc/self/timerslack_ns", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = "1".withCString { write(descriptor, $0, 1) }
        close(descriptor)
    }

    /// Moves the calling thread to the real-time FIFO class, so that compilers and QEMU
    /// sharing the machine's cores cannot delay it by milliseconds. Best effort: without
    /// the privilege (root has it) the thread stays as it was. The thread must block or
    /// sleep most of the time; the lab's timing threads do.
    static func raiseCallingThreadToRealTime() {
        var parameters = sched_param(sched_priority: 10)
        _ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
